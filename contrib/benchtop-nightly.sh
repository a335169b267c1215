#!/bin/sh
# benchtop-nightly.sh - one unattended nightly evaluation: build the model,
# evaluate it, gate the result against the last good commit, report and
# notify.  Meant for cron, a systemd timer or a CI job; see benchtop(1),
# NIGHTLY JOBS.
#
#   benchtop-nightly.sh [-C DIR] [-b BUILD-COMMAND] [-s SUITE] [-m MODEL]
#                       [-p KEY=VALUE]... [-P PARAMS-FILE] [-t TAG]
#                       [-r REPORT-DIR] [-n WEBHOOK-URL] [-w LOCK-WAIT] [--pull]
#
#   -C DIR           the git work tree to evaluate (default: the current directory)
#   -b COMMAND       build first with this shell command (e.g. 'make -j4')
#   -s SUITE         the suite file (default: suites/tabular.yaml)
#   -m MODEL         the model plugin, by name or path (default: knn)
#   -p KEY=VALUE     a model parameter (repeatable)
#   -P FILE          more parameters, one KEY=VALUE per line ('#' starts a comment);
#                    keep it in the repository so that commits can change it
#   -t TAG           tag the run (default: nightly)
#   -r DIR           where to write junit.xml and summary.md
#                    (default: .benchtop/reports/YYYY-MM-DD in the work tree)
#   -n URL           webhook for the result (default: $BENCHTOP_WEBHOOK)
#   -w SECONDS       how long to wait for another job holding the lock (default 3600)
#   --pull           'git pull --ff-only' before building
#
# Environment: BENCHTOP (the benchtop program, default: benchtop), BENCHTOP_DB,
# BENCHTOP_WEBHOOK, BENCHTOP_WEBHOOK_HEADERS (one 'Name: value' per line; for
# tokens, kept out of the command line and the logs).
#
# Exit status: benchtop check's (0 no regression, 1 a regression or a failed
# evaluation, 4 no baseline is never returned: missing baselines pass), 2 bad
# usage, 3 when building or running failed before anything could be checked.
set -eu

BENCHTOP=${BENCHTOP:-benchtop}
dir=.
build=
suite=suites/tabular.yaml
model=knn
tag=nightly
reports=
url=${BENCHTOP_WEBHOOK:-}
wait=3600
pull=0
params_file=

log() {
	printf '%s benchtop-nightly: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2
}

usage() { # usage STATUS: the synopsis, on stdout for --help, else on stderr
	text=$(sed -n '/^#   benchtop-nightly.sh/,/^#   --pull/p' "$0" | sed 's/^# //')
	if [ "$1" = 0 ]; then
		printf 'usage:\n%s\n' "$text"
	else
		printf 'usage:\n%s\n' "$text" >&2
	fi
	exit "$1"
}

# Parameters accumulate newline-separated: values may hold spaces, never newlines.
params=
add_param() {
	case $1 in
	*=*) ;;
	*)
		log "parameter '$1' is not KEY=VALUE"
		exit 2
		;;
	esac
	params="$params$1
"
}

while [ $# -gt 0 ]; do
	case $1 in
	-C | -b | -s | -m | -p | -P | -t | -r | -n | -w)
		[ $# -ge 2 ] || {
			log "$1 needs a value"
			usage 2
		}
		;;
	esac
	case $1 in
	-C) dir=$2; shift 2 ;;
	-b) build=$2; shift 2 ;;
	-s) suite=$2; shift 2 ;;
	-m) model=$2; shift 2 ;;
	-p) add_param "$2"; shift 2 ;;
	-P) params_file=$2; shift 2 ;;
	-t) tag=$2; shift 2 ;;
	-r) reports=$2; shift 2 ;;
	-n) url=$2; shift 2 ;;
	-w) wait=$2; shift 2 ;;
	--pull) pull=1; shift ;;
	-h | --help) usage 0 ;;
	*)
		log "unknown argument '$1'"
		usage 2
		;;
	esac
done

cd "$dir" || exit 2
top=$(git rev-parse --show-toplevel 2>/dev/null) || {
	log "'$dir' is not in a git work tree"
	exit 2
}
if [ -n "$params_file" ]; then
	[ -r "$params_file" ] || {
		log "cannot read parameters file '$params_file'"
		exit 2
	}
	while IFS= read -r line || [ -n "$line" ]; do
		line=${line%%#*}
		line=$(printf '%s' "$line" | sed 's/^[[:space:]]*//; s/[[:space:]]*$//')
		[ -n "$line" ] && add_param "$line"
	done <"$params_file"
fi
[ -n "$reports" ] || reports="$top/.benchtop/reports/$(date -u +%Y-%m-%d)"
mkdir -p "$reports"

if [ "$pull" = 1 ]; then
	log "git pull --ff-only"
	git pull --ff-only >&2 || {
		log "git pull failed"
		exit 3
	}
fi
sha=$(git rev-parse --short=8 HEAD)
log "evaluating $sha ($(git log -1 --format=%s HEAD))"

if [ -n "$build" ]; then
	log "building: $build"
	sh -c "$build" >&2 || {
		log "the build failed at $sha"
		exit 3
	}
fi

# The run: -p arguments rebuilt from the newline-separated list.
set -- run "$suite" -m "$model" --tag "$tag" --lock --wait="$wait"
if [ -n "$params" ]; then
	old_ifs=$IFS
	IFS='
'
	for kv in $params; do
		set -- "$@" -p "$kv"
	done
	IFS=$old_ifs
fi
log "benchtop $*"
status=0
"$BENCHTOP" "$@" >&2 || status=$?
case $status in
0) ;;
1 | 3)
	# The run exists and failed: check reports it as a failed candidate.
	log "the evaluation failed (exit $status); checking anyway"
	;;
*)
	log "benchtop run exited $status"
	exit "$status"
	;;
esac

set -- check --lock --wait="$wait" --junit "$reports/junit.xml" \
	--markdown "$reports/summary.md"
[ -n "$url" ] && set -- "$@" --notify "$url"
log "benchtop $(printf '%s ' "$@" | sed 's|--notify [^ ]*|--notify (url)|')"
status=0
"$BENCHTOP" "$@" || status=$?
case $status in
0) log "passed: no regression at $sha" ;;
1) log "FAILED: regression or failed evaluation at $sha; see $reports/summary.md" ;;
*) log "benchtop check exited $status" ;;
esac
exit "$status"
