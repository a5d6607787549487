"""Parent side of the prediction worker: spawn, talk JSON, time out, cancel, restart. No Qt.

Usage::

    with WorkerClient() as client:            # python=... picks another interpreter
        report = client.scan(model_dir)        # optional: show the verdict first
        client.start_load(model_dir, trusted)  # returns at once; the child imports sklearn
        frame = read_and_enforce_input(...)    # ...while the parent reads the input
        result = client.predict(frame)         # waits for the load, then predicts

The child runs ``python -I`` with a scrubbed environment, a temporary HOME and cwd,
``*_NUM_THREADS=1`` and rlimits it applies to itself. Requests and replies are JSON lines on
two private pipes (``pass_fds``); the child's stdout and stderr go to a capped log buffer, so
model code that prints cannot forge a reply. Data goes through ``.npy`` folders (``frames``).
Nothing coming back is ever unpickled. One call at a time (a lock); ``cancel()`` may be called
from any thread and kills the child.
"""

from __future__ import annotations

import itertools
import os
import queue
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.child_process import EOF, ChildProcess, ChildStartError, Session, read_lines
from mlmanager.core.errors import InvalidError
from mlmanager.core.safety import SafetyReport, sha256_file
from mlmanager.predict.model_plan import read_plan
from mlmanager.predict.worker_bootstrap import worker_argv
from mlmanager.worker import protocol
from mlmanager.worker.errors import (
    ModelRefusedError,
    NoModelLoadedError,
    WorkerCancelled,
    WorkerCrashed,
    WorkerError,
    WorkerExited,
    WorkerProtocolError,
    WorkerStartError,
    WorkerTimeout,
    error_from_kind,
)
from mlmanager.worker.frames import FrameError, encode_value, read_frames, write_frames
from mlmanager.worker.limits import Limits
from mlmanager.worker.plan import DEFAULT_MAX_MODEL_BYTES, ModelPlan, snapshot_folder

ProgressFn = Callable[[float | None, str], None]
CancelledFn = Callable[[], bool]  # the caller's cancel flag (e.g. TaskState.is_cancelled)

_SIGNAL_HINTS = {
    "SIGXCPU": "the worker hit its CPU time limit",
    "SIGKILL": "the worker was killed (out of memory?)",
    "SIGXFSZ": "the worker hit its file size limit",
}


@dataclass(frozen=True)
class ModelWarning:
    """A warning shown beside the results (never a modal)."""

    kind: str  # version_skew | inconsistent_version | skops_trusted_types | warning
    message: str
    estimator: str | None = None
    original_version: str | None = None
    current_version: str | None = None

    def __str__(self) -> str:
        return self.message

    @classmethod
    def from_dict(cls, data: Any) -> ModelWarning:
        protocol.check_fields(data, {
            "kind": (str, True), "message": (str, True), "estimator": (str, False),
            "original_version": (str, False), "current_version": (str, False),
        }, "warning")
        return cls(
            kind=data["kind"][:64], message=data["message"][:4000], estimator=data.get("estimator"),
            original_version=data.get("original_version"), current_version=data.get("current_version"),
        )


@dataclass(frozen=True)
class LoadInfo:
    """What was loaded, how it was judged, and the version facts."""

    model_dir: str
    model_file: str | None
    kind: str  # "sklearn" | "pyfunc"
    serialization_format: str | None
    predict_fn: str
    report: SafetyReport
    trusted: bool  # loaded because the user trusted this SHA-256
    model_type: str
    versions: Mapping[str, str | None]  # the worker's python / scikit-learn / numpy / ...
    saved_versions: Mapping[str, str | None]  # from MLmodel: sklearn, python
    warnings: tuple[ModelWarning, ...]
    seconds: float
    python: str
    loader: str = ""  # restricted unpickler | pickle | skops | mlflow.pyfunc (mlflow X)

    @property
    def classification(self) -> str:
        return self.report.classification

    @property
    def sha256(self) -> str | None:
        return self.report.sha256

    @property
    def imports(self) -> tuple[str, ...]:
        return self.report.imports


@dataclass(frozen=True)
class PredictResult:
    predictions: Any
    warnings: tuple[ModelWarning, ...]
    seconds: float  # wall time of the call, transfer included
    predict_seconds: float = 0.0  # time inside the model's predict


@dataclass
class _Proc:
    child: ChildProcess
    events: queue.Queue[Any]
    workdir: Path
    hello: dict[str, Any] | None = None
    cancelled: bool = False
    tainted: bool = False  # trusted model code ran (or may have): never reuse for another job

    @property
    def popen(self) -> subprocess.Popen[bytes]:
        return self.child.popen


@dataclass
class _Pending:
    rid: int
    plan: ModelPlan
    trusted: frozenset[str]
    on_progress: ProgressFn | None
    started: float = field(default_factory=time.perf_counter)


def default_cache_dir() -> Path:
    if sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        return Path(base) / "mlmanager" / "cache"
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Caches" / "mlmanager"
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "mlmanager"


class WorkerClient:
    """Drive one worker process; keeps a loaded model warm for repeated predictions."""

    def __init__(
        self,
        python: str | os.PathLike[str] | None = None,
        *,
        timeout: float = 300.0,
        load_timeout: float | None = None,
        scan_timeout: float | None = None,
        limits: Limits | None = None,
        max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES,
        cache_dir: str | os.PathLike[str] | None = None,
        use_picklescan: bool = True,
        stderr_limit: int = 256 << 10,
        extra_env: Mapping[str, str] | None = None,
    ) -> None:
        self.python = self._resolve_python(python)
        self.timeout = timeout
        self.load_timeout = load_timeout if load_timeout is not None else timeout
        self.scan_timeout = scan_timeout if scan_timeout is not None else max(timeout, 600.0)
        self.limits = limits or Limits()
        self.max_model_bytes = max_model_bytes
        self.cache_dir = str(default_cache_dir() if cache_dir is None else cache_dir)
        self.use_picklescan = use_picklescan
        self.stderr_limit = stderr_limit
        self.extra_env = dict(extra_env or {})
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._session_dirs = Session("mlmanager-worker-")
        self._session = self._session_dirs.root
        (self._session / "io").mkdir(mode=0o700)
        self._state: _Proc | None = None
        self._pending: _Pending | None = None
        self._loaded: LoadInfo | None = None
        self._load_error: BaseException | None = None
        self._last_load: tuple[str, frozenset[str]] | None = None
        self._closed = False

    # ------------------------------------------------------------------ public API
    @property
    def loaded(self) -> LoadInfo | None:
        """The model currently loaded in a live worker, if any."""
        return self._loaded if self._state is not None else None

    @property
    def worker_pid(self) -> int | None:
        state = self._state
        return state.popen.pid if state is not None else None

    @property
    def worker_info(self) -> dict[str, Any] | None:
        """The worker's hello: pid, Python version, executable, the limits it applied."""
        state = self._state
        return dict(state.hello) if state is not None and state.hello else None

    def log_tail(self, limit: int = 8000) -> str:
        """The end of the worker's stdout/stderr (model prints, tracebacks), for a details view."""
        state = self._state
        return self._tail(state, limit) if state is not None else ""

    def start(self) -> None:
        """Spawn the worker now and let it import scikit-learn and build its allowlist."""
        with self._lock:
            self._check_open()
            state = self._ensure()
            self._write(state, "prepare", {})

    def scan(self, model_dir: str | os.PathLike[str], *, timeout: float | None = None,
             on_progress: ProgressFn | None = None, cancelled: CancelledFn | None = None) -> SafetyReport:
        """Classify the model file (in the worker: hostile pickles can be slow or huge)."""
        with self._lock:
            self._begin(cancelled)
            plan = read_plan(model_dir, max_model_bytes=self.max_model_bytes)
            self._collect_pending()
            if self._state is not None and self._state.tainted:
                self._restart()
            data = self._call("scan", self._plan_args(plan), timeout or self.scan_timeout,
                              "scanning the model", on_progress)
            return _report(data.get("report"))

    def start_load(self, model_dir: str | os.PathLike[str], trusted_sha256s: Iterable[str] = (),
                   *, on_progress: ProgressFn | None = None, cancelled: CancelledFn | None = None) -> None:
        """Start loading in the background; :meth:`predict` (or :meth:`load`) waits for it."""
        with self._lock:
            self._begin(cancelled)
            self._start_load(model_dir, frozenset(trusted_sha256s), on_progress)

    def load(self, model_dir: str | os.PathLike[str], trusted_sha256s: Iterable[str] = (), *,
             timeout: float | None = None, on_progress: ProgressFn | None = None,
             cancelled: CancelledFn | None = None) -> LoadInfo:
        """Scan, check trust and load the model; reuses a warm worker for the same file."""
        with self._lock:
            self._begin(cancelled)
            self._start_load(model_dir, frozenset(trusted_sha256s), on_progress)
            return self._finish_load(timeout)

    def predict(self, data: Any = None, params: Mapping[str, Any] | None = None, *,
                folder: str | os.PathLike[str] | None = None,
                timeout: float | None = None, cancelled: CancelledFn | None = None) -> PredictResult:
        """Predict with the loaded model. ``data``: DataFrame, ndarray, dict of arrays, JSON;
        or ``folder``: a frames folder already written (by the input helper), sent by reference:
        the data never passes through this process."""
        with self._lock:
            self._begin(cancelled)
            if self._pending is not None or self._load_error is not None:
                self._finish_load(None)
            elif self._loaded is None and self._last_load is not None:
                # the previous worker died: start a fresh one with the same model
                self._start_load(self._last_load[0], self._last_load[1], None)
                self._finish_load(None)
            info = self._loaded
            if info is None or self._state is None:
                raise NoModelLoadedError("no model is loaded: call load() first")
            started = time.perf_counter()
            rid = next(self._ids)
            in_dir = self._session / "io" / f"in-{rid}"
            out_dir = self._session / "io" / f"out-{rid}"
            try:
                try:
                    if folder is None:
                        write_frames(data, in_dir)
                    args: dict[str, Any] = {"input": str(in_dir if folder is None else folder),
                                            "output": str(out_dir)}
                    if params:
                        args["params"] = encode_value(dict(params))
                except FrameError as exc:
                    raise InvalidError(f"cannot send this input to the worker: {exc}") from None
                out_dir.mkdir(mode=0o700)
                reply = self._call("predict", args, timeout or self.timeout, "prediction", rid=rid)
                try:
                    predictions = read_frames(out_dir)
                except FrameError as exc:
                    raise WorkerProtocolError(f"the worker returned invalid predictions: {exc}") from None
            finally:
                shutil.rmtree(in_dir, ignore_errors=True)
                shutil.rmtree(out_dir, ignore_errors=True)
            warns = _dedupe(
                [w for w in info.warnings if w.kind in ("inconsistent_version", "version_skew")]
                + _warnings(reply.get("warnings", []))
            )
            seconds = reply.get("seconds", 0.0)
            return PredictResult(
                predictions=predictions, warnings=tuple(warns),
                seconds=time.perf_counter() - started,
                predict_seconds=float(seconds) if isinstance(seconds, (int, float)) else 0.0,
            )

    def request(self, op: str, args: dict[str, Any], *, timeout: float, what: str,
                on_progress: ProgressFn | None = None,
                clean: Callable[[dict[str, Any] | None], bool] | None = None,
                cancelled: CancelledFn | None = None) -> dict[str, Any]:
        """Send one request of another kind (``package``...) on a worker no trusted code ran in.

        ``clean(reply)`` says whether the worker stays clean afterwards (``reply`` is None when
        the model was refused); without it, or when the call fails, the worker is marked to
        restart before its next job.
        """
        with self._lock:
            self._begin(cancelled)
            self._collect_pending()
            if self._state is not None and self._state.tainted:
                self._restart()  # trusted code ran there: never reuse it
            keep = False
            try:
                data = self._call(op, args, timeout, what, on_progress)
                keep = clean is not None and clean(data)
                return data
            except ModelRefusedError:
                keep = clean is not None and clean(None)
                raise
            finally:
                state = self._state
                if state is not None and not keep:
                    state.tainted = True

    def cancel(self) -> None:
        """Kill the worker now (any thread). The running call raises WorkerCancelled."""
        state = self._state
        if state is not None:
            state.cancelled = True
            state.child.kill()

    def close(self) -> None:
        """Stop the worker and delete the session folder."""
        self._closed = True
        state = self._state
        self._state = None
        if state is not None:
            state.child.close()
        self._session_dirs.remove()

    def __enter__(self) -> WorkerClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ loading
    def _plan_args(self, plan: ModelPlan) -> dict[str, Any]:
        return {"plan": plan.to_dict(), "max_bytes": self.max_model_bytes,
                "use_picklescan": self.use_picklescan}

    def _start_load(self, model_dir: str | os.PathLike[str], trusted: frozenset[str],
                    on_progress: ProgressFn | None) -> None:
        plan = read_plan(model_dir, max_model_bytes=self.max_model_bytes)
        self._collect_pending()
        self._load_error = None
        self._last_load = (plan.root, trusted)
        if self._can_reuse(plan, trusted):
            return
        state = self._state
        if state is not None and state.tainted:
            self._restart()  # trusted code ran in it: never reuse it for another model
        self._loaded = None
        state = self._ensure()
        args = self._plan_args(plan)
        args["trusted"] = sorted(trusted)
        rid = self._write(state, "load", args)
        self._pending = _Pending(rid, plan, trusted, on_progress)

    def _can_reuse(self, plan: ModelPlan, trusted: frozenset[str]) -> bool:
        info = self._loaded
        if info is None or self._state is None or self._state.popen.poll() is not None:
            return False
        if (info.model_dir, info.model_file, info.kind) != (plan.root, plan.model_file, plan.kind):
            return False
        try:
            if plan.kind == "pyfunc":
                sha, _ = snapshot_folder(plan.root, None, self.max_model_bytes)
            else:
                assert plan.model_file is not None
                sha = sha256_file(Path(plan.root, *plan.model_file.split("/")))
        except Exception:
            return False
        return sha == info.sha256 and (not info.trusted or sha in trusted)

    def _collect_pending(self) -> None:
        """Wait for an outstanding load; keep its error for the next load()/predict()."""
        if self._pending is None:
            return
        try:
            self._finish_load(None)
        except WorkerError as exc:
            self._load_error = exc

    def _finish_load(self, timeout: float | None) -> LoadInfo:
        if self._load_error is not None:
            err, self._load_error = self._load_error, None
            raise err
        pending = self._pending
        if pending is None:
            if self._loaded is None:
                raise NoModelLoadedError("no model is loaded: call load() first")
            return self._loaded
        self._pending = None
        state = self._state
        try:
            data = self._wait(pending.rid, timeout or self.load_timeout, "loading the model",
                              pending.on_progress)
        except ModelRefusedError:
            raise  # nothing of the model ran; the worker stays clean
        except WorkerError:
            if self._state is not None:
                self._state.tainted = True  # a failed load may have run part of the model
            raise
        report = _report(data.get("report"))
        trusted = data.get("trusted") is True
        versions = data.get("versions", {})
        if not isinstance(versions, dict) or len(versions) > 50 or not all(
            isinstance(k, str) and (v is None or isinstance(v, str)) for k, v in versions.items()
        ):
            raise self._protocol_failure("invalid versions in the load reply")
        model_type = data.get("model_type", "")
        if not isinstance(model_type, str):
            raise self._protocol_failure("invalid model_type in the load reply")
        plan = pending.plan
        info = LoadInfo(
            model_dir=plan.root, model_file=plan.model_file, kind=plan.kind,
            serialization_format=plan.serialization_format, predict_fn=plan.predict_fn,
            report=report, trusted=trusted, model_type=model_type[:1000],
            versions=dict(versions),
            saved_versions={"sklearn": plan.sklearn_version, "python": plan.python_version},
            warnings=tuple(_warnings(data.get("warnings", []))),
            seconds=time.perf_counter() - pending.started, python=self.python,
            loader=str(data.get("loader") or "")[:200],
        )
        if state is not None:
            state.tainted = state.tainted or trusted or report.classification != "SAFE-LISTED"
        self._loaded = info
        return info

    # ------------------------------------------------------------------ process plumbing
    def _check_open(self) -> None:
        if self._closed:
            raise WorkerError("the worker client is closed")

    def _begin(self, cancelled: CancelledFn | None = None) -> None:
        """Start a call. ``cancelled``: the caller's own flag. A Cancel that lands between two
        calls of one job (after the first, before the second took the lock) kills a worker no
        call is using; the second call must then stop too, not start a fresh worker."""
        self._check_open()
        if cancelled is not None and cancelled():
            raise WorkerCancelled("Cancelled before it started")
        state = self._state
        # cancel() kills the worker: a call that comes after it must not run on the dying
        # process (it could still answer poll() as alive and then fail as a "crash")
        if state is not None and (state.cancelled or state.popen.poll() is not None):
            self._reset()

    @staticmethod
    def _resolve_python(python: str | os.PathLike[str] | None) -> str:
        if python is None:
            return sys.executable
        text = os.fspath(python)
        found = shutil.which(text) if not os.path.isabs(text) else text
        if not found or not os.path.exists(found):
            raise WorkerStartError(f"Python interpreter not found: {text}")
        return found

    def _ensure(self) -> _Proc:
        state = self._state
        if state is not None and state.popen.poll() is None:
            return state
        if state is not None:
            self._reset()
        return self._spawn()

    def _spawn(self) -> _Proc:
        workdir = self._session_dirs.folder("work-")
        try:
            # the worker's own code, zipped, first on the child's path (a frozen app re-runs itself)
            argv = worker_argv(self.python, self.cache_dir)
        except OSError as exc:
            shutil.rmtree(workdir, ignore_errors=True)
            raise WorkerStartError(f"cannot write the worker's code to {self.cache_dir}: "
                                   f"{exc.strerror or exc}") from None
        argv += ["--limits", self.limits.to_json(), "--cache-dir", self.cache_dir]
        try:
            child = ChildProcess(argv, cwd=workdir, env=self._session_dirs.env(extra=self.extra_env),
                                 channel="fds", log_limit=self.stderr_limit, name="worker")
        except ChildStartError:
            shutil.rmtree(workdir, ignore_errors=True)
            raise WorkerStartError(f"cannot start the worker with {self.python}") from None
        assert child.replies is not None
        events: queue.Queue[Any] = queue.Queue()
        read_lines(child.replies, events, _decode_reply, protocol.MAX_LINE, name="worker")
        state = _Proc(child=child, events=events, workdir=workdir)
        self._state = state
        return state

    def _reset(self) -> None:
        state, self._state = self._state, None
        self._loaded = None
        self._pending = None
        if state is None:
            return
        state.child.close()
        shutil.rmtree(state.workdir, ignore_errors=True)

    def _restart(self) -> None:
        self._reset()
        self._ensure()

    def _write(self, state: _Proc, op: str, args: dict[str, Any], rid: int | None = None) -> int:
        rid = next(self._ids) if rid is None else rid
        try:
            data = protocol.encode(protocol.request(op, rid, args))
        except protocol.ProtocolError as exc:
            raise InvalidError(f"cannot send the request: {exc}") from None
        try:
            view = memoryview(data)
            while view:
                written = state.child.commands.write(view)  # type: ignore[union-attr]
                view = view[written or 0:]
            state.child.commands.flush()  # type: ignore[union-attr]
        except (BrokenPipeError, OSError, ValueError):
            raise self._death(state, op) from None
        return rid

    def _call(self, op: str, args: dict[str, Any], timeout: float, what: str,
              on_progress: ProgressFn | None = None, rid: int | None = None) -> dict[str, Any]:
        state = self._ensure()
        rid = self._write(state, op, args, rid)
        return self._wait(rid, timeout, what, on_progress)

    def _wait(self, rid: int, timeout: float, what: str,
              on_progress: ProgressFn | None = None) -> dict[str, Any]:
        state = self._state
        if state is None:
            raise WorkerCrashed(f"the worker is not running ({what})")
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = self._tail(state)
                self._reset()
                raise WorkerTimeout(f"{what[0].upper()}{what[1:]} timed out after {timeout:g} s",
                                    details=tail)
            try:
                msg = state.events.get(timeout=min(remaining, 1.0))
            except queue.Empty:
                if state.popen.poll() is not None and state.events.empty():
                    raise self._death(state, what) from None
                continue
            if msg is EOF:
                raise self._death(state, what)
            if msg["type"] == "hello":
                state.hello = msg["data"]
                continue
            if msg["id"] != rid:
                continue  # a stale or forged reply
            if msg["type"] == "progress":
                if on_progress is not None:
                    data = msg["data"]
                    on_progress(data.get("fraction"), data.get("text", ""))
                continue
            if msg["type"] == "result":
                return msg["data"]
            raise self._worker_error(msg["error"])

    def _worker_error(self, err: dict[str, Any]) -> Exception:
        kind, message = err["kind"], err["message"]
        if kind == "refused":
            report = None
            if err.get("report") is not None:
                try:
                    report = SafetyReport.from_dict(err["report"])
                except ValueError:
                    report = None
            return ModelRefusedError(message, report=report)
        return error_from_kind(kind, message, err.get("details", ""), err.get("path"),
                               mismatch=err.get("mismatch") is True)

    def _protocol_failure(self, message: str) -> WorkerProtocolError:
        self._reset()
        return WorkerProtocolError(f"the worker broke the protocol: {message}")

    def _tail(self, state: _Proc, limit: int = 8000) -> str:
        return state.child.log_tail(limit)

    def _death(self, state: _Proc, what: str) -> WorkerError:
        rc = state.child.wait(timeout=10)
        tail = self._tail(state)
        cancelled, started = state.cancelled, state.hello is not None
        if self._state is state:
            self._reset()
        if cancelled:
            return WorkerCancelled(f"{what[0].upper()}{what[1:]} was cancelled", details=tail)
        if not started:
            last = next((line.strip() for line in reversed(tail.splitlines()) if line.strip()), "")
            why = f": {last[:500]}" if last else ""
            return WorkerStartError(
                f"The worker could not start with {self.python} (exit code {rc}){why}", details=tail
            )
        if rc < 0:
            try:
                name = signal.Signals(-rc).name
            except ValueError:
                name = "unknown signal"
            hint = _SIGNAL_HINTS.get(name)
            text = f"Model crashed the worker (signal {-rc}, {name}) during {what}"
            if hint:
                text += f": {hint}"
            return WorkerCrashed(text, details=tail, returncode=rc)
        if rc > 0:
            return WorkerExited(f"The worker exited with code {rc} during {what}", details=tail,
                                returncode=rc)
        return WorkerExited(f"The worker exited unexpectedly during {what}", details=tail,
                            returncode=rc)


# ---------------------------------------------------------------------- helpers


def _report(data: Any) -> SafetyReport:
    try:
        return SafetyReport.from_dict(data)
    except ValueError as exc:
        raise WorkerProtocolError(f"invalid safety report from the worker: {exc}") from None


def _warnings(items: Any) -> list[ModelWarning]:
    if not isinstance(items, list):
        raise WorkerProtocolError("warnings must be a list")
    out = []
    for item in items[:1000]:
        try:
            out.append(ModelWarning.from_dict(item))
        except protocol.ProtocolError as exc:
            raise WorkerProtocolError(f"invalid warning from the worker: {exc}") from None
    return out


def _dedupe(items: list[ModelWarning]) -> list[ModelWarning]:
    seen: set[tuple[Any, ...]] = set()
    out = []
    for w in items:
        key = (w.kind, w.estimator, w.original_version, w.current_version) if w.kind in (
            "inconsistent_version", "version_skew") else (w.kind, w.message)
        if w.kind == "version_skew":
            key = (*key, w.message)
        if key not in seen:
            seen.add(key)
            out.append(w)
    return out


def _decode_reply(line: bytes) -> dict[str, Any]:
    """A validated reply; a forged or garbled line raises ProtocolError and is dropped (T28)."""
    return protocol.validate_response(protocol.decode_line(line))
