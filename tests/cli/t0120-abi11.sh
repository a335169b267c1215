#!/bin/sh
# t0120-abi11: plugin ABI 1.1 end to end, with tests/plugins/abi11 (which
# uses every new service) run in this process and in isolated workers:
# the params it lists, the exact prompt with few-shot demonstrations, the
# task's stop/target_delimiter/max_tokens, its annotations in `show
# --samples` and in the samples' detail, the sha256 it records (equal to
# sha256sum's, filterable, checked on --resume), its private cache
# directory; a resumed run keeps its annotations; a plugin built against
# the ABI 1.0 header still runs, and `plugin info` tells the two apart.
. "$top_srcdir/tests/cli/lib.sh"

command -v sqlite3 >/dev/null || fail "needs the sqlite3 command (apt-get install sqlite3)"
export BENCHTOP_DB="$TEST_DIR/bench.db"
export BENCHTOP_PLUGIN_CACHE="$TEST_DIR/plugin-cache"

cat >test.jsonl <<'EOF'
{"id": "t1", "question": "What is 2+2?", "answer": "4"}
{"id": "t2", "question": "Say \"hi\" {politely}", "answer": "hi"}
{"id": "t3", "question": "red \u001b[31mALERT\u001b[0m now", "answer": "ok"}
EOF
# Exactly few_shot train examples: every test example gets both, in order.
cat >train.jsonl <<'EOF'
{"id": "d1", "question": "What is 1+1?", "answer": "2"}
{"id": "d2", "question": "What is 3+3?", "answer": "6"}
EOF
cat >nli.jsonl <<'EOF'
{"id": "c1", "premise": "It rains.", "hypothesis": "It is wet.", "n": 0.5, "label": "yes"}
{"id": "c2", "premise": "It is dry.", "hypothesis": "It is wet.", "n": 2, "label": "no"}
EOF
cat >suite.yaml <<'EOF'
name: abi
tasks:
  - name: qa
    type: generation
    data: {test: test.jsonl, train: train.jsonl}
    inputs: [question]
    target: answer
    options:
      prompt: "Question: {question}\nAnswer:"
      few_shot: 2
      stop: ["Question:", "\n\n"]
      max_tokens: 64
  - name: nli
    type: classification
    data: {test: nli.jsonl}
    target: label
    options:
      target_delimiter: " =>"
EOF
echo "pretend these are weights" >weights.bin
git_commit "a suite for language models"
sha=$(sha256sum weights.bin | cut -d ' ' -f 1)

# check_run ID [DB]: everything a run of abi11 must hold.
check_run() {
	db=${2:-$BENCHTOP_DB}
	sqlite3 -json "$db" "SELECT t.name AS task, s.example_id AS id, s.prediction,
		s.detail FROM samples s JOIN tasks t ON t.id = s.task_id
		WHERE t.run_id = $1 ORDER BY t.id, s.idx" >samples.json
	python3 - samples.json <<'PY' || fail "run $1: samples are not what abi11 was given"
import json, sys
rows = {(r["task"], r["id"]): r for r in json.load(open(sys.argv[1]))}
assert len(rows) == 5, rows
shots = ("Question: What is 1+1?\nAnswer: 2\n\n"
         "Question: What is 3+3?\nAnswer: 6\n\n")
want = {
    "t1": shots + "Question: What is 2+2?\nAnswer:",
    "t2": shots + 'Question: Say "hi" {politely}\nAnswer:',
    "t3": shots + "Question: red \x1b[31mALERT\x1b[0m now\nAnswer:",
}
for ex, prompt in want.items():
    r = rows[("qa", ex)]
    assert r["prediction"] == prompt, (ex, r["prediction"])
    d = json.loads(r["detail"])
    assert list(d) == ["prompt", "param_keys", "task", "refusals"], d
    assert d["prompt"] == prompt, d
    assert d["param_keys"] == ["file", "key"], d
    assert d["task"] == {"stop": ["Question:", "\n\n"], "target_delimiter": " ",
                         "max_tokens": 64}, d
    assert d["refusals"] == "ok", d
# No prompt option: one "name: value" line per input field, in order.
for ex, prompt in (("c1", "premise: It rains.\nhypothesis: It is wet.\nn: 0.5"),
                   ("c2", "premise: It is dry.\nhypothesis: It is wet.\nn: 2")):
    r = rows[("nli", ex)]
    assert r["prediction"] == "no", r
    d = json.loads(r["detail"])
    assert d["prompt"] == prompt, d
    assert d["task"] == {"stop": [], "target_delimiter": " =>", "max_tokens": 0}, d
PY
	[ "$(sqlite3 "$db" "SELECT value FROM params WHERE run_id = $1 AND key = 'model.sha256'")" = "$sha" ] ||
		fail "run $1 does not record weights.bin's sha256"
}

for mode in --no-isolate --isolate; do
	expect_rc 0 -q run suite.yaml -m abi11 -p file=weights.bin -p key=model.sha256 -j 2 $mode
	id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
	check_run "$id"
	ok "$mode: params listed, prompts with demonstrations, task options, annotations, sha256"
done

# The recorded sha256 is a param like any other: shown, and filtered on by its dotted key.
expect_rc 0 ls -r -f csv --no-header "param.model.sha256=$sha"
[ "$(printf "%s\n" "$out" | cut -d , -f 1 | tr "\n" " ")" = "1 2 " ] || fail "param.model.sha256 filter: '$out'"
expect_rc 0 ls -f csv --no-header "param.model.sha256=0$sha"
[ -z "$out" ] || fail "a wrong sha256 matched: '$out'"
expect_rc 0 show 2
expect_out "model.sha256"
expect_out "$sha"
ok "the recorded sha256 is shown and filterable"

# show --samples: the annotations, with the terminal escapes made inert.
expect_rc 0 show --samples 2
expect_out "Annotations: qa"
expect_out "t1  refusals: ok"
expect_out "t2  param_keys: [\"file\",\"key\"]"
expect_out 'Question: What is 1+1?'
esc=$(printf '\033')
case $out in *"$esc"*) fail "show --samples let an escape sequence through" ;; esac
expect_rc 0 show --samples -f json 2
printf '%s' "$out" | python3 -c '
import json, sys
r = json.load(sys.stdin)
s = {x["id"]: x for x in r["samples"]["qa"]}
assert s["t1"]["annotations"]["refusals"] == "ok", s["t1"]
assert s["t3"]["annotations"]["prompt"].endswith("red \x1b[31mALERT\x1b[0m now\nAnswer:")
assert "scores" not in s["t1"]["annotations"]
' || fail "show --samples -f json lacks the annotations"
ok "show --samples prints annotations, sanitised; the JSON form carries them"

# The cache directory: one per plugin, private, the same for every worker.
[ -d "$BENCHTOP_PLUGIN_CACHE/abi11" ] || fail "no cache directory"
[ "$(stat -c %a "$BENCHTOP_PLUGIN_CACHE/abi11")" = 700 ] || fail "the cache directory is not 0700"
[ "$(ls "$BENCHTOP_PLUGIN_CACHE")" = abi11 ] || fail "workers used other directories"
grep -q x "$BENCHTOP_PLUGIN_CACHE/abi11/touched" || fail "the plugin could not write its cache"
ok "cache_dir is private and shared by the workers"

# Listing params is not reading them: an unknown one still fails, before any run exists.
runs=$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')
expect_rc 2 run suite.yaml -m abi11 -p kee=1
expect_err "unknown param 'kee' for plugin 'abi11' (did you mean 'key'?)"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was made"
ok "unknown params are still reported"

# A record_file that cannot read its file fails create, and no run is made.
expect_rc 3 run suite.yaml -m abi11 -p file=missing.bin
expect_err "cannot record"
[ "$(sqlite3 "$BENCHTOP_DB" 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was made"

# A file recorded with two values (as a model file replaced under a run) fails the run.
for mode in --no-isolate --isolate; do
	BT_ABI11_UNSTABLE=1 run_bt -q run suite.yaml -m abi11 -j 2 $mode
	[ "$rc" != 0 ] || fail "$mode: conflicting sha256 values did not fail the run"
	expect_err "recorded param 'model.sha256' as"
done
ok "conflicting recorded values fail the run"

# --resume: the second task's model fails to be created, so the run fails
# after the first; resuming keeps the first task's samples as they were.
for mode in --no-isolate --isolate; do
	BT_ABI11_FAIL_TASK=nli run_bt -q run suite.yaml -m abi11 -p file=weights.bin -p key=model.sha256 $mode
	[ "$rc" != 0 ] || fail "$mode: the run should have failed"
	id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
	[ "$(sqlite3 "$BENCHTOP_DB" "SELECT status FROM runs WHERE id = $id")" = failed ] || fail "not failed"
	before=$(sqlite3 "$BENCHTOP_DB" "SELECT group_concat(detail, '|') FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $id AND t.name = 'qa'")
	[ -n "$before" ] || fail "$mode: the first task kept no samples"
	expect_rc 0 -q run --resume "$id"
	after=$(sqlite3 "$BENCHTOP_DB" "SELECT group_concat(detail, '|') FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $id AND t.name = 'qa'")
	[ "$before" = "$after" ] || fail "$mode: resuming changed the first task's samples"
	check_run "$id"
	ok "$mode: --resume keeps annotations and the recorded sha256"
done

# A model file that changed since cannot be resumed into the old run.
BT_ABI11_FAIL_TASK=nli run_bt -q run suite.yaml -m abi11 -p file=weights.bin -p key=model.sha256
id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
echo "retrained" >>weights.bin
expect_rc 2 run --resume "$id"
expect_err "cannot resume run $id: it had param model.sha256=$sha, not $(sha256sum weights.bin | cut -d ' ' -f 1)"
ok "--resume refuses a changed model file"

# ABI 1.0: a plugin built against the old header runs, in both modes.
expect_rc 0 plugin info abi10
expect_out "abi:         1.0"
expect_rc 0 plugin info abi11
expect_out "abi:         1.1"
for mode in --no-isolate --isolate; do
	expect_rc 0 -q run suite.yaml -m abi10 $mode
	id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
	[ "$(sqlite3 "$BENCHTOP_DB" "SELECT prediction FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $id AND s.example_id = 't1'")" = "What is 2+2?" ] ||
		fail "$mode: abi10 answered wrongly"
done
ok "an ABI 1.0 plugin still loads and runs; plugin info reports the minor"

# The ABI 1.1 example of benchtop-plugin(3) compiles as the page says and
# does what it says: prompts, stop sequences, a recorded file, annotations.
page="$top_srcdir/man/benchtop-plugin.3"
sed -n '/^\.\\" BEGIN ABI 1.1 EXAMPLE/,/^\.\\" END ABI 1.1 EXAMPLE/p' "$page" |
	sed -e '/^\.\\"/d' -e '/^\.Bd/d' -e '/^\.Ed/d' -e 's/\\e/\\/g' -e 's/\\&//g' >lastline.c
grep -q 'benchtop_plugin_entry(void)' lastline.c || fail "no ABI 1.1 example found in $page"
cflags=$(PKG_CONFIG_PATH="$top_builddir" pkg-config \
	--define-variable=includedir="$top_srcdir/include" --cflags benchtop-plugin) ||
	fail "pkg-config cannot read benchtop-plugin.pc"
# shellcheck disable=SC2086
${CC:-cc} $cflags -std=c11 -Wall -Wextra -Wmissing-prototypes -Werror -shared -fPIC \
	-fvisibility=hidden -o lastline.so lastline.c ||
	fail "the ABI 1.1 example in benchtop-plugin(3) does not compile"
expect_rc 0 -q run suite.yaml -m ./lastline.so -p weights=weights.bin --task qa
id=$(sqlite3 "$BENCHTOP_DB" 'SELECT max(id) FROM runs')
[ "$(sqlite3 "$BENCHTOP_DB" "SELECT value FROM params WHERE run_id = $id AND key = 'weights.sha256'")" = "$(sha256sum weights.bin | cut -d ' ' -f 1)" ] ||
	fail "lastline did not record weights.bin"
sqlite3 -json "$BENCHTOP_DB" "SELECT s.prediction, s.detail FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $id AND s.example_id = 't1'" |
	python3 -c '
import json, sys
r = json.load(sys.stdin)[0]
prompt = ("Question: What is 1+1?\nAnswer: 2\n\nQuestion: What is 3+3?\nAnswer: 6\n\n"
          "Question: What is 2+2?\nAnswer:")
assert r["prediction"] == "Answer:", r
assert json.loads(r["detail"]) == {"prompt_bytes": len(prompt.encode())}, r
' || fail "lastline's sample is not what the page says"
ok "the ABI 1.1 example of benchtop-plugin(3) compiles and runs as documented"

# merge: two shards made in their own databases combine into one run whose
# samples keep their annotations and which keeps the recorded sha256.
sha=$(sha256sum weights.bin | cut -d ' ' -f 1)
for k in 0 1; do
	expect_rc 0 -q --db "$TEST_DIR/shard$k.db" run suite.yaml -m abi11 -p file=weights.bin \
		-p key=model.sha256 --shard "$k/2"
done
expect_rc 0 --db "$TEST_DIR/merged.db" merge "$TEST_DIR/shard0.db" "$TEST_DIR/shard1.db"
expect_err "combined 2 shards of suite 'abi' with model 'abi11'"
combined=$(printf '%s\n' "$out" | tail -n 1)
# (check_run wants all five examples: only the combined run has them)
check_run "$combined" "$TEST_DIR/merged.db"
ok "merged shards keep their annotations and the recorded sha256"
