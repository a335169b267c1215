#!/bin/sh
# man-lint: every manual page is clean under mandoc -T lint.
set -eu
: "${top_srcdir:?}"
if [ -z "${MANDOC:-}" ] || ! command -v "$MANDOC" >/dev/null 2>&1; then
	echo "mandoc is not installed (apt-get install mandoc)" >&2
	exit 77
fi
status=0
for page in "$top_srcdir"/man/*.[1-9]; do
	if ! out=$("$MANDOC" -T lint -W warning "$page" 2>&1) || [ -n "$out" ]; then
		echo "$out"
		status=1
	fi
done
exit $status
