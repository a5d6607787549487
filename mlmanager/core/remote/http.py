"""One HTTP transport for a tracking server: keep-alive, timeouts, retries, cancel, clear errors.

Standard library only (``http.client``): no ``requests`` import at start-up, no mlflow. Retries
follow MLflow's client: 408, 429, 500, 502, 503 and 504 are retried with exponential backoff
(``MLFLOW_HTTP_REQUEST_MAX_RETRIES``, ``MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR``; ``Retry-After`` is
honoured), each request has a timeout (``MLFLOW_HTTP_REQUEST_TIMEOUT``). Writes that are not
idempotent are retried only when the server surely did not act (429, 503, nothing listening).
Every failure is a :class:`ServerError` whose message names the server and says what to do.

A cancel takes effect at once at any point of a read (idempotent) request: while it connects,
while it waits for the answer's headers and while its body streams. One watcher thread
(:class:`_CancelWatch`) polls the cancels of the requests in flight and shuts down the socket of a
cancelled one, so the blocked call returns and the request raises :class:`TransferCancelled`
instead of waiting for the server or the timeout. A write that is not idempotent is not cut while
it waits for its answer (the server may be acting on it); its cancel is polled between attempts.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import os
import re
import socket
import ssl
import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, BinaryIO
from urllib.parse import urlencode, urlsplit

from mlmanager import __version__
from mlmanager.core.errors import ModelReadError
from mlmanager.core.library.registry.source import RegistryNotFoundError
from mlmanager.core.remote.auth import ENV_INSECURE, ENV_SERVER_CERT, ENV_TOKEN, ServerAuth
from mlmanager.core.transfer.staging import CancelFn as Cancel
from mlmanager.core.transfer.staging import TransferCancelled

RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
_SAFE_FOR_WRITES = frozenset({429, 503})
DEFAULT_TIMEOUT = 60.0
DEFAULT_RETRIES = 5
DEFAULT_BACKOFF = 1.0
CONNECT_RETRIES = 2
MAX_BACKOFF = 30.0
MAX_ERROR_BODY = 64 * 1024
CANCEL_POLL = 0.1  # seconds between the watcher's looks at the cancels of requests in flight
CHUNK = 1 << 20  # upload block size (http.client's default of 8 KiB costs CPU)
_TITLE = re.compile(rb"<title[^>]*>(.*?)</title>", re.IGNORECASE | re.DOTALL)


class ServerError(ModelReadError):
    """A tracking server could not be reached or refused a request (``path`` is its URL)."""

    def __init__(self, message: str, server: str, *, status: int | None = None,
                 error_code: str | None = None) -> None:
        self.status = status
        self.error_code = error_code
        super().__init__(message, server)


class ServerNotFoundError(ServerError, RegistryNotFoundError):
    """The server answered RESOURCE_DOES_NOT_EXIST (a model, version, alias, run...)."""


class TransferBrokenError(ServerError):
    """The connection broke while a body was being transferred."""


def _env_number(name: str, default: float) -> float:
    try:
        return float(os.environ[name])
    except (KeyError, ValueError):
        return default


def _html_title(body: bytes) -> str | None:
    match = _TITLE.search(body[:MAX_ERROR_BODY])
    if not match:
        return None
    return " ".join(match.group(1).decode("utf-8", "replace").split())[:120] or None


def looks_like_html(body: bytes, content_type: str) -> bool:
    head = body[:512].lstrip().lower()
    return "html" in content_type.lower() or head.startswith((b"<!doctype", b"<html", b"<head"))


class _Cut:
    """One request's hold on its sockets (duplicates of their descriptors, valid whatever
    http.client or TLS does with the originals): a cancel shuts them down."""

    __slots__ = ("cancel", "done", "socks")

    def __init__(self, cancel: Cancel) -> None:
        self.cancel = cancel
        self.done = False  # the cancel came: the request's sockets are (being) shut down
        self.socks: list[socket.socket] = []


def _shut(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)


class _CancelWatch:
    """One daemon thread, alive while requests with a cancel are in flight, that polls their
    cancels every :data:`CANCEL_POLL` s and cuts the sockets of the cancelled ones. Everything
    happens under one lock, so a request that has ended (:meth:`end`) is never cut after, and
    a socket handed over after the cancel came (:meth:`use`) is cut at once."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._cuts: set[_Cut] = set()
        self._running = False

    def start(self, cancel: Cancel) -> _Cut:
        cut = _Cut(cancel)
        with self._lock:
            self._cuts.add(cut)
            if not self._running:
                self._running = True
                threading.Thread(target=self._run, daemon=True,
                                 name="mlmanager-http-cancel").start()
        return cut

    def use(self, cut: _Cut, sock: socket.socket) -> None:
        """``cut``'s request now talks through ``sock`` (connected or about to connect)."""
        try:  # a plain socket on a duplicate descriptor (an SSLSocket cannot dup itself)
            dup = socket.fromfd(sock.fileno(), sock.family, sock.type)
        except OSError:
            return
        with self._lock:
            if cut.done:  # the cancel came first
                _shut(dup)
            if cut.done or cut not in self._cuts:
                dup.close()
            else:
                cut.socks.append(dup)

    def end(self, cut: _Cut) -> None:
        """The request is over: never cut it from now on, and close its duplicates."""
        with self._lock:
            self._cuts.discard(cut)
            socks, cut.socks = cut.socks, []
            for sock in socks:
                sock.close()

    def _run(self) -> None:
        tick = threading.Event()
        while True:
            tick.wait(CANCEL_POLL)
            with self._lock:
                if not self._cuts:
                    self._running = False
                    return
                for cut in self._cuts:
                    if not cut.done and _asked(cut.cancel):
                        cut.done = True
                        for sock in cut.socks:
                            _shut(sock)


def _asked(cancel: Cancel) -> bool:
    try:
        return bool(cancel())
    except Exception:  # noqa: BLE001 - a broken cancel callback must not stop the watcher
        return False


_WATCH = _CancelWatch()


class _CuttableSocket:
    """Mixin for http.client's connections: the socket is handed to the request's cut before
    it connects, so a cancel can end a connect that hangs (a full backlog, a firewall)."""

    cut: _Cut | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._create_connection = self._open_socket

    def _open_socket(self, address: tuple[str, int], timeout: float,
                     source_address: tuple[str, int] | None = None) -> socket.socket:
        """``socket.create_connection``, with the socket given to the cut before ``connect``."""
        host, port = address
        error: OSError | None = None
        for family, kind, proto, _name, where in socket.getaddrinfo(host, port, 0,
                                                                    socket.SOCK_STREAM):
            sock = socket.socket(family, kind, proto)
            try:
                sock.settimeout(timeout)
                if source_address:
                    sock.bind(source_address)
                cut = self.cut
                if cut is not None:
                    _WATCH.use(cut, sock)
                sock.connect(where)
                return sock
            except OSError as exc:
                error = exc
                sock.close()
                if self.cut is not None and self.cut.done:
                    break
        raise error if error is not None else OSError(f"no address found for {host}")


class _Connection(_CuttableSocket, http.client.HTTPConnection):
    pass


class _TlsConnection(_CuttableSocket, http.client.HTTPSConnection):
    pass


class Response:
    """A streamed response: read it in chunks, then close it (or use ``with``)."""

    def __init__(self, raw: http.client.HTTPResponse, transport: HttpTransport, what: str,
                 cut: _Cut | None = None) -> None:
        self.raw = raw
        self._cut = cut
        self.status = raw.status
        self.headers = raw.headers
        self._transport = transport
        self.what = what
        self.received = 0
        length = raw.headers.get("Content-Length")
        self.expected = int(length) if length and length.isdigit() else None

    def read(self, size: int) -> bytes:
        """Up to ``size`` bytes; ``b""`` at the end. A body shorter than its Content-Length
        (the server died, a proxy cut it) raises :class:`TransferBrokenError`."""
        try:
            data = self.raw.read(size)
        except (http.client.IncompleteRead, ConnectionError, TimeoutError, OSError,
                http.client.HTTPException) as exc:
            raise self._failure(exc) from None
        self.received += len(data)
        if not data:
            self._check_end()
        return data

    def readinto(self, buffer: memoryview) -> int:
        """What one receive brought (at most ``len(buffer)`` bytes), into ``buffer``; 0 at the
        end; a short body raises as :meth:`read` does. One receive, not a full buffer: bytes
        that arrived before a stall or a cut are handed over (and kept), never lost with it."""
        try:
            data = self.raw.read1(len(buffer))
            n = len(data)
            buffer[:n] = data
        except (http.client.IncompleteRead, ConnectionError, TimeoutError, OSError,
                http.client.HTTPException) as exc:
            raise self._failure(exc) from None
        self.received += n
        if not n:
            self._check_end()
        return n

    @property
    def cancelled(self) -> bool:
        """A cancel cut this response's connection."""
        return self._cut is not None and self._cut.done

    def _failure(self, exc: BaseException) -> ServerError | TransferCancelled:
        self._transport.drop_connection()
        if self.cancelled:
            return self._transport.cancelled()
        return self._transport.broken(self.what, exc)

    def _check_end(self) -> None:
        """The body ended: cut short by a cancel, or shorter than its Content-Length."""
        if self.cancelled:
            raise self._failure(ConnectionAbortedError())
        if self.expected is not None and self.received < self.expected:
            raise self._failure(http.client.IncompleteRead(b"", self.expected - self.received))

    def close(self) -> None:
        try:
            self.raw.close()
        finally:
            if self.raw.will_close or self.cancelled:
                self._transport.drop_connection()
            if self._cut is not None:
                _WATCH.end(self._cut)

    def __enter__(self) -> Response:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class HttpTransport:
    """Requests to one server (``base_url`` like ``http://host:5000`` or with a path prefix).

    One persistent connection per thread. ``cancel`` is polled before each attempt and during
    backoff waits; a cancelled call raises :class:`CancelledError`.
    """

    def __init__(
        self,
        base_url: str,
        auth: ServerAuth | None = None,
        *,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_factor: float | None = None,
    ) -> None:
        parts = urlsplit(base_url.rstrip("/"))
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerError("not an http(s):// server URI", base_url)
        self.base_url = f"{parts.scheme}://{parts.netloc}{parts.path}".rstrip("/")
        self.scheme = parts.scheme
        self.host = parts.hostname
        self.port = parts.port or (443 if parts.scheme == "https" else 80)
        self.prefix = parts.path.rstrip("/")
        self.auth = auth if auth is not None else ServerAuth.from_env()
        self.timeout = timeout if timeout is not None else _env_number(
            "MLFLOW_HTTP_REQUEST_TIMEOUT", DEFAULT_TIMEOUT)
        self.max_retries = int(max_retries if max_retries is not None else _env_number(
            "MLFLOW_HTTP_REQUEST_MAX_RETRIES", DEFAULT_RETRIES))
        self.backoff_factor = backoff_factor if backoff_factor is not None else _env_number(
            "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", DEFAULT_BACKOFF)
        self._local = threading.local()
        self._ssl_context: ssl.SSLContext | None = None

    @property
    def is_loopback(self) -> bool:
        """A server on this machine (its ``file://`` locations are this machine's files)."""
        return self.host in ("localhost", "::1") or self.host.startswith("127.")

    # -- connections

    def _context(self) -> ssl.SSLContext:
        if self._ssl_context is None:
            auth = self.auth
            if auth.insecure_tls:
                ctx = ssl._create_unverified_context()  # noqa: S323 - the user asked for it
            else:
                ctx = ssl.create_default_context(cafile=auth.server_cert_path or None)
            if auth.client_cert_path:
                ctx.load_cert_chain(auth.client_cert_path)
            self._ssl_context = ctx
        return self._ssl_context

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            if self.scheme == "https":
                conn = _TlsConnection(self.host, self.port, timeout=self.timeout,
                                      context=self._context(), blocksize=CHUNK)
            else:
                conn = _Connection(self.host, self.port, timeout=self.timeout, blocksize=CHUNK)
            self._local.conn = conn
        return conn

    def drop_connection(self) -> None:
        conn = getattr(self._local, "conn", None)
        self._local.conn = None
        if conn is not None:
            conn.close()

    def close(self) -> None:
        self.drop_connection()

    # -- requests

    def url_path(self, endpoint: str, params: Mapping[str, Any] | None = None) -> str:
        path = self.prefix + (endpoint if endpoint.startswith("/") else "/" + endpoint)
        if params:
            clean = [(k, v) for k, v in params.items() if v is not None]
            items: list[tuple[str, Any]] = []
            for k, v in clean:
                if isinstance(v, (list, tuple)):
                    items.extend((k, x) for x in v)
                else:
                    items.append((k, str(v).lower() if isinstance(v, bool) else v))
            if items:
                path += "?" + urlencode(items)
        return path

    def request_json(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: Any = None,
        cancel: Cancel | None = None,
        idempotent: bool | None = None,
    ) -> dict:
        """Send a JSON request; the answer as a dict (``{}`` for an empty body)."""
        data = None if body is None else json.dumps(body).encode("utf-8")
        headers = {"Content-Type": "application/json"} if data is not None else {}
        response = self.request(method, endpoint, params=params, body=data, headers=headers,
                                cancel=cancel, idempotent=idempotent)
        with response:
            raw = self._read_all(response, endpoint)
        if not raw.strip():
            return {}
        if looks_like_html(raw, response.headers.get("Content-Type", "")):
            raise self._html_error(response.status, raw, endpoint)
        try:
            doc = json.loads(raw)
        except ValueError:
            raise ServerError(
                f"answered {endpoint} with something that is not JSON "
                f"({raw[:80]!r}...); is this an MLflow tracking server?", self.base_url,
                status=response.status) from None
        if not isinstance(doc, dict):
            raise ServerError(f"answered {endpoint} with unexpected JSON", self.base_url)
        return doc

    def _read_all(self, response: Response, what: str) -> bytes:
        chunks = []
        while True:
            chunk = response.read(1 << 20)
            if not chunk:
                return b"".join(chunks)
            chunks.append(chunk)

    def request(
        self,
        method: str,
        endpoint: str,
        *,
        params: Mapping[str, Any] | None = None,
        body: bytes | Callable[[], BinaryIO] | None = None,
        headers: Mapping[str, str] | None = None,
        content_length: int | None = None,
        cancel: Cancel | None = None,
        idempotent: bool | None = None,
        ok: frozenset[int] = frozenset({200, 206}),
    ) -> Response:
        """Send a request, retrying as MLflow does; a 2xx response is returned open.

        ``body``: bytes, or a callable opening a fresh file object (called again on a retry,
        so an upload restarts from its first byte; give ``content_length``). ``cancel`` ends an
        idempotent request at once, wherever it is (see the module docstring).
        """
        if idempotent is None:
            idempotent = method in ("GET", "HEAD", "PUT", "DELETE")
        path = self.url_path(endpoint, params)
        all_headers = {"User-Agent": f"mlmanager/{__version__}", "Accept": "application/json"}
        all_headers.update(self.auth.headers())
        if headers:
            all_headers.update(headers)
        if cancel is not None and cancel():
            raise self.cancelled()
        cut = _WATCH.start(cancel) if cancel is not None and idempotent else None
        try:  # the response holds the cut until it is closed
            return self._attempts(method, endpoint, path, body, all_headers, content_length,
                                  cancel, idempotent, ok, cut)
        except BaseException:
            if cut is not None:
                _WATCH.end(cut)
            raise

    def _attempts(self, method: str, endpoint: str, path: str,
                  body: bytes | Callable[[], BinaryIO] | None, all_headers: dict[str, str],
                  content_length: int | None, cancel: Cancel | None, idempotent: bool,
                  ok: frozenset[int], cut: _Cut | None) -> Response:
        attempt = 0
        while True:
            if cancel is not None and cancel():
                raise self.cancelled()
            try:
                raw = self._send(method, path, body, all_headers, content_length, cut)
            except ServerError as exc:
                if cut is not None and cut.done:
                    raise self.cancelled() from None
                # nothing listening: two quick retries (a server restarting), then say so
                limit = min(self.max_retries, CONNECT_RETRIES) if exc.error_code == "connect" \
                    else self.max_retries if idempotent else 0
                if attempt >= limit:
                    raise
                self._wait(attempt, None, cancel)
                attempt += 1
                continue
            status = raw.status
            if 200 <= status < 300 and (status in ok or status // 100 == 2):
                return Response(raw, self, endpoint, cut)
            try:
                error_body = raw.read(MAX_ERROR_BODY)
            except (OSError, http.client.HTTPException) as exc:
                self.drop_connection()
                if cut is not None and cut.done:
                    raise self.cancelled() from None
                raise self.broken(endpoint, exc) from None
            raw.close()
            if raw.will_close:
                self.drop_connection()
            retryable = status in (RETRY_STATUSES if idempotent else _SAFE_FOR_WRITES)
            if retryable and attempt < self.max_retries:
                self._wait(attempt, raw.headers.get("Retry-After"), cancel)
                attempt += 1
                continue
            raise self.status_error(status, error_body, raw.headers.get("Content-Type", ""),
                                    endpoint, attempts=attempt + 1)

    def _send(self, method: str, path: str, body: bytes | Callable[[], BinaryIO] | None,
              headers: dict[str, str], content_length: int | None, cut: _Cut | None,
              ) -> http.client.HTTPResponse:
        for fresh in (False, True):
            conn = self._connection()
            reused = conn.sock is not None
            stream = None
            try:
                if cut is not None:
                    conn.cut = cut  # a new socket is handed over before it connects
                    if reused:
                        _WATCH.use(cut, conn.sock)
                send_headers = dict(headers)
                if callable(body):
                    stream = body()
                    if content_length is not None:
                        send_headers["Content-Length"] = str(content_length)
                    conn.request(method, path, body=stream, headers=send_headers)
                else:
                    conn.request(method, path, body=body, headers=send_headers)
                return conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError) as exc:
                self.drop_connection()
                if reused and not fresh and not (cut is not None and cut.done):
                    continue  # a keep-alive connection the server had closed: one fresh try
                raise self.connection_error(exc) from None
            except (OSError, http.client.HTTPException) as exc:
                self.drop_connection()
                raise self.connection_error(exc) from None
            except BaseException:
                self.drop_connection()  # cancelled half-way: the connection is unusable
                raise
            finally:
                conn.cut = None
                if stream is not None:
                    stream.close()
        raise AssertionError("unreachable")  # pragma: no cover

    def _wait(self, attempt: int, retry_after: str | None, cancel: Cancel | None) -> None:
        delay = min(MAX_BACKOFF, self.backoff_factor * (2 ** attempt))
        if retry_after:
            with contextlib.suppress(ValueError):
                delay = min(60.0, max(delay, float(retry_after)))
        self.pause(delay, cancel)

    def pause(self, seconds: float, cancel: Cancel | None = None) -> None:
        """Wait ``seconds``, polling ``cancel`` every 0.1 s (raises TransferCancelled)."""
        deadline = time.monotonic() + seconds
        event = threading.Event()
        while True:
            if cancel is not None and cancel():
                raise self.cancelled()
            left = deadline - time.monotonic()
            if left <= 0:
                return
            event.wait(min(left, 0.1))

    # -- errors in plain words

    def cancelled(self) -> TransferCancelled:
        return TransferCancelled("cancelled", self.base_url)

    def connection_error(self, exc: BaseException) -> ServerError:
        where = f"{self.host}:{self.port}"
        if isinstance(exc, ConnectionRefusedError):
            return ServerError(
                f"nothing is listening at {where} (connection refused). Is the MLflow server "
                "running? Start it (mlflow server --host ... --port ...) or check the URI.",
                self.base_url, error_code="connect")
        if isinstance(exc, socket.gaierror):
            return ServerError(
                f"cannot find the host {self.host!r} ({exc.strerror or exc}); check the URI "
                "and your network", self.base_url, error_code="connect")
        if isinstance(exc, ssl.SSLCertVerificationError):
            return ServerError(
                f"the TLS certificate of {where} could not be verified ({exc.verify_message}). "
                f"Set {ENV_SERVER_CERT} to your CA bundle, or {ENV_INSECURE}=true to skip the "
                "check (only on a network you trust).", self.base_url, error_code="tls")
        if isinstance(exc, ssl.SSLError):
            return ServerError(
                f"TLS failed with {where} ({exc.reason or exc}); is it an https server? "
                "Check the scheme of the URI.", self.base_url, error_code="tls")
        if isinstance(exc, TimeoutError):
            return ServerError(
                f"no answer within {self.timeout:g} s; the server may be overloaded or a proxy "
                "is holding the request. Try again, or raise MLFLOW_HTTP_REQUEST_TIMEOUT.",
                self.base_url, error_code="timeout")
        if isinstance(exc, (ConnectionResetError, http.client.RemoteDisconnected,
                            BrokenPipeError)):
            return ServerError(
                f"{where} closed the connection without an answer; the server may have "
                "crashed or restarted. Try again.", self.base_url, error_code="disconnected")
        reason = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return ServerError(f"cannot talk to {where}: {reason}", self.base_url,
                           error_code="connect")

    def broken(self, what: str, exc: BaseException) -> TransferBrokenError:
        if isinstance(exc, TimeoutError):
            detail = f"no data for {self.timeout:g} s"
        elif isinstance(exc, http.client.IncompleteRead):
            detail = f"{exc.expected:,} bytes were still to come" if exc.expected else \
                "the body ended early"
        else:
            detail = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        return TransferBrokenError(
            f"the connection broke during {what} ({detail}); the server may have stopped. "
            "Run it again: complete files are kept and the rest resumes.", self.base_url,
            error_code="broken")

    def _html_error(self, status: int, body: bytes, what: str) -> ServerError:
        title = _html_title(body)
        shown = f", page title {title!r}" if title else ""
        return ServerError(
            f"answered {what} with an HTML page instead of MLflow's JSON (HTTP {status}{shown}): "
            "a proxy, a login page or another web app is in front of the server. Check the URI "
            "(and its path prefix) or log in through your proxy.", self.base_url, status=status,
            error_code="html")

    def status_error(self, status: int, body: bytes, content_type: str, what: str,
                     attempts: int = 1) -> ServerError:
        error_code = message = None
        if body and not looks_like_html(body, content_type):
            try:
                doc = json.loads(body)
                if isinstance(doc, dict):
                    error_code, message = doc.get("error_code"), doc.get("message")
            except ValueError:
                message = body[:300].decode("utf-8", "replace").strip() or None
        if status == 401:
            if self.auth.kind == "none":
                text = ("the server asks for a login (401 Unauthorized). Set "
                        "MLFLOW_TRACKING_USERNAME and MLFLOW_TRACKING_PASSWORD (or "
                        f"{ENV_TOKEN}), or save a connection with its credentials.")
            else:
                text = (f"the server refused the {self.auth.kind} credentials (401 "
                        "Unauthorized); check the username and password (or the token).")
            return ServerError(text, self.base_url, status=status, error_code=error_code)
        if status == 403:
            return ServerError(
                f"permission denied for {what} (403 Forbidden"
                + (f": {message}" if message else "")
                + "); ask an administrator of the server for the permission.",
                self.base_url, status=status, error_code=error_code)
        if error_code == "RESOURCE_DOES_NOT_EXIST" or (status == 404 and error_code):
            return ServerNotFoundError(message or f"{what}: not found", self.base_url,
                                       status=status, error_code=error_code)
        if body and looks_like_html(body, content_type):
            return self._html_error(status, body, what)
        if status == 404:
            return ServerError(
                f"has no {what} (404 Not Found): is this an MLflow tracking server, and is the "
                "URI's path right (a --static-prefix)?", self.base_url, status=status)
        tries = f" after {attempts} tries" if attempts > 1 else ""
        text = f"{what} failed with HTTP {status}{tries}"
        if error_code or message:
            text += f": {error_code or ''}{': ' if error_code and message else ''}{message or ''}"
        if status >= 500:
            text += ". The server had an internal error; see its log, or try again later."
        return ServerError(text, self.base_url, status=status, error_code=error_code)
