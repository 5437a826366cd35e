"""A fault-injecting HTTP reverse proxy to put in front of the test S3 server.

versitygw has no fault injection, so tests that need S3 errors point the
client at an S3FaultProxy instead of the server. The proxy forwards every
request unchanged (method, path and query, all headers including Host,
body) to the upstream, so SigV4 signatures made for the proxy's address verify
at the server, and relays the response. Faults are rules the test adds; each
applies to the next `count` matching requests (None: until cleared):

  proxy.fail(count, status=503, code="SlowDown")   an S3 XML error response
  proxy.delay(seconds, count)                      wait before answering
  proxy.drop(count)                                close the connection, no response
  proxy.truncate(count, keep=...)                  send the headers and part of
                                                   the body, then close
  proxy.trickle(bytes_per_second, count)           send the response body slowly
  proxy.corrupt(count)                             flip one bit in the middle of the
                                                   request body, then forward it

`when="before"` (the default) acts before the request reaches the server (it
never happened); `when="after"` forwards it first, so the server did the work
and only the answer is lost or late (e.g. a PUT that landed but returned 500).
`method=` and `path=` (a regex searched in the path+query, e.g. r"\\.hoodie/")
narrow a rule. proxy.requests records every request as a ProxyRecord (method,
path, status or None when no response was sent, fault kind or None), for
assertions such as "the client retried 3 times".

When the upstream cannot be reached (server stopped), the proxy closes the
client's connection without a response, as near as a proxy gets to
"connection refused". One fresh upstream connection per request.
"""

from __future__ import annotations

import http.client
import http.server
import re
import socket
import threading
import time
import uuid
from dataclasses import dataclass, field
from xml.sax.saxutils import escape

HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "proxy-authenticate", "proxy-authorization",
              "te", "trailer", "trailers", "transfer-encoding", "upgrade"}
CHUNK = 64 * 1024

ERROR_MESSAGES = {
    "SlowDown": "Please reduce your request rate.",
    "InternalError": "We encountered an internal error. Please try again.",
    "ServiceUnavailable": "Service is unable to handle request.",
}


@dataclass
class Rule:
    kind: str  # fail, delay, drop, truncate, trickle, corrupt
    count: int | None  # requests left; None = unlimited
    when: str = "before"
    method: str | None = None
    path: re.Pattern | None = None
    status: int = 503
    code: str = "SlowDown"
    seconds: float = 0.0
    keep: int = 0
    rate: float = 0.0

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and method.upper() != self.method.upper():
            return False
        return self.path is None or self.path.search(path) is not None


@dataclass
class ProxyRecord:
    method: str
    path: str
    status: int | None = None
    fault: str | None = None
    time: float = field(default_factory=time.time)


class _Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "sluice-s3proxy"
    proxy: "S3FaultProxy"

    # An idle keep-alive connection is closed after this many seconds (as
    # servers do), so handler threads do not pile up.
    timeout = 60

    def log_message(self, format, *args):  # noqa: A002 - BaseHTTPRequestHandler's name
        pass

    # "Expect: 100-continue" is answered here (BaseHTTPRequestHandler does it)
    # and not passed on: neither botocore nor libcurl signs it, and the upstream
    # request then needs no 100-continue handshake.

    def setup(self):
        super().setup()
        with self.proxy._lock:
            self.proxy._conns.add(self.connection)

    def finish(self):
        with self.proxy._lock:
            self.proxy._conns.discard(self.connection)
        try:
            super().finish()
        except OSError:
            pass

    def _any(self):
        self.proxy._serve(self)

    do_GET = do_PUT = do_POST = do_DELETE = do_HEAD = do_OPTIONS = do_PATCH = _any


class _Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128


class S3FaultProxy:
    """A reverse proxy on 127.0.0.1:<free port> in front of `upstream`
    ("http://host:port"). start() / close(); usable as a context manager."""

    def __init__(self, upstream: str, host: str = "127.0.0.1", port: int = 0):
        m = re.fullmatch(r"http://([^/:]+):(\d+)/?", upstream)
        if not m:
            raise ValueError(f"upstream must be http://host:port, not {upstream!r}")
        self.upstream_host, self.upstream_port = m.group(1), int(m.group(2))
        self.host = host
        self._want_port = port
        self.port: int | None = None
        self.requests: list[ProxyRecord] = []
        self._rules: list[Rule] = []
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self.upstream_timeout = 120.0

    @property
    def endpoint(self) -> str:
        return f"http://{self.host}:{self.port}"

    # ------------------------------------------------------------ lifecycle
    def start(self) -> "S3FaultProxy":
        handler = type("Handler", (_Handler,), {"proxy": self})
        self._server = _Server((self.host, self._want_port), handler)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.1},
                                        name=f"s3proxy-{self.port}", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        with self._lock:
            conns = list(self._conns)
        for conn in conns:  # open keep-alive connections end with the proxy
            try:
                conn.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self._thread is not None:
            self._thread.join(10)
            self._thread = None

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.close()

    # ------------------------------------------------------------ faults
    def _add(self, rule: Rule, path: str | None) -> Rule:
        if rule.when not in ("before", "after"):
            raise ValueError(f"when must be 'before' or 'after', not {rule.when!r}")
        rule.path = re.compile(path) if path is not None else None
        with self._lock:
            self._rules.append(rule)
        return rule

    def fail(self, count: int | None = 1, status: int = 503, code: str = "SlowDown", when: str = "before",
             method: str | None = None, path: str | None = None) -> Rule:
        """The next `count` matching requests get an S3 error (status, code)."""
        return self._add(Rule("fail", count, when, method, status=status, code=code), path)

    def delay(self, seconds: float, count: int | None = 1, when: str = "before",
              method: str | None = None, path: str | None = None) -> Rule:
        """The next `count` matching requests are held `seconds` before being
        forwarded (when="before") or before the response is sent ("after")."""
        return self._add(Rule("delay", count, when, method, seconds=seconds), path)

    def drop(self, count: int | None = 1, when: str = "before", method: str | None = None,
             path: str | None = None) -> Rule:
        """The next `count` matching requests see their connection closed without
        a response (their body is read first)."""
        return self._add(Rule("drop", count, when, method), path)

    def truncate(self, count: int | None = 1, keep: int = 0, method: str | None = None,
                 path: str | None = None) -> Rule:
        """The next `count` matching responses are cut: headers (with the full
        Content-Length) and `keep` body bytes (default: half), then the
        connection closes. Always after forwarding."""
        return self._add(Rule("truncate", count, "after", method, keep=keep), path)

    def trickle(self, bytes_per_second: float, count: int | None = 1, method: str | None = None,
                path: str | None = None) -> Rule:
        """The next `count` matching response bodies are sent at about
        bytes_per_second (headers at once)."""
        return self._add(Rule("trickle", count, "after", method, rate=bytes_per_second), path)

    def corrupt(self, count: int | None = 1, method: str | None = None, path: str | None = None) -> Rule:
        """The next `count` matching requests with a body reach the server with
        one bit of the body's middle byte flipped (damage in transit, which
        the body's checksum or signed hash must catch). Headers unchanged."""
        return self._add(Rule("corrupt", count, "before", method), path)

    def clear(self) -> None:
        """Removes every rule (requests in flight keep the fault they drew)."""
        with self._lock:
            self._rules.clear()

    def pending(self) -> list[Rule]:
        with self._lock:
            return [r for r in self._rules if r.count is None or r.count > 0]

    def _draw(self, method: str, path: str) -> Rule | None:
        with self._lock:
            for rule in self._rules:
                if (rule.count is None or rule.count > 0) and rule.matches(method, path):
                    if rule.count is not None:
                        rule.count -= 1
                    return rule
        return None

    def faults_served(self, kind: str | None = None) -> int:
        with self._lock:
            return sum(1 for r in self.requests if r.fault is not None and (kind is None or r.fault == kind))

    # ------------------------------------------------------------ serving
    def _serve(self, h: _Handler) -> None:
        method, path = h.command, h.path
        record = ProxyRecord(method, path)
        with self._lock:
            self.requests.append(record)
        rule = self._draw(method, path)
        if rule is not None:
            record.fault = rule.kind
        body = self._read_body(h)  # bytes, or a list of chunks for chunked uploads
        if body is None:
            h.close_connection = True
            return

        if rule is not None and rule.when == "before":
            if rule.kind == "delay":
                time.sleep(rule.seconds)
            elif rule.kind == "fail":
                self._send_error(h, rule, record)
                return
            elif rule.kind == "drop":
                self._drop(h)
                return
            elif rule.kind == "corrupt":
                body = self._corrupted(body)

        try:
            conn, resp = self._forward(h, body)
        except (OSError, http.client.HTTPException):
            self._drop(h)  # upstream down or reset: no response at all
            return
        try:
            if rule is not None and rule.when == "after":
                if rule.kind == "delay":
                    time.sleep(rule.seconds)
                elif rule.kind in ("fail", "drop"):
                    resp.read()
                    if rule.kind == "fail":
                        self._send_error(h, rule, record)
                    else:
                        self._drop(h)
                    return
            self._relay(h, resp, rule, record)
        finally:
            conn.close()

    @staticmethod
    def _corrupted(body):
        if isinstance(body, list):  # chunked: damage the middle chunk
            if body:
                body = list(body)
                body[len(body) // 2] = S3FaultProxy._corrupted(body[len(body) // 2])
            return body
        if not body:
            return body
        damaged = bytearray(body)
        damaged[len(damaged) // 2] ^= 0x10
        return bytes(damaged)

    def _read_body(self, h: _Handler):
        te = (h.headers.get("Transfer-Encoding") or "").lower()
        try:
            if "chunked" in te:
                chunks = []
                while True:
                    line = h.rfile.readline(65537)
                    if not line:
                        return None
                    size = int(line.split(b";", 1)[0].strip() or b"0", 16)
                    if size == 0:
                        while h.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                            pass  # trailers
                        return chunks
                    chunks.append(h.rfile.read(size))
                    h.rfile.readline(65537)
            length = int(h.headers.get("Content-Length") or 0)
            data = h.rfile.read(length) if length else b""
            return data if len(data) == length else None
        except (OSError, ValueError):
            return None

    def _forward(self, h: _Handler, body):
        conn = http.client.HTTPConnection(self.upstream_host, self.upstream_port, timeout=self.upstream_timeout)
        conn.putrequest(h.command, h.path, skip_host=True, skip_accept_encoding=True)
        for name, value in h.headers.items():
            if name.lower() in HOP_BY_HOP or name.lower() == "expect":
                continue
            conn.putheader(name, value)
        chunked = isinstance(body, list)
        if chunked:
            conn.putheader("Transfer-Encoding", "chunked")
        conn.endheaders()
        try:
            if chunked:
                for chunk in body:
                    if chunk:
                        conn.send(b"%x\r\n%b\r\n" % (len(chunk), chunk))
                conn.send(b"0\r\n\r\n")
            elif body:
                conn.send(body)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the upstream answered early (e.g. 400) and closed: read that answer
        resp = conn.getresponse()
        return conn, resp

    def _send_error(self, h: _Handler, rule: Rule, record: ProxyRecord) -> None:
        request_id = uuid.uuid4().hex[:16].upper()
        message = ERROR_MESSAGES.get(rule.code, rule.code)
        xml = (f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{escape(rule.code)}</Code>'
               f"<Message>{escape(message)}</Message><RequestId>{request_id}</RequestId></Error>").encode()
        try:
            h.send_response(rule.status)
            h.send_header("Content-Type", "application/xml")
            h.send_header("x-amz-request-id", request_id)
            if rule.status in (429, 503):
                h.send_header("Retry-After", "1")
            if h.command == "HEAD":
                h.send_header("Content-Length", "0")
                h.end_headers()
            else:
                h.send_header("Content-Length", str(len(xml)))
                h.end_headers()
                h.wfile.write(xml)
            h.wfile.flush()
            record.status = rule.status
        except OSError:
            h.close_connection = True

    def _drop(self, h: _Handler) -> None:
        h.close_connection = True
        try:
            h.wfile.flush()
            h.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass

    def _relay(self, h: _Handler, resp: http.client.HTTPResponse, rule: Rule | None, record: ProxyRecord) -> None:
        kind = rule.kind if rule is not None else None
        try:
            h.send_response_only(resp.status, resp.reason)
            length = resp.getheader("Content-Length")
            chunked = length is None and h.command != "HEAD" and resp.status not in (204, 304)
            for name, value in resp.getheaders():
                if name.lower() in HOP_BY_HOP:
                    continue
                h.send_header(name, value)
            if chunked:
                h.send_header("Transfer-Encoding", "chunked")
            if resp.will_close and not chunked and length is None:
                h.close_connection = True
            h.end_headers()
            record.status = resp.status
            if h.command == "HEAD":
                h.wfile.flush()
                return
            if kind == "truncate":
                total = int(length) if length is not None else 0
                keep = rule.keep if rule.keep > 0 else total // 2
                data = resp.read(keep) if keep else b""
                h.wfile.write(data)
                h.wfile.flush()
                self._drop(h)
                return
            sent = 0
            started = time.monotonic()
            step = CHUNK
            if kind == "trickle":
                step = max(1, int(rule.rate / 10)) if rule.rate > 0 else 1
            while True:
                data = resp.read(step)
                if not data:
                    break
                h.wfile.write(b"%x\r\n%b\r\n" % (len(data), data) if chunked else data)
                sent += len(data)
                if kind == "trickle" and rule.rate > 0:
                    h.wfile.flush()
                    ahead = sent / rule.rate - (time.monotonic() - started)
                    if ahead > 0:
                        time.sleep(ahead)
            if chunked:
                h.wfile.write(b"0\r\n\r\n")
            h.wfile.flush()
        except (OSError, http.client.HTTPException):
            h.close_connection = True
