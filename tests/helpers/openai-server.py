#!/usr/bin/env python3
"""openai-server.py - an OpenAI-compatible API for benchtop's tests.

Started by a test on 127.0.0.1 (port 0: the kernel picks; the chosen port
is written to --port-file once the server listens).  Python's standard
library only.  It serves

  GET  /v1/models             the model list
  POST /v1/completions        text completions, with echo and logprobs
  POST /v1/chat/completions   chat completions

and checks every request body against the published API's shapes: an
unknown field, a field of the wrong type or a value out of range gets a
400 with an OpenAI-style error object, as the real API answers.

The "model" answers deterministically, so tests can compute what it says:

  * Text is cut into tokens by TOKEN_RE (a run of non-space characters
    with the white space before it); text_offset counts code points.
  * The log-probability of a token is token_logprob(previous, token), a
    function of the two tokens' text alone (the first token has none).
  * A prompt whose last line contains "Answer with the letter" (choices
    listed as "A. text") is answered "ANSWER: X", X the letter of the
    longest choice text (the first on ties).  One asking to "Answer with
    one of: a, b, c." is answered "The answer is L.", L the label that
    occurs first in the prompt before that line (else the last label).
  * Anything else is answered with the end of its last non-empty line
    (after the line's last colon, if any) in capitals after a space, then
    "\\n\\n(end of answer)": with stop "\\n\\n" the completion is " PARIS"
    for a prompt ending in "Shout: paris".
  The server honours `stop` (the completion ends before the earliest stop
  sequence) and `max_tokens` (in its own tokens).

Injected failures and behaviours:
  model "no-prompt-logprobs"  ignores echo and logprobs, as many servers do
  a prompt containing REJECT-ME   400 whose message quotes the prompt's
                                  marker, control characters and the API key
  POST /_control {"fail_429": N, "retry_after": S, "fail_500": N,
                  "delay_ms": D, "hold_s": H, "hold_free": F}
      the next N requests get 429 (with Retry-After: S) or 500; every
      request waits D ms; with hold_s, requests after the next F wait up
      to H seconds ("holding" counts them) and stop early when the client
      hangs up (counted as "disconnected")
  GET  /_stats   {"requests", "by_path", "statuses", "max_in_flight",
                  "early_retries", "disconnected", "completed", "holding",
                  "auth_ok", "auth_bad", "probes"}
      early_retries counts retries of a 429'd body that came before its
      Retry-After had passed; probes, completions requests for the
      prompt "Hello," + " world" (benchtop's capability check)
  POST /_reset   zero the counters and the controls

--api-key KEY makes the server require "Authorization: Bearer KEY" (401
otherwise); --log FILE appends one JSON line per API request: {"path",
"body"}.
"""
import argparse
import json
import os
import re
import select
import socket
import sys
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TOKEN_RE = re.compile(r"\s*\S+|\s+")


def tokenize(text):
    """Tokens of text and the code-point offset of each."""
    toks, offs = [], []
    for m in TOKEN_RE.finditer(text):
        toks.append(m.group(0))
        offs.append(m.start())
    return toks, offs


def token_logprob(prev, tok):
    """The model's log-probability of tok after prev: a fixed function of the two."""
    h = zlib.crc32((prev + "\x00" + tok).encode("utf-8"))
    return -((h % 4000) / 1000.0) - 0.001


def prompt_logprobs(text):
    """(tokens, text_offset, token_logprobs) of text, the first logprob None."""
    toks, offs = tokenize(text)
    lps = [None] + [token_logprob(toks[i - 1], toks[i]) for i in range(1, len(toks))]
    return toks, offs, lps


CHOICE_RE = re.compile(r"^([A-Z])\. (.*)$")


def answer(prompt):
    """The model's full reply to prompt (before stop and max_tokens)."""
    lines = [l for l in prompt.split("\n") if l.strip()]
    if any("Answer with the letter" in l for l in lines[-2:]):
        best, best_len = None, -1
        for l in lines:
            m = CHOICE_RE.match(l)
            if m and len(m.group(2)) > best_len:
                best, best_len = m.group(1), len(m.group(2))
        return "ANSWER: %s" % (best or "A")
    for i, l in enumerate(lines[-2:]):
        if l.startswith("Answer with one of: "):
            labels = [x.strip() for x in l[len("Answer with one of: "):].rstrip(".").split(",")]
            before = prompt[: prompt.rfind("Answer with one of: ")]
            found = [(before.find(x), x) for x in labels if x and before.find(x) >= 0]
            pick = min(found)[1] if found else labels[-1]
            return "The answer is %s." % pick
    last = lines[-1] if lines else ""
    return " " + last[last.rfind(":") + 1:].strip().upper() + "\n\n(end of answer)"


def generate(prompt, max_tokens, stop):
    """(text, finish_reason) of the completion."""
    text = answer(prompt)
    reason = "stop"
    toks, _ = tokenize(text)
    if max_tokens is not None and len(toks) > max_tokens:
        text = "".join(toks[:max_tokens])
        reason = "length"
    if stop:
        cuts = [text.find(s) for s in stop if s and text.find(s) >= 0]
        if cuts:
            text = text[: min(cuts)]
            reason = "stop"
    return text, reason


# --- request validation (the published API's shapes) -------------------------------------

COMPLETIONS_FIELDS = {
    "model", "prompt", "best_of", "echo", "frequency_penalty", "logit_bias", "logprobs",
    "max_tokens", "n", "presence_penalty", "seed", "stop", "stream", "stream_options",
    "suffix", "temperature", "top_p", "user",
}
CHAT_FIELDS = {
    "messages", "model", "audio", "frequency_penalty", "function_call", "functions",
    "logit_bias", "logprobs", "max_completion_tokens", "max_tokens", "metadata",
    "modalities", "n", "parallel_tool_calls", "prediction", "presence_penalty",
    "reasoning_effort", "response_format", "seed", "service_tier", "stop", "store",
    "stream", "stream_options", "temperature", "tool_choice", "tools", "top_logprobs",
    "top_p", "user",
}
MESSAGE_FIELDS = {"role", "content", "name", "tool_calls", "tool_call_id", "refusal",
                  "audio", "function_call"}
ROLES = {"system", "developer", "user", "assistant", "tool", "function"}


class BadRequest(Exception):
    def __init__(self, message, param=None):
        super().__init__(message)
        self.param = param


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def is_num(v):
    return (isinstance(v, (int, float))) and not isinstance(v, bool)


def check_common(body, allowed):
    if not isinstance(body, dict):
        raise BadRequest("The request body must be a JSON object.")
    for k in body:
        if k not in allowed:
            raise BadRequest("Unrecognized request argument supplied: %s" % k, k)
    if not isinstance(body.get("model"), str) or not body["model"]:
        raise BadRequest("you must provide a model parameter", "model")
    for k, lo, hi in (("temperature", 0, 2), ("top_p", 0, 1),
                      ("presence_penalty", -2, 2), ("frequency_penalty", -2, 2)):
        v = body.get(k)
        if v is not None and (not is_num(v) or not lo <= v <= hi):
            raise BadRequest("%r is not a number between %s and %s - '%s'" % (v, lo, hi, k), k)
    for k in ("max_tokens", "max_completion_tokens", "n", "seed"):
        v = body.get(k)
        if v is not None and not is_int(v):
            raise BadRequest("%r is not of type 'integer' - '%s'" % (v, k), k)
    if body.get("max_tokens") is not None and body["max_tokens"] < 0:
        raise BadRequest("max_tokens must be at least 0", "max_tokens")
    if body.get("n") is not None and body["n"] != 1:
        raise BadRequest("this test server only does n=1", "n")
    if body.get("stream"):
        raise BadRequest("this test server does not stream", "stream")
    stop = body.get("stop")
    if stop is not None:
        if isinstance(stop, str):
            pass
        elif (isinstance(stop, list) and 1 <= len(stop) <= 4
              and all(isinstance(s, str) for s in stop)):
            pass
        else:
            raise BadRequest("%r is not valid under any of the given schemas - 'stop'" % (stop,),
                             "stop")


def check_completions(body):
    check_common(body, COMPLETIONS_FIELDS)
    p = body.get("prompt")
    if isinstance(p, str):
        pass
    elif isinstance(p, list) and p and all(isinstance(x, str) for x in p):
        pass
    else:
        raise BadRequest("'prompt' must be a string or an array of strings", "prompt")
    lp = body.get("logprobs")
    if lp is not None and (not is_int(lp) or not 0 <= lp <= 5):
        raise BadRequest("%r is not valid - 'logprobs' (an integer from 0 to 5)" % (lp,),
                         "logprobs")
    if "echo" in body and not isinstance(body["echo"], bool):
        raise BadRequest("%r is not of type 'boolean' - 'echo'" % (body["echo"],), "echo")


def check_chat(body):
    check_common(body, CHAT_FIELDS)
    msgs = body.get("messages")
    if not isinstance(msgs, list) or not msgs:
        raise BadRequest("'messages' must be a non-empty array", "messages")
    for i, m in enumerate(msgs):
        if not isinstance(m, dict):
            raise BadRequest("messages[%d] is not an object" % i, "messages")
        for k in m:
            if k not in MESSAGE_FIELDS:
                raise BadRequest("Unrecognized message argument supplied: %s" % k, "messages")
        if m.get("role") not in ROLES:
            raise BadRequest("messages[%d].role %r is not one of %s"
                             % (i, m.get("role"), sorted(ROLES)), "messages")
        c = m.get("content")
        if not (isinstance(c, str) or isinstance(c, list)
                or (c is None and m["role"] == "assistant")):
            raise BadRequest("messages[%d].content must be a string or an array" % i,
                             "messages")
    lp = body.get("logprobs")
    if lp is not None and not isinstance(lp, bool):
        raise BadRequest("%r is not of type 'boolean' - 'logprobs'" % (lp,), "logprobs")


# --- the server ---------------------------------------------------------------------------

class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.reset()

    def reset(self):
        self.requests = 0
        self.by_path = {}
        self.statuses = {}
        self.in_flight = 0
        self.max_in_flight = 0
        self.early_retries = 0
        self.disconnected = 0
        self.completed = 0
        self.auth_ok = 0
        self.auth_bad = 0
        self.probes = 0
        self.fail_429 = 0
        self.retry_after = 1
        self.fail_500 = 0
        self.delay_ms = 0
        self.hold_s = 0
        self.hold_free = 0
        self.holding = 0
        self.not_before = {}  # body -> earliest time a retry may come

    def stats(self):
        return {
            "requests": self.requests, "by_path": self.by_path, "statuses": self.statuses,
            "max_in_flight": self.max_in_flight, "early_retries": self.early_retries,
            "disconnected": self.disconnected, "completed": self.completed,
            "auth_ok": self.auth_ok, "auth_bad": self.auth_bad, "probes": self.probes,
            "holding": self.holding,
        }


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--api-key")
    ap.add_argument("--log")
    ap.add_argument("--delay-ms", type=int, default=0)
    args = ap.parse_args()
    state = State()
    state.delay_ms = args.delay_ms
    log_lock = threading.Lock()
    ids = [0]

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        # No Nagle: a reply's last segment must not wait for the client's ACK.
        disable_nagle_algorithm = True

        def log_message(self, fmt, *a):
            pass

        def settle(self):
            """The request stops counting as in flight: before its reply is sent, so that
            a client that starts another as soon as it has the reply is not counted twice."""
            if getattr(self, "in_flight", False):
                self.in_flight = False
                with state.lock:
                    state.in_flight -= 1

        def send_json(self, status, obj, headers=()):
            self.settle()
            data = json.dumps(obj, separators=(",", ":")).encode("utf-8")
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            for k, v in headers:
                self.send_header(k, v)
            # Headers and body in one write (end_headers would send the headers alone).
            self._headers_buffer.append(b"\r\n" + data)
            self.flush_headers()
            with state.lock:
                state.statuses[str(status)] = state.statuses.get(str(status), 0) + 1

        def error(self, status, message, param=None, code=None, headers=()):
            self.send_json(status, {"error": {"message": message, "type":
                                              "invalid_request_error", "param": param,
                                              "code": code}}, headers)

        def read_body(self):
            n = int(self.headers.get("Content-Length") or 0)
            return self.rfile.read(n) if n else b""

        def do_GET(self):
            if self.path == "/_stats":
                with state.lock:
                    stats = state.stats()
                self.send_json(200, stats)
                return
            if self.path == "/v1/models":
                self.send_json(200, {"object": "list", "data": [
                    {"id": "test-model", "object": "model", "created": 0,
                     "owned_by": "benchtop-tests"}]})
                return
            self.error(404, "Invalid URL (GET %s)" % self.path)

        def wait(self, seconds, hold):
            """Sleep, or with hold, wait until the client hangs up (True) or time passes."""
            end = time.monotonic() + seconds
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    return False
                if not hold:
                    time.sleep(left)
                    return False
                r, _, _ = select.select([self.connection], [], [], min(left, 0.05))
                if r:
                    try:
                        if self.connection.recv(1, socket.MSG_PEEK) == b"":
                            return True
                    except OSError:
                        return True

        def do_POST(self):
            raw = self.read_body()
            if self.path == "/_control":
                ctl = json.loads(raw or b"{}")
                with state.lock:
                    for k, v in ctl.items():
                        setattr(state, k, v)
                self.send_json(200, {"ok": True})
                return
            if self.path == "/_reset":
                with state.lock:
                    state.reset()
                    state.delay_ms = args.delay_ms
                self.send_json(200, {"ok": True})
                return
            if self.path not in ("/v1/completions", "/v1/chat/completions"):
                self.error(404, "Invalid URL (POST %s)" % self.path)
                return
            now = time.monotonic()
            with state.lock:
                state.requests += 1
                state.by_path[self.path] = state.by_path.get(self.path, 0) + 1
                state.in_flight += 1
                state.max_in_flight = max(state.max_in_flight, state.in_flight)
                self.in_flight = True
                due = state.not_before.pop(raw, None)
                if due is not None and now < due - 0.02:
                    state.early_retries += 1
            try:
                self.api(raw)
            finally:
                self.settle()

        def api(self, raw):
            if args.log:
                with log_lock, open(args.log, "a") as f:
                    f.write(json.dumps({"path": self.path,
                                        "body": raw.decode("utf-8", "replace")}) + "\n")
            auth = self.headers.get("Authorization")
            if args.api_key is not None:
                if auth != "Bearer " + args.api_key:
                    with state.lock:
                        state.auth_bad += 1
                    given = (auth or "")[7:]
                    self.error(401, "Incorrect API key provided: %s***" % given[:3],
                               code="invalid_api_key")
                    return
                with state.lock:
                    state.auth_ok += 1
            with state.lock:
                if state.fail_429 > 0:
                    state.fail_429 -= 1
                    ra = state.retry_after
                    state.not_before[raw] = time.monotonic() + ra
                    inject = 429
                elif state.fail_500 > 0:
                    state.fail_500 -= 1
                    inject = 500
                else:
                    inject = 0
                delay, hold = state.delay_ms / 1000.0, state.hold_s
                if hold and state.hold_free > 0:
                    state.hold_free -= 1
                    hold = 0
            if inject == 429:
                self.error(429, "Rate limit reached for requests", code="rate_limit_exceeded",
                           headers=[("Retry-After", str(ra))])
                return
            if inject == 500:
                self.send_json(500, {"error": {"message": "The server had an error while "
                                               "processing your request.", "type":
                                               "server_error", "param": None, "code": None}})
                return
            try:
                body = json.loads(raw)
            except ValueError:
                self.error(400, "We could not parse the JSON body of your request.")
                return
            chat = self.path == "/v1/chat/completions"
            try:
                (check_chat if chat else check_completions)(body)
            except BadRequest as e:
                self.error(400, str(e), e.param)
                return
            if chat:
                prompts = ["\n".join(m["content"] for m in body["messages"]
                                     if isinstance(m.get("content"), str))]
            else:
                p = body["prompt"]
                prompts = [p] if isinstance(p, str) else p
                if prompts == ["Hello, world"]:
                    with state.lock:
                        state.probes += 1
            if any("REJECT-ME" in p for p in prompts):
                key = (auth or "")[7:]
                self.error(400, "prompt rejected: REJECT-ME \x1b[31mred\x1b[0m \u202eevil "
                           "for key %s\nsecond line" % key, "prompt")
                return
            if hold:
                with state.lock:
                    state.holding += 1
                gone = self.wait(hold, True)
                with state.lock:
                    state.holding -= 1
                    state.disconnected += gone
                if gone:
                    self.close_connection = True
                    return
            if delay:
                self.wait(delay, False)
            with state.lock:
                state.completed += 1
                ids[0] += 1
                rid = ids[0]
            stop = body.get("stop")
            stop = [stop] if isinstance(stop, str) else (stop or [])
            max_tokens = body.get("max_tokens", 16)
            if chat:
                text, reason = generate(prompts[0], max_tokens, stop)
                ptoks = len(tokenize(prompts[0])[0])
                ctoks = len(tokenize(text)[0])
                self.send_json(200, {
                    "id": "chatcmpl-%d" % rid, "object": "chat.completion", "created": 0,
                    "model": body["model"], "system_fingerprint": "fp_test",
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": text},
                                 "logprobs": None, "finish_reason": reason}],
                    "usage": {"prompt_tokens": ptoks, "completion_tokens": ctoks,
                              "total_tokens": ptoks + ctoks}})
                return
            choices, ptoks, ctoks = [], 0, 0
            for i, p in enumerate(prompts):
                text, reason = generate(p, max_tokens, stop)
                ptoks += len(tokenize(p)[0])
                ctoks += len(tokenize(text)[0])
                lp = None
                echo = body.get("echo") and body["model"] != "no-prompt-logprobs"
                if body.get("logprobs") is not None and body["model"] != "no-prompt-logprobs":
                    # The prompt and the completion are tokenized apart, as servers do.
                    ptk, poff, plp = prompt_logprobs(p)
                    gtk, goff = tokenize(text)
                    prev = ptk[-1] if ptk else ""
                    glp = []
                    for t in gtk:
                        glp.append(token_logprob(prev, t))
                        prev = t
                    goff = [len(p) + o for o in goff]
                    toks, offs, lps = (ptk + gtk, poff + goff, plp + glp) if echo else \
                        (gtk, goff, glp)
                    lp = {"tokens": toks, "token_logprobs": lps, "text_offset": offs,
                          "top_logprobs": [None if v is None else {t: v}
                                           for t, v in zip(toks, lps)]}
                choices.append({"index": i, "text": (p + text) if echo else text,
                                "logprobs": lp, "finish_reason": reason})
            self.send_json(200, {"id": "cmpl-%d" % rid, "object": "text_completion",
                                 "created": 0, "model": body["model"], "choices": choices,
                                 "usage": {"prompt_tokens": ptoks, "completion_tokens": ctoks,
                                           "total_tokens": ptoks + ctoks}})

    class Server(ThreadingHTTPServer):
        daemon_threads = True
        allow_reuse_address = True
        # Many clients connect at once: a short listen queue would drop SYNs.
        request_queue_size = 512

    srv = Server(("127.0.0.1", 0), Handler)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.server_address[1])
    os.replace(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
