#!/usr/bin/env python3
"""Local HTTP/1.1 fault-injection server for the integration tests.

Standard library only.  Usage:

    python3 fault_server.py --port PORT [--host 127.0.0.1] [--root DIR] [--verbose]

Prints exactly one line, ``listening on HOST:PORT``, once the socket is bound
(``--port 0`` picks a free port and prints it).  Exits cleanly on SIGTERM/SIGINT.

Routes (GET):
  /site/<path>                  static files from --root (default: test/site)
  /ok                           tiny HTML page
  /slow?ms=N                    sleep N ms before the headers
  /drip?chunks=N&interval_ms=M&chunk_bytes=B
                                headers at once, then N chunks of B bytes of 'x',
                                sleeping M ms before each chunk (~N*M ms total)
  /status/<code>[?retry_after=V]
  /redirect/<n>, /redirect-loop, /redirect-to?url=U
  /big?bytes=N, /big-nolength?bytes=N
  /reset, /reset-mid            abortive close (TCP RST)
  /gzip, /gzip-bomb?mb=N
  /charset/latin1, /charset/meta-1252, /charset/http-equiv, /charset/invalid-utf8
  /binary                       small valid PNG image
  /hits?path=P, /hits/reset     per-path request counters (path without query)
  /requests-ours                requests with the workers' default User-Agent
  /counted?key=K&fails=N&how=H  the first N requests of K fail (H: 503, the
                                default, or reset), the next answer 200;
                                /counted-hits?key=K tells how many came
  /counted-summary?prefix=P     "KEYS MAX TOTAL": how many keys start with P,
                                the most requests one got, and all (ms=M on
                                /counted waits M ms before the answer)
"""

import argparse
import gzip
import hashlib
import http.server
import os
import signal
import socket
import socketserver
import struct
import sys
import threading
import time
import zlib
from urllib.parse import parse_qs, unquote, urlsplit

DEFAULT_ROOT = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "site")
CHUNK = 64 * 1024

CONTENT_TYPES = {
    ".html": "text/html; charset=utf-8", ".htm": "text/html; charset=utf-8",
    ".xml": "application/xml; charset=utf-8", ".txt": "text/plain; charset=utf-8",
    ".json": "application/json", ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8", ".svg": "image/svg+xml",
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg",
    ".gif": "image/gif", ".ico": "image/x-icon", ".pdf": "application/pdf",
}

CLIENT_GONE = (BrokenPipeError, ConnectionResetError, ConnectionAbortedError, TimeoutError)


def is_utf8(body):
    try:
        body.decode("utf-8")
        return True
    except UnicodeDecodeError:
        return False


def page(title, text):
    return ("<!DOCTYPE html><html><head><title>%s</title></head><body>%s</body></html>"
            % (title, text)).encode("utf-8")


def make_png():
    """A valid 10x10 RGB PNG of pseudo-random pixels (a few hundred bytes)."""
    def chunk(kind, data):
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))
    noise = b"".join(hashlib.sha256(bytes([i])).digest() for i in range(10))
    raw = b"".join(b"\x00" + noise[y * 30:(y + 1) * 30] for y in range(10))
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", 10, 10, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


# Fixed bodies, built once at import time.
OK_PAGE = b"<html><head><title>ok</title></head><body>ok</body></html>"
GZIP_PAGE = gzip.compress(page("gzip", "<p>gzip works</p>"), mtime=0)
PNG_BYTES = make_png()
CHARSET_PAGES = {
    "latin1": ("text/html; charset=ISO-8859-1",
               page("latin1", "<p>café crème</p>").decode().encode("latin-1")),
    "meta-1252": ("text/html",
                  ('<!DOCTYPE html><html><head><meta charset="windows-1252">'
                   "<title>cp1252</title></head><body><p>prix: 10 €</p></body></html>"
                   ).encode("cp1252")),
    "http-equiv": ("text/html",
                   ('<html><head><meta http-equiv="Content-Type" '
                    'content="text/html; charset=iso-8859-1"><title>http-equiv</title>'
                    "</head><body><p>naïve</p></body></html>").encode("latin-1")),
    "invalid-utf8": ("text/html; charset=utf-8",
                     b"<html><head><title>invalid</title></head><body><p>before "
                     b"\xff\xfe\xc3\x00 after</p></body></html>"),
}


class State:
    """Shared mutable state: hit counters and the gzip-bomb cache."""
    lock = threading.Lock()
    hits = {}
    ours = 0        # requests with the workers' default User-Agent
    bombs = {}
    inflight = {}   # /slow?track=K: requests of K being served now
    max_inflight = {}   # ... and the most seen at once
    last_arrival = {}   # ... when the last one arrived (monotonic seconds)
    min_gap = {}    # ... and the shortest gap between two arrivals
    first_arrival = {}  # ... when the first one arrived
    arrivals = {}   # ... and how many have
    healthy = set()  # /flaky?key=K answers 200 once K is in here
    robots = {}     # /robots-set: host -> (mode, value) of its robots.txt
    counted = {}    # /counted?key=K: requests of K so far

    @classmethod
    def gzip_bomb(cls, mb):
        with cls.lock:
            if mb not in cls.bombs:
                comp = zlib.compressobj(9, zlib.DEFLATED, 31)  # wbits 31 = gzip container
                zeros = bytes(1024 * 1024)
                cls.bombs[mb] = b"".join([comp.compress(zeros) for _ in range(mb)] + [comp.flush()])
            return cls.bombs[mb]


class BadParam(Exception):
    pass


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "fault_server/1.0"
    timeout = 60  # idle keep-alive connections are dropped after this

    # ---- plumbing -------------------------------------------------------

    def log_message(self, fmt, *args):
        if self.server.verbose:
            super().log_message(fmt, *args)

    def setup(self):
        super().setup()
        # Small header + body writes on a keep-alive connection would otherwise hit
        # the Nagle / delayed-ACK interaction (~40 ms per response).
        self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

    def handle(self):
        try:
            super().handle()
        except CLIENT_GONE:
            self.close_connection = True

    def parse_request(self):
        ok = super().parse_request()
        if ok:  # count every well-formed request, whatever its method or route
            parts = urlsplit(self.path)
            # by path, and by path with query so a test can count its own URL
            keys = {parts.path, parts.path + ("?" + parts.query if parts.query else "")}
            ours = (self.headers.get("User-Agent") or "").startswith("scrape_jobs/")
            with State.lock:
                for key in keys:
                    State.hits[key] = State.hits.get(key, 0) + 1
                if ours:
                    State.ours += 1
        return ok

    def send_body(self, code, body, ctype="text/html; charset=utf-8", headers=()):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_text(self, code, text):
        self.send_body(code, text.encode("utf-8"), "text/plain; charset=utf-8")

    def redirect(self, location, code=302):
        self.send_body(code, page("redirect", "redirecting"), headers=[("Location", location)])

    def int_param(self, name, default, lo=0, hi=1 << 40):
        values = self.query.get(name)
        if not values:
            return default
        try:
            value = int(values[0])
        except ValueError:
            raise BadParam("%s must be an integer" % name)
        if not lo <= value <= hi:
            raise BadParam("%s out of range [%d, %d]" % (name, lo, hi))
        return value

    def rst_close(self):
        """Abortive close: SO_LINGER(on, 0) then close() makes the kernel send RST."""
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.rfile.close()  # drop the makefile() reference so close() really closes the fd
        self.connection.close()

    # ---- dispatch -------------------------------------------------------

    def do_GET(self):
        url = urlsplit(self.path)
        self.query = parse_qs(url.query)
        path = url.path
        # Discard any request body so keep-alive framing stays correct.
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)
        try:
            if path in EXACT_ROUTES:
                return EXACT_ROUTES[path](self)
            for prefix, func in PREFIX_ROUTES:
                if path.startswith(prefix):
                    return func(self, path[len(prefix):])
            self.send_body(404, page("not found", "not found"))
        except BadParam as exc:
            self.send_text(400, "bad request: %s\n" % exc)
        except CLIENT_GONE:
            self.close_connection = True

    # ---- routes ---------------------------------------------------------

    def route_ok(self):
        self.send_body(200, OK_PAGE)

    def route_slow(self):
        ms = self.int_param("ms", 1000, hi=3600 * 1000)
        key = self.query.get("track", [None])[0]
        if key is not None:  # count concurrent requests of this key
            now = time.monotonic()
            with State.lock:
                State.inflight[key] = State.inflight.get(key, 0) + 1
                State.max_inflight[key] = max(State.max_inflight.get(key, 0),
                                              State.inflight[key])
                if key in State.last_arrival:
                    gap = now - State.last_arrival[key]
                    State.min_gap[key] = min(State.min_gap.get(key, gap), gap)
                State.last_arrival[key] = now
                State.first_arrival.setdefault(key, now)
                State.arrivals[key] = State.arrivals.get(key, 0) + 1
        try:
            time.sleep(ms / 1000.0)
        finally:
            if key is not None:
                with State.lock:
                    State.inflight[key] -= 1
        self.send_body(200, page("slow", "slow response after %d ms" % ms))

    def route_concurrency(self):
        # the most /slow?track=K requests served at once, the shortest gap
        # between two of their arrivals and the mean gap, first to last
        # (ms; -1 with fewer than two)
        key = self.query.get("key", [""])[0]
        with State.lock:
            count = State.max_inflight.get(key, 0)
            gap = State.min_gap.get(key)
            n = State.arrivals.get(key, 0)
            mean = None if n < 2 else \
                (State.last_arrival[key] - State.first_arrival[key]) / (n - 1)
        self.send_text(200, "max %d\nmin_gap_ms %d\nmean_gap_ms %d\n"
                       % (count, -1 if gap is None else int(gap * 1000),
                          -1 if mean is None else int(mean * 1000)))

    def route_flaky(self):
        # 503 until /flaky-set?key=K&ok=1, then 200
        key = self.query.get("key", [""])[0]
        with State.lock:
            ok = key in State.healthy
        if ok:
            self.send_body(200, page("flaky", "flaky %s is up" % key))
        else:
            self.send_body(503, b"flaky " + key.encode() + b" is down")

    def route_flaky_set(self):
        key = self.query.get("key", [""])[0]
        ok = self.query.get("ok", ["1"])[0] == "1"
        with State.lock:
            if ok:
                State.healthy.add(key)
            else:
                State.healthy.discard(key)
        self.send_text(200, "flaky %s %s\n" % (key, "up" if ok else "down"))

    def route_counted(self):
        key = self.query.get("key", [""])[0]
        fails = self.int_param("fails", 1000000, hi=1 << 30)
        how = self.query.get("how", ["503"])[0]
        ms = self.int_param("ms", 0, hi=3600 * 1000)
        with State.lock:
            n = State.counted.get(key, 0) + 1
            State.counted[key] = n
        if ms > 0:
            time.sleep(ms / 1000.0)
        if n > fails:
            self.send_body(200, page("counted", "request %d of %s" % (n, key)))
        elif how == "reset":
            self.rst_close()
        else:
            self.send_body(503, b"request %d of %s fails" % (n, key.encode()))

    def route_counted_hits(self):
        key = self.query.get("key", [""])[0]
        with State.lock:
            n = State.counted.get(key, 0)
        self.send_text(200, "%d\n" % n)

    def route_counted_summary(self):
        # over the keys that start with prefix: how many, and the most
        # requests any of them got
        prefix = self.query.get("prefix", [""])[0]
        with State.lock:
            hits = [n for k, n in State.counted.items() if k.startswith(prefix)]
        self.send_text(200, "%d %d %d\n" % (len(hits), max(hits, default=0), sum(hits)))

    def route_drip(self):
        chunks = self.int_param("chunks", 10, hi=1 << 20)
        interval = self.int_param("interval_ms", 100, hi=3600 * 1000)
        size = self.int_param("chunk_bytes", 100, hi=1 << 24)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(chunks * size))
        self.end_headers()
        data = b"x" * size
        for _ in range(chunks):
            time.sleep(interval / 1000.0)
            self.wfile.write(data)

    def route_status(self, rest):
        try:
            code = int(rest)
        except ValueError:
            raise BadParam("status code must be an integer")
        if not 200 <= code <= 599:
            raise BadParam("status code must be in 200..599")
        headers = []
        retry = self.query.get("retry_after")
        if retry and code in (429, 503):
            headers.append(("Retry-After", retry[0]))
        if code in (204, 304):  # these must not carry a body
            self.send_response(code)
            for name, value in headers:
                self.send_header(name, value)
            self.end_headers()
            return
        self.send_body(code, ("status %d" % code).encode(), headers=headers)

    def route_redirect(self, rest):
        try:
            n = int(rest)
        except ValueError:
            raise BadParam("redirect count must be an integer")
        if n <= 0:
            self.send_body(200, page("redirect target", "redirect target"))
        else:
            self.redirect("/redirect/%d" % (n - 1))

    def route_redirect_loop(self):
        self.redirect("/redirect-loop")

    def route_redirect_to(self):
        url = self.query.get("url")
        if not url:
            raise BadParam("url parameter required")
        self.redirect(url[0])

    def stream_a(self, total):
        block = b"a" * CHUNK
        while total > 0:
            n = min(total, CHUNK)
            self.wfile.write(block if n == CHUNK else block[:n])
            total -= n

    def route_big(self):
        total = self.int_param("bytes", 1024 * 1024)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(total))
        self.end_headers()
        self.stream_a(total)

    def route_big_nolength(self):
        total = self.int_param("bytes", 1024 * 1024)
        self.close_connection = True  # body is delimited by connection close
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Connection", "close")
        self.end_headers()
        self.stream_a(total)

    def route_reset(self):
        self.rst_close()

    def route_reset_mid(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"a" * 1000)
        time.sleep(0.05)  # let the partial body leave before the RST
        self.rst_close()

    def with_origin(self, body):
        return body.replace(b"{origin}", ("http://" + (self.headers.get("Host") or "")).encode())

    def route_robots(self):
        # the robots.txt of the whole server: test/site/robots.txt, with
        # {origin} replaced by this request's scheme://host:port; host
        # 127.0.0.4 has none (404), as many sites; a host set by
        # /robots-set answers slowly ("slow", after value ms) or with a
        # file of value bytes ("big": a rule, padding comments, then
        # "Disallow: /" past the first value - 100 bytes)
        host = (self.headers.get("Host") or "").split(":")[0]
        with State.lock:
            mode, value = State.robots.get(host, ("normal", 0))
        if host == "127.0.0.4":
            return self.send_body(404, page("not found", "not found"))
        if mode == "slow":
            time.sleep(value / 1000.0)
        if mode == "big":
            head = b"User-agent: *\nDisallow: /site/hostile/private/\n"
            tail = b"User-agent: *\nDisallow: /\n"
            pad = b"# " + b"x" * 97 + b"\n"
            n = max(0, (value - len(head) - len(tail)) // len(pad))
            return self.send_body(200, head + pad * n + tail, "text/plain; charset=utf-8")
        with open(os.path.join(self.server.root, "robots.txt"), "rb") as f:
            body = self.with_origin(f.read())
        self.send_body(200, body, "text/plain; charset=utf-8")

    def route_robots_set(self):
        # /robots-set?host=127.0.0.3&mode=slow|big|normal&value=N
        host = self.query.get("host", [""])[0]
        mode = self.query.get("mode", ["normal"])[0]
        if mode not in ("slow", "big", "normal"):
            raise BadParam("mode must be slow, big or normal")
        value = self.int_param("value", 0)
        with State.lock:
            State.robots[host] = (mode, value)
        self.send_text(200, "robots.txt of %s: %s %d\n" % (host, mode, value))

    def route_long_location(self):
        # a redirect to a URL of n bytes on this server
        n = self.int_param("n", 100000, lo=10, hi=1 << 20)
        self.redirect("/ok?" + "a" * (n - 20))

    def route_gz(self, rest):
        # /gz/<path>: test/site/<path> as a gzip file (not Content-Encoding)
        full = os.path.realpath(os.path.join(self.server.root, rest))
        if not full.startswith(os.path.realpath(self.server.root) + os.sep) or not os.path.isfile(full):
            return self.send_body(404, page("not found", "not found"))
        with open(full, "rb") as f:
            self.send_body(200, gzip.compress(self.with_origin(f.read())), "application/gzip")

    def route_partial(self):
        # announce 100000 bytes, send 1000, then close cleanly (FIN, no RST)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "100000")
        self.end_headers()
        self.wfile.write(b"a" * 1000)
        self.wfile.flush()
        self.close_connection = True
        try:
            self.connection.shutdown(socket.SHUT_WR)
        except OSError:
            pass

    def route_big_headers(self):
        # ?kb=N kilobytes of response headers (in 1 KiB headers)
        kb = self.int_param("kb", 300, hi=100000)
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", "2")
        for i in range(kb):
            self.send_header("X-Filler-%d" % i, "f" * 1000)
        self.end_headers()
        self.wfile.write(b"ok")

    def route_hostile(self, kind):
        # /hostile/nested: 80000 nested <div>s (880 kB) and no charset label;
        # /hostile/attr: one attribute of 900 KB
        if kind == "nested":
            body = (b"<html><body>" + b"<div>" * 80000 + b"deep"
                    + b"</div>" * 80000 + b"</body></html>")
        else:
            body = b'<html><head><meta name="x" content="' + b"A" * 900000 + b'"></head><body>attr</body></html>'
        self.send_body(200, body, "text/html")

    def route_gzip(self):
        self.send_body(200, GZIP_PAGE, headers=[("Content-Encoding", "gzip")])

    def route_gzip_bomb(self):
        mb = self.int_param("mb", 50, lo=1, hi=10240)
        self.send_body(200, State.gzip_bomb(mb), "text/plain",
                       headers=[("Content-Encoding", "gzip")])

    def route_charset(self, rest):
        if rest not in CHARSET_PAGES:
            return self.send_body(404, page("not found", "not found"))
        ctype, body = CHARSET_PAGES[rest]
        self.send_body(200, body, ctype)

    def route_echo_headers(self):
        # the request headers, one "name: value" per line, names lower-cased
        lines = ["%s: %s" % (k.lower(), v) for k, v in self.headers.items()]
        self.send_text(200, "\n".join(lines) + "\n")

    def route_binary(self):
        self.send_body(200, PNG_BYTES, "image/png")

    def route_hits(self):
        target = self.query.get("path", [""])[0]
        with State.lock:
            count = State.hits.get(target, 0)
        self.send_text(200, "%d\n" % count)

    def route_requests_ours(self):
        with State.lock:
            n = State.ours
        self.send_text(200, "%d\n" % n)

    def route_hits_reset(self):
        with State.lock:
            State.hits.clear()
        self.send_text(200, "ok\n")

    def route_site(self, rest):
        rel = unquote(rest)
        parts = rel.split("/")
        if ".." in parts or "\\" in rel or "\x00" in rel:
            return self.send_body(403, page("forbidden", "forbidden"))
        root = os.path.realpath(self.server.root)
        full = os.path.realpath(os.path.join(root, *[p for p in parts if p]))
        if full != root and not full.startswith(root + os.sep):
            return self.send_body(403, page("forbidden", "forbidden"))
        if os.path.isdir(full):
            if rest and not rest.endswith("/"):  # keep relative links working
                return self.redirect("/site/" + rest + "/", 301)
            full = os.path.join(full, "index.html")
        try:
            with open(full, "rb") as f:
                body = f.read()
        except OSError:
            return self.send_body(404, page("not found", "not found"))
        ext = os.path.splitext(full)[1].lower()
        if ext == ".xml":   # sitemaps name absolute URLs: {origin} is this server
            body = self.with_origin(body)
        ctype = CONTENT_TYPES.get(ext, "application/octet-stream")
        if ctype.endswith("; charset=utf-8") and not is_utf8(body):
            # like most servers, say nothing of a charset we do not know:
            # the page's own <meta> must tell (test/site/store/p/*-1252.html)
            ctype = ctype.split(";")[0]
        self.send_body(200, body, ctype)

    def route_site_noslash(self):
        self.redirect("/site/", 301)


EXACT_ROUTES = {
    "/echo-headers": Handler.route_echo_headers,
    "/partial": Handler.route_partial,
    "/robots.txt": Handler.route_robots, "/robots-set": Handler.route_robots_set,
    "/long-location": Handler.route_long_location,
    "/big-headers": Handler.route_big_headers,
    "/concurrency": Handler.route_concurrency,
    "/flaky": Handler.route_flaky, "/flaky-set": Handler.route_flaky_set,
    "/counted": Handler.route_counted, "/counted-hits": Handler.route_counted_hits,
    "/counted-summary": Handler.route_counted_summary,
    "/ok": Handler.route_ok, "/slow": Handler.route_slow, "/drip": Handler.route_drip,
    "/redirect-loop": Handler.route_redirect_loop, "/redirect-to": Handler.route_redirect_to,
    "/big": Handler.route_big, "/big-nolength": Handler.route_big_nolength,
    "/reset": Handler.route_reset, "/reset-mid": Handler.route_reset_mid,
    "/gzip": Handler.route_gzip, "/gzip-bomb": Handler.route_gzip_bomb,
    "/binary": Handler.route_binary, "/hits": Handler.route_hits,
    "/hits/reset": Handler.route_hits_reset,
    "/requests-ours": Handler.route_requests_ours, "/site": Handler.route_site_noslash,
}
PREFIX_ROUTES = [
    ("/site/", Handler.route_site), ("/status/", Handler.route_status),
    ("/redirect/", Handler.route_redirect), ("/charset/", Handler.route_charset),
    ("/hostile/", Handler.route_hostile), ("/gz/", Handler.route_gz),
]


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    # the default backlog of 5 drops SYNs when workers open dozens of
    # connections at once
    request_queue_size = 1024
    allow_reuse_address = True

    def server_bind(self):
        # Skip HTTPServer.server_bind's getfqdn(): a reverse DNS lookup can stall.
        socketserver.TCPServer.server_bind(self)
        self.server_name, self.server_port = self.server_address[:2]

    def handle_error(self, request, client_address):
        # Client disconnects and other socket errors are expected here: stay quiet.
        if self.verbose or not isinstance(sys.exc_info()[1], OSError):
            super().handle_error(request, client_address)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--host", action="append",
                    help="address to listen on (repeatable; default 127.0.0.1). "
                         "All addresses share the port picked for the first.")
    ap.add_argument("--root", default=DEFAULT_ROOT)
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()
    hosts = args.host or ["127.0.0.1"]

    servers = []
    port = args.port
    for host in hosts:
        try:
            server = Server((host, port), Handler)
        except OSError as exc:
            print("fault_server: cannot bind %s:%d: %s" % (host, port, exc), file=sys.stderr)
            return 1
        server.root, server.verbose = args.root, args.verbose
        port = server.server_address[1]  # --port 0: the others reuse the one picked
        servers.append(server)

    # Block SIGINT/SIGTERM before any thread starts (threads inherit the mask) and
    # wait for them synchronously here; serving happens in background threads.
    signals = {signal.SIGINT, signal.SIGTERM}
    signal.pthread_sigmask(signal.SIG_BLOCK, signals)
    threads = [threading.Thread(target=s.serve_forever, kwargs={"poll_interval": 0.1})
               for s in servers]
    for t in threads:
        t.start()
    print("listening on %s:%d" % (hosts[0], port), flush=True)
    signal.sigwait(signals)
    for server in servers:
        server.shutdown()  # stops serve_forever; daemon request threads are abandoned
    for t in threads:
        t.join()
    for server in servers:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
