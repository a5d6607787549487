"""A reverse proxy on 127.0.0.1 in front of a REAL ``mlflow server``, as nginx or a company
gateway sits in front of a team's server, that misbehaves on demand: the faults a real server
cannot be made to show at will (a gateway's HTML error page, a 500, an answer that stalls half
way) while every other request reaches the real server and gets its real answer.

    with FaultProxy(server.url) as proxy:
        proxy.add(Fault("model-versions/create", status=500, body=..., times=1))
        ServerRegistry(proxy.url)...

A fault applies to requests whose path contains ``match`` (and whose method is ``method``, when
given), ``times`` times (``None``: always). ``status``: answer that instead of forwarding.
``stall_after``: forward the real answer's headers and that many body bytes, then send nothing
more until :meth:`FaultProxy.release` (a server that stops mid-transfer). ``hold``: take the
request and answer nothing at all, not even headers, until :meth:`FaultProxy.release`, then close
(a server or gateway that accepted the connection and hangs). ``seen`` lists every
request as ``(method, path, fault or None)``.
"""

from __future__ import annotations

import http.client
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

HOP_BY_HOP = {"connection", "keep-alive", "transfer-encoding", "te", "trailer", "upgrade",
              "proxy-authorization", "proxy-authenticate", "content-length"}
NGINX_502 = (b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>"
             b"502 Bad Gateway</h1></center>\r\n<hr><center>nginx/1.24.0</center>\r\n</body>\r\n"
             b"</html>\r\n")
STALL_LIMIT = 600.0  # a stalled answer ends by itself after this long (a test that forgot)


@dataclass
class Fault:
    match: str
    status: int | None = None
    body: bytes = b""
    content_type: str = "application/json"
    stall_after: int | None = None
    hold: bool = False
    method: str | None = None
    times: int | None = None


class FaultProxy:
    def __init__(self, upstream: str) -> None:
        parts = urlsplit(upstream)
        self.upstream_host, self.upstream_port = parts.hostname, parts.port
        self.faults: list[Fault] = []
        self.seen: list[tuple[str, str, Fault | None]] = []
        self._lock = threading.Lock()
        self._released = threading.Event()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args: object) -> None:
                pass

            def _any(self) -> None:
                proxy._handle(self)

            do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _any  # noqa: N815

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True,
                                        name="fault-proxy")

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def add(self, fault: Fault) -> Fault:
        with self._lock:
            self.faults.append(fault)
        return fault

    def clear(self) -> None:
        with self._lock:
            self.faults.clear()

    def release(self) -> None:
        """Let every stalled answer go on."""
        self._released.set()

    def hits(self, fault: Fault) -> int:
        return sum(1 for *_x, f in self.seen if f is fault)

    def _pick(self, method: str, path: str) -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.match in path and fault.method in (None, method) and \
                        (fault.times is None or fault.times > 0):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _handle(self, handler: BaseHTTPRequestHandler) -> None:
        method, path = handler.command, handler.path
        body = _read_body(handler)
        fault = self._pick(method, path)
        with self._lock:
            self.seen.append((method, path, fault))
        if fault is not None and fault.hold:
            self._released.wait(STALL_LIMIT)
            handler.close_connection = True
            return
        if fault is not None and fault.status is not None:
            handler.send_response(fault.status)
            handler.send_header("Content-Type", fault.content_type)
            handler.send_header("Content-Length", str(len(fault.body)))
            handler.end_headers()
            handler.wfile.write(fault.body)
            return
        upstream = http.client.HTTPConnection(self.upstream_host, self.upstream_port,
                                              timeout=STALL_LIMIT)
        try:
            headers = {k: v for k, v in handler.headers.items()
                       if k.lower() not in HOP_BY_HOP and k.lower() != "host"}
            headers["Host"] = f"{self.upstream_host}:{self.upstream_port}"
            upstream.request(method, path, body=body if body or method in (
                "POST", "PUT", "PATCH") else None, headers=headers)
            answer = upstream.getresponse()
            data = answer.read()
            handler.send_response(answer.status, answer.reason)
            for key, value in answer.getheaders():
                if key.lower() not in HOP_BY_HOP:
                    handler.send_header(key, value)
            handler.send_header("Content-Length", str(len(data)))
            handler.end_headers()
            if fault is not None and fault.stall_after is not None:
                handler.wfile.write(data[:fault.stall_after])
                handler.wfile.flush()
                self._released.wait(STALL_LIMIT)
                handler.close_connection = True
                return  # the rest never comes: the connection closes short
            handler.wfile.write(data)
        finally:
            upstream.close()

    def __enter__(self) -> FaultProxy:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()


def _read_body(handler: BaseHTTPRequestHandler) -> bytes:
    if handler.headers.get("Transfer-Encoding", "").lower() == "chunked":
        chunks = []
        while True:
            size = int(handler.rfile.readline().split(b";")[0].strip() or b"0", 16)
            if not size:
                handler.rfile.readline()
                return b"".join(chunks)
            chunks.append(handler.rfile.read(size))
            handler.rfile.readline()
    length = int(handler.headers.get("Content-Length") or 0)
    return handler.rfile.read(length) if length else b""
