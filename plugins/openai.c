/*
 * openai.c - evaluates a model served behind an OpenAI-compatible HTTP API
 * (vLLM, llama.cpp's server, Ollama, TGI, SGLang, hosted APIs).
 *
 *     benchtop run SUITE -m openai -p base_url=http://127.0.0.1:8000/v1 -p model=NAME
 *
 * Generation asks for a completion of the example's prompt (the chat API
 * by default: one user message; or the completions API).  Multiple
 * choice and classification score every choice or label by its
 * log-likelihood as a continuation of the prompt, as lm-evaluation-harness
 * does: one completions request per example whose `prompt` is the list
 * "prompt + delimiter + choice", with echo, logprobs and max_tokens 1;
 * the tokens that cover the continuation are found through the answer's
 * text_offset, and their log-probabilities summed.  The prediction is the
 * most likely choice; classification scores are the softmax of the
 * labels' log-likelihoods (the model's distribution restricted to the
 * label set), so log_loss, brier and roc_auc apply.  With -p mc=generate
 * the model is shown the choices (lettered) or the labels and answers in
 * text instead.
 *
 * The prompt is the host's (the suite's `prompt` template with its
 * few-shot demonstrations, benchtop-suite(5)); the exact request body is
 * attached to each sample.  Requests go out through openai-net.c, which
 * caches every usable answer, so a second run sends nothing.
 *
 * Params (benchtop-openai(7)): base_url, model (required); api, mc,
 * concurrency, max_tokens, temperature, top_p, stop, seed, timeout,
 * max_retries, cache.  The API key comes from BENCHTOP_API_KEY or
 * OPENAI_API_KEY, never from a param.
 */
/* asprintf, vasprintf */
#define _GNU_SOURCE 1

#include <ctype.h>
#include <jansson.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "benchtop/plugin.h"
#include "openai.h"
#include "scratch.h"

/* Default completion length when neither -p max_tokens nor the suite sets one. */
#define DEFAULT_MAX_TOKENS 256
/* The API takes at most four stop sequences; the rest are applied here. */
#define API_MAX_STOP 4

enum api { API_CHAT, API_COMPLETIONS };

struct oa {
	const struct benchtop_host *host;
	const struct benchtop_task_info *task;
	char error[2048];
	struct oa_net *net;
	enum api api;
	int loglik; /* choices and labels scored by log-likelihood */
	int64_t max_tokens;
	double temperature;
	double top_p; /* NaN: not sent */
	int has_seed;
	int64_t seed;
	char **stop;
	size_t n_stop;
	const char *delim; /* between a prompt and a scored continuation */
	char *model;
	char *base_url; /* without a final '/' */
	struct scratch scratch;
};

/* What became of one example, before it is copied into the call's buffer. */
struct outcome {
	char *text; /* generation; a label outside the set (owned) */
	const char *label;
	int64_t choice;
	double *scores; /* n_scores (owned) */
	size_t n_scores;
	char *error;  /* (owned) */
	int unusable; /* the answer itself is faulty: not to be kept in the cache */
	json_t *meta; /* attached to the sample as "response" */
};

static int failf(struct oa *m, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int failf(struct oa *m, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(m->error, sizeof(m->error), fmt, ap);
	va_end(ap);
	return -1;
}

static char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

static char *xasprintf(const char *fmt, ...)
{
	va_list ap;
	char *s;

	va_start(ap, fmt);
	if (vasprintf(&s, fmt, ap) < 0)
		s = NULL;
	va_end(ap);
	return s;
}

/* --- params ------------------------------------------------------------------------- */

/*
 * Split a stop list: commas separate, and \n, \t, \r, \\ and \, stand for
 * a newline, a tab, a carriage return, a backslash and a comma.  Empty
 * items are dropped, so "-p stop=" means no stop sequences at all.
 */
static int parse_stop(struct oa *m, const char *s)
{
	size_t len = strlen(s), n = 0;
	char *cur = malloc(len + 1);
	char **list = calloc(len + 2, sizeof(*list));

	if (!cur || !list) {
		free(cur);
		free(list);
		return failf(m, "out of memory");
	}
	for (const char *p = s;; p++) {
		if (*p == '\0' || *p == ',') {
			cur[n] = '\0';
			if (n)
				list[m->n_stop++] = strdup(cur);
			n = 0;
			if (!*p)
				break;
			continue;
		}
		if (*p == '\\' && p[1]) {
			p++;
			switch (*p) {
			case 'n':
				cur[n++] = '\n';
				break;
			case 't':
				cur[n++] = '\t';
				break;
			case 'r':
				cur[n++] = '\r';
				break;
			case '\\':
			case ',':
				cur[n++] = *p;
				break;
			default:
				free(cur);
				m->stop = list;
				return failf(
				        m,
				        "param 'stop': unknown escape '\\%c' (use \\n, \\t, \\r, "
				        "\\\\ or \\,)",
				        *p);
			}
			continue;
		}
		cur[n++] = *p;
	}
	free(cur);
	m->stop = list;
	return 0;
}

static int copy_stop(struct oa *m, const char *const *stop, size_t n)
{
	m->stop = calloc(n + 1, sizeof(*m->stop));
	if (!m->stop)
		return failf(m, "out of memory");
	for (size_t i = 0; i < n; i++)
		if (stop[i] && *stop[i])
			m->stop[m->n_stop++] = strdup(stop[i]);
	return 0;
}

/* Is the URL's host this machine (so that a key sent in clear stays here)? */
static int loopback(const char *url)
{
	const char *h = strstr(url, "://");

	h = h ? h + 3 : url;
	return strncmp(h, "127.", 4) == 0 || strncmp(h, "localhost", 9) == 0 ||
	       strncmp(h, "[::1]", 5) == 0;
}

/* --- prompts and bodies ---------------------------------------------------------- */

/* The example's prompt from the host (a new string), or NULL with *why set. */
static char *base_prompt(struct oa *m, const struct benchtop_example *ex, const char **why)
{
	const struct benchtop_host *h = m->host;
	const char *p;

	if (BENCHTOP_HOST_HAS(h, prompt) && h->prompt) {
		p = h->prompt(h, ex);
		if (!p) {
			*why = "the task's prompt template names a field this example does not "
			       "have";
			return NULL;
		}
	} else {
		/* A host older than ABI 1.1 renders no prompts: the text, else the fields. */
		p = ex->text ? ex->text : h->example_json(h, ex);
	}
	return strdup(p ? p : "");
}

/* The continuation scored for choice or label j: the delimiter, then its text. */
static const char *option_text(const struct oa *m, const struct benchtop_example *ex, size_t j)
{
	return m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE ? ex->choices[j] : m->task->labels[j];
}

static size_t n_options(const struct oa *m, const struct benchtop_example *ex)
{
	return m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE ? ex->n_choices : m->task->n_labels;
}

/*
 * The prompt shown when the model answers in text: the choices lettered
 * below the prompt ("A. Paris"), or the labels listed, and what to answer.
 */
static char *answer_prompt(struct oa *m, const struct benchtop_example *ex, const char *base)
{
	int mc = m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE;
	size_t len = 0;
	char *s = NULL;
	FILE *f = open_memstream(&s, &len);

	if (!f)
		return NULL;
	fprintf(f, "%s\n\n%s", base, mc ? "" : "Answer with one of: ");
	for (size_t j = 0; j < n_options(m, ex); j++)
		if (mc)
			fprintf(f, "%c. %s\n", (int)('A' + j), option_text(m, ex, j));
		else
			fprintf(f, "%s%s", j ? ", " : "", option_text(m, ex, j));
	fprintf(f, "%s%s", mc ? "\nAnswer with the letter of the correct choice." : ".",
	        m->api == API_COMPLETIONS ? "\nAnswer:" : "");
	if (fclose(f) != 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* A JSON string, or NULL when `s` is not valid UTF-8 (jansson refuses it). */
static json_t *jstr(const char *s)
{
	return json_string(s);
}

/* The body asking for a completion of `prompt`: canonical JSON, keys sorted. */
static char *completion_body(struct oa *m, const char *prompt)
{
	json_t *b = json_object(), *p = jstr(prompt);
	char *s = NULL;

	if (!p)
		goto out;
	json_object_set_new(b, "model", json_string(m->model));
	if (m->api == API_CHAT) {
		json_t *msg = json_object();
		json_object_set_new(msg, "role", json_string("user"));
		json_object_set_new(msg, "content", p);
		json_object_set_new(b, "messages", json_pack("[o]", msg));
	} else {
		json_object_set_new(b, "prompt", p);
	}
	json_object_set_new(b, "max_tokens", json_integer(m->max_tokens));
	json_object_set_new(b, "temperature", json_real(m->temperature));
	if (!isnan(m->top_p))
		json_object_set_new(b, "top_p", json_real(m->top_p));
	if (m->has_seed)
		json_object_set_new(b, "seed", json_integer(m->seed));
	if (m->n_stop) {
		json_t *a = json_array();
		for (size_t i = 0; i < m->n_stop && i < API_MAX_STOP; i++)
			json_array_append_new(a, json_string(m->stop[i]));
		json_object_set_new(b, "stop", a);
	}
	s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(b);
	return s;
}

/*
 * The body scoring every continuation of `ctx` at once: one prompt per
 * choice, echoed with the log-probability of each of its tokens.  As in
 * lm-evaluation-harness, max_tokens is 1 (some servers refuse 0): the one
 * generated token lies past the prompt and is not counted.
 */
static char *loglik_body(struct oa *m, const char *ctx, const char *const *conts, size_t n)
{
	json_t *b = json_object(), *prompts = json_array();
	char *s = NULL;

	for (size_t j = 0; j < n; j++) {
		char *full = xasprintf("%s%s%s", ctx, m->delim, conts[j]);
		json_t *v = full ? jstr(full) : NULL;
		free(full);
		if (!v)
			goto out;
		json_array_append_new(prompts, v);
	}
	json_object_set_new(b, "model", json_string(m->model));
	json_object_set_new(b, "prompt", prompts);
	prompts = NULL;
	json_object_set_new(b, "max_tokens", json_integer(1));
	json_object_set_new(b, "temperature", json_real(0));
	json_object_set_new(b, "logprobs", json_integer(1));
	json_object_set_new(b, "echo", json_true());
	if (m->has_seed)
		json_object_set_new(b, "seed", json_integer(m->seed));
	s = json_dumps(b, JSON_COMPACT | JSON_SORT_KEYS);
out:
	json_decref(prompts);
	json_decref(b);
	return s;
}

/* --- reading answers -------------------------------------------------------------- */

/* Code points in s (the unit of the API's text_offset). */
static size_t code_points(const char *s)
{
	size_t n = 0;

	for (; *s; s++)
		n += ((unsigned char)*s & 0xc0) != 0x80;
	return n;
}

static json_t *first_choice(json_t *resp)
{
	json_t *c = json_object_get(resp, "choices");

	return json_is_array(c) ? json_array_get(c, 0) : NULL;
}

/* Cut `text` at the first of the stop sequences (servers may ignore some). */
static void apply_stop(const struct oa *m, char *text)
{
	char *cut = NULL;

	for (size_t i = 0; i < m->n_stop; i++) {
		char *p = strstr(text, m->stop[i]);
		if (p && (!cut || p < cut))
			cut = p;
	}
	if (cut)
		*cut = '\0';
}

#define PROMPT_LOGPROBS_HINT                                                                   \
	"multiple choice and classification are scored by the log-likelihood of each choice, " \
	"which needs the completions API with echo and logprobs; use -p mc=generate to have "  \
	"the model answer in text instead"

/*
 * The log-likelihood of each continuation from a completions answer with
 * echo: for prompt j, the sum of the log-probabilities of the tokens that
 * cover any of the continuation, found by their text_offset (in code
 * points of the prompt).  Returns 0, or -1 with *why (a new string).
 */
static int read_logliks(const struct oa *m, json_t *resp, const char *ctx, const char *const *conts,
                        size_t n, double *ll, char **why)
{
	json_t *choices = json_object_get(resp, "choices");
	/* The continuation is the delimiter and the choice, as in lm-evaluation-harness. */
	size_t ctx_cp = code_points(ctx);

	if (!json_is_array(choices) || json_array_size(choices) != n) {
		*why = xasprintf("the server answered %zu completions for %zu prompts",
		                 json_is_array(choices) ? json_array_size(choices) : 0, n);
		return -1;
	}
	for (size_t k = 0; k < n; k++) {
		json_t *c = json_array_get(choices, k), *lp, *offs, *lps;
		json_int_t idx = json_integer_value(json_object_get(c, "index"));
		size_t j = json_is_integer(json_object_get(c, "index")) ? (size_t)idx : k;
		size_t full_cp, T;
		double sum = 0;
		if (j >= n) {
			*why = xasprintf("the server answered a completion for prompt %zu of %zu",
			                 j, n);
			return -1;
		}
		full_cp = ctx_cp + code_points(m->delim) + code_points(conts[j]);
		lp = json_object_get(c, "logprobs");
		offs = json_object_get(lp, "text_offset");
		lps = json_object_get(lp, "token_logprobs");
		T = json_array_size(offs);
		/* Without echo, the tokens start after the prompt: nothing of it is scored. */
		if (!json_is_array(offs) || !json_is_array(lps) || json_array_size(lps) != T ||
		    T == 0 || json_integer_value(json_array_get(offs, 0)) != 0) {
			*why = xasprintf("the server at %s returned no log-probabilities for the "
			                 "prompt (it does not support echo with logprobs on the "
			                 "completions API): %s",
			                 m->base_url, PROMPT_LOGPROBS_HINT);
			return -1;
		}
		for (size_t i = 0; i < T; i++) {
			json_int_t off = json_integer_value(json_array_get(offs, i));
			json_int_t end = i + 1 < T ? json_integer_value(json_array_get(offs, i + 1))
			                           : (json_int_t)full_cp + 1;
			json_t *v = json_array_get(lps, i);
			if (off >= (json_int_t)full_cp || end <= (json_int_t)ctx_cp)
				continue;
			if (!json_is_number(v)) {
				*why = xasprintf(
				        "the server gave no log-probability for the token at "
				        "offset %lld (an empty prompt cannot score its first "
				        "token)",
				        (long long)off);
				return -1;
			}
			sum += json_number_value(v);
		}
		ll[j] = sum;
	}
	return 0;
}

/* Index of the largest value (the first, on ties). */
static size_t argmax(const double *v, size_t n)
{
	size_t best = 0;

	for (size_t i = 1; i < n; i++)
		if (v[i] > v[best])
			best = i;
	return best;
}

/* exp(ll) normalised over the options, computed without overflow. */
static void softmax(const double *ll, double *p, size_t n)
{
	double mx = ll[argmax(ll, n)], sum = 0;

	for (size_t i = 0; i < n; i++)
		sum += p[i] = exp(ll[i] - mx);
	for (size_t i = 0; i < n; i++)
		p[i] /= sum;
}

/* Text without surrounding white space, quotes, asterisks and final punctuation. */
static char *trimmed(const char *s)
{
	size_t a = 0, b = strlen(s);

	while (a < b && strchr(" \t\r\n\"'*`(", s[a]))
		a++;
	while (b > a && strchr(" \t\r\n\"'*`.)", s[b - 1]))
		b--;
	return strndup(s + a, b - a);
}

/* Is s[at..at+len) a whole word of s (no letter or digit on either side)? */
static int whole_word(const char *s, size_t at, size_t len)
{
	return (at == 0 || !isalnum((unsigned char)s[at - 1])) &&
	       !isalnum((unsigned char)s[at + len]);
}

/* The first case-insensitive whole-word occurrence of w in s, or -1. */
static long find_word(const char *s, const char *w)
{
	size_t n = strlen(w);

	if (!n)
		return -1;
	for (size_t i = 0; s[i]; i++)
		if (strncasecmp(s + i, w, n) == 0 && whole_word(s, i, n))
			return (long)i;
	return -1;
}

/* Is c the letter of one of n choices, standing alone (end, '.', ')', ':' or ',' next)? */
static int letter_of(const char *p, size_t n)
{
	int c = toupper((unsigned char)p[0]);

	if (c < 'A' || c >= 'A' + (int)n || c > 'Z')
		return -1;
	return p[1] == '\0' || strchr(".):,", p[1]) ? c - 'A' : -1;
}

/*
 * The choice a text answer names: "ANSWER: C" (Inspect's format) or "the
 * answer is C", a reply that is a letter ("C", "(C)", "C. Paris"), or the
 * text of exactly one choice.  -1 when it names none.
 */
static int64_t answer_choice(const char *text, const struct benchtop_example *ex)
{
	char *t = trimmed(text);
	int64_t got = -1;
	size_t found = 0;
	long at;

	if (!t)
		return -1;
	if ((at = find_word(t, "answer")) >= 0) {
		const char *p = t + at + 6;
		p += strspn(p, " :*(");
		if (strncasecmp(p, "is ", 3) == 0)
			p += 3 + strspn(p + 3, " :*(");
		got = letter_of(p, ex->n_choices);
	}
	if (got < 0)
		got = letter_of(t, ex->n_choices);
	for (size_t c = 0; got < 0 && c < ex->n_choices; c++)
		if (find_word(t, ex->choices[c]) >= 0)
			found++;
	for (size_t c = 0; got < 0 && found == 1 && c < ex->n_choices; c++)
		if (find_word(t, ex->choices[c]) >= 0)
			got = (int64_t)c;
	free(t);
	return got;
}

/* The label a text answer names: itself, else the label named first; -1 for none. */
static long answer_label(const struct oa *m, const char *text)
{
	char *t = trimmed(text);
	long best = -1, best_at = -1;

	if (!t)
		return -1;
	for (size_t l = 0; l < m->task->n_labels; l++)
		if (strcasecmp(t, m->task->labels[l]) == 0) {
			free(t);
			return (long)l;
		}
	for (size_t l = 0; l < m->task->n_labels; l++) {
		long at = find_word(t, m->task->labels[l]);
		if (at >= 0 && (best_at < 0 || at < best_at)) {
			best = (long)l;
			best_at = at;
		}
	}
	free(t);
	return best;
}

/* The completion's text from a chat or completions answer; NULL with *why. */
static const char *answer_text(const struct oa *m, json_t *resp, json_t *meta, char **why)
{
	json_t *c = first_choice(resp), *v, *fr;

	if (!c) {
		json_t *e = json_object_get(resp, "error");
		json_t *msg = json_is_object(e) ? json_object_get(e, "message") : e;
		char *said = json_is_string(msg) ? oa_sanitize(json_string_value(msg),
		                                               json_string_length(msg), NULL, 500)
		                                 : NULL;
		*why = said ? xasprintf("the server answered with an error: %s", said)
		            : xasprintf("the server's answer has no choices");
		free(said);
		return NULL;
	}
	fr = json_object_get(c, "finish_reason");
	if (json_is_string(fr))
		json_object_set(meta, "finish_reason", fr);
	v = m->api == API_CHAT ? json_object_get(json_object_get(c, "message"), "content")
	                       : json_object_get(c, "text");
	if (!json_is_string(v)) {
		*why = xasprintf("the server's answer has no text (finish_reason %s)",
		                 json_is_string(fr) ? json_string_value(fr) : "none");
		return NULL;
	}
	return json_string_value(v);
}

/* Turn the answer to example ex into its outcome. */
static void read_answer(struct oa *m, const struct benchtop_example *ex, const char *ctx,
                        const struct oa_request *r, struct outcome *o)
{
	json_error_t jerr;
	json_t *resp = json_loads(r->response, 0, &jerr), *usage;
	const char *text;
	char *why = NULL;

	if (!resp || !json_is_object(resp)) {
		o->error = xasprintf("the server's answer is not a JSON object: %s",
		                     resp ? "another JSON value" : jerr.text);
		o->unusable = 1;
		json_decref(resp);
		return;
	}
	usage = json_object_get(resp, "usage");
	if (json_is_object(usage))
		json_object_set(o->meta, "usage", usage);

	if (m->loglik) {
		size_t k = n_options(m, ex);
		const char **conts = calloc(k + 1, sizeof(*conts));
		double *ll = calloc(k + 1, sizeof(*ll));
		o->scores = calloc(k + 1, sizeof(*o->scores));
		if (!conts || !ll || !o->scores) {
			o->error = strdup("out of memory");
		} else {
			for (size_t j = 0; j < k; j++)
				conts[j] = option_text(m, ex, j);
			if (read_logliks(m, resp, ctx, conts, k, ll, &why) == 0) {
				json_t *a = json_array();
				size_t best = argmax(ll, k);
				for (size_t j = 0; j < k; j++)
					json_array_append_new(a, json_real(ll[j]));
				json_object_set_new(o->meta, "loglikelihoods", a);
				softmax(ll, o->scores, k);
				o->n_scores = k;
				if (m->task->type == BENCHTOP_TASK_CLASSIFICATION)
					o->label = m->task->labels[best];
				else
					o->choice = (int64_t)best;
			} else {
				o->error = why;
				o->unusable = 1;
				why = NULL;
			}
		}
		free(conts);
		free(ll);
		json_decref(resp);
		return;
	}

	text = answer_text(m, resp, o->meta, &why);
	if (!text) {
		o->error = why;
		o->unusable = 1;
		json_decref(resp);
		return;
	}
	o->text = strdup(text);
	if (o->text)
		apply_stop(m, o->text);
	if (m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE) {
		o->choice = answer_choice(o->text ? o->text : "", ex);
		json_object_set_new(o->meta, "answer", json_string(o->text ? o->text : ""));
		if (o->choice < 0) {
			char *said = oa_sanitize(o->text ? o->text : "",
			                         o->text ? strlen(o->text) : 0, NULL, 200);
			o->error =
			        xasprintf("the model's answer names none of the %zu choices: '%s'",
			                  ex->n_choices, said ? said : "");
			free(said);
		}
		free(o->text);
		o->text = NULL;
	} else if (m->task->type == BENCHTOP_TASK_CLASSIFICATION) {
		long l = answer_label(m, o->text ? o->text : "");
		json_object_set_new(o->meta, "answer", json_string(o->text ? o->text : ""));
		if (l >= 0) {
			o->label = m->task->labels[l];
			free(o->text);
			o->text = NULL;
		}
		/* Otherwise the answer itself is the label: wrong, and shown as given. */
	}
	json_decref(resp);
}

/* --- the plugin ------------------------------------------------------------------- */

/* Probe once (cached) that the server returns log-probabilities of the prompt. */
static int check_loglik(struct oa *m)
{
	static const char *const conts[] = {"world"};
	struct oa_request r;
	char *why = NULL;
	double ll;
	int rc = 0;

	memset(&r, 0, sizeof(r));
	r.endpoint = "completions";
	r.body = loglik_body(m, "Hello,", conts, 1);
	if (!r.body)
		return failf(m, "out of memory");
	oa_net_key(m->net, &r);
	oa_net_run(m->net, &r, 1);
	if (r.error) {
		rc = failf(m, "the completions API cannot score choices: %s; %s", r.error,
		           PROMPT_LOGPROBS_HINT);
	} else {
		json_t *resp = json_loads(r.response, 0, NULL);
		if (read_logliks(m, resp, "Hello,", conts, 1, &ll, &why) != 0) {
			rc = failf(m, "%s", why);
			free(why);
			/* Not kept: a server that gains log-probabilities is asked again. */
			oa_net_forget(m->net, &r);
		}
		json_decref(resp);
	}
	oa_request_release(&r);
	return rc;
}

static int create(void **out, const struct benchtop_host *host,
                  const struct benchtop_task_info *task)
{
	struct oa *m = calloc(1, sizeof(*m));
	struct oa_net_config cfg;
	const char *base_url, *model, *api, *mc, *stop, *seed, *key, *v;
	int64_t concurrency, max_tokens, max_retries;
	double timeout;
	int cache, bad = 0, is_mc;
	char *url = NULL, err[1024];

	*out = m;
	if (!m)
		return -1;
	if (scratch_init(&m->scratch) != 0) {
		free(m);
		*out = NULL;
		return -1;
	}
	m->host = host;
	m->task = task;
	is_mc = task->type == BENCHTOP_TASK_MULTIPLE_CHOICE ||
	        task->type == BENCHTOP_TASK_CLASSIFICATION;

	/* Every param is asked for before anything can fail, so none is called unknown. */
	bad |= host->param_string(host, "api_key", NULL, &v);
	bad |= host->param_string(host, "base_url", NULL, &base_url);
	bad |= host->param_string(host, "model", NULL, &model);
	bad |= host->param_string(host, "api", NULL, &api);
	bad |= host->param_string(host, "mc", "loglikelihood", &mc);
	bad |= host->param_int(host, "concurrency", 16, &concurrency);
	bad |= host->param_int(host, "max_tokens", -1, &max_tokens);
	bad |= host->param_double(host, "temperature", 0, &m->temperature);
	bad |= host->param_double(host, "top_p", NAN, &m->top_p);
	bad |= host->param_string(host, "stop", NULL, &stop);
	bad |= host->param_string(host, "seed", NULL, &seed);
	bad |= host->param_int(host, "seed", 0, &m->seed);
	bad |= host->param_double(host, "timeout", 120, &timeout);
	bad |= host->param_int(host, "max_retries", 5, &max_retries);
	bad |= host->param_bool(host, "cache", 1, &cache);
	if (bad)
		return -1;
	if (v)
		return failf(m, "the API key is not a param: it would be stored with the run and "
		                "shown to anyone who can list processes; set OPENAI_API_KEY (or "
		                "BENCHTOP_API_KEY) in the environment instead");
	if (!base_url || !*base_url)
		return failf(m, "param 'base_url' is required: the API's base URL, as in -p "
		                "base_url=http://127.0.0.1:8000/v1");
	if (strncmp(base_url, "http://", 7) != 0 && strncmp(base_url, "https://", 8) != 0)
		return failf(m, "param 'base_url': '%s' is not an http:// or https:// URL",
		             base_url);
	if (!model || !*model)
		return failf(m,
		             "param 'model' is required: the model's name at the server (see "
		             "GET %s/models)",
		             base_url);
	url = strdup(base_url);
	if (!url || !(m->model = strdup(model)))
		goto oom;
	while (strlen(url) > 8 && url[strlen(url) - 1] == '/')
		url[strlen(url) - 1] = '\0';
	{
		size_t n = strlen(url);
		const char *tail = n > 17 && strcmp(url + n - 17, "/chat/completions") == 0
		                           ? "/chat/completions"
		                   : n > 12 && strcmp(url + n - 12, "/completions") == 0
		                           ? "/completions"
		                           : NULL;
		if (tail) {
			failf(m,
			      "param 'base_url' is the API's base, not an endpoint: drop '%s' (and "
			      "choose the endpoint with -p api=chat|completions)",
			      tail);
			goto fail;
		}
	}
	if (strcmp(mc, "loglikelihood") != 0 && strcmp(mc, "generate") != 0) {
		failf(m, "param 'mc': '%s' is not 'loglikelihood' or 'generate'", mc);
		goto fail;
	}
	m->loglik = is_mc && strcmp(mc, "loglikelihood") == 0;
	if (api && strcmp(api, "chat") != 0 && strcmp(api, "completions") != 0) {
		failf(m, "param 'api': '%s' is not 'chat' or 'completions'", api);
		goto fail;
	}
	m->api = api ? (strcmp(api, "chat") == 0 ? API_CHAT : API_COMPLETIONS)
	             : (m->loglik ? API_COMPLETIONS : API_CHAT);
	if (m->loglik && m->api == API_CHAT) {
		failf(m, "-p api=chat cannot score choices: the chat API returns no "
		         "log-probabilities of the prompt; drop -p api=chat (choices are scored "
		         "through the completions API) or use -p mc=generate");
		goto fail;
	}
	if (concurrency < 1 || concurrency > 1024) {
		failf(m, "param 'concurrency': %lld is not between 1 and 1024",
		      (long long)concurrency);
		goto fail;
	}
	if (!(timeout > 0)) {
		failf(m, "param 'timeout': it must be a positive number of seconds");
		goto fail;
	}
	if (max_retries < 0 || max_retries > 100) {
		failf(m, "param 'max_retries': %lld is not between 0 and 100",
		      (long long)max_retries);
		goto fail;
	}
	if (m->temperature < 0) {
		failf(m, "param 'temperature' cannot be negative");
		goto fail;
	}
	if (max_tokens == 0 || max_tokens < -1) {
		failf(m, "param 'max_tokens': %lld is not a positive number",
		      (long long)max_tokens);
		goto fail;
	}
	if (max_tokens < 0 && BENCHTOP_TASK_HAS(task, max_tokens) && task->max_tokens > 0)
		max_tokens = (int64_t)task->max_tokens;
	m->max_tokens = max_tokens > 0 ? max_tokens : DEFAULT_MAX_TOKENS;
	m->has_seed = seed != NULL;
	m->delim = BENCHTOP_TASK_HAS(task, target_delimiter) && task->target_delimiter
	                   ? task->target_delimiter
	                   : " ";
	if (stop) {
		if (parse_stop(m, stop))
			goto fail;
	} else if (task->type == BENCHTOP_TASK_GENERATION && BENCHTOP_TASK_HAS(task, n_stop)) {
		if (copy_stop(m, task->stop, task->n_stop))
			goto fail;
	}

	key = getenv("BENCHTOP_API_KEY");
	if (!key || !*key)
		key = getenv("OPENAI_API_KEY");
	if (key && !*key)
		key = NULL;
	if (key && strncmp(url, "http://", 7) == 0 && !loopback(url))
		host->log(host, BENCHTOP_LOG_WARN,
		          "sending the API key over plain http to %s: anyone on the path can read "
		          "it",
		          url);
	memset(&cfg, 0, sizeof(cfg));
	cfg.base_url = url;
	cfg.model = m->model;
	cfg.api_key = key;
	cfg.timeout = timeout;
	cfg.max_retries = (long)max_retries;
	cfg.concurrency = (long)concurrency;
	cfg.cache = cache;
	cfg.host = host;
	if (oa_net_open(&m->net, &cfg, err, sizeof(err))) {
		failf(m, "%s", err);
		goto fail;
	}
	m->base_url = url;
	url = NULL;
	if (m->loglik && check_loglik(m))
		return -1;
	return 0;
oom:
	failf(m, "out of memory");
fail:
	free(url);
	return -1;
}

/* Build the request for ex, or say in *why why there is none. */
static void build(struct oa *m, const struct benchtop_example *ex, struct oa_request *r, char **ctx,
                  const char **why)
{
	char *base = base_prompt(m, ex, why);

	*ctx = NULL;
	if (!base)
		return;
	if (m->loglik) {
		size_t k = n_options(m, ex);
		const char **conts = calloc(k + 1, sizeof(*conts));
		if (k == 0) {
			*why = m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE
			               ? "the example has no choices"
			               : "the task has no labels";
		} else if (conts) {
			for (size_t j = 0; j < k; j++)
				conts[j] = option_text(m, ex, j);
			r->endpoint = "completions";
			r->body = loglik_body(m, base, conts, k);
		}
		free(conts);
		*ctx = base;
	} else if (m->task->type == BENCHTOP_TASK_MULTIPLE_CHOICE && ex->n_choices > 26) {
		*why = "-p mc=generate letters at most 26 choices, and the example has more";
		free(base);
	} else {
		char *p = m->task->type == BENCHTOP_TASK_GENERATION ? NULL
		                                                    : answer_prompt(m, ex, base);
		r->endpoint = m->api == API_CHAT ? "chat/completions" : "completions";
		r->body = completion_body(m, p ? p : base);
		free(p);
		free(base);
	}
	if (!r->body && !*why)
		*why = "the prompt is not valid UTF-8";
}

static void annotate(struct oa *m, const struct benchtop_example *ex, const struct oa_request *r,
                     json_t *meta)
{
	const struct benchtop_host *h = m->host;
	char *s;

	if (!BENCHTOP_HOST_HAS(h, annotate) || !h->annotate || !r->body)
		return;
	h->annotate(h, ex, "request", r->body);
	json_object_set_new(meta, "cached", json_boolean(r->cached));
	json_object_set_new(meta, "attempts", json_integer(r->attempts));
	s = json_dumps(meta, JSON_COMPACT);
	if (s)
		h->annotate(h, ex, "response", s);
	free(s);
}

static int predict(void *inst, const struct benchtop_example *ex, size_t n,
                   struct benchtop_prediction *out)
{
	struct oa *m = inst;
	struct oa_request *reqs = calloc(n, sizeof(*reqs));
	struct outcome *o = calloc(n, sizeof(*o));
	char **ctx = calloc(n, sizeof(*ctx));
	size_t need = 0;
	char *buf, *p;
	int rc = 0;

	if (!reqs || !o || !ctx) {
		free(reqs);
		free(o);
		free(ctx);
		return failf(m, "out of memory");
	}
	for (size_t i = 0; i < n; i++) {
		const char *why = NULL;
		build(m, &ex[i], &reqs[i], &ctx[i], &why);
		if (reqs[i].body)
			oa_net_key(m->net, &reqs[i]);
		else
			reqs[i].error = strdup(why ? why : "out of memory");
	}
	oa_net_run(m->net, reqs, n);
	for (size_t i = 0; i < n; i++) {
		o[i].meta = json_object();
		if (reqs[i].error)
			o[i].error = strdup(reqs[i].error);
		else
			read_answer(m, &ex[i], ctx[i], &reqs[i], &o[i]);
		if (o[i].unusable)
			oa_net_forget(m->net, &reqs[i]);
		annotate(m, &ex[i], &reqs[i], o[i].meta);
		if (m->task->type == BENCHTOP_TASK_CLASSIFICATION && !o[i].error)
			need += o[i].n_scores * sizeof(double);
		need += o[i].text ? strlen(o[i].text) + 1 : 0;
		need += o[i].error ? strlen(o[i].error) + 1 : 0;
	}

	/* Everything returned lives in this thread's buffer until its next call. */
	buf = need ? scratch_get(&m->scratch, need) : NULL;
	if (need && !buf) {
		rc = failf(m, "out of memory");
		goto out;
	}
	p = buf;
	/* Scores first, where doubles are aligned; the harness keeps classification's. */
	for (size_t i = 0; i < n; i++) {
		if (o[i].n_scores && !o[i].error && m->task->type == BENCHTOP_TASK_CLASSIFICATION) {
			memcpy(p, o[i].scores, o[i].n_scores * sizeof(double));
			out[i].scores = (const double *)(void *)p;
			out[i].n_scores = o[i].n_scores;
			p += o[i].n_scores * sizeof(double);
		}
	}
	for (size_t i = 0; i < n; i++) {
		if (o[i].error) {
			out[i].error = strcpy(p, o[i].error);
			p += strlen(p) + 1;
			continue;
		}
		if (o[i].text) {
			const char *t = strcpy(p, o[i].text);
			p += strlen(p) + 1;
			if (m->task->type == BENCHTOP_TASK_GENERATION)
				out[i].text = t;
			else
				out[i].label = t;
		}
		if (o[i].label)
			out[i].label = o[i].label;
		out[i].choice = o[i].choice;
	}
out:
	for (size_t i = 0; i < n; i++) {
		oa_request_release(&reqs[i]);
		free(o[i].text);
		free(o[i].scores);
		free(o[i].error);
		json_decref(o[i].meta);
		free(ctx[i]);
	}
	free(reqs);
	free(o);
	free(ctx);
	return rc;
}

static void destroy(void *inst)
{
	struct oa *m = inst;

	oa_net_close(m->net);
	for (size_t i = 0; i < m->n_stop; i++)
		free(m->stop[i]);
	free(m->stop);
	free(m->model);
	free(m->base_url);
	scratch_destroy(&m->scratch);
	free(m);
}

static const char *last_error(void *inst)
{
	const struct oa *m = inst;

	return m && m->error[0] ? m->error : NULL;
}

static const struct benchtop_plugin descriptor = {
        .abi_major = BENCHTOP_PLUGIN_ABI_MAJOR,
        .abi_minor = BENCHTOP_PLUGIN_ABI_MINOR,
        .size = sizeof(struct benchtop_plugin),
        .name = "openai",
        .version = "1.0.0",
        .description = "A model behind an OpenAI-compatible API (-p base_url=URL -p model=NAME)",
        .flags = BENCHTOP_PLUGIN_THREAD_SAFE | BENCHTOP_PLUGIN_BATCH,
        .tasks = BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_MULTIPLE_CHOICE) |
                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION),
        /* Enough requests per call to keep a large concurrency busy from one worker. */
        .preferred_batch = 256,
        .create = create,
        .fit = NULL,
        .predict = predict,
        .destroy = destroy,
        .last_error = last_error,
};

const struct benchtop_plugin *benchtop_plugin_entry(void)
{
	return &descriptor;
}
