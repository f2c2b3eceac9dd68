#!/usr/bin/env python3
"""Local Sentry-compatible envelope receiver for the integration tests.

Standard library only.  It stands in for sentry.io so the tests can check what
the extension's alert delivery sends, without network access: every envelope is
validated strictly (the auth header, the project, the content type, the
envelope framing and the event fields a real Sentry would need), so a
malformed report fails a test here instead of being dropped silently in
production.  Usage:

    python3 sentry_receiver.py --port PORT [--host 127.0.0.1] [--key testkey]
                               [--project 42] [--verbose]
    python3 sentry_receiver.py --selftest

Prints exactly one line, ``listening on HOST:PORT``, once the socket is bound
(``--port 0`` picks a free port and prints it), like fault_server.py.  Exits
cleanly on SIGTERM/SIGINT.  The DSN to configure is then
``http://KEY@HOST:PORT/PROJECT``.

Routes:
  POST /api/<project>/envelope/   validate one envelope; 200 {"id": event_id}
                                  when valid (a repeated event_id is answered
                                  200 too but only counted in "duplicates"),
                                  400 with a text reason (also kept in
                                  "rejected") when not
  GET  /events                    {"events": [...], "rejected": [...],
                                   "duplicates": N, "requests": N, "mode": M}
  POST /reset                     forget everything and go back to mode ok
  POST /mode?status=S             how the next envelope POSTs are answered:
                                  ok (validate and record), 500, 503,
                                  429 (with Retry-After, &retry_after=V,
                                  default 1), or hang (read the request, wait
                                  &seconds=N, default 30, then close without
                                  answering).  Not recorded as events.

Validation (any violation is a 400):
  * X-Sentry-Auth: "Sentry k=v, k=v, ..." in any order, optional blanks,
    no repeated keys; sentry_version=7, sentry_key=--key,
    sentry_client=scrape_jobs/<version>; sentry_timestamp and sentry_secret
    are the only other keys allowed.
  * the <project> in the path equals --project; Content-Type is
    application/x-sentry-envelope (parameters allowed).
  * body: envelope header line (JSON object: event_id = 32 lowercase hex,
    sent_at = RFC 3339, optional dsn naming the same key and project), one
    item header line (JSON object, type "event", optional length equal to
    the payload's byte length), the payload (one line, or exactly `length`
    bytes), optionally followed by one newline.  Exactly one item.
  * the event: event_id equal to the envelope's; level in fatal, error,
    warning, info, debug; message a non-empty string or an object with a
    string "formatted" or "message"; timestamp a number or an RFC 3339
    string; platform a non-empty string; tags an object of string values
    (Sentry's limits: keys of at most 32 characters from [A-Za-z0-9_.:-],
    values of at most 200 characters without a newline); extra an object;
    fingerprint a list of strings; environment and release strings if
    present.

Recorded event: {"event_id", "tags", "level", "message" (the text),
"extra", "fingerprint", "environment", "release" (null when absent),
"received_at" (unix seconds), "raw_auth" (the X-Sentry-Auth header),
"payload" (the whole event object)}.  Rejected: {"reason", "path",
"received_at", "raw_auth"}.
"""

import argparse
import datetime
import gzip
import http.client
import http.server
import json
import math
import re
import signal
import socket
import socketserver
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs, urlsplit

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)
MAX_BODY = 10 * 1024 * 1024
LEVELS = ("fatal", "error", "warning", "info", "debug")
EVENT_ID_RE = re.compile(r"[0-9a-f]{32}\Z")
RFC3339_RE = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})\Z")
TAG_KEY_RE = re.compile(r"[A-Za-z0-9_.:-]{1,32}\Z")
ENVELOPE_PATH_RE = re.compile(r"/api/([^/]*)/envelope/\Z")
AUTH_ALLOWED = {"sentry_version", "sentry_key", "sentry_client",
                "sentry_timestamp", "sentry_secret"}
MODES = ("ok", "500", "503", "429", "hang")


class Invalid(Exception):
    """An envelope that a strict Sentry would refuse: the text is the reason."""


def is_rfc3339(value):
    if not isinstance(value, str) or not RFC3339_RE.match(value):
        return False
    try:
        datetime.datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:
        return False
    return True


def check_auth(header, key):
    if header is None:
        raise Invalid("missing X-Sentry-Auth header")
    if not header.startswith("Sentry "):
        raise Invalid("X-Sentry-Auth must start with 'Sentry '")
    pairs = {}
    for part in header[len("Sentry "):].split(","):
        part = part.strip(" \t")
        name, eq, value = part.partition("=")
        if not eq or not name or not value or name != name.strip() or value != value.strip():
            raise Invalid("X-Sentry-Auth: malformed pair %r" % part)
        if name in pairs:
            raise Invalid("X-Sentry-Auth: %s given twice" % name)
        if name not in AUTH_ALLOWED:
            raise Invalid("X-Sentry-Auth: unknown key %s" % name)
        pairs[name] = value
    for name in ("sentry_version", "sentry_key", "sentry_client"):
        if name not in pairs:
            raise Invalid("X-Sentry-Auth: %s missing" % name)
    if pairs["sentry_version"] != "7":
        raise Invalid("X-Sentry-Auth: sentry_version must be 7, not %s" % pairs["sentry_version"])
    if pairs["sentry_key"] != key:
        raise Invalid("X-Sentry-Auth: sentry_key %s is not the project key" % pairs["sentry_key"])
    client = pairs["sentry_client"]
    if not client.startswith("scrape_jobs/") or len(client) == len("scrape_jobs/"):
        raise Invalid("X-Sentry-Auth: sentry_client must be scrape_jobs/<version>, not %s" % client)


def load_json_object(data, what):
    try:
        value = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise Invalid("%s is not valid JSON: %s" % (what, exc))
    if not isinstance(value, dict):
        raise Invalid("%s must be a JSON object" % what)
    return value


def check_dsn(dsn, key, project):
    if not isinstance(dsn, str):
        raise Invalid("envelope header: dsn must be a string")
    parts = urlsplit(dsn)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise Invalid("envelope header: dsn %r is not an http(s) URL" % dsn)
    if parts.username != key:
        raise Invalid("envelope header: dsn key %r is not the project key" % parts.username)
    if parts.path.rstrip("/").rsplit("/", 1)[-1] != project:
        raise Invalid("envelope header: dsn project is not %s" % project)


def split_envelope(body):
    """Return (envelope header, item header, payload bytes) of a one-item envelope."""
    head, nl, rest = body.partition(b"\n")
    if not nl:
        raise Invalid("envelope has no item (no newline after the header)")
    env = load_json_object(head, "envelope header")
    item_line, nl, rest = rest.partition(b"\n")
    if not item_line.strip():
        raise Invalid("envelope has no item header")
    item = load_json_object(item_line, "item header")
    if item.get("type") != "event":
        raise Invalid("item type must be \"event\", not %r" % item.get("type"))
    if "length" in item:
        length = item["length"]
        if not isinstance(length, int) or isinstance(length, bool) or length < 0:
            raise Invalid("item header: length must be a non-negative integer")
        if len(rest) < length:
            raise Invalid("item header: length %d but only %d payload bytes" % (length, len(rest)))
        payload, trailer = rest[:length], rest[length:]
        if trailer not in (b"", b"\n"):
            raise Invalid("item header: length %d is not the payload's byte length (%d bytes follow"
                          " the item header)" % (length, len(rest)))
    else:
        if not nl:
            raise Invalid("item header line is not followed by a payload")
        payload, nl, trailer = rest.partition(b"\n")
        if trailer:
            raise Invalid("more than one item, or data after the event payload")
    return env, item, payload


def check_event(event, event_id):
    if event.get("event_id") != event_id:
        raise Invalid("event: event_id %r differs from the envelope's %s"
                      % (event.get("event_id"), event_id))
    if event.get("level") not in LEVELS:
        raise Invalid("event: level must be one of %s, not %r" % ("/".join(LEVELS), event.get("level")))
    if "message" not in event:
        raise Invalid("event: message missing")
    message = event["message"]
    if isinstance(message, dict):
        texts = [message[k] for k in ("formatted", "message") if k in message]
        if not texts or not all(isinstance(t, str) for t in texts):
            raise Invalid("event: message object needs a string formatted or message")
        text = texts[0]
    elif isinstance(message, str):
        text = message
    else:
        raise Invalid("event: message must be a string or an object")
    if not text:
        raise Invalid("event: message is empty")
    if "timestamp" not in event:
        raise Invalid("event: timestamp missing")
    ts = event["timestamp"]
    if isinstance(ts, bool) or not (isinstance(ts, (int, float)) and math.isfinite(ts) and ts > 0
                                    or is_rfc3339(ts)):
        raise Invalid("event: timestamp must be a positive number or an RFC 3339 string, not %r" % (ts,))
    platform = event.get("platform")
    if not isinstance(platform, str) or not platform:
        raise Invalid("event: platform must be a non-empty string")
    tags = event.get("tags")
    if not isinstance(tags, dict):
        raise Invalid("event: tags must be an object")
    for name, value in tags.items():
        if not TAG_KEY_RE.match(name):
            raise Invalid("event: tag key %r: at most 32 characters of [A-Za-z0-9_.:-]" % name)
        if not isinstance(value, str):
            raise Invalid("event: tag %s must have a string value, not %r" % (name, value))
        if len(value) > 200 or "\n" in value or not value:
            raise Invalid("event: tag %s: value must be 1-200 characters without a newline" % name)
    if not isinstance(event.get("extra"), dict):
        raise Invalid("event: extra must be an object")
    fingerprint = event.get("fingerprint")
    if not isinstance(fingerprint, list) or not all(isinstance(f, str) for f in fingerprint):
        raise Invalid("event: fingerprint must be a list of strings")
    for name in ("environment", "release"):
        if name in event and not isinstance(event[name], str):
            raise Invalid("event: %s must be a string" % name)
    return text


class State:
    def __init__(self):
        self.lock = threading.Lock()
        self.stopping = threading.Event()  # wakes "hang" handlers at shutdown
        self.reset()

    def reset(self):
        self.events = []
        self.seen = set()
        self.rejected = []
        self.duplicates = 0
        self.requests = 0
        self.mode = "ok"
        self.retry_after = "1"
        self.hang_seconds = 30.0


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sentry_receiver/1.0"
    timeout = 60

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def setup(self):
        super().setup()
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        try:
            super().handle()
        except CLIENT_GONE:
            self.close_connection = True

    def send_body(self, code, body, ctype, headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_text(self, code, text, headers=()):
        self.send_body(code, (text + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers)

    def send_json(self, code, value):
        self.send_body(code, json.dumps(value).encode("utf-8"), "application/json")

    def read_body(self):
        """The request body, de-chunked and decompressed; Invalid when malformed."""
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            parts = []
            while True:
                size_line = self.rfile.readline(1024)
                try:
                    size = int(size_line.split(b";")[0].strip(), 16)
                except ValueError:
                    self.close_connection = True
                    raise Invalid("bad chunk size line")
                if size == 0:
                    while self.rfile.readline(1024) not in (b"\r\n", b"\n", b""):
                        pass  # trailers
                    break
                parts.append(self.rfile.read(size))
                self.rfile.readline(1024)
                if sum(map(len, parts)) > MAX_BODY:
                    self.close_connection = True
                    raise Invalid("body larger than %d bytes" % MAX_BODY)
            body = b"".join(parts)
        else:
            try:
                length = int(self.headers.get("Content-Length") or 0)
            except ValueError:
                self.close_connection = True
                raise Invalid("bad Content-Length")
            if length < 0 or length > MAX_BODY:
                self.close_connection = True
                raise Invalid("Content-Length %d out of range" % length)
            body = self.rfile.read(length) if length else b""
        encoding = (self.headers.get("Content-Encoding") or "identity").strip().lower()
        try:
            if encoding == "gzip":
                body = gzip.decompress(body)
            elif encoding == "deflate":
                body = zlib.decompress(body)
            elif encoding != "identity":
                raise Invalid("unsupported Content-Encoding %s" % encoding)
        except (OSError, EOFError, zlib.error) as exc:
            raise Invalid("cannot decode %s body: %s" % (encoding, exc))
        return body

    def do_GET(self):
        url = urlsplit(self.path)
        try:
            self.read_body()
        except Invalid:
            pass
        if url.path == "/events":
            st = self.server.state
            with st.lock:
                snapshot = {"events": st.events, "rejected": st.rejected,
                            "duplicates": st.duplicates, "requests": st.requests,
                            "mode": st.mode}
                body = json.dumps(snapshot, indent=1).encode("utf-8")
            return self.send_body(200, body, "application/json")
        self.send_text(404, "not found")

    def do_POST(self):
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        st = self.server.state
        if url.path.startswith("/api/"):
            return self.envelope(url.path)
        try:
            self.read_body()
        except Invalid:
            pass
        if url.path == "/reset":
            with st.lock:
                st.reset()
            return self.send_text(200, "reset")
        if url.path == "/mode":
            mode = query.get("status", [""])[0]
            if mode not in MODES:
                return self.send_text(400, "status must be one of %s" % ", ".join(MODES))
            try:
                seconds = float(query.get("seconds", ["30"])[0])
            except ValueError:
                return self.send_text(400, "seconds must be a number")
            with st.lock:
                st.mode = mode
                st.retry_after = query.get("retry_after", ["1"])[0]
                st.hang_seconds = seconds
            return self.send_text(200, "mode %s" % mode)
        self.send_text(404, "not found")

    def envelope(self, path):
        st = self.server.state
        auth = self.headers.get("X-Sentry-Auth")
        now = time.time()
        with st.lock:
            st.requests += 1
            mode, retry_after, hang = st.mode, st.retry_after, st.hang_seconds
        try:
            body = self.read_body()
        except Invalid as exc:
            return self.reject(str(exc), path, now, auth)
        if mode == "hang":
            st.stopping.wait(hang)
            self.close_connection = True
            return
        if mode == "429":
            return self.send_text(429, "rate limited", [("Retry-After", retry_after)])
        if mode in ("500", "503"):
            headers = [("Retry-After", retry_after)] if mode == "503" and retry_after else []
            return self.send_text(int(mode), "mode %s" % mode, headers)
        try:
            m = ENVELOPE_PATH_RE.match(path)
            if not m:
                raise Invalid("path must be /api/<project_id>/envelope/, not %s" % path)
            if m.group(1) != self.server.project:
                raise Invalid("project %s is not %s" % (m.group(1), self.server.project))
            check_auth(auth, self.server.key)
            ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
            if ctype != "application/x-sentry-envelope":
                raise Invalid("Content-Type must be application/x-sentry-envelope, not %r"
                              % self.headers.get("Content-Type"))
            env, _item, payload = split_envelope(body)
            event_id = env.get("event_id")
            if not isinstance(event_id, str) or not EVENT_ID_RE.match(event_id):
                raise Invalid("envelope header: event_id must be 32 lowercase hex digits, not %r"
                              % (event_id,))
            if not is_rfc3339(env.get("sent_at")):
                raise Invalid("envelope header: sent_at must be an RFC 3339 timestamp, not %r"
                              % (env.get("sent_at"),))
            if "dsn" in env:
                check_dsn(env["dsn"], self.server.key, self.server.project)
            event = load_json_object(payload, "event payload")
            text = check_event(event, event_id)
        except Invalid as exc:
            return self.reject(str(exc), path, now, auth)
        with st.lock:
            if event_id in st.seen:
                st.duplicates += 1
            else:
                st.seen.add(event_id)
                st.events.append({
                    "event_id": event_id, "tags": event["tags"], "level": event["level"],
                    "message": text, "extra": event["extra"],
                    "fingerprint": event["fingerprint"],
                    "environment": event.get("environment"), "release": event.get("release"),
                    "received_at": now, "raw_auth": auth, "payload": event})
        self.send_json(200, {"id": event_id})

    def reject(self, reason, path, now, auth):
        with self.server.state.lock:
            self.server.state.rejected.append(
                {"reason": reason, "path": path, "received_at": now, "raw_auth": auth})
        if self.server.verbose:
            print("sentry_receiver: rejected: %s" % reason, file=sys.stderr)
        self.send_text(400, reason)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 128
    allow_reuse_address = True

    def server_bind(self):
        # Skip HTTPServer.server_bind's getfqdn(): a reverse DNS lookup can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        if self.verbose or not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def make_server(host, port, key, project, verbose=False):
    server = Server((host, port), Handler)
    server.key, server.project, server.verbose = key, project, verbose
    server.state = State()
    return server


# ---- self test ------------------------------------------------------------

def build_envelope(envelope_id, key="testkey", project="42", with_length=True, **overrides):
    event = {"event_id": envelope_id, "level": "error", "message": "job 7 failed",
             "timestamp": time.time(), "platform": "c",
             "tags": {"job_id": "7", "stage": "fetch"}, "extra": {"url": "http://x/"},
             "fingerprint": ["scrape_jobs", "fetch"], "environment": "test",
             "release": "scrape_jobs@0.1.0"}
    event.update(overrides)
    payload = json.dumps(event).encode()
    item = {"type": "event", "length": len(payload)} if with_length else {"type": "event"}
    head = {"event_id": envelope_id, "sent_at": "2024-05-01T12:00:00.123Z",
            "dsn": "http://%s@127.0.0.1/%s" % (key, project)}
    return (json.dumps(head) + "\n" + json.dumps(item) + "\n").encode() + payload + b"\n"


def selftest():
    server = make_server("127.0.0.1", 0, "testkey", "42")
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    port = server.server_address[1]
    good_auth = "Sentry sentry_version=7, sentry_key=testkey, sentry_client=scrape_jobs/0.1.0"
    failures = []

    def request(method, path, body=b"", headers=None, timeout=10):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(method, path, body, headers or {})
            resp = conn.getresponse()
            return resp.status, resp.read(), resp
        finally:
            conn.close()

    def post(body, auth=good_auth, project="42", ctype="application/x-sentry-envelope"):
        headers = {"Content-Type": ctype}
        if auth is not None:
            headers["X-Sentry-Auth"] = auth
        return request("POST", "/api/%s/envelope/" % project, body, headers)

    def expect(name, cond):
        print("%s: %s" % ("ok" if cond else "FAIL", name))
        if not cond:
            failures.append(name)

    try:
        eid = "0123456789abcdef0123456789abcdef"
        code, body, _ = post(build_envelope(eid))
        expect("valid envelope -> 200 with id", code == 200 and json.loads(body) == {"id": eid})
        reordered = "Sentry sentry_client=scrape_jobs/0.1.0,sentry_key=testkey ,sentry_version=7"
        eid2 = "fedcba9876543210fedcba9876543210"
        code, _, _ = post(build_envelope(eid2, with_length=False,
                                         message={"formatted": "other"}), auth=reordered)
        expect("reordered auth, no item length, message object -> 200", code == 200)
        code, _, _ = post(build_envelope(eid), auth=good_auth.replace("testkey", "wrong"))
        expect("wrong sentry_key -> 400", code == 400)
        code, _, _ = post(build_envelope("1" * 32), auth=None)
        expect("missing auth -> 400", code == 400)
        code, _, _ = post(build_envelope("2" * 32),
                          auth=good_auth.replace("scrape_jobs/", "other/"))
        expect("foreign sentry_client -> 400", code == 400)
        code, _, _ = post(build_envelope("3" * 32), project="43")
        expect("wrong project -> 400", code == 400)
        code, _, _ = post(build_envelope("4" * 32), ctype="application/json")
        expect("wrong content type -> 400", code == 400)
        code, _, _ = post(build_envelope("5" * 32, event_id="6" * 32))
        expect("event_id mismatch -> 400", code == 400)
        code, _, _ = post(build_envelope("7" * 32, tags={"job_id": 7}))
        expect("non-string tag -> 400", code == 400)
        code, _, _ = post(build_envelope("8" * 32, level="critical"))
        expect("bad level -> 400", code == 400)
        bad_len = build_envelope("9" * 32).replace(b'"length": ', b'"length": 1')
        code, _, _ = post(bad_len)
        expect("wrong item length -> 400", code == 400)
        code, _, _ = post(build_envelope("A" * 32))
        expect("uppercase event_id -> 400", code == 400)
        code, body, _ = post(build_envelope(eid))
        expect("duplicate -> 200", code == 200 and json.loads(body) == {"id": eid})

        code, _, _ = request("POST", "/mode?status=429&retry_after=7")
        code, _, resp = post(build_envelope("b" * 32))
        expect("mode 429 -> 429 with Retry-After", code == 429 and resp.getheader("Retry-After") == "7")
        request("POST", "/mode?status=503")
        code, _, _ = post(build_envelope("c" * 32))
        expect("mode 503 -> 503", code == 503)
        request("POST", "/mode?status=hang&seconds=0.3")
        try:
            post(build_envelope("d" * 32))
            hung = False
        except (http.client.RemoteDisconnected, ConnectionError):
            hung = True
        expect("mode hang -> connection closed without an answer", hung)
        code, _, _ = request("POST", "/mode?status=bogus")
        expect("unknown mode -> 400", code == 400)
        request("POST", "/mode?status=ok")

        code, body, _ = request("GET", "/events")
        data = json.loads(body)
        expect("/events: two events", [e["event_id"] for e in data["events"]] == [eid, eid2])
        first = data["events"][0] if data["events"] else {}
        expect("/events: fields recorded",
               first.get("tags") == {"job_id": "7", "stage": "fetch"}
               and first.get("level") == "error" and first.get("message") == "job 7 failed"
               and first.get("fingerprint") == ["scrape_jobs", "fetch"]
               and first.get("environment") == "test" and first.get("raw_auth") == good_auth)
        expect("/events: message object flattened",
               len(data["events"]) > 1 and data["events"][1]["message"] == "other")
        expect("/events: 10 rejected", len(data["rejected"]) == 10)
        expect("/events: 1 duplicate", data["duplicates"] == 1)
        expect("/events: 16 requests", data["requests"] == 16)
        request("POST", "/reset")
        _, body, _ = request("GET", "/events")
        data = json.loads(body)
        expect("/reset clears", data["events"] == [] and data["rejected"] == []
               and data["duplicates"] == 0 and data["requests"] == 0 and data["mode"] == "ok")
    except Exception as exc:  # a crash is a failure, not a traceback-and-hang
        failures.append("exception: %r" % exc)
        print("FAIL: exception %r" % exc)
    finally:
        server.state.stopping.set()
        server.shutdown()
        thread.join()
        server.server_close()
    print("selftest: %s" % ("FAILED (%d)" % len(failures) if failures else "passed"))
    return 1 if failures else 0


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--key", default="testkey", help="the DSN public key (sentry_key)")
    ap.add_argument("--project", default="42", help="the DSN project id")
    ap.add_argument("--verbose", action="store_true")
    ap.add_argument("--selftest", action="store_true")
    args = ap.parse_args()
    if args.selftest:
        return selftest()
    if args.port is None:
        ap.error("--port is required")
    try:
        server = make_server(args.host, args.port, args.key, args.project, args.verbose)
    except OSError as exc:
        print("sentry_receiver: cannot bind %s:%d: %s" % (args.host, args.port, exc), file=sys.stderr)
        return 1
    # Block SIGINT/SIGTERM before the serving thread starts (threads inherit
    # the mask) and wait for them synchronously here.
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1})
    thread.start()
    print("listening on %s:%d" % (args.host, server.server_address[1]), flush=True)
    signal.sigwait(signals)
    server.state.stopping.set()
    server.shutdown()
    thread.join()
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
