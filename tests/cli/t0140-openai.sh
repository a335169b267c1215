#!/bin/sh
# t0140-openai: the openai plugin against a real OpenAI-compatible server
# on 127.0.0.1 (tests/helpers/openai-server.py, deterministic): generation
# through both APIs with the suite's stop sequences, multiple choice and
# classification by log-likelihood (checked against an independent
# computation from the stored request bodies), answers in text
# (mc=generate), the request cache (second run, --resume, cache=off,
# `benchtop cache requests`), retries of 429 and 500, a 4xx failing one
# example, a server down at the start, the API key (never stored, never on
# a command line, reaching the worker processes), the run-wide concurrency
# limit, cancellation, and `benchtop plugin check openai`.
. "$top_srcdir/tests/cli/lib.sh"

PY=python3
[ -x /usr/bin/python3 ] && PY=/usr/bin/python3
SUITE="$top_srcdir/tests/data/suites/openai.yaml"
KEY=sk-test-0123456789abcdefSECRET
unset OPENAI_API_KEY BENCHTOP_API_KEY || true
PLUGIN_CACHE="$XDG_CACHE_HOME/benchtop/plugins/openai"

SERVERS=
trap 'rc_=$?; for p in $SERVERS; do kill "$p" 2>/dev/null || true; done; (exit $rc_); cleanup' EXIT

# start_server NAME [ARGS...]: a server whose base URL is then in $URL_NAME.
start_server() {
	name_=$1
	shift
	"$PY" "$OPENAI_SERVER" --port-file "$TEST_DIR/port.$name_" "$@" \
		>"$TEST_DIR/server.$name_.log" 2>&1 &
	SERVERS="$SERVERS $!"
	while [ ! -s "$TEST_DIR/port.$name_" ]; do
		kill -0 "$!" 2>/dev/null || fail "the test server '$name_' did not start"
		sleep 0.05
	done
	eval "URL_$name_=http://127.0.0.1:\$(cat \"\$TEST_DIR/port.\$name_\")"
}

# counter URL KEY: one counter of the server's /_stats.
counter() {
	"$PY" -c 'import json,sys,urllib.request
s = json.load(urllib.request.urlopen(sys.argv[1] + "/_stats"))
for k in sys.argv[2].split("."): s = s.get(k, 0) if isinstance(s, dict) else 0
print(s)' "$1" "$2"
}

# post URL PATH JSON: drive the server (/_control, /_reset).
post() {
	"$PY" -c 'import sys,urllib.request; urllib.request.urlopen(sys.argv[1] + sys.argv[2], data=sys.argv[3].encode())' \
		"$1" "$2" "$3" >/dev/null
}

# wait_for URL KEY MIN: poll until the counter reaches MIN (a state, not a time).
wait_for() {
	i_=0
	while [ "$(counter "$1" "$2")" -lt "$3" ]; do
		i_=$((i_ + 1))
		[ $i_ -lt 1200 ] || fail "the server's $2 never reached $3"
		sleep 0.05
	done
}

q() { sqlite3 "$BENCHTOP_DB" "$@"; }
last_run() { q 'SELECT max(id) FROM runs'; }

start_server main
B="$URL_main/v1"
export BENCHTOP_DB="$TEST_DIR/bt.db"
expect_rc 0 init

# --- plugin check ------------------------------------------------------------------------

expect_rc 0 plugin check openai -p "base_url=$B" -p model=test-model
expect_out "multiple_choice/predict"
expect_out "all 18 checks passed"
[ "$(counter "$URL_main" probes)" = 1 ] || fail "the capability probe should be sent once, then answered from the cache"
ok "plugin check openai passes against the test server"

# --- generation, chat ------------------------------------------------------------------

post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=test-model
run=$(last_run)
task="(SELECT id FROM tasks WHERE run_id = $run AND name = 'shout')"
[ "$(q "SELECT prediction FROM samples WHERE task_id = $task AND example_id = 's1'")" = " PARIS" ] ||
	fail "s1 should be ' PARIS', the completion cut at the suite's stop sequence"
[ "$(q "SELECT group_concat(p, ' ') FROM (SELECT example_id || '=' || quote(prediction) AS p
        FROM samples WHERE task_id = $task AND error IS NULL ORDER BY idx)")" = \
	"s1=' PARIS' s2=' BERLIN' s3=' ROME' s4=' LISBON' s6=' MADRID'" ] ||
	fail "generation predictions: $(q "SELECT example_id, prediction FROM samples WHERE task_id = $task")"
[ "$(q "SELECT value FROM metrics WHERE run_id = $run AND task = 'shout' AND metric = 'exact_match'")" = 0.8 ] ||
	fail "exact_match should be 4 of 5 answered"
[ "$(counter "$URL_main" by_path./v1/chat/completions)" = 6 ] || fail "generation should use the chat API, once per example"
# The exact request body is stored with each sample.
body=$(q "SELECT json_extract(detail, '\$.request') FROM samples WHERE task_id = $task AND example_id = 's1'")
"$PY" - "$body" <<'EOF' || fail "the stored request body of s1 is not what was asked: $body"
import json, sys
b = json.loads(sys.argv[1])
assert b["model"] == "test-model", b
assert b["stop"] == ["\n\n"], b
assert b["temperature"] == 0 and b["max_tokens"] == 256, b
assert len(b["messages"]) == 1 and b["messages"][0]["role"] == "user", b
p = b["messages"][0]["content"]
# two demonstrations from the train split, each with its answer, then the question
assert p.endswith("Shout: paris") and p.count("Shout: ") == 3, p
assert sorted(json.dumps(b, sort_keys=True, separators=(",", ":"))) == sorted(sys.argv[1]), b
EOF
expect_rc 0 show "$run" --samples
expect_out "Shout: paris"
ok "generation through the chat API: exact answers, the suite's stop sequences, the request body stored"

# A 4xx fails only its example, with the server's message made safe.
err=$(q "SELECT error FROM samples WHERE task_id = $task AND example_id = 's5'")
case $err in
*"HTTP 400 from $B/chat/completions: prompt rejected: REJECT-ME"*) ;;
*) fail "s5 should fail with the server's message, got: $err" ;;
esac
printf '%s' "$err" | LC_ALL=C grep -q "$(printf '\033')" && fail "an escape character reached the stored error"
printf '%s' "$err" | grep -q "second line" || fail "the message's second line is lost"
printf '%s' "$err" | grep -q "$(printf '\342\200\256')" && fail "a bidirectional override reached the stored error"
[ "$(q "SELECT count(*) FROM samples WHERE task_id = $task AND error IS NOT NULL")" = 1 ] ||
	fail "only s5 should fail"
ok "a 400 fails its example alone, with the server's message sanitised"

# --- generation, completions; stop sequences from params ------------------------------

post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=test-model -p api=completions \
	-p 'stop=X1,X2,X3,X4,\n\n'
run=$(last_run)
task="(SELECT id FROM tasks WHERE run_id = $run AND name = 'shout')"
[ "$(q "SELECT prediction FROM samples WHERE task_id = $task AND example_id = 's2'")" = " BERLIN" ] ||
	fail "completions: s2 should be ' BERLIN' (cut here at the fifth stop sequence)"
[ "$(q "SELECT json_extract(detail, '\$.request.stop') FROM samples WHERE task_id = $task AND example_id = 's2'")" = \
	'["X1","X2","X3","X4"]' ] || fail "only four stop sequences may be sent"
[ "$(q "SELECT json_extract(detail, '\$.request.prompt') FROM samples WHERE task_id = $task AND example_id = 's2'" | tail -n 1)" = \
	"Shout: berlin" ] || fail "the completions API gets the prompt as text"
[ "$(counter "$URL_main" by_path./v1/completions)" = 6 ] || fail "api=completions should use /v1/completions"
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=test-model -p stop= -p max_tokens=2
run=$(last_run)
task="(SELECT id FROM tasks WHERE run_id = $run AND name = 'shout')"
[ "$(q "SELECT prediction FROM samples WHERE task_id = $task AND example_id = 's1'")" = " PARIS

(end" ] || fail "stop= sends no stop sequences, and max_tokens=2 is sent"
[ "$(q "SELECT json_extract(detail, '\$.request.max_tokens') || ',' || ifnull(json_extract(detail, '\$.request.stop'), 'none')
        FROM samples WHERE task_id = $task AND example_id = 's1'")" = "2,none" ] || fail "max_tokens=2 and no stop should be sent"
ok "completions API; stop sequences and max_tokens from params (four sent, all applied)"

# --- multiple choice and classification by log-likelihood ------------------------------

post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" --task pick --task mood -m openai -p "base_url=$B" -p model=test-model -j 1
run=$(last_run)
[ "$(counter "$URL_main" probes)" = 0 ] || fail "the capability probe was answered by plugin check: cached"
[ "$(counter "$URL_main" requests)" = $((5 + 6)) ] || fail "one request per example"
q -json "SELECT t.name AS task, s.example_id, s.prediction, s.detail FROM samples s
         JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run ORDER BY t.name, s.idx" >"$TEST_DIR/ll.json"
"$PY" - "$OPENAI_SERVER" "$TEST_DIR/ll.json" "$top_srcdir/tests/data/suites/data" <<'EOF' ||
import importlib.util, json, math, sys
spec = importlib.util.spec_from_file_location("srv", sys.argv[1])
srv = importlib.util.module_from_spec(spec); spec.loader.exec_module(srv)
rows = json.load(open(sys.argv[2]))
data = {}
for name in ("pick", "mood"):
    for line in open("%s/openai-%s-test.jsonl" % (sys.argv[3], name)):
        ex = json.loads(line)
        data[ex["id"]] = ex
labels = ["negative", "neutral", "positive"]
assert len(rows) == 11, len(rows)
for r in rows:
    d = json.loads(r["detail"])
    body = d["request"]
    assert body["echo"] is True and body["logprobs"] == 1 and body["max_tokens"] == 1, body
    ex = data[r["example_id"]]
    if r["task"] == "pick":
        ctx, options = "Question: %s\nAnswer:" % ex["question"], ex["choices"]
    else:
        ctx, options = "Review: %s\nSentiment:" % ex["text"], labels
    # one prompt per option: the suite's prompt, the delimiter (a space), the option
    prompts = body["prompt"]
    assert prompts == [ctx + " " + o for o in options], (prompts, ctx)
    lls = []
    for p in prompts:
        toks, offs, lps = srv.prompt_logprobs(p)
        # the tokens that cover any of the continuation (code points from len(ctx))
        ll = 0.0
        for i, (t, o) in enumerate(zip(toks, offs)):
            end = offs[i + 1] if i + 1 < len(offs) else len(p)
            if end > len(ctx) and o < len(p):
                ll += lps[i]
        lls.append(ll)
    stored = d["response"]["loglikelihoods"]
    assert all(abs(a - b) < 1e-9 for a, b in zip(lls, stored)), (lls, stored)
    best = max(range(len(lls)), key=lambda i: (lls[i], -i))
    if r["task"] == "pick":
        assert d["choice"] == best, (r, best)
    else:
        assert r["prediction"] == labels[best], (r, best)
        m = max(lls)
        z = sum(math.exp(x - m) for x in lls)
        probs = [math.exp(x - m) / z for x in lls]
        assert all(abs(a - b) < 1e-12 for a, b in zip(probs, d["scores"])), (probs, d["scores"])
EOF
	fail "log-likelihood predictions differ from the independent computation"
for m in log_loss brier roc_auc accuracy; do
	[ -n "$(q "SELECT value FROM metrics WHERE run_id = $run AND task = 'mood' AND metric = '$m' AND value IS NOT NULL")" ] ||
		fail "mood/$m should be computed from the stored scores"
done
ok "multiple choice and classification by log-likelihood: predictions and scores as computed independently"

# A server that returns no prompt log-probabilities: a clear error at once, naming the way out.
runs=$(q 'SELECT count(*) FROM runs')
expect_rc 3 run "$SUITE" --task pick -m openai -p "base_url=$B" -p model=no-prompt-logprobs
expect_err "returned no log-probabilities for the prompt"
expect_err "-p mc=generate"
[ "$(q 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was left behind"
# That answer is not kept in the cache: the server is asked again.
probes=$(counter "$URL_main" probes)
expect_rc 3 run "$SUITE" --task pick -m openai -p "base_url=$B" -p model=no-prompt-logprobs
[ "$(counter "$URL_main" probes)" = $((probes + 1)) ] || fail "an unusable answer should not be cached"
expect_rc 3 run "$SUITE" --task pick -m openai -p "base_url=$B" -p model=test-model -p api=chat
expect_err "-p api=chat cannot score choices"
ok "no prompt log-probabilities: exit 3 before anything is written, naming -p mc=generate"

# --- answers in text: mc=generate --------------------------------------------------------

post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" --task pick --task mood -m openai -p "base_url=$B" -p model=no-prompt-logprobs -p mc=generate
run=$(last_run)
[ "$(counter "$URL_main" by_path./v1/chat/completions)" = 11 ] || fail "mc=generate asks through the chat API"
# The model answers the letter of the longest choice (the first on ties), and the label the
# review names first (matched case-sensitively), else the last label.
[ "$(q "SELECT group_concat(p, ',') FROM (SELECT s.prediction AS p FROM samples s JOIN tasks t ON t.id = s.task_id
        WHERE t.run_id = $run AND t.name = 'pick' ORDER BY s.idx)")" = "table,fish,three,carrot,Tokyo" ] ||
	fail "mc=generate choices: $(q "SELECT s.prediction FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run")"
[ "$(q "SELECT group_concat(p, ',') FROM (SELECT s.prediction AS p FROM samples s JOIN tasks t ON t.id = s.task_id
        WHERE t.run_id = $run AND t.name = 'mood' ORDER BY s.idx)")" = "positive,negative,positive,positive,positive,positive" ] ||
	fail "mc=generate labels"
content=$(q "SELECT json_extract(s.detail, '\$.request.messages[0].content') FROM samples s JOIN tasks t ON t.id = s.task_id
             WHERE t.run_id = $run AND t.name = 'pick' AND s.example_id = 'p2'")
case $content in
*"Which animal barks?"*"A. cat"*"D. owl"*"Answer with the letter of the correct choice."*) ;;
*) fail "the choices should be shown lettered: $content" ;;
esac
ok "mc=generate: choices lettered and labels listed, answers read from the text"

# --- the request cache --------------------------------------------------------------------

post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" -m openai -p "base_url=$B" -p model=test-model
# Only the example the server rejected is asked again: failures are not cached.
[ "$(counter "$URL_main" requests)" = 1 ] || fail "a second run of the same suite should send nothing but the rejected example"
[ "$(counter "$URL_main" statuses.400)" = 1 ] || fail "the one request of the second run should be the rejected example"
run=$(last_run)
[ "$(q "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run
        AND json_extract(s.detail, '\$.response.cached') = 1")" = $((5 + 5 + 6)) ] ||
	fail "every answered sample should say it came from the cache"
post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=test-model -p cache=off
[ "$(counter "$URL_main" requests)" = 6 ] || fail "cache=off should send every request"
[ -f "$PLUGIN_CACHE/requests.sqlite" ] || fail "no request cache at $PLUGIN_CACHE"
[ "$(stat -c %a "$PLUGIN_CACHE/requests.sqlite")" = 600 ] || fail "the request cache must be private"
[ "$(stat -c %a "$PLUGIN_CACHE")" = 700 ] || fail "the plugin cache directory must be private"
expect_rc 0 cache requests
expect_out "openai"
expect_out "$B"
expect_out "test-model"
expect_rc 0 cache requests -f json
"$PY" -c 'import json,sys; g=[x for x in json.loads(sys.argv[1]) if x["model"]=="test-model"]; assert g and g[0]["responses"] >= 17, g' "$out" ||
	fail "cache requests -f json: $out"
expect_rc 2 cache requests rm
expect_err "say what to remove"
expect_rc 0 cache requests rm --model test-model
expect_out "removed"
post "$URL_main" /_reset '{}'
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=test-model
[ "$(counter "$URL_main" requests)" = 6 ] || fail "after 'cache requests rm' the answers are asked for again"
ok "request cache: a second run sends nothing, cache=off sends all, 'benchtop cache requests' lists and clears"

# --resume sends nothing for the examples a run already has.  The harness
# stores samples 64 examples at a time: hold the server after 64 answers,
# wait for those samples, kill the run, resume it.
awk 'BEGIN { for (i = 0; i < 130; i++)
	printf "{\"id\": \"w%d\", \"word\": \"w%d\", \"answer\": \"W%d\"}\n", i, i, i }' >"$TEST_DIR/words.jsonl"
cat >"$TEST_DIR/words.yaml" <<'EOF'
name: openai-words
tasks:
  - name: words
    type: generation
    data: {test: words.jsonl}
    inputs: [word]
    target: answer
    options: {prompt: "Shout: {word}", stop: ["\n\n"], bootstrap: 0}
EOF
post "$URL_main" /_reset '{}'
post "$URL_main" /_control '{"hold_s": 60, "hold_free": 64}'
"$BENCHTOP" run "$TEST_DIR/words.yaml" -m openai -p "base_url=$B" -p model=resume-model -p cache=off \
	--no-isolate -j 1 --batch-size 1 >"$TEST_DIR/resume.out" 2>&1 &
bt=$!
i=0
until [ "$(q "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id
              WHERE t.run_id IN (SELECT run_id FROM params WHERE key = 'model' AND value = 'resume-model')")" -ge 64 ]; do
	i=$((i + 1))
	[ $i -lt 1200 ] || fail "the interrupted run never stored its first 64 samples"
	sleep 0.05
done
wait_for "$URL_main" holding 1
kill -9 $bt
wait $bt 2>/dev/null || true
run=$(q "SELECT max(run_id) FROM params WHERE key = 'model' AND value = 'resume-model'")
have=$(q "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run")
post "$URL_main" /_control '{"hold_s": 0}'
post "$URL_main" /_reset '{}'
expect_rc 0 run --resume "$run"
[ "$have" -ge 64 ] && [ "$have" -lt 130 ] || fail "the killed run should have some samples, not all: $have"
[ "$(counter "$URL_main" requests)" = $((130 - have)) ] ||
	fail "--resume should ask only for the $((130 - have)) examples without a sample, asked $(counter "$URL_main" requests)"
ok "--resume sends requests only for the examples the run has no sample for"

# --- retries ------------------------------------------------------------------------------

post "$URL_main" /_reset '{}'
post "$URL_main" /_control '{"fail_429": 3, "retry_after": 1, "fail_500": 2}'
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=test-model -p cache=off
run=$(last_run)
[ "$(counter "$URL_main" statuses.429)" = 3 ] || fail "three 429 answers were injected"
[ "$(counter "$URL_main" statuses.500)" = 2 ] || fail "two 500 answers were injected"
[ "$(counter "$URL_main" requests)" = $((6 + 3 + 2)) ] || fail "each injected failure costs exactly one retry"
[ "$(counter "$URL_main" early_retries)" = 0 ] || fail "a 429 was retried before its Retry-After"
[ "$(q "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run AND s.error IS NOT NULL")" = 1 ] ||
	fail "only the rejected example may fail after retries"
post "$URL_main" /_reset '{}'
post "$URL_main" /_control '{"fail_500": 100}'
expect_rc 0 run "$SUITE" --task shout --limit 1 -m openai -p "base_url=$B" -p model=test-model -p cache=off -p max_retries=1
run=$(last_run)
case $(q "SELECT error FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run") in
*"HTTP 500"*"gave up after 2 attempts"*) ;;
*) fail "a request that keeps failing should give up after max_retries" ;;
esac
[ "$(counter "$URL_main" requests)" = 2 ] || fail "max_retries=1: two attempts"
post "$URL_main" /_reset '{}'
# A request that takes longer than -p timeout is given up (and would be retried).
post "$URL_main" /_control '{"hold_s": 60}'
expect_rc 0 run "$SUITE" --task shout --limit 1 -m openai -p "base_url=$B" -p model=test-model -p cache=off \
	-p timeout=1 -p max_retries=0
run=$(last_run)
case $(q "SELECT error FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run") in
*"cannot reach $B/chat/completions: Timeout was reached"*) ;;
*) fail "a request past its timeout should fail with the reason" ;;
esac
wait_for "$URL_main" disconnected 1
post "$URL_main" /_reset '{}'
ok "429 and 500 are retried (Retry-After honoured), up to max_retries; timeouts end requests"

# --- a server down at the start --------------------------------------------------------

start_server gone
gone=$URL_gone
kill "${SERVERS##* }"
wait "${SERVERS##* }" 2>/dev/null || true
runs=$(q 'SELECT count(*) FROM runs')
expect_rc 3 run "$SUITE" --task shout -m openai -p "base_url=$gone/v1" -p model=test-model
expect_err "cannot connect to $gone/v1: connection refused"
[ "$(q 'SELECT count(*) FROM runs')" = "$runs" ] || fail "a run was left behind"
ok "connection refused at the start: exit 3 with a clear message, nothing written"

# --- the API key --------------------------------------------------------------------------

start_server auth --api-key "$KEY"
runs=$(q 'SELECT count(*) FROM runs')
expect_rc 3 run "$SUITE" --task shout -m openai -p "base_url=$URL_auth/v1" -p model=test-model -p "api_key=$KEY"
expect_err "set OPENAI_API_KEY (or BENCHTOP_API_KEY) in the environment"
[ "$(q 'SELECT count(*) FROM runs')" = "$runs" ] || fail "-p api_key must write nothing"
# Isolated (the default): the key reaches the worker processes through the environment.
export OPENAI_API_KEY=$KEY
expect_rc 0 run "$SUITE" -m openai -p "base_url=$URL_auth/v1" -p model=test-model -j 2
run=$(last_run)
[ "$(counter "$URL_auth" auth_bad)" = 0 ] || fail "a worker sent a request without the key"
[ "$(counter "$URL_auth" auth_ok)" = $((1 + 6 + 5 + 6)) ] || fail "every request should carry the key"
case $(q "SELECT error FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run AND s.example_id = 's5'") in
*"for key ***"*) ;;
*) fail "the key the server quoted should be scrubbed from the stored error" ;;
esac
# BENCHTOP_API_KEY comes first.
post "$URL_auth" /_reset '{}'
export OPENAI_API_KEY=wrong BENCHTOP_API_KEY=$KEY
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$URL_auth/v1" -p model=test-model -p cache=off
[ "$(counter "$URL_auth" auth_ok)" = 6 ] || fail "BENCHTOP_API_KEY should be used before OPENAI_API_KEY"
# A wrong key: every example fails with the server's 401 and a hint.
unset BENCHTOP_API_KEY
export OPENAI_API_KEY=sk-wrong-key-123456
expect_rc 0 run "$SUITE" --task shout -m openai -p "base_url=$URL_auth/v1" -p model=test-model -p cache=off -j 1
unset OPENAI_API_KEY
run=$(last_run)
[ "$(q "SELECT count(*) FROM samples s JOIN tasks t ON t.id = s.task_id WHERE t.run_id = $run
        AND s.error LIKE '%HTTP 401%check OPENAI_API_KEY or BENCHTOP_API_KEY%'")" = 6 ] ||
	fail "a 401 should fail every example with a hint"
# Nowhere to be found: the database, show, export, ls, the request cache.
sqlite3 "$BENCHTOP_DB" 'PRAGMA wal_checkpoint(TRUNCATE)' >/dev/null
for f in "$BENCHTOP_DB"* "$PLUGIN_CACHE"/*; do
	[ -f "$f" ] || continue
	grep -q -a "$KEY" "$f" && fail "the API key is stored in $f"
	grep -q -a "sk-wrong-key-123456" "$f" && fail "a wrong API key is stored in $f"
done
expect_rc 0 show @ --samples
expect_no_out "$KEY"
expect_rc 0 export --samples
expect_no_out "$KEY"
expect_rc 0 ls -f json
expect_no_out "$KEY"
[ "$(q "SELECT count(*) FROM runs WHERE command LIKE '%$KEY%'")" = 0 ] || fail "the key is in a stored command line"
ok "the API key: from the environment only, reaches isolated workers, stored nowhere"

# --- the concurrency limit holds across worker processes ------------------------------

# 130 examples are three units of work for three worker processes at once,
# each handed 8 examples per call: only the shared limit keeps them to 2.
post "$URL_main" /_reset '{}'
post "$URL_main" /_control '{"delay_ms": 50}'
expect_rc 0 run "$TEST_DIR/words.yaml" -m openai -p "base_url=$B" -p model=test-model -p cache=off \
	-p concurrency=2 -j 3 --batch-size 8
[ "$(counter "$URL_main" max_in_flight)" = 2 ] ||
	fail "concurrency=2 allowed $(counter "$URL_main" max_in_flight) requests at once"
[ "$(counter "$URL_main" requests)" = 130 ] || fail "every example should be asked once"
post "$URL_main" /_reset '{}'
ok "concurrency is a limit for the whole run, across its worker processes"

# --- cancellation stops requests in flight -----------------------------------------------

post "$URL_main" /_control '{"hold_s": 60}'
"$BENCHTOP" run "$SUITE" --task shout -m openai -p "base_url=$B" -p model=cancel-model --no-isolate -j 1 \
	>"$TEST_DIR/cancel.out" 2>&1 &
bt=$!
# The five examples the server does not reject are asked at once, and held.
wait_for "$URL_main" holding 5
kill -INT $bt
set +e
wait $bt
rc=$?
set -e
[ "$rc" = 3 ] || fail "an interrupted run exits 3, got $rc"
wait_for "$URL_main" disconnected 5
[ "$(counter "$URL_main" completed)" = 0 ] || fail "a held request ran to completion: cancellation did not abandon it"
[ "$(q "SELECT status FROM runs WHERE id = (SELECT max(run_id) FROM params WHERE key = 'model' AND value = 'cancel-model')")" = interrupted ] ||
	fail "the run should be marked interrupted"
post "$URL_main" /_reset '{}'
ok "cancellation abandons the requests in flight"
