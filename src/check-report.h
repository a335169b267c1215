/*
 * check-report.h - renderings of a check report (check.h) for machines and
 * people elsewhere: JUnit XML for CI test reporters, a Markdown table for
 * pull-request comments and job summaries, the text of a chat
 * notification, and writing a report file atomically.
 *
 * Everything from the store is sanitised (no terminal controls, valid
 * UTF-8) and escaped for its format here; nothing is printed.
 */
#ifndef BT_CHECK_REPORT_H
#define BT_CHECK_REPORT_H

#include <stddef.h>

#include "check.h"
#include "util.h"

/*
 * JUnit XML in the Jenkins/Ant dialect (tests/junit.xsd): one <testsuite>
 * per suite, one <testcase> per task x metric (classname SUITE.MODEL,
 * name TASK/METRIC), a <failure> for each regression; a failed candidate
 * run is a failed testcase named "run", a missing baseline a skipped
 * testcase named "baseline".  `timestamp` is epoch seconds.
 */
void bt_check_junit(const struct bt_check_report *r, double timestamp, struct bt_buf *out);

/* A Markdown summary line and one table per candidate. */
void bt_check_markdown(const struct bt_check_report *r, struct bt_buf *out);

/*
 * The "text" of a Slack-compatible notification: the summary and, one per
 * line, each regression and failed run (at most `max_lines`).  Slack's
 * control characters (&, <, >) are escaped.  Caller frees.
 */
char *bt_check_notify_text(const struct bt_check_report *r, size_t max_lines);

/*
 * The JSON body of a notification: {"text": ..., "benchtop": report}.
 * Caller frees.
 */
char *bt_check_notify_body(const struct bt_check_report *r);

/* Numbers as the human formats show them ("-" for NaN). */
void bt_check_format_value(char *out, size_t n, double v, int sign);
void bt_check_format_p(char *out, size_t n, double p);

/*
 * Write `len` bytes to `path` atomically: a temporary file in the same
 * directory, flushed to disk, then renamed over `path`.  Readers see the
 * old file or the new one, never a part.  BT_EIO with the path on failure.
 */
int bt_write_file_atomic(const char *path, const void *data, size_t len);

#endif
