/*
 * plugin-host.c - finding, loading and calling model plugins (plugin-host.h).
 *
 * Everything between benchtop and a plugin's code passes through here: the
 * search, dlopen(RTLD_NOW | RTLD_LOCAL), the descriptor checks, and one
 * `struct benchtop_host` per instance whose param getters record which
 * params the plugin asked for, so that a misspelt `-p kk=3` fails create
 * instead of passing silently.  Nothing here prints: plugin log lines go
 * to the caller's callback, failures to the last-error buffer.
 */
#include "config.h"

#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "error.h"
#include "plugin-host.h"
#include "util.h"

#ifndef BT_PLUGINDIR
#define BT_PLUGINDIR "/usr/local/lib/benchtop"
#endif

struct bt_plugin {
	void *handle;
	const struct benchtop_plugin *desc;
	char *path;
	char sha256[65];
};

/*
 * One param as the instance sees it.  `asked` is set by any getter that
 * asked for the key, given or not, so unknown params can be told apart
 * and "did you mean" can offer the names the plugin really reads.
 */
struct inst_param {
	char *key;
	char *value; /* NULL: not given */
	int given;
	int asked;
};

struct bt_instance {
	struct benchtop_host host; /* host.host_data points back here */
	struct bt_plugin *plugin;
	void *obj;
	int fitted;
	const struct benchtop_task_info *task;
	struct bt_host_config cfg;
	pthread_mutex_t mu; /* guards params, param_error and log_error */
	struct inst_param *params;
	size_t nparams, cap;
	char *param_error; /* the first param that did not parse */
	char *log_error;   /* the last ERROR-level log line */
	const char **given; /* keys given with -p, in order (host->param_keys) */
	size_t ngiven;
	struct bt_prompt prompt; /* host->prompt's template */
	char *cache_dir;         /* host->cache_dir's answer, once asked (guarded by mu) */
	int cache_asked;
};

static const char *const task_names[] = {
        [BENCHTOP_TASK_CLASSIFICATION] = "classification",
        [BENCHTOP_TASK_REGRESSION] = "regression",
        [BENCHTOP_TASK_GENERATION] = "generation",
        [BENCHTOP_TASK_MULTIPLE_CHOICE] = "multiple_choice",
        [BENCHTOP_TASK_RETRIEVAL] = "retrieval",
};

static const char *task_name(int type)
{
	if (type > 0 && (size_t)type < BT_ARRAY_SIZE(task_names))
		return task_names[type];
	return "unknown";
}

const char *bt_plugin_default_dir(void)
{
	return BT_PLUGINDIR;
}

/* Is `dir` (or the same directory by another name) among dirs[0..n)? */
static int listed(char **dirs, size_t n, const char *dir)
{
	char *want = realpath(dir, NULL);
	size_t i;
	int found = 0;

	for (i = 0; i < n && want && !found; i++) {
		char *have = realpath(dirs[i], NULL);
		found = have && strcmp(have, want) == 0;
		free(have);
	}
	free(want);
	return found;
}

char **bt_plugin_search_path(void)
{
	const char *env = getenv("BENCHTOP_PLUGIN_PATH");
	char **dirs = NULL;
	size_t n = 0, cap = 0;

	while (env && *env) {
		const char *colon = strchr(env, ':');
		size_t len = colon ? (size_t)(colon - env) : strlen(env);
		if (len > 0) {
			bt_grow(&dirs, &cap, n + 2, sizeof(*dirs));
			dirs[n++] = bt_xstrndup(env, len);
		}
		env = colon ? colon + 1 : NULL;
	}
	bt_grow(&dirs, &cap, n + 3, sizeof(*dirs));
	dirs[n++] = bt_xstrdup(bt_plugin_default_dir());
	/*
	 * Last, the bundled plugins of the build tree this benchtop was run
	 * from (./build/benchtop finds ./build/plugins/.libs), so the program
	 * works before `make install` too.
	 */
	{
		char exe[4096];
		ssize_t len = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
		if (len > 0) {
			char *dir, *libs;
			exe[len] = '\0';
			dir = bt_dirname(exe);
			libs = bt_path_join(dir, "plugins/.libs");
			free(dir);
			if (access(libs, R_OK) == 0 && !listed(dirs, n, libs))
				dirs[n++] = libs;
			else
				free(libs);
		}
	}
	dirs[n] = NULL;
	return dirs;
}

void bt_plugin_search_path_free(char **dirs)
{
	for (size_t i = 0; dirs && dirs[i]; i++)
		free(dirs[i]);
	free(dirs);
}

static int is_path(const char *s)
{
	size_t n = strlen(s);

	return strchr(s, '/') != NULL || (n > 3 && strcmp(s + n - 3, ".so") == 0);
}

static int is_file(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

/* The plugin names (file stems) present in the search path, for "did you mean". */
static char **names_on_path(char **dirs, size_t *n)
{
	char **names = NULL;
	size_t cap = 0;

	*n = 0;
	for (size_t i = 0; dirs[i]; i++) {
		DIR *d = opendir(dirs[i]);
		struct dirent *e;
		if (!d)
			continue;
		while ((e = readdir(d)) != NULL) {
			size_t len = strlen(e->d_name);
			const char *s = e->d_name;
			if (len <= 3 || strcmp(s + len - 3, ".so") != 0)
				continue;
			len -= 3;
			if (bt_starts_with(s, "benchtop-")) {
				s += 9;
				len -= 9;
			}
			bt_grow(&names, &cap, *n + 1, sizeof(*names));
			names[(*n)++] = bt_xstrndup(s, len);
		}
		closedir(d);
	}
	return names;
}

int bt_plugin_find(char **out, const char *name_or_path)
{
	struct bt_buf where = BT_BUF_INIT;
	char **dirs, **names;
	const char *hint;
	size_t nnames;

	*out = NULL;
	if (!name_or_path || !*name_or_path)
		return bt_error_set(BT_EUSAGE, "no plugin given");
	if (is_path(name_or_path)) {
		struct stat st;
		if (stat(name_or_path, &st) != 0)
			return bt_error_set(
			        errno == ENOENT || errno == ENOTDIR ? BT_ENOTFOUND : BT_EIO,
			        "plugin '%s' not found: %s", name_or_path, strerror(errno));
		if (!S_ISREG(st.st_mode))
			return bt_error_set(BT_EFOREIGN, "plugin '%s' is not a regular file",
			                    name_or_path);
		/* dlopen() searches the library path for names without a slash. */
		*out = strchr(name_or_path, '/') ? bt_xstrdup(name_or_path)
		                                 : bt_xasprintf("./%s", name_or_path);
		return 0;
	}

	dirs = bt_plugin_search_path();
	for (size_t i = 0; dirs[i]; i++) {
		static const char *const patterns[] = {"%s/%s.so", "%s/benchtop-%s.so"};
		for (size_t j = 0; j < BT_ARRAY_SIZE(patterns); j++) {
			char *p = bt_xasprintf(patterns[j], dirs[i], name_or_path);
			if (is_file(p)) {
				*out = p;
				bt_buf_free(&where);
				bt_plugin_search_path_free(dirs);
				return 0;
			}
			free(p);
		}
		bt_buf_printf(&where, "%s%s", i ? ", " : "", dirs[i]);
	}
	names = names_on_path(dirs, &nnames);
	hint = bt_suggest(name_or_path, (const char *const *)names, nnames);
	bt_error_set(BT_ENOTFOUND, "plugin '%s' not found in %s (as %s.so or benchtop-%s.so)%s%s%s",
	             name_or_path, bt_buf_cstr(&where), name_or_path, name_or_path,
	             hint ? "; did you mean '" : "", hint ? hint : "", hint ? "'?" : "");
	for (size_t i = 0; i < nnames; i++)
		free(names[i]);
	free(names);
	bt_buf_free(&where);
	bt_plugin_search_path_free(dirs);
	return BT_ENOTFOUND;
}

/* The name to use in messages before the descriptor can be trusted. */
static char *file_stem(const char *path)
{
	const char *base = strrchr(path, '/');
	size_t n;

	base = base ? base + 1 : path;
	if (bt_starts_with(base, "benchtop-"))
		base += 9;
	n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".so") == 0)
		n -= 3;
	return bt_xstrndup(base, n);
}

static int has_elf_magic(const char *path)
{
	unsigned char magic[4];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return 0;
	n = read(fd, magic, sizeof(magic));
	close(fd);
	return n == 4 && memcmp(magic,
	                        "\x7f"
	                        "ELF",
	                        4) == 0;
}

/* The ABI 1.0 descriptor ends with last_error: nothing smaller is a descriptor. */
#define DESC_MIN_SIZE (offsetof(struct benchtop_plugin, last_error) + sizeof(void (*)(void)))

static int check_descriptor(const struct benchtop_plugin *d, const char *stem)
{
	/* Only abi_major, abi_minor and size are readable before the size is checked. */
	if (d->abi_major > BENCHTOP_PLUGIN_ABI_MAJOR)
		return bt_error_set(BT_EVERSION,
		                    "plugin '%s' was built for plugin ABI %u; this benchtop "
		                    "supports ABI %d: upgrade benchtop",
		                    stem, (unsigned)d->abi_major, BENCHTOP_PLUGIN_ABI_MAJOR);
	if (d->abi_major < 1)
		return bt_error_set(BT_EVERSION,
		                    "plugin '%s' declares plugin ABI %u, which no benchtop "
		                    "supports; this benchtop supports ABI %d: rebuild the plugin "
		                    "against benchtop/plugin.h",
		                    stem, (unsigned)d->abi_major, BENCHTOP_PLUGIN_ABI_MAJOR);
	if (d->size < DESC_MIN_SIZE)
		return bt_error_set(BT_EFOREIGN,
		                    "plugin '%s' has a %zu-byte descriptor, smaller than the %zu "
		                    "bytes of plugin ABI 1.0: rebuild it against "
		                    "benchtop/plugin.h",
		                    stem, d->size, (size_t)DESC_MIN_SIZE);
	if (!d->name || !*d->name)
		return bt_error_set(BT_EFOREIGN, "plugin '%s' has a descriptor without a name",
		                    stem);
	if (!d->create || !d->predict || !d->destroy || !d->last_error)
		return bt_error_set(BT_EFOREIGN, "plugin '%s' has no %s callback (it is required)",
		                    stem,
		                    !d->create    ? "create"
		                    : !d->predict ? "predict"
		                    : !d->destroy ? "destroy"
		                                  : "last_error");
	if ((d->tasks & (BENCHTOP_TASK_BIT(BENCHTOP_TASK_CLASSIFICATION) |
	                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_REGRESSION) |
	                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_GENERATION) |
	                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_MULTIPLE_CHOICE) |
	                 BENCHTOP_TASK_BIT(BENCHTOP_TASK_RETRIEVAL))) == 0)
		return bt_error_set(BT_EFOREIGN, "plugin '%s' declares no task type it supports",
		                    stem);
	return 0;
}

int bt_plugin_load(struct bt_plugin **out, const char *name_or_path)
{
	struct bt_plugin *p;
	benchtop_plugin_entry_fn entry;
	char *path, *stem;
	void *sym;
	int rc;

	*out = NULL;
	rc = bt_plugin_find(&path, name_or_path);
	if (rc)
		return rc;
	stem = file_stem(path);
	p = bt_xcalloc(1, sizeof(*p));
	p->path = path;
	rc = bt_sha256_file(p->sha256, path);
	if (rc)
		goto fail;

	dlerror();
	p->handle = dlopen(path, RTLD_NOW | RTLD_LOCAL);
	if (!p->handle) {
		const char *why = dlerror();
		if (!has_elf_magic(path))
			rc = bt_error_set(BT_EFOREIGN, "'%s' is not a shared object: %s", path,
			                  why ? why : "not an ELF file");
		else
			rc = bt_error_set(BT_EFOREIGN, "cannot load plugin '%s': %s", path,
			                  why ? why : "unknown reason");
		goto fail;
	}
	dlerror();
	sym = dlsym(p->handle, BENCHTOP_PLUGIN_ENTRY_NAME);
	if (!sym) {
		rc = bt_error_set(BT_EFOREIGN,
		                  "'%s' is not a benchtop plugin: it does not export '%s' (build "
		                  "it with the entry marked BENCHTOP_PLUGIN_EXPORT)",
		                  path, BENCHTOP_PLUGIN_ENTRY_NAME);
		goto fail;
	}
	/* POSIX guarantees dlsym's object pointer converts to a function pointer. */
	*(void **)&entry = sym;
	p->desc = entry();
	if (!p->desc) {
		rc = bt_error_set(BT_EFOREIGN, "plugin '%s': %s() returned no descriptor", stem,
		                  BENCHTOP_PLUGIN_ENTRY_NAME);
		goto fail;
	}
	rc = check_descriptor(p->desc, stem);
	if (rc)
		goto fail;
	free(stem);
	*out = p;
	return 0;
fail:
	free(stem);
	bt_plugin_unload(p);
	return rc;
}

void bt_plugin_unload(struct bt_plugin *p)
{
	if (!p)
		return;
	if (p->handle)
		dlclose(p->handle);
	free(p->path);
	free(p);
}

const struct benchtop_plugin *bt_plugin_desc(const struct bt_plugin *p)
{
	return p->desc;
}

const char *bt_plugin_path(const struct bt_plugin *p)
{
	return p->path;
}

const char *bt_plugin_sha256(const struct bt_plugin *p)
{
	return p->sha256;
}

/* --- params ----------------------------------------------------------------------- */

void bt_params_add(struct bt_params *p, const char *key, const char *value)
{
	p->keys = bt_xrealloc(p->keys, (p->n + 1) * sizeof(*p->keys));
	p->values = bt_xrealloc(p->values, (p->n + 1) * sizeof(*p->values));
	p->keys[p->n] = bt_xstrdup(key);
	p->values[p->n] = bt_xstrdup(value);
	p->n++;
}

const char *bt_params_get(const struct bt_params *p, const char *key)
{
	/* The last one given wins, as on a command line. */
	for (size_t i = p ? p->n : 0; i-- > 0;)
		if (strcmp(p->keys[i], key) == 0)
			return p->values[i];
	return NULL;
}

void bt_params_release(struct bt_params *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->keys[i]);
		free(p->values[i]);
	}
	free(p->keys);
	free(p->values);
	memset(p, 0, sizeof(*p));
}

/* --- the host table ---------------------------------------------------------------- */

static struct bt_instance *host_inst(const struct benchtop_host *host)
{
	return host->host_data;
}

static const char *plugin_name(const struct bt_instance *inst)
{
	return inst->plugin->desc->name;
}

static void host_log(const struct benchtop_host *host, enum benchtop_log_level level,
                     const char *fmt, ...)
{
	struct bt_instance *inst = host_inst(host);
	char msg[2048];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt ? fmt : "", ap);
	va_end(ap);
	if (level >= BENCHTOP_LOG_ERROR) {
		pthread_mutex_lock(&inst->mu);
		free(inst->log_error);
		inst->log_error = bt_xstrdup(msg);
		pthread_mutex_unlock(&inst->mu);
	}
	if (inst->cfg.log)
		inst->cfg.log(inst->cfg.log_payload, level, plugin_name(inst), msg);
}

/* Mark `key` as asked for and return its value (NULL when not given). */
static const char *ask(struct bt_instance *inst, const char *key)
{
	const char *v = NULL;
	size_t i;

	pthread_mutex_lock(&inst->mu);
	for (i = 0; i < inst->nparams; i++)
		if (strcmp(inst->params[i].key, key) == 0)
			break;
	if (i == inst->nparams) {
		bt_grow(&inst->params, &inst->cap, i + 1, sizeof(*inst->params));
		memset(&inst->params[i], 0, sizeof(inst->params[i]));
		inst->params[i].key = bt_xstrdup(key);
		inst->nparams++;
	}
	inst->params[i].asked = 1;
	if (inst->params[i].given)
		v = inst->params[i].value;
	pthread_mutex_unlock(&inst->mu);
	return v;
}

static int param_fail(struct bt_instance *inst, const char *key, const char *value,
                      const char *what)
{
	pthread_mutex_lock(&inst->mu);
	if (!inst->param_error)
		inst->param_error = bt_xasprintf("param '%s' for plugin '%s': '%s' is not %s", key,
		                                 plugin_name(inst), value, what);
	pthread_mutex_unlock(&inst->mu);
	return -1;
}

static int host_param_string(const struct benchtop_host *host, const char *key, const char *def,
                             const char **out)
{
	const char *v = ask(host_inst(host), key);

	*out = v ? v : def;
	return 0;
}

static int host_param_int(const struct benchtop_host *host, const char *key, int64_t def,
                          int64_t *out)
{
	struct bt_instance *inst = host_inst(host);
	const char *v = ask(inst, key);

	*out = def;
	if (!v)
		return 0;
	if (bt_parse_int64(v, out)) {
		*out = def;
		return param_fail(inst, key, v, "an integer");
	}
	return 0;
}

static int host_param_double(const struct benchtop_host *host, const char *key, double def,
                             double *out)
{
	struct bt_instance *inst = host_inst(host);
	const char *v = ask(inst, key);

	*out = def;
	if (!v)
		return 0;
	if (bt_parse_double(v, out) || !isfinite(*out)) {
		*out = def;
		return param_fail(inst, key, v, "a finite number");
	}
	return 0;
}

static int host_param_bool(const struct benchtop_host *host, const char *key, int def, int *out)
{
	static const char *const yes[] = {"1", "true", "yes", "on"};
	static const char *const no[] = {"0", "false", "no", "off"};
	struct bt_instance *inst = host_inst(host);
	const char *v = ask(inst, key);

	*out = def;
	if (!v)
		return 0;
	for (size_t i = 0; i < BT_ARRAY_SIZE(yes); i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	return param_fail(inst, key, v, "a boolean (true/false, yes/no, on/off, 1/0)");
}

static int host_cancelled(const struct benchtop_host *host)
{
	const struct bt_instance *inst = host_inst(host);

	return inst->cfg.cancel && *inst->cfg.cancel;
}

/*
 * The fallback example_json: the example's fields serialised by the host,
 * into a per-thread string released when the thread exits.
 */
static pthread_key_t json_key;
static pthread_once_t json_once = PTHREAD_ONCE_INIT;

static void json_key_init(void)
{
	pthread_key_create(&json_key, free);
}

/* `s` with every byte that is not part of valid UTF-8 replaced by U+FFFD. */
static char *utf8_repair(const char *s, size_t n)
{
	struct bt_buf b = BT_BUF_INIT;
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80             ? 1
		             : (c & 0xe0) == 0xc0 ? 2
		             : (c & 0xf0) == 0xe0 ? 3
		             : (c & 0xf8) == 0xf0 ? 4
		                                  : 0;
		size_t k;
		for (k = 1; len && k < len; k++)
			if (i + k >= n || ((unsigned char)s[i + k] & 0xc0) != 0x80)
				break;
		if (len && k == len && !(len == 2 && c < 0xc2) && c != 0) {
			bt_buf_add(&b, s + i, len);
			i += len;
		} else {
			bt_buf_puts(&b, "\xef\xbf\xbd");
			i++;
		}
	}
	return bt_buf_detach(&b);
}

static json_t *field_json(const struct benchtop_field *f)
{
	json_t *v, *a;

	switch (f->type) {
	case BENCHTOP_FIELD_NUMBER:
		if (f->number == floor(f->number) && fabs(f->number) < 9007199254740992.0)
			return json_integer((json_int_t)f->number);
		return isfinite(f->number) ? json_real(f->number) : json_null();
	case BENCHTOP_FIELD_TEXT:
		v = json_stringn(f->text ? f->text : "", f->text ? f->text_len : 0);
		/* Invalid UTF-8 cannot be a JSON string: keep what can be kept. */
		if (!v) {
			char *clean = utf8_repair(f->text, f->text_len);
			v = json_string(clean);
			free(clean);
		}
		return v ? v : json_null();
	case BENCHTOP_FIELD_VECTOR:
		a = json_array();
		for (size_t i = 0; i < f->vector_len; i++)
			json_array_append_new(a, isfinite(f->vector[i]) ? json_real(f->vector[i])
			                                                : json_null());
		return a;
	case BENCHTOP_FIELD_JSON:
		v = f->text ? json_loadb(f->text, f->text_len, JSON_DECODE_ANY, NULL) : NULL;
		return v ? v : json_null();
	case BENCHTOP_FIELD_NULL:
	default:
		return json_null();
	}
}

static const char *fields_json(const struct benchtop_example *ex)
{
	json_t *o = json_object();
	char *s;

	pthread_once(&json_once, json_key_init);
	for (size_t i = 0; ex && i < ex->n_fields; i++)
		if (ex->fields[i].name)
			json_object_set_new(o, ex->fields[i].name, field_json(&ex->fields[i]));
	s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	free(pthread_getspecific(json_key));
	pthread_setspecific(json_key, s);
	return s ? s : "{}";
}

static const char *host_example_json(const struct benchtop_host *host,
                                     const struct benchtop_example *ex)
{
	const struct bt_instance *inst = host_inst(host);

	if (inst->cfg.example_json)
		return inst->cfg.example_json(ex);
	return fields_json(ex);
}

/* --- ABI 1.1: param keys, prompts, annotations, recorded files, cache ---------------------- */

static size_t host_param_keys(const struct benchtop_host *host, const char *const **out)
{
	const struct bt_instance *inst = host_inst(host);

	/* Listing is not asking: `asked` stays as it is, so unknown params are still reported. */
	*out = inst->given;
	return inst->ngiven;
}

/*
 * Per-thread state: the prompt buffer, and the predict call in progress
 * with the annotations made during it (then their JSON texts, which
 * bt_instance_annotation hands out until the next call).
 */
struct host_tls {
	struct bt_buf prompt;
	const struct benchtop_example *call; /* NULL: no predict call in progress */
	size_t call_n;
	json_t **ann; /* call_n slots */
	char **texts; /* n_texts slots, from the last finished call */
	size_t n_texts, cap;
};

static pthread_key_t tls_key;
static pthread_once_t tls_once = PTHREAD_ONCE_INIT;

static void tls_clear_texts(struct host_tls *t)
{
	for (size_t i = 0; i < t->n_texts; i++) {
		free(t->texts[i]);
		t->texts[i] = NULL;
	}
	t->n_texts = 0;
}

static void tls_free(void *p)
{
	struct host_tls *t = p;

	if (!t)
		return;
	tls_clear_texts(t);
	for (size_t i = 0; t->ann && i < t->call_n; i++)
		json_decref(t->ann[i]);
	free(t->ann);
	free(t->texts);
	bt_buf_free(&t->prompt);
	free(t);
}

static void tls_key_init(void)
{
	pthread_key_create(&tls_key, tls_free);
}

static struct host_tls *tls_get(void)
{
	struct host_tls *t;

	pthread_once(&tls_once, tls_key_init);
	t = pthread_getspecific(tls_key);
	if (!t) {
		t = bt_xcalloc(1, sizeof(*t));
		pthread_setspecific(tls_key, t);
	}
	return t;
}

/* The call is starting: no annotations yet, none left from the last. */
static void call_begin(const struct benchtop_example *ex, size_t n)
{
	struct host_tls *t = tls_get();

	tls_clear_texts(t);
	if (n > t->cap) {
		t->ann = bt_xrealloc(t->ann, n * sizeof(*t->ann));
		t->texts = bt_xrealloc(t->texts, n * sizeof(*t->texts));
		t->cap = n;
	}
	if (n) {
		memset(t->ann, 0, n * sizeof(*t->ann));
		memset(t->texts, 0, n * sizeof(*t->texts));
	}
	t->call = ex;
	t->call_n = n;
}

/* The call is over: its annotations become texts, and annotate refuses until the next. */
static void call_end(void)
{
	struct host_tls *t = tls_get();

	for (size_t i = 0; i < t->call_n; i++) {
		if (!t->ann[i])
			continue;
		t->texts[i] = json_dumps(t->ann[i], JSON_COMPACT | JSON_PRESERVE_ORDER);
		json_decref(t->ann[i]);
		t->ann[i] = NULL;
	}
	t->n_texts = t->call_n;
	t->call = NULL;
	t->call_n = 0;
}

const char *bt_instance_annotation(size_t i)
{
	struct host_tls *t = tls_get();

	return i < t->n_texts ? t->texts[i] : NULL;
}

int bt_detail_key_reserved(const char *key)
{
	return strcmp(key, "scores") == 0 || strcmp(key, "choice") == 0 ||
	       strcmp(key, "target_choice") == 0;
}

static int host_annotate(const struct benchtop_host *host, const struct benchtop_example *ex,
                         const char *key, const char *json)
{
	struct host_tls *t = tls_get();
	const char *why = NULL;
	uintptr_t base = (uintptr_t)t->call, at = (uintptr_t)ex;
	json_t *v = NULL;

	/* Compared as addresses: `ex` may point anywhere, not only into the call's array. */
	if (!t->call || !ex || at < base || at >= base + t->call_n * sizeof(*ex) ||
	    (at - base) % sizeof(*ex) != 0)
		why = "the example is not one of this thread's current predict call";
	else if (!key || !*key)
		why = "the key is empty";
	else if (bt_detail_key_reserved(key))
		why = "the key is one the host uses itself";
	else if (!json || !(v = json_loads(json, JSON_DECODE_ANY, NULL)))
		why = "the value is not JSON";
	if (!why) {
		size_t i = (size_t)(at - base) / sizeof(*ex);
		if (!t->ann[i])
			t->ann[i] = json_object();
		if (json_object_set_new(t->ann[i], key, v) != 0)
			why = "the key is not UTF-8";
	}
	if (why) {
		host_log(host, BENCHTOP_LOG_DEBUG, "annotate('%s') refused: %s", key ? key : "",
		         why);
		return -1;
	}
	return 0;
}

static const char *host_prompt(const struct benchtop_host *host, const struct benchtop_example *ex)
{
	const struct bt_instance *inst = host_inst(host);
	struct host_tls *t = tls_get();

	bt_buf_reset(&t->prompt);
	if (!ex || bt_prompt_render(&t->prompt, &inst->prompt, inst->task->type, ex) != 0) {
		host_log(host, BENCHTOP_LOG_ERROR, "no prompt: %s",
		         ex ? bt_error_last() : "no example given");
		return NULL;
	}
	return bt_buf_cstr(&t->prompt);
}

static int host_record_file(const struct benchtop_host *host, const char *key, const char *path)
{
	struct bt_instance *inst = host_inst(host);
	char sha[65];

	if (!key || !*key || !path) {
		host_log(host, BENCHTOP_LOG_ERROR, "record_file needs a key and a path");
		return -1;
	}
	if (bt_sha256_file(sha, path) != 0) {
		host_log(host, BENCHTOP_LOG_ERROR, "cannot record '%s': %s", path, bt_error_last());
		return -1;
	}
	if (!inst->cfg.record) {
		host_log(host, BENCHTOP_LOG_INFO, "recorded %s=%s ('%s')", key, sha, path);
		return 0;
	}
	if (inst->cfg.record(inst->cfg.record_payload, key, sha) != 0) {
		host_log(host, BENCHTOP_LOG_ERROR, "%s", bt_error_last());
		return -1;
	}
	return 0;
}

char *bt_plugin_cache_root(void)
{
	const char *env = getenv("BENCHTOP_PLUGIN_CACHE"), *xdg = getenv("XDG_CACHE_HOME");
	const char *home = getenv("HOME");
	char *base;

	if (env && *env) {
		char cwd[4096];
		/* Workers share the parent's directory, but a run may cd: anchor it now. */
		base = env[0] == '/' || !getcwd(cwd, sizeof(cwd)) ? bt_xstrdup(env)
		                                                  : bt_path_join(cwd, env);
	} else if (xdg && xdg[0] == '/') {
		/* The XDG spec: a relative $XDG_CACHE_HOME is invalid and ignored. */
		base = bt_path_join(xdg, "benchtop/plugins");
	} else if (home && *home) {
		base = bt_path_join(home, ".cache/benchtop/plugins");
	} else {
		bt_error_set(BT_ENOTFOUND, "no cache directory: neither $BENCHTOP_PLUGIN_CACHE, "
		                           "$XDG_CACHE_HOME nor $HOME is set");
		return NULL;
	}
	return base;
}

char *bt_plugin_cache_dir(const char *name)
{
	char *base = bt_plugin_cache_root(), *dir, *safe;

	if (!base)
		return NULL;
	/* A name is one path component, whatever the plugin calls itself. */
	safe = bt_xstrdup(name && *name ? name : "plugin");
	for (char *c = safe; *c; c++)
		if (*c == '/' || (unsigned char)*c < 0x20)
			*c = '_';
	if (strcmp(safe, ".") == 0 || strcmp(safe, "..") == 0)
		safe[0] = '_';
	dir = bt_path_join(base, safe);
	free(base);
	free(safe);
	if (bt_mkdir_p(dir, 0700) != 0) {
		free(dir);
		return NULL;
	}
	return dir;
}

static const char *host_cache_dir(const struct benchtop_host *host)
{
	struct bt_instance *inst = host_inst(host);
	const char *dir;
	int first = 0;

	pthread_mutex_lock(&inst->mu);
	if (!inst->cache_asked) {
		inst->cache_asked = first = 1;
		inst->cache_dir = bt_plugin_cache_dir(plugin_name(inst));
	}
	dir = inst->cache_dir;
	pthread_mutex_unlock(&inst->mu);
	if (first && !dir)
		host_log(host, BENCHTOP_LOG_WARN, "%s", bt_error_last());
	return dir;
}

/* --- instances ------------------------------------------------------------------------ */

static void inst_free(struct bt_instance *inst)
{
	for (size_t i = 0; i < inst->nparams; i++) {
		free(inst->params[i].key);
		free(inst->params[i].value);
	}
	free(inst->params);
	free(inst->param_error);
	free(inst->log_error);
	free(inst->given);
	free(inst->cache_dir);
	bt_prompt_release(&inst->prompt);
	pthread_mutex_destroy(&inst->mu);
	free(inst);
}

/* The instance's own message for a failed call, else its last logged error. */
static const char *plugin_message(struct bt_instance *inst)
{
	const char *m = NULL;

	if (inst->obj)
		m = inst->plugin->desc->last_error(inst->obj);
	if (!m || !*m)
		m = inst->log_error;
	return m && *m ? m : "it gave no reason";
}

/* BT_EUSAGE naming the first param the plugin never asked for, or 0. */
static int check_unknown(struct bt_instance *inst)
{
	const char **asked;
	size_t nasked = 0;
	int rc = 0;

	asked = bt_xcalloc(inst->nparams + 1, sizeof(*asked));
	for (size_t i = 0; i < inst->nparams; i++)
		if (inst->params[i].asked)
			asked[nasked++] = inst->params[i].key;
	for (size_t i = 0; i < inst->nparams && !rc; i++) {
		struct bt_buf b = BT_BUF_INIT;
		const char *s;
		if (inst->params[i].asked)
			continue;
		s = bt_suggest(inst->params[i].key, asked, nasked);
		if (s) {
			bt_buf_printf(&b, "did you mean '%s'?", s);
		} else if (nasked == 0) {
			bt_buf_puts(&b, "it takes no params");
		} else {
			bt_buf_puts(&b, "it takes ");
			for (size_t j = 0; j < nasked; j++)
				bt_buf_printf(&b, "%s%s", j ? ", " : "", asked[j]);
		}
		rc = bt_error_set(BT_EUSAGE, "unknown param '%s' for plugin '%s' (%s)",
		                  inst->params[i].key, plugin_name(inst), bt_buf_cstr(&b));
		bt_buf_free(&b);
	}
	free(asked);
	return rc;
}

int bt_instance_create(struct bt_instance **out, struct bt_plugin *p,
                       const struct bt_params *params, const struct benchtop_task_info *task,
                       const struct bt_host_config *cfg)
{
	const struct benchtop_plugin *d = p->desc;
	struct bt_instance *inst;
	void *obj = NULL;
	int rc, prc;

	*out = NULL;
	if (!task)
		return bt_error_set(BT_EUSAGE, "no task to create plugin '%s' for", d->name);
	if (!(d->tasks & BENCHTOP_TASK_BIT(task->type))) {
		struct bt_buf b = BT_BUF_INIT;
		for (int t = 1; t < (int)BT_ARRAY_SIZE(task_names); t++)
			if (d->tasks & BENCHTOP_TASK_BIT(t))
				bt_buf_printf(&b, "%s%s", b.len ? ", " : "", task_name(t));
		rc = bt_error_set(BT_EUSAGE, "plugin '%s' does not do %s tasks (it does %s)",
		                  d->name, task_name(task->type), bt_buf_cstr(&b));
		bt_buf_free(&b);
		return rc;
	}

	inst = bt_xcalloc(1, sizeof(*inst));
	pthread_mutex_init(&inst->mu, NULL);
	inst->plugin = p;
	inst->task = task;
	if (cfg)
		inst->cfg = *cfg;
	for (size_t i = 0; params && i < params->n; i++) {
		const char *v = bt_params_get(params, params->keys[i]);
		size_t j;
		for (j = 0; j < inst->nparams; j++)
			if (strcmp(inst->params[j].key, params->keys[i]) == 0)
				break;
		if (j < inst->nparams)
			continue;
		bt_grow(&inst->params, &inst->cap, j + 1, sizeof(*inst->params));
		inst->params[j].key = bt_xstrdup(params->keys[i]);
		inst->params[j].value = bt_xstrdup(v);
		inst->params[j].given = 1;
		inst->params[j].asked = 0;
		inst->nparams++;
	}

	inst->host.size = sizeof(inst->host);
	inst->host.abi_major = BENCHTOP_PLUGIN_ABI_MAJOR;
	inst->host.abi_minor = BENCHTOP_PLUGIN_ABI_MINOR;
	inst->host.log = host_log;
	inst->host.param_string = host_param_string;
	inst->host.param_int = host_param_int;
	inst->host.param_double = host_param_double;
	inst->host.param_bool = host_param_bool;
	inst->host.cancelled = host_cancelled;
	inst->host.example_json = host_example_json;
	inst->host.host_data = inst;
	inst->given = bt_xcalloc(inst->nparams + 1, sizeof(*inst->given));
	for (size_t i = 0; i < inst->nparams; i++)
		inst->given[inst->ngiven++] = inst->params[i].key;
	if (cfg && cfg->prompt) {
		bt_prompt_copy(&inst->prompt, cfg->prompt);
	} else {
		bt_prompt_default(&inst->prompt, task->inputs, task->n_inputs);
		if (BENCHTOP_TASK_HAS(task, target_delimiter) && task->target_delimiter)
			bt_prompt_set_delimiters(&inst->prompt, NULL, task->target_delimiter);
	}
	inst->host.param_keys = host_param_keys;
	inst->host.prompt = host_prompt;
	inst->host.annotate = host_annotate;
	inst->host.record_file = host_record_file;
	inst->host.cache_dir = host_cache_dir;

	prc = d->create(&obj, &inst->host, task);
	inst->obj = obj;
	/* A misused param is the likeliest cause of anything else: report it first. */
	if (inst->param_error) {
		rc = bt_error_set(BT_EUSAGE, "%s", inst->param_error);
	} else if ((rc = check_unknown(inst)) != 0) {
		/* message set */
	} else if (prc != 0) {
		rc = bt_error_set(BT_EPLUGIN,
		                  "plugin '%s' could not create an instance for task '%s': %s",
		                  d->name, task->name ? task->name : "?", plugin_message(inst));
	}
	if (rc) {
		if (inst->obj)
			d->destroy(inst->obj);
		inst_free(inst);
		return rc;
	}
	*out = inst;
	return 0;
}

int bt_instance_fit(struct bt_instance *inst, const struct benchtop_example *ex, size_t n)
{
	const struct benchtop_plugin *d = inst->plugin->desc;

	if (n == 0 && (d->flags & BENCHTOP_PLUGIN_NEEDS_TRAIN))
		return bt_error_set(BT_EINPUT,
		                    "plugin '%s' needs a train split, and task '%s' has no train "
		                    "examples",
		                    d->name, inst->task->name ? inst->task->name : "?");
	/* No train split, or nothing to train: fit is not called (benchtop-plugin(3)). */
	if (!d->fit || n == 0) {
		inst->fitted = 1;
		return 0;
	}
	if (d->fit(inst->obj, ex, n) != 0)
		return bt_error_set(BT_EPLUGIN, "plugin '%s' failed to train on task '%s': %s",
		                    d->name, inst->task->name ? inst->task->name : "?",
		                    plugin_message(inst));
	inst->fitted = 1;
	return 0;
}

int bt_instance_predict(struct bt_instance *inst, const struct benchtop_example *ex, size_t n,
                        struct benchtop_prediction *out)
{
	const struct benchtop_plugin *d = inst->plugin->desc;
	int rc;

	if (!inst->fitted && (d->flags & BENCHTOP_PLUGIN_NEEDS_TRAIN))
		return bt_error_set(BT_EINPUT,
		                    "plugin '%s' needs a train split, and was not trained for task "
		                    "'%s'",
		                    d->name, inst->task->name ? inst->task->name : "?");
	if (n == 0) {
		call_begin(ex, 0);
		call_end();
		return 0;
	}
	memset(out, 0, n * sizeof(*out));
	call_begin(ex, n);
	rc = d->predict(inst->obj, ex, n, out);
	call_end();
	if (rc != 0)
		return bt_error_set(BT_EPLUGIN, "plugin '%s' failed to predict on task '%s': %s",
		                    d->name, inst->task->name ? inst->task->name : "?",
		                    plugin_message(inst));
	return 0;
}

void bt_instance_destroy(struct bt_instance *inst)
{
	if (!inst)
		return;
	if (inst->obj)
		inst->plugin->desc->destroy(inst->obj);
	inst_free(inst);
}
