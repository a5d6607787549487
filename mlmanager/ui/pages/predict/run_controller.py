"""Worker lifecycle for the Predict tab: warm workers per open model, scan, run, cancel, errors.

The prediction worker client is blocking; every call runs as a background task (``tasks.py``)
and reports back in the GUI thread. Cancel kills the worker from the GUI thread
(``WorkerClient.cancel``), the running call then fails with ``WorkerCancelled``. Worker
failures never propagate as exceptions: a task returns a :class:`RunFailure` the tab shows
as a message, and the next run starts a fresh worker.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from mlmanager.core.errors import MlmanagerError
from mlmanager.predict.results import predictions_frame
from mlmanager.predict.session import (
    APP,
    MODEL,
    ModelEnvironmentError,
    PredictionSession,
    RanBy,
    Runtime,
    app_runtime,
    model_runtime,
    python_runtime,
)
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.ui.pages.predict.results_model import join_results
from mlmanager.ui.pages.predict.summary_chart import summarize
from mlmanager.worker import errors as e
from mlmanager.worker.errors import WorkerCancelled, WorkerError

if TYPE_CHECKING:
    from mlmanager.core.safety import SafetyReport
    from mlmanager.predict.worker_client import LoadInfo, PredictResult, WorkerClient
    from mlmanager.ui.tasks import Task, TaskManager, TaskState

DEFAULT_TIMEOUT = 120.0  # seconds, like `mlmanager predict`
MODEL_ENV_HINT = ("\n\nRun it in the model's own environment: build it in the Environment tab "
                  "(or `mlmanager env build MODEL`), then predict there.")
MAX_WARM = 3  # warm workers kept for recently used models
MAX_SUMMARIES = 16  # prediction columns summarised (predict_proba of many classes...)


@dataclass(frozen=True)
class RunRequest:
    model_key: str
    model_dir: str
    data: Any
    params: dict[str, Any] | None = None
    trusted: frozenset[str] = frozenset()
    timeout: float = DEFAULT_TIMEOUT
    rows: int = 0
    join_with: Any = None  # the input table the predictions are shown beside
    where: str = APP  # app | model | the path of an interpreter (predict.session.runtime_for)


@dataclass
class RunOutcome:
    model_key: str
    info: LoadInfo
    result: PredictResult
    predictions: Any  # DataFrame (predict_command.predictions_frame)
    seconds: float  # wall time, load included
    table: Any = None  # the input rows with the predictions beside them
    prediction_columns: list[Any] = field(default_factory=list)
    note: str | None = None
    summaries: list[Any] = field(default_factory=list)  # summary_chart.Summary per column
    ran_by: RanBy | None = None  # the Python and packages that ran it


@dataclass
class RunFailure:
    """A worker failure in words for the tab's message area."""

    kind: str  # cancelled | timeout | crashed | exited | memory | refused | load_failed |
    #            missing_dependency | predict_failed | start_failed | protocol | error
    title: str
    message: str
    details: str = ""
    report: SafetyReport | None = None
    level: str = "error"  # error | warning | info
    model_key: str = ""
    # the model needs other versions or packages than this Python has: its own environment
    # (Environment tab, `mlmanager env build`) is the fix to offer
    mismatch: bool = False
    where: str = APP  # where it ran (RunRequest.where)


@dataclass
class ScanOutcome:
    model_key: str
    report: SafetyReport | None = None
    failure: RunFailure | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def describe_failure(exc: BaseException, what: str = "the prediction") -> RunFailure:
    """Map a worker exception to a message; unknown exceptions are re-raised by the caller."""
    details = getattr(exc, "details", "") or ""
    msg = getattr(exc, "message", None) or str(exc)
    keep = " The app and your input are unchanged; the next run starts a fresh worker."
    if isinstance(exc, e.WorkerCancelled):
        return RunFailure("cancelled", "Cancelled", f"{what[0].upper()}{what[1:]} was cancelled; the worker was stopped.",
                          details, level="info")
    if isinstance(exc, e.WorkerTimeout):
        return RunFailure("timeout", "The model took too long",
                          f"{msg}. Raise the timeout in the toolbar or predict fewer rows." + keep, details)
    if isinstance(exc, e.WorkerExited):
        return RunFailure("exited", "The model stopped the worker", msg + "." + keep, details)
    if isinstance(exc, e.WorkerCrashed):
        return RunFailure("crashed", "The model crashed the worker", msg + "." + keep, details)
    if isinstance(exc, e.WorkerMemoryError):
        return RunFailure("memory", "The model ran out of memory", msg + keep, details)
    if isinstance(exc, e.ModelRefusedError):
        return RunFailure("refused", "The model file was not loaded", msg, details,
                          report=getattr(exc, "report", None), level="warning")
    if isinstance(exc, (e.ModelLoadError, e.PredictionError)) and exc.mismatch:
        failure = describe_failure(type(exc)(msg + MODEL_ENV_HINT, details=details), what)
        failure.mismatch = True
        return failure
    if isinstance(exc, e.MissingDependencyError):
        return RunFailure("missing_dependency", "A package the model needs is missing", msg, details)
    if isinstance(exc, e.ModelLoadError):
        return RunFailure("load_failed", "The model could not be loaded", msg, details)
    if isinstance(exc, e.PredictionError):
        return RunFailure("predict_failed", "The model raised an error", msg, details)
    if isinstance(exc, e.WorkerStartError):
        return RunFailure("start_failed", "The worker could not start", msg, details)
    if isinstance(exc, e.WorkerProtocolError):
        return RunFailure("protocol", "The worker misbehaved and was stopped", msg + keep, details)
    if isinstance(exc, MlmanagerError):
        return RunFailure("error", "The prediction failed", str(exc), details)
    raise exc


class WorkerPool:
    """One warm ``WorkerClient`` per open model, at most ``max_clients`` processes.

    When the limit is reached, the least recently used clean worker is handed over to the new
    model. A closed model's worker stays warm as a spare for the next model, unless trusted code
    ran in it (then it is stopped). Starting a worker costs seconds (it imports scikit-learn),
    so reuse is what keeps the first prediction of the next model fast.
    """

    def __init__(self, max_clients: int = MAX_WARM, *, cache_dir: str | None = None,
                 python: str | None = None,
                 factory: Callable[[], WorkerClient] | None = None) -> None:
        self.max_clients = max(1, max_clients)
        self.cache_dir = cache_dir
        self.python = python
        self._factory = factory
        self._clients: OrderedDict[str, WorkerClient] = OrderedDict()
        self._spares: list[WorkerClient] = []
        # workers in other interpreters (a model's environment, a picked Python): one per
        # (model, interpreter), never handed to another interpreter's model
        self._elsewhere: dict[tuple[str, str], WorkerClient] = {}
        self._lock = threading.Lock()  # run tasks ask for clients from pool threads

    def _new(self) -> WorkerClient:
        if self._factory is not None:
            return self._factory()

        return WorkerClient(python=self.python, timeout=DEFAULT_TIMEOUT, cache_dir=self.cache_dir)

    def client_for(self, key: str, python: str | None = None) -> WorkerClient:
        """The warm worker of model ``key``; ``python``: in that interpreter (None or the
        pool's own: the shared workers)."""
        with self._lock:
            if python is not None and python != (self.python or app_runtime().python):
                client = self._elsewhere.get((key, python))
                if client is None:
                    client = WorkerClient(python=python, timeout=DEFAULT_TIMEOUT,
                                          cache_dir=self.cache_dir)
                    self._elsewhere[(key, python)] = client
                return client
            return self._shared_client(key)

    def _shared_client(self, key: str) -> WorkerClient:
        client = self._clients.get(key)
        if client is not None:
            self._clients.move_to_end(key)
            return client
        if self._spares:
            client = self._spares.pop()
        elif len(self._clients) >= self.max_clients:
            # hand over the least recently used clean worker: one that ran trusted code must
            # restart before it serves another model, and a restart costs seconds
            victim = next((k for k, c in self._clients.items() if not _tainted(c)), None)
            client = self._clients.pop(victim if victim is not None else next(iter(self._clients)))
        else:
            client = self._new()
        self._clients[key] = client
        return client

    def peek(self, key: str) -> WorkerClient | None:
        return self._clients.get(key)

    def release(self, key: str) -> None:
        """The model was closed: keep its worker as a spare if it is clean, else stop it;
        its workers in other interpreters stop."""
        with self._lock:
            for other in [k for k in self._elsewhere if k[0] == key]:
                self._elsewhere.pop(other).close()
            client = self._clients.pop(key, None)
            if client is None:
                return
            if _tainted(client) or len(self._clients) + len(self._spares) >= self.max_clients:
                client.close()
            else:
                self._spares.append(client)

    def close_all(self) -> None:
        with self._lock:
            while self._clients:
                _key, client = self._clients.popitem()
                client.close()
            while self._spares:
                self._spares.pop().close()
            while self._elsewhere:
                self._elsewhere.popitem()[1].close()

    def keys(self) -> list[str]:
        return list(self._clients)

    def runtime(self) -> Runtime:
        """Where this pool's workers run."""
        return python_runtime(self.python) if self.python else app_runtime()


def _tainted(client: WorkerClient) -> bool:
    info = client.loaded
    return info is not None and (info.trusted or info.classification != "SAFE-LISTED")


class RunController(QObject):
    """Scan, warm up, run and cancel, one model at a time per call (tasks in the pool)."""

    busy_changed = Signal(bool)
    progress = Signal(str)  # what the worker is doing now
    scanned = Signal(object)  # ScanOutcome
    finished = Signal(object)  # RunOutcome
    failed = Signal(object)  # RunFailure

    def __init__(self, tasks: TaskManager, pool: WorkerPool, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.pool = pool
        self._run_task: Task | None = None
        self._scan_tasks: dict[str, Task] = {}
        self._running_key: str | None = None

    @property
    def running(self) -> bool:
        return self._run_task is not None

    def is_scanning(self, key: str) -> bool:
        return key in self._scan_tasks

    # -- scan -----------------------------------------------------------------------------
    def scan(self, key: str, model_dir: str) -> None:
        """Classify the model file in its worker (the safety panel shows the verdict)."""
        if key in self._scan_tasks:
            return
        client = self.pool.client_for(key)
        task = self.tasks.start(_scan_task, client, key, model_dir, name=f"scan {key}")
        self._scan_tasks[key] = task
        task.succeeded.connect(lambda out, k=key: self._scan_done(k, out))
        task.failed.connect(lambda err, k=key: self._scan_error(k, err))

    def _scan_done(self, key: str, outcome: ScanOutcome) -> None:
        self._scan_tasks.pop(key, None)
        self.scanned.emit(outcome)

    def _scan_error(self, key: str, err: Any) -> None:
        self._scan_tasks.pop(key, None)
        err.handled = True
        self.scanned.emit(ScanOutcome(key, failure=RunFailure("error", "The model could not be scanned",
                                                              str(err), err.details)))

    def prewarm(self, key: str, model_dir: str, trusted: frozenset[str] = frozenset()) -> None:
        """Start loading the model in its worker now, so the first run does not wait for it."""
        client = self.pool.client_for(key)
        task = self.tasks.start(_prewarm_task, client, model_dir, trusted, name=f"warm {key}")
        task.failed.connect(lambda err: setattr(err, "handled", True))

    # -- run ------------------------------------------------------------------------------
    def run(self, request: RunRequest) -> bool:
        """Start a run; False when one is already running."""
        if self._run_task is not None:
            return False
        task = self.tasks.start(_run_task, self.pool, request, name=f"predict {request.model_key}")
        self._run_task = task
        self._running_key = request.model_key
        task.progressed.connect(lambda _d, _t, text: self.progress.emit(text))
        task.succeeded.connect(self._run_done)
        task.failed.connect(self._run_error)
        self.busy_changed.emit(True)
        return True

    def cancel(self) -> None:
        """Stop the running prediction now (kills its worker)."""
        task = self._run_task
        if task is not None:
            task.cancel()

    def _finish(self) -> None:
        self._run_task = None
        self._running_key = None
        self.busy_changed.emit(False)

    def _run_done(self, outcome: Any) -> None:
        self._finish()
        if isinstance(outcome, RunFailure):
            self.failed.emit(outcome)
        else:
            self.finished.emit(outcome)

    def _run_error(self, err: Any) -> None:
        key = self._running_key or ""
        self._finish()
        err.handled = True
        self.failed.emit(RunFailure("error", "The prediction failed", str(err), err.details, model_key=key))


# ------------------------------------------------------------------------------ task bodies


def _scan_task(state: TaskState, client: WorkerClient, key: str, model_dir: str) -> ScanOutcome:
    try:
        report = client.scan(model_dir, cancelled=state.is_cancelled)
    except (WorkerError, MlmanagerError) as exc:
        return ScanOutcome(key, failure=describe_failure(exc, "the scan"))
    return ScanOutcome(key, report=report)


def _prewarm_task(state: TaskState, client: WorkerClient, model_dir: str, trusted: frozenset[str]) -> None:
    try:
        client.start_load(model_dir, trusted, cancelled=state.is_cancelled)
    except (WorkerError, MlmanagerError):
        return None  # the run reports it
    return None


def resolve_runtime(pool: WorkerPool, req: RunRequest) -> Runtime:
    """Where ``req`` runs: the pool's interpreter, the model's built environment (never built
    here: ModelEnvironmentError), or a picked interpreter."""
    if req.where == APP:
        return pool.runtime()
    if req.where == MODEL:
        return model_runtime(req.model_dir)
    return python_runtime(req.where)


def _run_task(state: TaskState, pool: WorkerPool, req: RunRequest) -> RunOutcome | RunFailure:
    started = time.perf_counter()

    def loading(fraction: float | None, text: str) -> None:
        state.progress(0, -1, text or "Loading the model…")

    try:
        state.progress(0, -1, "Finding where to run…", force=True)
        runtime = resolve_runtime(pool, req)
    except ModelEnvironmentError as exc:
        return RunFailure("env_not_built", "The model's environment is not built yet",
                          "Predicting in the model's own environment needs it built first: its "
                          "packages are installed once you agree to what will be installed.",
                          str(exc), level="info", model_key=req.model_key, where=req.where)
    except MlmanagerError as exc:
        return RunFailure("env_unavailable", "The model's environment cannot be used",
                          str(exc), model_key=req.model_key, where=req.where)
    client = pool.client_for(req.model_key, runtime.python)
    state.on_cancel(client.cancel)
    session = PredictionSession(req.model_dir, runtime, trusted=req.trusted, timeout=req.timeout,
                                client=client)
    try:
        state.progress(0, -1, "Loading the model…", force=True)
        info = session.load(on_progress=loading, cancelled=state.is_cancelled)
        if state.cancelled:
            raise _cancelled()
        rows = f"{req.rows:,} row{'s' if req.rows != 1 else ''}" if req.rows else "the input"
        state.progress(0, -1, f"Predicting {rows}…", force=True)
        done = session.predict(req.data, params=req.params, cancelled=state.is_cancelled)
        result = done.raw
    except (WorkerError, MlmanagerError) as exc:
        # a kill from Cancel can land before the client armed its own cancel flag for the
        # call; it then reads as a crash (SIGKILL): the task's flag tells the truth
        failure = describe_failure(_cancelled() if state.cancelled else exc)
        failure.model_key = req.model_key
        failure.where = req.where
        return failure

    seconds = time.perf_counter() - started
    frame = predictions_frame(result.predictions)
    table, pred_cols, note = join_results(req.join_with, frame)
    summaries = [summarize(frame.iloc[:, i].rename(str(c))) for i, c in enumerate(frame.columns[:MAX_SUMMARIES])]
    return RunOutcome(req.model_key, info, result, frame, seconds, table, pred_cols, note, summaries,
                      done.ran_by)


def _cancelled() -> Exception:
    return WorkerCancelled("The prediction was cancelled")
