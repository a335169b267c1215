#!/bin/sh
# t0301-plugin-example: the complete example plugin in benchtop-plugin(3)
# compiles as the page says (with the uninstalled benchtop-plugin.pc),
# exports one symbol and passes `benchtop plugin check`, so the page
# cannot rot.  Both plugin pages are lint-clean.
. "$top_srcdir/tests/cli/lib.sh"

page="$top_srcdir/man/benchtop-plugin.3"
sed -n '/^\.\\" BEGIN EXAMPLE/,/^\.\\" END EXAMPLE/p' "$page" |
	sed -e '/^\.\\"/d' -e '/^\.Bd/d' -e '/^\.Ed/d' -e 's/\\e/\\/g' -e 's/\\&//g' >centroid.c
grep -q 'benchtop_plugin_entry(void)' centroid.c || fail "no example found in $page"

cflags=$(PKG_CONFIG_PATH="$top_builddir" pkg-config \
	--define-variable=includedir="$top_srcdir/include" --cflags benchtop-plugin) ||
	fail "pkg-config cannot read benchtop-plugin.pc"
case $cflags in
*"-I$top_srcdir/include"*) ;;
*) fail "benchtop-plugin.pc gives '$cflags'" ;;
esac
# shellcheck disable=SC2086
${CC:-cc} $cflags -std=c11 -Wall -Wextra -Wmissing-prototypes -Werror -shared -fPIC \
	-fvisibility=hidden -o centroid.so centroid.c -lm ||
	fail "the example in benchtop-plugin(3) does not compile"
exports=$(nm -D --defined-only centroid.so | awk '{print $3}')
[ "$exports" = benchtop_plugin_entry ] || fail "the example exports: $exports"
ok "the example compiles with the pkg-config flags and exports one symbol"

expect_rc 0 plugin check ./centroid.so
expect_out "ok   classification/predict: 60 examples, accuracy 1.000"
expect_out "skip classification/threads: not declared thread-safe"
expect_out "plugin 'centroid': all 6 checks passed"
expect_rc 2 plugin check ./centroid.so -p temperature=hot
expect_err "param 'temperature' for plugin 'centroid': 'hot' is not a finite number"
expect_rc 1 plugin check ./centroid.so -p temperature=-1
expect_out "temperature must be positive"
ok "the example passes plugin check and reports bad params"

if [ -n "${MANDOC:-}" ]; then
	for p in "$top_srcdir/man/benchtop-plugin.1" "$top_srcdir/man/benchtop-plugin.3"; do
		lint=$("$MANDOC" -T lint -W warning "$p" 2>&1) || true
		[ -z "$lint" ] || fail "mandoc -T lint $p: $lint"
	done
	ok "the plugin manual pages are lint-clean"
fi
