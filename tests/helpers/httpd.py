#!/usr/bin/env python3
"""httpd.py - a small, scriptable HTTP server for benchtop's tests.

Started by a test on 127.0.0.1 (port 0: the kernel picks; the chosen port
is written to --port-file once the server listens).  It serves files from
--root and records every request, one JSON object per line, in --log:
{"method", "path", "headers", "body"}.  Tests then assert on what arrived.

Behaviour is chosen per path with --rule PATH=BEHAVIOUR (repeatable), where
BEHAVIOUR is one of:
  file               serve the file ROOT/PATH (the default), honouring Range
  status:N           answer N with an empty body every time
  fail:N:K           answer 500 the first N times, then behave as K ("file" or "status:200")
  slow:MS            serve the file, sleeping MS milliseconds before each 1 KiB chunk
  drop:BYTES         serve the file but close the connection after BYTES bytes,
                     the first time only; later requests (with Range) succeed
  redirect:N         redirect (302) N times through /r/... before serving PATH
                     (the last hop, /r/1/PATH, serves the file itself)
  corrupt            serve the file with its last byte flipped
  norange            serve the whole file with 200, ignoring any Range header
  hang               accept the request and never answer
POST requests are answered 200 with body "ok" unless a rule says otherwise.

A request in absolute form ("GET http://host:port/PATH", as a client sends
to a proxy) is served as PATH and logged as sent, so one instance can stand
in for a forward proxy and its log shows that the proxy was used.

Optional:
  --xfer-log FILE    after each GET response, one JSON line {"path", "status",
                     "range", "sent"}: the status sent, the Range header asked
                     for (null without one) and the body bytes actually written
  --tls-cert FILE --tls-key FILE
                     serve HTTPS with this certificate and key (PEM)

Only Python's standard library is used (Debian's python3).
"""
import argparse
import json
import os
import socketserver
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, HTTPServer


class Server(socketserver.ThreadingMixIn, HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--root", default=".")
    ap.add_argument("--log", required=True)
    ap.add_argument("--port-file", required=True)
    ap.add_argument("--rule", action="append", default=[])
    ap.add_argument("--xfer-log")
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    args = ap.parse_args()

    rules = {}
    for r in args.rule:
        path, _, behaviour = r.partition("=")
        rules[path] = behaviour
    counts = {}
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, fmt, *a):
            pass

        def record(self, body=b""):
            entry = {
                "method": self.command,
                "path": self.path,
                "headers": {k: v for k, v in self.headers.items()},
                "body": body.decode("utf-8", "replace"),
            }
            with lock:
                with open(args.log, "a") as f:
                    f.write(json.dumps(entry) + "\n")

        def send_response(self, code, message=None):
            self.sent_status = code
            super().send_response(code, message)

        def record_xfer(self):
            if not args.xfer_log:
                return
            entry = {
                "path": self.path,
                "status": getattr(self, "sent_status", None),
                "range": self.headers.get("Range"),
                "sent": getattr(self, "sent_bytes", 0),
            }
            with lock:
                with open(args.xfer_log, "a") as f:
                    f.write(json.dumps(entry) + "\n")

        def count(self, key):
            with lock:
                counts[key] = counts.get(key, 0) + 1
                return counts[key]

        def empty(self, code, extra=None):
            self.send_response(code)
            for k, v in (extra or {}).items():
                self.send_header(k, v)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def behaviour(self, path):
            b = rules.get(path, "file")
            if b.startswith("fail:"):
                _, n, then = b.split(":", 2)
                if self.count("fail:" + path) <= int(n):
                    return "status:500"
                return then
            return b

        def send_file(self, path, behaviour):
            full = os.path.join(args.root, path.lstrip("/"))
            if not os.path.isfile(full):
                return self.empty(404)
            with open(full, "rb") as f:
                data = f.read()
            if behaviour == "corrupt" and data:
                data = data[:-1] + bytes([data[-1] ^ 0xFF])
            start = 0
            rng = self.headers.get("Range")
            if behaviour == "norange":
                rng = None
            if rng and rng.startswith("bytes=") and rng.endswith("-"):
                start = int(rng[6:-1])
            if start >= len(data) and start > 0:
                return self.empty(416)
            body = data[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", "bytes %d-%d/%d" % (start, len(data) - 1, len(data)))
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Accept-Ranges", "bytes")
            self.end_headers()
            limit = len(body)
            if behaviour.startswith("drop:") and self.count("drop:" + path) == 1:
                limit = min(limit, int(behaviour.split(":")[1]))
            delay = int(behaviour.split(":")[1]) / 1000.0 if behaviour.startswith("slow:") else 0
            sent = 0
            while sent < limit:
                chunk = body[sent:min(limit, sent + 1024)]
                if delay:
                    time.sleep(delay)
                try:
                    self.wfile.write(chunk)
                    self.wfile.flush()
                except (BrokenPipeError, ConnectionResetError):
                    return
                sent += len(chunk)
                self.sent_bytes = sent
            if limit < len(body):
                self.close_connection = True
                try:
                    self.connection.shutdown(2)
                except OSError:
                    pass

        def do_GET(self):
            self.record()
            self.sent_status, self.sent_bytes = None, 0
            try:
                self.get()
            finally:
                self.record_xfer()

        def get(self):
            path = self.path
            if path.startswith(("http://", "https://")):
                # absolute form, as sent to a proxy: serve the path part
                rest = path.split("://", 1)[1]
                path = "/" + rest.split("/", 1)[1] if "/" in rest else "/"
            if path.startswith("/r/"):
                # /r/N/REAL: N more redirects, then REAL
                _, _, n, real = path.split("/", 3)
                n = int(n)
                if n <= 1 and rules.get("/" + real, "").startswith("redirect:"):
                    # the end of REAL's own chain: serve it, or it would loop
                    return self.send_file("/" + real, "file")
                target = "/" + real if n <= 1 else "/r/%d/%s" % (n - 1, real)
                return self.empty(302, {"Location": target})
            b = self.behaviour(path)
            if b == "hang":
                time.sleep(3600)
                return
            if b.startswith("status:"):
                return self.empty(int(b.split(":")[1]))
            if b.startswith("redirect:"):
                n = int(b.split(":")[1])
                return self.empty(302, {"Location": "/r/%d%s" % (n, path)})
            return self.send_file(path, b)

        def do_POST(self):
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            self.record(body)
            b = self.behaviour(self.path)
            if b == "hang":
                time.sleep(3600)
                return
            code = int(b.split(":")[1]) if b.startswith("status:") else 200
            payload = b"ok" if code < 400 else b"error"
            self.send_response(code)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    srv = Server(("127.0.0.1", 0), Handler)
    if args.tls_cert:
        import ssl

        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write(str(srv.server_address[1]))
    os.rename(tmp, args.port_file)
    try:
        srv.serve_forever()
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
