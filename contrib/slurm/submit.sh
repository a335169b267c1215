#!/bin/sh
# submit.sh - queue a sharded evaluation on Slurm: a job array of N shards
# and a merge job that starts only when every shard succeeded.
#
#   submit.sh [N]        (default 4 shards; the environment is passed on:
#                         BENCHTOP, SUITE, MODEL, RESULTS_DB, BENCHTOP_WEBHOOK...)
set -eu
here=$(cd "$(dirname "$0")" && pwd)
n=${1:-4}
case $n in
'' | *[!0-9]* | 0)
	echo "usage: submit.sh [N]  (N shards, at least 1)" >&2
	exit 2
	;;
esac
array=$(sbatch --parsable --array="0-$((n - 1))" "$here/benchtop-shard.sbatch")
array=${array%%;*}
merge=$(sbatch --parsable --dependency="afterok:$array" --export="ALL,SHARD_JOB=$array" \
	"$here/benchtop-merge.sbatch")
echo "shards: job $array ($n tasks); merge: job ${merge%%;*} after they all succeed"
