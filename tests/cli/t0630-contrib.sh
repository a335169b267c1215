#!/bin/sh
# t0630-contrib: the files under contrib/ hold together: the crontab line
# parses, the systemd units have what they need, and the Slurm scripts
# queue an array and a dependent merge, name shard databases as the merge
# expects, and the merge job imports them with the real benchtop.
. "$top_srcdir/tests/cli/lib.sh"

C="$top_srcdir/contrib"

# --- crontab ------------------------------------------------------------------
line=$(grep -v '^[[:space:]]*#' "$C/benchtop.crontab" | grep -v '^[[:space:]]*$')
[ "$(printf '%s\n' "$line" | wc -l)" = 1 ] || fail "expected one crontab entry: $line"
set -f # the '*' fields are not globs
set -- $line
set +f
in_range() { # in_range VALUE LOW HIGH: a cron field of numbers, '*', lists and ranges
	case $1 in
	'*') return 0 ;;
	esac
	for part in $(printf '%s' "$1" | tr ',' ' '); do
		[ "$part" = '*' ] && continue
		for v in $(printf '%s' "${part%/*}" | tr '-' ' '); do
			case $v in '' | *[!0-9]*) return 1 ;; esac
			[ "$v" -ge "$2" ] && [ "$v" -le "$3" ] || return 1
		done
	done
}
in_range "$1" 0 59 && in_range "$2" 0 23 && in_range "$3" 1 31 && in_range "$4" 1 12 &&
	in_range "$5" 0 7 || fail "bad time fields: $1 $2 $3 $4 $5"
shift 5
cmd=$*
case $cmd in *benchtop-nightly.sh*) ;; *) fail "the crontab line does not run the script" ;; esac
# Cron hands '%' to the command as a newline unless escaped.
printf '%s' "$cmd" | grep -q '[^\\]%' && fail "unescaped % in the crontab command"
sh -n -c "$cmd" || fail "the crontab command is not valid sh"
ok "the crontab line has five valid time fields and a valid command"

# --- systemd ------------------------------------------------------------------
svc="$C/systemd/benchtop-nightly.service"
tmr="$C/systemd/benchtop-nightly.timer"
grep -q '^Type=oneshot$' "$svc" || fail "the service is not oneshot"
grep -q '^ExecStart=.*benchtop-nightly.sh' "$svc" || fail "the service does not run the script"
grep -q '^OnCalendar=' "$tmr" || fail "the timer has no OnCalendar"
grep -q '^WantedBy=timers.target$' "$tmr" || fail "the timer is not wanted by timers.target"
if command -v systemd-analyze >/dev/null 2>&1; then
	cal=$(sed -n 's/^OnCalendar=//p' "$tmr")
	systemd-analyze calendar "$cal" >/dev/null 2>&1 || fail "systemd rejects OnCalendar=$cal"
fi
ok "the systemd service and timer"

# --- Slurm --------------------------------------------------------------------
bash -n "$C/slurm/benchtop-shard.sbatch" || fail "benchtop-shard.sbatch"
bash -n "$C/slurm/benchtop-merge.sbatch" || fail "benchtop-merge.sbatch"
grep -q '^#SBATCH --array=' "$C/slurm/benchtop-shard.sbatch" || fail "no job array"
grep -q -- '--shard auto' "$C/slurm/benchtop-shard.sbatch" || fail "shards do not use --shard auto"

# submit.sh against a stand-in sbatch that records its arguments.
mkdir -p "$TEST_DIR/bin"
cat >"$TEST_DIR/bin/sbatch" <<'EOF'
#!/bin/sh
n=$(cat "$SBATCH_LOG.n" 2>/dev/null || echo 100)
n=$((n + 1))
echo "$n" >"$SBATCH_LOG.n"
printf '%s\n' "$*" >>"$SBATCH_LOG"
echo "$n;cluster"
EOF
chmod +x "$TEST_DIR/bin/sbatch"
SBATCH_LOG="$TEST_DIR/sbatch.log" PATH="$TEST_DIR/bin:$PATH" sh "$C/slurm/submit.sh" 8 \
	>"$TEST_DIR/submit.out" || fail "submit.sh failed"
sed -n 1p "$TEST_DIR/sbatch.log" | grep -q -- '--parsable --array=0-7 .*benchtop-shard.sbatch$' ||
	fail "array submission: $(cat "$TEST_DIR/sbatch.log")"
sed -n 2p "$TEST_DIR/sbatch.log" |
	grep -q -- '--dependency=afterok:101 --export=ALL,SHARD_JOB=101 .*benchtop-merge.sbatch$' ||
	fail "merge submission: $(cat "$TEST_DIR/sbatch.log")"
grep -q 'shards: job 101 (8 tasks); merge: job 102' "$TEST_DIR/submit.out" || fail "summary"
SBATCH_LOG="$TEST_DIR/sbatch.log" PATH="$TEST_DIR/bin:$PATH" sh "$C/slurm/submit.sh" 0 \
	2>/dev/null && fail "submit.sh accepted 0 shards"
ok "submit.sh queues the array and a merge that depends on it"

# One array task, with a stand-in for `benchtop run` (the harness is not
# what is tested here): it must write the shard database where the merge
# looks for it, under the array's job id.
cat >"$TEST_DIR/bin/fake-benchtop" <<'EOF'
#!/bin/sh
# --db PATH run SUITE -m MODEL --shard auto ...: one finished shard run.
db=$2
[ "$3" = run ] || exec "$REAL_BENCHTOP" "$@"
printf '%s\n' "$*" >>"$FAKE_LOG"
"$MKRUN" --db "$db" --suite tabular --model knn --suite-hash h1 \
	--samples "iris:20:0.9:$SLURM_ARRAY_TASK_ID" >/dev/null
EOF
chmod +x "$TEST_DIR/bin/fake-benchtop"
mkdir -p "$REPO/work" "$TEST_DIR/tmp"
for k in 0 1; do
	(cd "$REPO/work" && REAL_BENCHTOP="$BENCHTOP" BENCHTOP="$TEST_DIR/bin/fake-benchtop" FAKE_LOG="$TEST_DIR/fake.log" \
		TMPDIR="$TEST_DIR/tmp" SLURM_ARRAY_JOB_ID=77 SLURM_ARRAY_TASK_ID=$k \
		SLURM_CPUS_PER_TASK=2 bash "$C/slurm/benchtop-shard.sbatch") ||
		fail "shard task $k failed"
done
[ -f "$REPO/work/benchtop-shards/77/shard-0.db" ] || fail "no shard-0.db"
[ -f "$REPO/work/benchtop-shards/77/shard-1.db" ] || fail "no shard-1.db"
grep -q -- "--db $TEST_DIR/tmp/benchtop-77-0.db run suites/tabular.yaml -m knn --shard auto -j 2" \
	"$TEST_DIR/fake.log" || fail "the shard ran as: $(cat "$TEST_DIR/fake.log")"
[ -z "$(ls "$TEST_DIR/tmp")" ] || fail "the node's local database was left behind"
ok "an array task writes its shard database for the merge"

# The merge job, with the real benchtop: imports both shards and checks.
(cd "$REPO/work" && BENCHTOP="$BENCHTOP" TMPDIR="$TEST_DIR/tmp" SHARD_JOB=77 \
	SLURM_JOB_ID=78 bash "$C/slurm/benchtop-merge.sbatch") >"$TEST_DIR/merge.out" 2>&1 ||
	fail "the merge job failed: $(cat "$TEST_DIR/merge.out")"
grep -q "imported 1 run from '.*shard-0.db'" "$TEST_DIR/merge.out" || fail "$(cat "$TEST_DIR/merge.out")"
[ -f "$REPO/work/benchtop-shards/77/junit.xml" ] || fail "no JUnit report"
[ "$(python3 -c "import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute('SELECT count(*) FROM runs').fetchone()[0])" "$REPO/work/benchtop-results.db")" = 2 ] ||
	fail "the results database does not hold both runs"
ok "the merge job imports the shards into the results database and checks"
