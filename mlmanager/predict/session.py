"""One prediction session, Qt-free: a model, where it runs, trust, the worker, the results.

The CLI ``predict``, the Predict tab and the Deploy tab's local try-out drive this one object;
they only add their own way of asking and showing. A session::

    with PredictionSession(model_dir, runtime_for("model", model_dir)) as session:
        report = session.scan()                      # the verdict, before anything runs
        session.trust(report.sha256)                 # only when the user said so
        session.start()                              # load in the background...
        result = session.predict(folder=prepared)    # ...while the input was read elsewhere
        print(result.ran_by.text())                  # Python 3.10.13, scikit-learn 1.1.1, ...

Where it runs (:class:`Runtime`): this app's Python, the model's own environment (built by
``mlmanager.core.environments``), or an interpreter the user picks. The input reaches the
worker by reference (a frames folder the input helper wrote) or as a value; the worker's
replies are untrusted JSON and ``.npy`` folders, never pickles.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.environments.builder import build as build_environment
from mlmanager.core.environments.builder import model_environment
from mlmanager.core.environments.cache import Environment, EnvironmentCache
from mlmanager.core.environments.plan import plan_build
from mlmanager.core.environments.spec import read_spec
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.safety import SafetyReport
from mlmanager.predict.worker_client import LoadInfo, ModelWarning, PredictResult, WorkerClient
from mlmanager.worker.versions import KEY_PACKAGES

APP, MODEL, PYTHON = "app", "model", "python"
DEFAULT_TIMEOUT = 120.0
SHOWN = ("scikit-learn", "numpy", "pandas", "mlflow")  # the packages a result's line names
ProgressFn = Callable[[str], None]
CancelledFn = Callable[[], bool]


class ModelEnvironmentError(MlmanagerError):
    """The model's own environment is not there (not built, or cannot be built here)."""


@dataclass(frozen=True)
class Runtime:
    """Where the worker runs: ``kind`` app | model | python, and the interpreter."""

    kind: str
    python: str
    description: str  # for people: "this app's Python", "the model's environment (...)", a path
    environment: str | None = None  # the model environment's name, for kind == "model"
    notes: tuple[str, ...] = ()  # how the environment was chosen or built


def app_runtime() -> Runtime:
    return Runtime(APP, sys.executable, "this app's Python")


def python_runtime(python: str | os.PathLike[str]) -> Runtime:
    """An interpreter the user picked (this app's own one reads as such)."""
    path = os.fspath(python)
    if is_app_python(path):
        return app_runtime()
    return Runtime(PYTHON, path, f"the interpreter {path}")


def is_app_python(path: str) -> bool:
    """Whether ``path`` starts this app's own Python *environment*.

    A virtual environment's ``bin/python`` is a symlink to its base interpreter, so another venv
    of the same base is the same file as ours but not the same environment (its packages are found
    from the folder the link is in): compare the folders too."""
    try:
        return (os.path.samefile(path, sys.executable)
                and os.path.samefile(os.path.dirname(os.path.abspath(path)),
                                     os.path.dirname(os.path.abspath(sys.executable))))
    except OSError:
        return False  # missing: the worker client says so when it starts


def runtime_for(choice: str | None, model_dir: str | os.PathLike[str] | None = None, *,
                build: bool = False, consent: bool = False, on_progress: ProgressFn | None = None,
                cancelled: CancelledFn | None = None) -> Runtime:
    """``app`` (or None), ``model`` or a path to an interpreter."""
    if choice in (None, "", APP):
        return app_runtime()
    if choice == MODEL:
        if model_dir is None:
            raise ModelEnvironmentError("the model's environment needs a model folder")
        return model_runtime(model_dir, build=build, consent=consent, on_progress=on_progress,
                             cancelled=cancelled)
    return python_runtime(choice)


def model_runtime(model_dir: str | os.PathLike[str], *, build: bool = False, consent: bool = False,
                  on_progress: ProgressFn | None = None, cancelled: CancelledFn | None = None,
                  cache: EnvironmentCache | None = None) -> Runtime:
    """The model's own environment (``mlmanager.core.environments``): the ready one, or built
    now when ``build`` (the first build installs packages: it needs ``consent``). Raises
    ModelEnvironmentError when it is not built, EnvironmentBuildError when it cannot be."""
    cache = cache or EnvironmentCache()
    env = model_environment(model_dir, cache=cache)
    if env is None:
        if not build:
            raise ModelEnvironmentError(
                "the model's own environment is not built yet: build it with `mlmanager env build "
                "MODEL` (or in the Environment tab), then predict with --env model", str(model_dir))
        plan = plan_build(read_spec(model_dir), cache=cache)
        env = build_environment(plan, consent=consent, on_progress=on_progress,
                                cancelled=cancelled).environment
    cache.touch(env, os.fspath(model_dir))
    return environment_runtime(env)


def environment_runtime(env: Environment) -> Runtime:
    """A built model environment as a :class:`Runtime`."""
    return Runtime(MODEL, str(env.python),
                   f"the model's environment {env.name}, Python {env.python_version}",
                   environment=env.name, notes=(env.strategy_label,))


@dataclass(frozen=True)
class RanBy:
    """What ran a prediction: where, the interpreter's Python and key packages, the loader."""

    runtime: Runtime
    python_version: str
    packages: Mapping[str, str | None]
    loader: str

    @classmethod
    def from_load(cls, runtime: Runtime, info: LoadInfo) -> RanBy:
        versions = dict(info.versions)
        packages = {name: versions.get(name) for name in KEY_PACKAGES if versions.get(name)}
        return cls(runtime, str(versions.get("python") or "?"), packages, info.loader)

    def text(self) -> str:
        """``Python 3.10.13, scikit-learn 1.1.1, numpy 1.23.5 (the model's environment)``."""
        parts = [f"Python {self.python_version}"]
        parts += [f"{name} {version}" for name, version in self.packages.items() if name in SHOWN]
        loader = f"; loaded with {self.loader}" if self.loader else ""
        return f"{', '.join(parts)} ({self.runtime.description}){loader}"

    def short(self) -> str:
        """``Python 3.10.13, scikit-learn 1.1.1 (the model's environment)``: for a results header."""
        main = next(((n, v) for n, v in self.packages.items() if n in ("scikit-learn", "mlflow")), None)
        what = f"Python {self.python_version}" + (f", {main[0]} {main[1]}" if main else "")
        return f"{what} ({self.runtime.description})"

    def to_dict(self) -> dict[str, Any]:
        return {"where": self.runtime.kind, "description": self.runtime.description,
                "interpreter": self.runtime.python, "environment": self.runtime.environment,
                "python": self.python_version, "packages": dict(self.packages),
                "loader": self.loader}


@dataclass(frozen=True)
class SessionResult:
    """One prediction: the predictions, their warnings, the load facts and what ran it."""

    predictions: Any
    warnings: tuple[ModelWarning, ...]
    load: LoadInfo
    ran_by: RanBy
    seconds: float  # wall time of the predict call
    predict_seconds: float  # inside the model's predict
    raw: PredictResult = field(repr=False, compare=False, default=None)  # type: ignore[assignment]


class PredictionSession:
    """A model and the worker that predicts with it, in one :class:`Runtime`.

    ``client``: an existing worker client to use (a warm one from a pool); it must run the
    runtime's interpreter. Not thread-safe except :meth:`cancel`, which may be called from
    any thread.
    """

    def __init__(self, model_dir: str | os.PathLike[str], runtime: Runtime | None = None, *,
                 trusted: Iterable[str] = (), timeout: float = DEFAULT_TIMEOUT,
                 cache_dir: str | os.PathLike[str] | None = None,
                 client: WorkerClient | None = None) -> None:
        self.model_dir = os.fspath(model_dir)
        self.runtime = runtime or app_runtime()
        self.timeout = timeout
        self.trusted: set[str] = set(trusted)
        self._own_client = client is None
        self._info: LoadInfo | None = None
        self.client = client or WorkerClient(self.runtime.python, timeout=timeout, cache_dir=cache_dir)

    # -- trust and loading ---------------------------------------------------------------------
    def scan(self, *, cancelled: CancelledFn | None = None) -> SafetyReport:
        """Classify the model's files in the worker (nothing of the model runs)."""
        return self.client.scan(self.model_dir, cancelled=cancelled)

    def trust(self, sha256: str) -> None:
        """Let files with this SHA-256 run their code (the user agreed)."""
        self.trusted.add(sha256)

    def start(self, *, cancelled: CancelledFn | None = None) -> None:
        """Start loading in the background; :meth:`predict` waits for it."""
        self.client.start_load(self.model_dir, frozenset(self.trusted), cancelled=cancelled)

    def load(self, *, on_progress: Callable[[float | None, str], None] | None = None,
             cancelled: CancelledFn | None = None) -> LoadInfo:
        self._info = self.client.load(self.model_dir, frozenset(self.trusted), timeout=self.timeout,
                                      on_progress=on_progress, cancelled=cancelled)
        return self._info

    # -- predicting ------------------------------------------------------------------------------
    def predict(self, data: Any = None, *, folder: str | os.PathLike[str] | None = None,
                params: Mapping[str, Any] | None = None,
                cancelled: CancelledFn | None = None) -> SessionResult:
        """Predict on ``data`` (a value) or on ``folder`` (a frames folder, by reference)."""
        info = self._info
        if info is None or self.client.loaded is not info:  # not loaded yet, or the worker died
            info = self.load(cancelled=cancelled)
        result = self.client.predict(data, params or None, folder=folder, timeout=self.timeout,
                                     cancelled=cancelled)
        return SessionResult(result.predictions, result.warnings, info,
                             RanBy.from_load(self.runtime, info), result.seconds,
                             result.predict_seconds, result)

    def cancel(self) -> None:
        """Stop the running call now (kills the worker; the next call starts a fresh one)."""
        self.client.cancel()

    def close(self) -> None:
        if self._own_client:
            self.client.close()

    def __enter__(self) -> PredictionSession:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
