/*
 * A verbatim copy of benchtop/plugin.h as released with ABI 1.0, for
 * building tests/plugins/abi10.c the way a plugin built before ABI 1.1
 * was: do not update it.
 *
 * benchtop/plugin.h - the model plugin ABI, version 1.
 *
 * A model is a shared object that exports one function,
 *
 *     const struct benchtop_plugin *benchtop_plugin_entry(void);
 *
 * returning a static descriptor: what the model is, what it can do and the
 * callbacks benchtop calls to create an instance per task, train it on the
 * task's train split (optional), predict batches of examples and destroy
 * it.  Plugins never link against benchtop: everything they need from the
 * host comes through `struct benchtop_host`.
 *
 * Compatibility.  BENCHTOP_PLUGIN_ABI_MAJOR changes only when an existing
 * field changes meaning; the host refuses plugins built for a newer major.
 * New fields are only ever appended to the structs below, and each struct
 * that can grow carries its size, so a host accepts plugins built against
 * an older minor version and a plugin can test `host->size` before using a
 * field added later.
 *
 * Lifetime of memory.  Everything the host passes (examples, task info,
 * params) stays valid for the duration of the call that receives it; the
 * task info, for the whole life of the instance.  Everything a plugin
 * returns in a prediction must stay valid until the next call to predict on
 * the same instance from the same thread, or until destroy: the host copies
 * it before then.  Label strings may simply point into the task info.
 *
 * Threads.  predict may be called from several threads at once, on one
 * instance if the plugin sets BENCHTOP_PLUGIN_THREAD_SAFE, otherwise on
 * separate instances (one per thread).  create, fit and destroy are never
 * called concurrently on the same instance.
 *
 * See benchtop-plugin(3) for a complete example.
 */
#ifndef BENCHTOP_PLUGIN_H
#define BENCHTOP_PLUGIN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define BENCHTOP_PLUGIN_ABI_MAJOR 1
#define BENCHTOP_PLUGIN_ABI_MINOR 0

/* The one symbol a plugin exports. */
#define BENCHTOP_PLUGIN_ENTRY_NAME "benchtop_plugin_entry"

#if defined(__GNUC__)
#define BENCHTOP_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define BENCHTOP_PLUGIN_EXPORT
#endif

/* Task types (benchtop-suite(5)). */
enum benchtop_task_type {
	BENCHTOP_TASK_CLASSIFICATION = 1,  /* predict one label of a known set */
	BENCHTOP_TASK_REGRESSION = 2,      /* predict a number */
	BENCHTOP_TASK_GENERATION = 3,      /* produce free text */
	BENCHTOP_TASK_MULTIPLE_CHOICE = 4, /* pick one of the example's choices */
	BENCHTOP_TASK_RETRIEVAL = 5,       /* rank document ids for a query */
};

/* Bits for benchtop_plugin.tasks: which task types a plugin accepts. */
#define BENCHTOP_TASK_BIT(t) (1u << (t))

/* Capability flags (benchtop_plugin.flags). */
enum {
	/* One instance may serve predict calls from several threads at once. */
	BENCHTOP_PLUGIN_THREAD_SAFE = 1u << 0,
	/* Prefers many examples per predict call (see preferred_batch). */
	BENCHTOP_PLUGIN_BATCH = 1u << 1,
	/* Cannot predict without fit on a train split: tasks without one fail. */
	BENCHTOP_PLUGIN_NEEDS_TRAIN = 1u << 2,
};

/* Log levels for host->log. */
enum benchtop_log_level {
	BENCHTOP_LOG_DEBUG = 0,
	BENCHTOP_LOG_INFO = 1,
	BENCHTOP_LOG_WARN = 2,
	BENCHTOP_LOG_ERROR = 3,
};

/* The type of one field of an example. */
enum benchtop_field_type {
	BENCHTOP_FIELD_NULL = 0,   /* missing or null */
	BENCHTOP_FIELD_NUMBER = 1, /* `number` */
	BENCHTOP_FIELD_TEXT = 2,   /* `text`, `text_len` bytes of UTF-8 */
	BENCHTOP_FIELD_VECTOR = 3, /* `vector`, `vector_len` numbers (a JSON array of numbers) */
	BENCHTOP_FIELD_JSON = 4,   /* any other JSON value, serialised in `text` */
};

struct benchtop_field {
	const char *name;
	enum benchtop_field_type type;
	double number;
	const char *text;
	size_t text_len;
	const double *vector;
	size_t vector_len;
};

/*
 * What an example should have produced.  Given to fit only: predict never
 * sees targets.  Which members are meaningful depends on the task type.
 */
struct benchtop_target {
	const char *label;           /* classification: the label */
	int64_t label_index;         /* classification: its index in task->labels */
	double value;                /* regression */
	const char *text;            /* generation: the reference text */
	int64_t choice;              /* multiple_choice: index of the correct choice */
	const char *const *relevant; /* retrieval: ids of relevant documents */
	size_t n_relevant;
};

struct benchtop_example {
	const char *id; /* the example's id (its `id` field, or its row number) */
	uint64_t index; /* position in its split, from 0 */
	/* Input fields by name, in the order the suite lists them. */
	const struct benchtop_field *fields;
	size_t n_fields;
	/*
	 * Convenience views of the same input: every numeric input field (and
	 * every element of vector fields) in order, NaN where missing; and the
	 * first text input field, or NULL.
	 */
	const double *features;
	size_t n_features;
	const char *text;
	/* multiple_choice: the choices to pick from. */
	const char *const *choices;
	size_t n_choices;
	/*
	 * Set in fit (and in few-shot examples); NULL in predict, and for
	 * retrieval's documents (the train split), which have no target.
	 */
	const struct benchtop_target *target;
	/* Few-shot demonstrations from the train split, targets included. */
	const struct benchtop_example *shots;
	size_t n_shots;
	/* Opaque to plugins; used by host->example_json. */
	const void *host_ref;
};

/*
 * A prediction for one example, filled in by predict.  The host zeroes
 * every slot before the call (value and scores NaN-free: value = 0).
 * Fill what the task type needs:
 *   classification    label (one of task->labels), optionally scores
 *                     (n_scores == task->n_labels, in task->labels order;
 *                     probabilities if they sum to 1)
 *   regression        value
 *   generation        text
 *   multiple_choice   choice (index into the example's choices)
 *   retrieval         ranking (document ids, best first)
 * Set `error` instead to record that this example could not be predicted;
 * the run goes on and counts it.
 */
struct benchtop_prediction {
	const char *label;
	const double *scores;
	size_t n_scores;
	double value;
	const char *text;
	int64_t choice;
	const char *const *ranking;
	size_t n_ranking;
	const char *error;
};

/* What an instance is created for. */
struct benchtop_task_info {
	size_t size; /* sizeof(struct benchtop_task_info) as the host built it */
	const char *suite;
	const char *name;
	enum benchtop_task_type type;
	/* classification: the label set, in the order scores use */
	const char *const *labels;
	size_t n_labels;
	/* input field names and the number of features per example */
	const char *const *inputs;
	size_t n_inputs;
	size_t n_features;
	size_t n_train, n_test;
	uint64_t seed; /* the run's seed, for plugins that randomise */
};

/*
 * The host's services.  Plugins keep the pointer they get in create and
 * may call these from any thread.
 */
struct benchtop_host {
	size_t size; /* sizeof(struct benchtop_host) as the host built it */
	uint32_t abi_major, abi_minor;

	void (*log)(const struct benchtop_host *host, enum benchtop_log_level level,
	            const char *fmt, ...)
#if defined(__GNUC__)
	        __attribute__((format(printf, 3, 4)))
#endif
	        ;

	/*
	 * Params given with `-p key=value`.  Each getter returns 0 and stores
	 * the value (or `def` when the param was not given), or returns -1 when
	 * the value does not parse, after recording a message the host reports
	 * if create then fails.  The host also reports params no getter asked
	 * for, so a misspelt `-p kk=3` never passes silently.
	 */
	int (*param_string)(const struct benchtop_host *host, const char *key, const char *def,
	                    const char **out);
	int (*param_int)(const struct benchtop_host *host, const char *key, int64_t def,
	                 int64_t *out);
	int (*param_double)(const struct benchtop_host *host, const char *key, double def,
	                    double *out);
	int (*param_bool)(const struct benchtop_host *host, const char *key, int def, int *out);

	/* Non-zero once the run is being cancelled: long fits should return early. */
	int (*cancelled)(const struct benchtop_host *host);

	/*
	 * The example's input fields as one JSON object (no target), built on
	 * demand and valid until the next call from the same thread.
	 */
	const char *(*example_json)(const struct benchtop_host *host,
	                            const struct benchtop_example *example);

	void *host_data; /* the host's, not the plugin's */
};

/*
 * The descriptor.  Callbacks return 0 on success and non-zero on failure,
 * after which last_error(instance) says why.
 */
struct benchtop_plugin {
	uint32_t abi_major; /* BENCHTOP_PLUGIN_ABI_MAJOR */
	uint32_t abi_minor; /* BENCHTOP_PLUGIN_ABI_MINOR */
	size_t size;        /* sizeof(struct benchtop_plugin) */
	const char *name;
	const char *version;
	const char *description;  /* one line */
	uint32_t flags;           /* BENCHTOP_PLUGIN_* */
	uint32_t tasks;           /* BENCHTOP_TASK_BIT() of each supported type */
	uint32_t preferred_batch; /* with BENCHTOP_PLUGIN_BATCH; 0: the host decides */

	/*
	 * Make an instance for one task, reading every param here (the host
	 * checks for unknown params when create returns).  On failure set
	 * *instance to an instance whose last_error explains (or leave it NULL
	 * and log the reason at BENCHTOP_LOG_ERROR); the host then destroys a
	 * non-NULL one.  A stateless plugin may succeed with *instance NULL:
	 * its callbacks get NULL back, and destroy is not called for it.
	 */
	int (*create)(void **instance, const struct benchtop_host *host,
	              const struct benchtop_task_info *task);
	/* Train on the task's train split.  Optional: NULL when not needed. */
	int (*fit)(void *instance, const struct benchtop_example *examples, size_t n);
	/* Predict n examples into out[0..n). */
	int (*predict)(void *instance, const struct benchtop_example *examples, size_t n,
	               struct benchtop_prediction *out);
	void (*destroy)(void *instance);
	/* The instance's last error message, or NULL. */
	const char *(*last_error)(void *instance);
};

typedef const struct benchtop_plugin *(*benchtop_plugin_entry_fn)(void);

/*
 * The entry point, declared here so that a plugin's definition is checked
 * against it and inherits the export: with -fvisibility=hidden it is then
 * the one symbol the plugin exports.
 */
BENCHTOP_PLUGIN_EXPORT const struct benchtop_plugin *benchtop_plugin_entry(void);

#ifdef __cplusplus
}
#endif

#endif
