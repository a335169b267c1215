/*
 * check-report.c - JUnit XML, Markdown and notification renderings of a
 * check report, and atomic report files (see check-report.h).
 */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check-report.h"
#include "error.h"
#include "format.h"

void bt_check_format_value(char *out, size_t n, double v, int sign)
{
	double a = fabs(v);

	if (v != v) {
		snprintf(out, n, "-");
		return;
	}
	if (a != 0 && (a >= 1e5 || a < 1e-3))
		snprintf(out, n, sign ? "%+.4g" : "%.4g", v);
	else
		snprintf(out, n, sign ? "%+.4f" : "%.4f", v);
}

void bt_check_format_p(char *out, size_t n, double p)
{
	if (p != p)
		snprintf(out, n, "-");
	else if (p < 1e-4)
		snprintf(out, n, "<0.0001");
	else
		snprintf(out, n, "%.4f", p);
}

static void format_ci(char *out, size_t n, double lo, double hi)
{
	char a[32], b[32];

	if (lo != lo || hi != hi) {
		snprintf(out, n, "-");
		return;
	}
	bt_check_format_value(a, sizeof(a), lo, 1);
	bt_check_format_value(b, sizeof(b), hi, 1);
	snprintf(out, n, "[%s, %s]", a, b);
}

/* --- JUnit ------------------------------------------------------------------------- */

/* Append text escaped for XML, after sanitising (XML 1.0 has no place for controls). */
static void xml_text(struct bt_buf *b, const char *s)
{
	char *clean = bt_sanitize(s ? s : "", BT_SANITIZE_KEEP_NEWLINES);
	const char *p;

	for (p = clean; *p; p++) {
		/* U+FFFE and U+FFFF are not XML characters either. */
		if ((unsigned char)p[0] == 0xEF && (unsigned char)p[1] == 0xBF &&
		    ((unsigned char)p[2] == 0xBE || (unsigned char)p[2] == 0xBF)) {
			bt_buf_printf(b, "&lt;U+FF%s&gt;",
			              (unsigned char)p[2] == 0xBE ? "FE" : "FF");
			p += 2;
			continue;
		}
		switch (*p) {
		case '&':
			bt_buf_puts(b, "&amp;");
			break;
		case '<':
			bt_buf_puts(b, "&lt;");
			break;
		case '>':
			bt_buf_puts(b, "&gt;");
			break;
		case '"':
			bt_buf_puts(b, "&quot;");
			break;
		case '\'':
			bt_buf_puts(b, "&apos;");
			break;
		case '\t':
			bt_buf_puts(b, "&#9;");
			break;
		case '\n':
			bt_buf_puts(b, "&#10;");
			break;
		default:
			bt_buf_putc(b, *p);
		}
	}
	free(clean);
}

static void row_line(struct bt_buf *b, const struct bt_check_row *w)
{
	char base[32], cand[32], delta[32], ci[80], p[32];

	bt_check_format_value(base, sizeof(base), w->baseline, 0);
	bt_check_format_value(cand, sizeof(cand), w->candidate, 0);
	bt_check_format_value(delta, sizeof(delta), w->delta, 1);
	format_ci(ci, sizeof(ci), w->ci_low, w->ci_high);
	bt_check_format_p(p, sizeof(p), w->p_value);
	bt_buf_printf(b, "%s -> %s (delta %s, 95%% CI %s, p %s, %s)", base, cand, delta, ci, p,
	              bt_check_test_name(w->test));
}

static int same_text(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "") == 0;
}

void bt_check_junit(const struct bt_check_report *r, double timestamp, struct bt_buf *out)
{
	char when[32];
	size_t i, j, total = 0, failures = 0;
	unsigned char *done = bt_xcalloc(r->n + 1, 1);
	char *host = bt_hostname();

	bt_format_iso8601(when, sizeof(when), timestamp);
	/* ISO 8601 without the zone designator, as the schema's xs:dateTime pattern wants. */
	if (when[0] && when[strlen(when) - 1] == 'Z')
		when[strlen(when) - 1] = '\0';
	for (i = 0; i < r->n; i++) {
		const struct bt_check_item *it = &r->items[i];
		total += it->outcome == BT_CHECK_COMPARED ? it->nrows : 1;
		failures += it->outcome == BT_CHECK_FAILED_RUN ? 1 : it->regressed;
	}
	bt_buf_puts(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
	/* No `skipped` here: readers know it on <testsuite> only. */
	bt_buf_printf(out,
	              "<testsuites name=\"benchtop check\" tests=\"%zu\" failures=\"%zu\" "
	              "errors=\"0\" time=\"0\">\n",
	              total, failures);
	/* One testsuite per suite, gathering its candidates (one per model). */
	for (i = 0; i < r->n; i++) {
		const char *suite = r->items[i].candidate.suite;
		size_t tests = 0, fails = 0, skips = 0;

		if (done[i])
			continue;
		for (j = i; j < r->n; j++) {
			const struct bt_check_item *it = &r->items[j];
			if (!same_text(it->candidate.suite, suite))
				continue;
			tests += it->outcome == BT_CHECK_COMPARED ? it->nrows : 1;
			fails += it->outcome == BT_CHECK_FAILED_RUN ? 1 : it->regressed;
			skips += it->outcome == BT_CHECK_NO_BASELINE;
		}
		bt_buf_puts(out, "  <testsuite name=\"");
		xml_text(out, suite ? suite : "(no suite)");
		bt_buf_printf(out,
		              "\" tests=\"%zu\" failures=\"%zu\" errors=\"0\" skipped=\"%zu\" "
		              "time=\"0\" timestamp=\"%s\" hostname=\"",
		              tests, fails, skips, when);
		xml_text(out, host);
		bt_buf_puts(out, "\">\n    <properties>\n");
		for (j = i; j < r->n; j++) {
			const struct bt_check_item *it = &r->items[j];
			if (!same_text(it->candidate.suite, suite))
				continue;
			bt_buf_puts(out, "      <property name=\"candidate.");
			xml_text(out, it->candidate.model);
			bt_buf_printf(out, "\" value=\"%lld %s\"/>\n", (long long)it->candidate.id,
			              it->candidate.uuid);
			if (it->baseline.id) {
				bt_buf_puts(out, "      <property name=\"baseline.");
				xml_text(out, it->candidate.model);
				bt_buf_printf(out, "\" value=\"%lld %s\"/>\n",
				              (long long)it->baseline.id, it->baseline.uuid);
			}
		}
		bt_buf_puts(out, "    </properties>\n");
		for (j = i; j < r->n; j++) {
			const struct bt_check_item *it = &r->items[j];
			size_t k;
			if (!same_text(it->candidate.suite, suite))
				continue;
			done[j] = 1;
			if (it->outcome != BT_CHECK_COMPARED) {
				int failed = it->outcome == BT_CHECK_FAILED_RUN;
				bt_buf_puts(out, "    <testcase classname=\"");
				xml_text(out, suite ? suite : "");
				bt_buf_putc(out, '.');
				xml_text(out, it->candidate.model);
				bt_buf_printf(out,
				              "\" name=\"%s\" time=\"0\">\n      <%s message=\"",
				              failed ? "run" : "baseline",
				              failed ? "failure" : "skipped");
				xml_text(out, it->message);
				bt_buf_printf(out, "\"%s/>\n    </testcase>\n",
				              failed ? " type=\"failed-run\"" : "");
				continue;
			}
			for (k = 0; k < it->nrows; k++) {
				const struct bt_check_row *w = &it->rows[k];
				struct bt_buf line = BT_BUF_INIT;
				row_line(&line, w);
				bt_buf_puts(out, "    <testcase classname=\"");
				xml_text(out, suite ? suite : "");
				bt_buf_putc(out, '.');
				xml_text(out, it->candidate.model);
				bt_buf_puts(out, "\" name=\"");
				xml_text(out, w->task);
				bt_buf_putc(out, '/');
				xml_text(out, w->metric);
				bt_buf_puts(out, "\" time=\"0\">\n");
				if (w->verdict == BT_VERDICT_REGRESSED) {
					bt_buf_puts(out, "      <failure message=\"");
					xml_text(out, w->metric);
					bt_buf_puts(out, " regressed: ");
					xml_text(out, line.ptr);
					bt_buf_puts(out, "\" type=\"regression\">");
					bt_buf_printf(out,
					              "candidate run %lld, baseline run %lld, "
					              "alpha %g after Holm-Bonferroni",
					              (long long)it->candidate.id,
					              (long long)it->baseline.id, w->alpha);
					bt_buf_puts(out, "</failure>\n");
				}
				bt_buf_puts(out, "      <system-out>");
				xml_text(out, bt_check_verdict_name(w->verdict));
				bt_buf_puts(out, ": ");
				xml_text(out, line.ptr);
				if (w->note) {
					bt_buf_puts(out, "; ");
					xml_text(out, w->note);
				}
				bt_buf_puts(out, "</system-out>\n    </testcase>\n");
				bt_buf_free(&line);
			}
		}
		bt_buf_puts(out, "  </testsuite>\n");
	}
	bt_buf_puts(out, "</testsuites>\n");
	free(host);
	free(done);
}

/* --- Markdown ------------------------------------------------------------------------ */

/*
 * Text escaped for a Markdown table cell that a forge renders: no
 * controls, no table breaks, no HTML, no emphasis or links from data.
 */
static void md_text(struct bt_buf *b, const char *s)
{
	char *clean = bt_sanitize(s ? s : "", 0);
	const char *p;

	for (p = clean; *p; p++) {
		if (strchr("\\`*_{}[]()<>#+!|~", *p))
			bt_buf_putc(b, '\\');
		bt_buf_putc(b, *p);
	}
	free(clean);
}

void bt_check_markdown(const struct bt_check_report *r, struct bt_buf *out)
{
	char *summary = bt_check_summary(r);
	size_t i, j;

	bt_buf_puts(out, "### ");
	md_text(out, summary);
	bt_buf_puts(out, "\n");
	free(summary);
	for (i = 0; i < r->n; i++) {
		const struct bt_check_item *it = &r->items[i];

		bt_buf_puts(out, "\n**");
		md_text(out, it->candidate.suite ? it->candidate.suite : "(no suite)");
		bt_buf_puts(out, "** with **");
		md_text(out, it->candidate.model ? it->candidate.model : "(no model)");
		bt_buf_printf(out, "**: run %lld", (long long)it->candidate.id);
		if (it->candidate.git_sha)
			bt_buf_printf(out, " at `%.8s`", it->candidate.git_sha);
		if (it->outcome == BT_CHECK_FAILED_RUN) {
			bt_buf_puts(out, " **failed**: ");
			md_text(out, it->message);
			bt_buf_puts(out, "\n");
			continue;
		}
		if (it->outcome == BT_CHECK_NO_BASELINE) {
			bt_buf_puts(out, ", no baseline: ");
			md_text(out, it->message);
			bt_buf_puts(out, "\n");
			continue;
		}
		bt_buf_printf(out, " against run %lld", (long long)it->baseline.id);
		if (it->baseline.git_sha)
			bt_buf_printf(out, " at `%.8s`", it->baseline.git_sha);
		bt_buf_puts(out, "\n\n");
		if (!it->nrows) {
			bt_buf_puts(out, "No metric in common to compare.\n");
			continue;
		}
		bt_buf_puts(out,
		            "| Task | Metric | Baseline | Candidate | Delta | 95% CI | p | Test "
		            "| Verdict |\n"
		            "|---|---|---:|---:|---:|---|---:|---|---|\n");
		for (j = 0; j < it->nrows; j++) {
			const struct bt_check_row *w = &it->rows[j];
			char base[32], cand[32], delta[32], ci[80], p[32];
			bt_check_format_value(base, sizeof(base), w->baseline, 0);
			bt_check_format_value(cand, sizeof(cand), w->candidate, 0);
			bt_check_format_value(delta, sizeof(delta), w->delta, 1);
			format_ci(ci, sizeof(ci), w->ci_low, w->ci_high);
			bt_check_format_p(p, sizeof(p), w->p_value);
			bt_buf_puts(out, "| ");
			md_text(out, w->task);
			bt_buf_puts(out, " | ");
			md_text(out, w->metric);
			bt_buf_printf(out, " | %s | %s | %s | %s | %s | %s | %s |\n", base, cand,
			              delta, ci, p, bt_check_test_name(w->test),
			              w->verdict == BT_VERDICT_REGRESSED
			                      ? "**regressed**"
			                      : bt_check_verdict_name(w->verdict));
		}
	}
}

/* --- notifications ---------------------------------------------------------------------- */

/* Slack reads &, < and > as markup: escape them, after sanitising. */
static void slack_text(struct bt_buf *b, const char *s)
{
	char *clean = bt_sanitize(s ? s : "", 0);
	const char *p;

	for (p = clean; *p; p++) {
		if (*p == '&')
			bt_buf_puts(b, "&amp;");
		else if (*p == '<')
			bt_buf_puts(b, "&lt;");
		else if (*p == '>')
			bt_buf_puts(b, "&gt;");
		else
			bt_buf_putc(b, *p);
	}
	free(clean);
}

char *bt_check_notify_text(const struct bt_check_report *r, size_t max_lines)
{
	struct bt_buf b = BT_BUF_INIT;
	char *summary = bt_check_summary(r);
	size_t i, j, lines = 0, more = 0;

	bt_buf_puts(&b, "benchtop ");
	slack_text(&b, summary);
	free(summary);
	if (r->head[0]) {
		bt_buf_puts(&b, " at ");
		if (r->branch) {
			slack_text(&b, r->branch);
			bt_buf_putc(&b, ' ');
		}
		bt_buf_printf(&b, "%.8s", r->head);
	}
	for (i = 0; i < r->n; i++) {
		const struct bt_check_item *it = &r->items[i];
		if (it->outcome == BT_CHECK_FAILED_RUN) {
			if (lines++ >= max_lines) {
				more++;
				continue;
			}
			bt_buf_puts(&b, "\n- ");
			slack_text(&b, it->candidate.suite);
			bt_buf_putc(&b, '/');
			slack_text(&b, it->candidate.model);
			bt_buf_puts(&b, ": ");
			slack_text(&b, it->message);
			continue;
		}
		for (j = 0; j < it->nrows; j++) {
			const struct bt_check_row *w = &it->rows[j];
			struct bt_buf line = BT_BUF_INIT;
			if (w->verdict != BT_VERDICT_REGRESSED)
				continue;
			if (lines++ >= max_lines) {
				more++;
				continue;
			}
			bt_buf_puts(&b, "\n- ");
			slack_text(&b, it->candidate.suite);
			bt_buf_putc(&b, '/');
			slack_text(&b, it->candidate.model);
			bt_buf_putc(&b, ' ');
			slack_text(&b, w->task);
			bt_buf_putc(&b, '/');
			slack_text(&b, w->metric);
			bt_buf_puts(&b, " regressed: ");
			row_line(&line, w);
			slack_text(&b, line.ptr);
			bt_buf_free(&line);
		}
	}
	if (more)
		bt_buf_printf(&b, "\n- and %zu more", more);
	return bt_buf_detach(&b);
}

char *bt_check_notify_body(const struct bt_check_report *r)
{
	json_t *root = json_object();
	char *text = bt_check_notify_text(r, 20);

	char *body = NULL;
	size_t len = 0;
	FILE *f;

	json_object_set_new(root, "text", json_string_nocheck(text));
	json_object_set_new(root, "benchtop", bt_check_report_json(r));
	/*
	 * bt_json_write, not json_dumps: the store's text may not be valid
	 * UTF-8, and it escapes such bytes (and controls) instead of failing.
	 */
	f = open_memstream(&body, &len);
	if (!f)
		abort();
	bt_json_write(f, root, 0);
	fclose(f);
	json_decref(root);
	free(text);
	return body;
}

/* --- files -------------------------------------------------------------------------------- */

int bt_write_file_atomic(const char *path, const void *data, size_t len)
{
	static unsigned counter;
	const char *p = data;
	char *tmp = NULL;
	int fd = -1, tries;

	for (tries = 0; tries < 100; tries++) {
		free(tmp);
		tmp = bt_xasprintf("%s.tmp.%ld.%u", path, (long)getpid(), counter++);
		/* 0666 under the umask, like any file a user's program creates. */
		fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0666);
		if (fd >= 0 || errno != EEXIST)
			break;
	}
	if (fd < 0) {
		int e = errno;
		free(tmp);
		return bt_error_set(BT_EIO, "cannot write '%s': %s", path, strerror(e));
	}
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			goto fail;
		p += w;
		len -= (size_t)w;
	}
	if (fsync(fd) != 0)
		goto fail;
	if (close(fd) != 0) {
		fd = -1;
		goto fail;
	}
	fd = -1;
	if (rename(tmp, path) != 0)
		goto fail;
	free(tmp);
	return 0;
fail : {
	int e = errno;
	if (fd >= 0)
		close(fd);
	unlink(tmp);
	free(tmp);
	return bt_error_set(e == ENOSPC ? BT_ENOSPC : BT_EIO, "cannot write '%s': %s", path,
	                    strerror(e));
}
}
