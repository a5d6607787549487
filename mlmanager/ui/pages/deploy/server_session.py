"""Task bodies of the local-server try-out (no widgets): the server's life, mlmanager's own
prediction in the worker, and the comparison of the two answers.

The server session is one long task: it starts ``mlflow models serve`` (core ``LocalServer``,
loopback only) in a helper thread while it streams the log tail, then serves ``post`` commands
from a queue until it is stopped, cancelled, or the server exits; the server is always stopped
and its folder removed in the task's own thread (never in the GUI thread).
"""

from __future__ import annotations

import contextlib
import math
import os
import queue
import signal
import threading
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlmanager.core.deploy.local_server import LocalServer, LocalServerError
from mlmanager.core.deploy.request_bodies import check_request, request_for_model
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.predict.session import PredictionSession, python_runtime
from mlmanager.ui.pages.predict.run_controller import RunFailure, describe_failure
from mlmanager.worker.errors import WorkerError

if TYPE_CHECKING:
    from mlmanager.core.deploy.local_server import LocalServer, ServeResult
    from mlmanager.core.deploy.request_bodies import RequestCheck
    from mlmanager.core.safety import SafetyReport
    from mlmanager.predict.worker_client import WorkerClient
    from mlmanager.ui.pages.deploy.request_view import RequestSpec
    from mlmanager.ui.tasks import TaskState

POLL_SECONDS = 0.2
STOP = "stop"


# ------------------------------------------------------------------------------------ events


@dataclass
class ServerReady:
    port: int
    startup_seconds: float
    command: list[str]
    pid: int | None = None  # the server's process (group leader on POSIX)


@dataclass
class ServerReply:
    token: int
    result: ServeResult | None
    error: str | None = None


@dataclass
class SessionEnd:
    reason: str  # stopped | exited | failed
    message: str
    log: str = ""


@dataclass
class Prepared:
    """The MLflow-protocol body sent to the server, and mlmanager's verdict on it."""

    token: int
    text: str
    check: RequestCheck | None
    error: str | None = None


@dataclass
class WorkerAnswer:
    token: int
    predictions: Any = None  # strict JSON (lists/records)
    seconds: float = 0.0
    rejected: RequestCheck | None = None  # mlmanager's rules reject the body: nothing was run
    failure: Any = None  # predict.run_controller.RunFailure
    warnings: list[str] = field(default_factory=list)
    ran_by: str = ""  # the Python and packages that ran it

    @property
    def ok(self) -> bool:
        return self.rejected is None and self.failure is None


@dataclass
class ScanResult:
    report: SafetyReport | None = None
    failure: Any = None  # RunFailure


# ------------------------------------------------------------------------------------ tasks


def scan_task(state: TaskState, client: WorkerClient, model_dir: str) -> ScanResult:
    """Classify the model file in the worker (what it imports, its SHA-256)."""
    state.on_cancel(client.cancel)
    try:
        return ScanResult(client.scan(model_dir))
    except (WorkerError, MlmanagerError) as exc:
        return ScanResult(failure=describe_failure(exc, "the scan"))


def _interrupt(server: LocalServer) -> None:
    """Ask a starting server to stop (SIGTERM to its group); its own thread then cleans up."""
    try:
        pid = server.pid
    except AttributeError:  # stopped in the meantime
        return
    if pid is None:
        return
    with contextlib.suppress(OSError):
        if os.name == "posix":
            os.killpg(pid, signal.SIGTERM)
        else:
            os.kill(pid, signal.SIGTERM)


def serve_session(state: TaskState, model_dir: str, python: str | None,
                  commands: queue.Queue[Any], startup_timeout: float = 180.0) -> SessionEnd:
    """Run a local MLflow server until stopped; ``commands`` takes ``(token, body, content_type)``
    or ``STOP``. Hands over ``("log", text)``, ``("ready", ServerReady)`` and
    ``("reply", ServerReply)`` with ``state.partial``."""
    server = LocalServer(model_dir, python=python, trusted=True, startup_timeout=startup_timeout)
    state.on_cancel(lambda: commands.put(STOP))
    last = [""]

    def tail() -> str:
        text = server.log_tail()
        if text != last[0]:
            last[0] = text
            state.partial(("log", text))
        return text

    box: dict[str, BaseException] = {}

    def run_start() -> None:
        try:
            server.start()
        except BaseException as exc:  # noqa: BLE001 - reported by the session
            box["error"] = exc

    starter = threading.Thread(target=run_start, name="mlmanager-serve-start", daemon=True)
    starter.start()
    stop_asked = False
    while starter.is_alive():
        starter.join(POLL_SECONDS)
        tail()
        if state.cancelled or _stop_queued(commands):
            stop_asked = True
            _interrupt(server)
    if "error" in box:
        exc = box["error"]
        log = getattr(exc, "log_tail", "") or last[0]
        server.cleanup()
        if stop_asked or state.cancelled:
            return SessionEnd("stopped", "Stopped before the server was ready.", log)
        message = exc.message if isinstance(exc, MlmanagerError) else f"{type(exc).__name__}: {exc}"
        return SessionEnd("failed", message, log)
    reason, message = "stopped", "The server was stopped."
    try:
        if stop_asked or state.cancelled:
            return SessionEnd("stopped", "Stopped as soon as the server was ready.", tail())
        state.partial(("ready", ServerReady(server.port, server.startup_seconds, list(server.command),
                                              server.pid)))
        while True:
            try:
                cmd = commands.get(timeout=POLL_SECONDS)
            except queue.Empty:
                cmd = None
            tail()
            if state.cancelled or cmd == STOP:
                break
            if not server.running:
                reason, message = "exited", "The server exited by itself (see its log)."
                break
            if cmd is None:
                continue
            token, body, content_type = cmd
            try:
                result = server.post(body, content_type=content_type)
                state.partial(("reply", ServerReply(token, result)))
            except (LocalServerError, ValueError) as exc:
                state.partial(("reply", ServerReply(token, None, str(exc))))
            tail()
    finally:
        server.stop()
        log = server.log_tail()
        server.cleanup()
    return SessionEnd(reason, message, log)


def _stop_queued(commands: queue.Queue[Any]) -> bool:
    with commands.mutex:
        return STOP in commands.queue


def prepare_request(doc: Any, spec: RequestSpec, token: int) -> Prepared:
    """The MLflow-protocol body for ``spec`` (the shown body, or one built from its input) and
    mlmanager's verdict on it as the MLflow server parses it."""
    text = spec.text
    if text is None:
        try:
            request = request_for_model(doc, "mlflow", input_path=spec.input_path, orient=spec.orient)
        except (MlmanagerError, ValueError) as exc:
            return Prepared(token, "", None, str(exc))
        text = request.json_text(indent=None)
    return Prepared(token, text, check_request(doc, text, "mlflow"))


def worker_task(state: TaskState, client: WorkerClient, model_dir: str, trusted: frozenset[str],
                doc: Any, spec: RequestSpec, token: int) -> WorkerAnswer:
    """Prepare the body (handed over as ``("prepared", Prepared)``), then predict it in the
    worker exactly as mlmanager's check converted it."""
    import time

    prepared = prepare_request(doc, spec, token)
    state.partial(("prepared", prepared))
    if prepared.error is not None or prepared.check is None:
        return WorkerAnswer(token, failure=_failure("No request", prepared.error or "no request"))
    check = prepared.check
    if not check.valid or check.result is None:
        return WorkerAnswer(token, rejected=check)
    state.on_cancel(client.cancel)
    state.check()
    started = time.perf_counter()
    session = PredictionSession(model_dir, python_runtime(client.python), trusted=trusted, client=client)
    try:
        session.load(cancelled=state.is_cancelled)
        state.check()
        result = session.predict(check.result.data, params=check.result.params, cancelled=state.is_cancelled)
    except (WorkerError, MlmanagerError) as exc:
        return WorkerAnswer(token, failure=describe_failure(exc))
    return WorkerAnswer(token, to_jsonable(result.predictions), time.perf_counter() - started,
                        warnings=[str(w) for w in result.warnings], ran_by=result.ran_by.short())


def close_client_task(state: TaskState, client: WorkerClient) -> None:
    client.close()


def _failure(title: str, message: str) -> Any:
    return RunFailure("error", title, message)


# ------------------------------------------------------------------------------ comparison


@dataclass
class Comparison:
    level: str  # ok | warning | error | info
    title: str
    text: str


def same(a: Any, b: Any, rel: float = 1e-9, abs_tol: float = 1e-12) -> bool:
    """Equal JSON values, floats within a relative tolerance (ints and floats compare by value)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        if isinstance(a, float) or isinstance(b, float):
            if math.isnan(float(a)) and math.isnan(float(b)):
                return True
            return math.isclose(a, b, rel_tol=rel, abs_tol=abs_tol)
        return a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y, rel, abs_tol) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k], rel, abs_tol) for k in a)
    return a == b


def first_difference(a: Any, b: Any) -> str:
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"the server returned {len(a)} predictions, mlmanager {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            if not same(x, y):
                return f"row {i}: server {x!r}, mlmanager {y!r}"
    return f"server {str(a)[:80]}, mlmanager {str(b)[:80]}"


def compare(server: ServerReply, worker: WorkerAnswer) -> Comparison:
    """The verdict on the two answers to one request."""
    result = server.result
    if result is None:
        return Comparison("error", "No answer", f"The server did not answer: {server.error}")
    if worker.failure is not None:
        f = worker.failure
        return Comparison("info", "Server answered" if result.ok else "Server rejected",
                          f"HTTP {result.status}; mlmanager could not predict: {f.title}: {f.message}")
    if worker.rejected is not None:
        if not result.ok:
            return Comparison("ok", "Both reject",
                              f"The server answered HTTP {result.status} and mlmanager's check rejects the "
                              "request too.")
        return Comparison("warning", "Check disagrees",
                          "The server accepted a request that mlmanager's check rejects: "
                          + "; ".join(p.message.splitlines()[0] for p in worker.rejected.errors[:2]))
    if not result.ok:
        return Comparison("warning", "Server rejected",
                          f"The server answered HTTP {result.status}, but mlmanager accepts the request "
                          "and predicted it (see the server's message).")
    server_values = result.predictions
    n = len(server_values) if isinstance(server_values, list) else 1
    if same(server_values, worker.predictions):
        return Comparison("ok", "Same predictions",
                          f"The server and mlmanager agree on all {n} prediction{'s' if n != 1 else ''}.")
    return Comparison("error", "Different predictions", first_difference(server_values, worker.predictions))
