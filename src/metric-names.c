/*
 * metric-names.c - the registry of metric names: which metrics each task
 * type supports, which it computes by default, and which way is better.
 *
 * Kept apart from metrics.c (which computes them) so that suite validation
 * and the regression gate can ask about names without the arithmetic.
 */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "error.h"
#include "metrics.h"
#include "util.h"

/* Computed for every task whatever the suite asks: errors, latency, throughput. */
#define COMMON "errors", "latency_p50", "latency_p95", "latency_p99", "throughput"

static const char *const classification[] = {
        "accuracy",        "balanced_accuracy", "precision_macro",
        "recall_macro",    "f1_macro",          "precision_micro",
        "recall_micro",    "f1_micro",          "precision_weighted",
        "recall_weighted", "f1_weighted",       "log_loss",
        "brier",           "roc_auc",           COMMON};
static const char *const classification_defaults[] = {
        "accuracy", "balanced_accuracy", "precision_macro", "recall_macro", "f1_macro",
        "f1_micro", "f1_weighted",       "log_loss",        "brier",        "roc_auc"};
static const char *const regression[] = {"mae", "mse", "rmse", "r2", COMMON};
static const char *const regression_defaults[] = {"mae", "mse", "rmse", "r2"};
static const char *const generation[] = {"exact_match", "token_f1", "chrf", COMMON};
static const char *const generation_defaults[] = {"exact_match", "token_f1", "chrf"};
static const char *const multiple_choice[] = {"accuracy", COMMON};
static const char *const multiple_choice_defaults[] = {"accuracy"};
static const char *const retrieval[] = {"recall@10", "mrr", "ndcg@10", COMMON};
static const char *const retrieval_defaults[] = {"recall@10", "mrr", "ndcg@10"};

#define LIST(a)                        \
	do {                           \
		*n = BT_ARRAY_SIZE(a); \
		return a;              \
	} while (0)

const char *const *bt_metrics_supported(enum benchtop_task_type type, size_t *n)
{
	switch (type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		LIST(classification);
	case BENCHTOP_TASK_REGRESSION:
		LIST(regression);
	case BENCHTOP_TASK_GENERATION:
		LIST(generation);
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		LIST(multiple_choice);
	case BENCHTOP_TASK_RETRIEVAL:
		LIST(retrieval);
	}
	*n = 0;
	return NULL;
}

const char *const *bt_metrics_defaults(enum benchtop_task_type type, size_t *n)
{
	switch (type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		LIST(classification_defaults);
	case BENCHTOP_TASK_REGRESSION:
		LIST(regression_defaults);
	case BENCHTOP_TASK_GENERATION:
		LIST(generation_defaults);
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		LIST(multiple_choice_defaults);
	case BENCHTOP_TASK_RETRIEVAL:
		LIST(retrieval_defaults);
	}
	*n = 0;
	return NULL;
}

/* "recall@25" and "ndcg@3" are valid for any positive cutoff. */
static int cutoff_metric(const char *name)
{
	const char *at = strchr(name, '@');
	const char *p;

	if (!at || at[1] == '\0')
		return 0;
	if (strncmp(name, "recall@", 7) != 0 && strncmp(name, "ndcg@", 5) != 0)
		return 0;
	for (p = at + 1; *p; p++)
		if (!isdigit((unsigned char)*p))
			return 0;
	return atoi(at + 1) > 0;
}

static const char *type_name(enum benchtop_task_type type)
{
	switch (type) {
	case BENCHTOP_TASK_CLASSIFICATION:
		return "classification";
	case BENCHTOP_TASK_REGRESSION:
		return "regression";
	case BENCHTOP_TASK_GENERATION:
		return "generation";
	case BENCHTOP_TASK_MULTIPLE_CHOICE:
		return "multiple_choice";
	case BENCHTOP_TASK_RETRIEVAL:
		return "retrieval";
	}
	return "unknown";
}

int bt_metrics_check(enum benchtop_task_type type, const char *name)
{
	size_t n, i;
	const char *const *names = bt_metrics_supported(type, &n);
	const char *s;

	for (i = 0; i < n; i++)
		if (strcmp(names[i], name) == 0)
			return 0;
	if (type == BENCHTOP_TASK_RETRIEVAL && cutoff_metric(name))
		return 0;
	s = bt_suggest(name, names, n);
	if (s)
		return bt_error_set(BT_EINPUT, "unknown metric '%s' for %s (did you mean '%s'?)",
		                    name, type_name(type), s);
	return bt_error_set(BT_EINPUT, "unknown metric '%s' for %s", name, type_name(type));
}

int bt_metrics_direction(const char *name)
{
	static const char *const lower[] = {"mae",         "mse",         "rmse",
	                                    "log_loss",    "brier",       "errors",
	                                    "latency_p50", "latency_p95", "latency_p99"};
	size_t i;

	if (strcmp(name, "throughput") == 0)
		return 0;
	for (i = 0; i < BT_ARRAY_SIZE(lower); i++)
		if (strcmp(name, lower[i]) == 0)
			return -1;
	return +1;
}
