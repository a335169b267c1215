/*
 * error.c - the per-thread last-error buffer (libgit2's git_error_last()
 * in miniature).  Core code never prints; it records here and returns.
 */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "error.h"

static _Thread_local char last_msg[2048];
static _Thread_local int last_code;

int bt_error_setv(int code, const char *fmt, va_list ap)
{
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	last_code = code;
	return code;
}

int bt_error_set(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	bt_error_setv(code, fmt, ap);
	va_end(ap);
	return code;
}

int bt_error_prefix(const char *fmt, ...)
{
	char old[sizeof(last_msg)];
	size_t n;
	va_list ap;

	memcpy(old, last_msg, sizeof(old));
	va_start(ap, fmt);
	vsnprintf(last_msg, sizeof(last_msg), fmt, ap);
	va_end(ap);
	n = strlen(last_msg);
	if (n < sizeof(last_msg) - 1)
		snprintf(last_msg + n, sizeof(last_msg) - n, "%s", old);
	if (!last_code)
		last_code = BT_ERROR;
	return last_code;
}

const char *bt_error_last(void)
{
	return last_msg;
}

int bt_error_code(void)
{
	return last_code;
}

void bt_error_clear(void)
{
	last_msg[0] = '\0';
	last_code = 0;
}

int bt_status_exit_code(int status)
{
	switch (status) {
	case BT_OK:
		return BT_EXIT_OK;
	case BT_EFAIL:
		return BT_EXIT_FAIL;
	case BT_EUSAGE:
	case BT_EINPUT:
	case BT_ENOTFOUND:
	case BT_EAMBIGUOUS:
	case BT_EVERSION:
	case BT_EFOREIGN:
		return BT_EXIT_USAGE;
	default:
		return BT_EXIT_RUNTIME;
	}
}
