#!/bin/sh
# quickstart.sh - set up benchtop on a fresh Debian machine and run it.
#
#   ./quickstart.sh          install what is missing, build, and run the demo
#   ./quickstart.sh check    install what is missing, build, and run every test
#
# The build lives in ./build (an out-of-tree build, so the sources stay clean).
set -eu

cd "$(dirname "$0")"
top=$(pwd)
mode=${1:-demo}
case $mode in
demo | check) ;;
*)
	echo "usage: ./quickstart.sh [check]" >&2
	exit 2
	;;
esac

# Debian packages the build, the tests and the benchmarks need.
packages="build-essential autoconf automake libtool pkg-config git
	libsqlite3-dev libncurses-dev libgit2-dev libcurl4-openssl-dev libjansson-dev
	libyaml-dev zlib1g-dev libssl-dev libcriterion-dev mandoc tmux libxml2-utils
	python3 sqlite3
	locales"

missing=
for p in $packages; do
	# dpkg-query prints "install ok installed" for an installed package.
	case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
	*"ok installed") ;;
	*) missing="$missing $p" ;;
	esac
done
if [ -n "$missing" ]; then
	echo "quickstart: installing:$missing"
	if [ "$(id -u)" = 0 ]; then
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo apt-get update -qq
		sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $missing
	else
		echo "quickstart: cannot install packages (not root, no sudo). Run:" >&2
		echo "  sudo apt-get install -y$missing" >&2
		exit 3
	fi
fi

jobs=$(nproc 2>/dev/null || echo 2)
if [ ! -x configure ] || [ configure.ac -nt configure ] || [ Makefile.am -nt Makefile.in ]; then
	autoreconf -fi
fi
mkdir -p build
cd build
if [ ! -f Makefile ] || [ ../configure -nt Makefile ]; then
	../configure --enable-werror ${QUICKSTART_CONFIGURE_FLAGS:-}
fi
make -j"$jobs"

if [ "$mode" = check ]; then
	make -j"$jobs" check || {
		# Show what failed, not just that something did.
		for f in $(find . -name '*.log' -newer Makefile); do
			if grep -qE '^(FAIL|ERROR)' "${f%.log}.trs" 2>/dev/null; then
				echo "==== $f"
				tail -n 60 "$f"
			fi
		done
		exit 1
	}
	grep -h 'Synthesis:' tests/unit/*.log 2>/dev/null || true
	make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--enable-werror
	echo "quickstart: all tests passed"
	exit 0
fi

# The main job: evaluate the bundled tabular suite with every bundled model
# (each trained on the suite's train split) into a fresh demo database, and
# compare them, with 95% confidence intervals.
demo="$top/build/demo"
rm -rf "$demo"
mkdir -p "$demo"
export BENCHTOP_DB="$demo/benchtop.db"
cd "$top"
for model in knn logreg gnb ridge majority; do
	echo "quickstart: benchtop run suites/tabular.yaml -m $model"
	./build/benchtop -q run suites/tabular.yaml -m "$model" --name "demo-$model" --tag demo
done
echo
echo "quickstart: accuracy (F1 for breast cancer, R2 for diabetes) with 95% intervals:"
./build/benchtop ls --ci -M iris/accuracy -M wine/accuracy -M breast_cancer/f1_macro \
	-M digits/accuracy -M diabetes/r2 tag=demo
echo
echo "quickstart: the demo database is $BENCHTOP_DB; try:"
echo "  BENCHTOP_DB=$BENCHTOP_DB ./build/benchtop"
# On a terminal, open the dashboard on the demo database (q quits); without
# one (CI, a pipe), the table above is the result.
if [ -t 0 ] && [ -t 1 ]; then
	exec ./build/benchtop
fi
