"""Model environments for the app's tabs: their state, and builds that ask first, stream their
log and can be cancelled.

One :class:`EnvironmentBuilds` per window (``environment_builds(ctx)``), shared by the
Environment tab, the Predict tab and Tools ▸ Environments, so a build started in one shows in
the others. Everything that touches the disk, the interpreters or the installer runs as a task
(``ui/tasks.py``); the core (``mlmanager.core.environments``) does the work:

1. ``refresh(model)`` — ``model_environment_state`` in a task -> ``state_changed``;
2. ``build(model)`` — plan + preview (``uv pip compile``, wheels only: no package code runs) in
   a task, then the confirmation dialog listing what will be installed (through the prompter),
   then ``builder.build`` in a task: progress, the installer's log in batches, cancel;
   ``build(model, rebuild=env)`` removes ``env`` only once the user agreed to build anew;
3. ``remove(model, env)`` / ``remove_environment(env)`` — ``EnvironmentCache.remove`` in a task.

Jobs are keyed by the model's location (``ModelDocument.location``, what the core records).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QObject, Signal

from mlmanager.core.environments.builder import BuildResult, build, preview
from mlmanager.core.environments.cache import Environment, EnvironmentCache
from mlmanager.core.environments.failures import EnvironmentBuildError
from mlmanager.core.environments.model_state import ModelEnvironmentState, model_environment_state
from mlmanager.core.environments.plan import BuildPlan, plan_build
from mlmanager.core.environments.resolution import Resolution
from mlmanager.core.environments.spec import read_spec
from mlmanager.ui.environments.confirm_dialog import BuildConfirmDialog

if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget

    from mlmanager.ui.pages.base import PageContext
    from mlmanager.ui.prompter import Prompter
    from mlmanager.ui.tasks import Task, TaskError, TaskManager, TaskState

MAX_LOG_LINES = 5000  # kept in memory per job; the full log is the file
PREVIEW, BUILD = "preview", "build"


@dataclass
class BuildJob:
    """A preview or build of one model's environment, as the GUI follows it."""

    model: str
    phase: str  # preview | build
    task: Task | None = None
    lines: list[str] = field(default_factory=list)
    progress: str = ""
    then: list[Callable[[BuildOutcome], None]] = field(default_factory=list)
    rebuild: Environment | None = None  # removed once the user agreed to build it again


@dataclass
class BuildOutcome:
    """How a build ended: ``result`` (ready), ``error`` (failed, in plain words), ``cancelled``
    or ``declined`` (the user did not agree to install)."""

    model: str
    result: BuildResult | None = None
    error: EnvironmentBuildError | None = None
    cancelled: bool = False
    declined: bool = False

    @property
    def ok(self) -> bool:
        return self.result is not None


@dataclass
class PreviewOutcome:
    plan: BuildPlan | None = None
    resolution: Resolution | None = None
    error: EnvironmentBuildError | None = None
    ready: Environment | None = None  # already built: nothing to ask, nothing to install


# ------------------------------------------------------------------------------ task bodies


def _state_task(state: TaskState, model: str, cache: EnvironmentCache,
                building: bool) -> ModelEnvironmentState:
    return model_environment_state(model, cache=cache, building=building)


def _preview_task(state: TaskState, model: str, cache: EnvironmentCache,
                  rebuild: bool) -> PreviewOutcome:
    try:
        plan = plan_build(read_spec(model), cache=cache)
        ready = None if rebuild else plan.ready()
        if ready is not None:
            return PreviewOutcome(plan, ready=cache.touch(ready, model))
        state.progress(0, -1, "resolving what the environment would install…", force=True)
        resolution = preview(plan, on_progress=lambda t: state.progress(0, -1, t, force=True),
                             on_log=state.partial, cancelled=state.is_cancelled)
    except EnvironmentBuildError as exc:
        return PreviewOutcome(error=exc)
    return PreviewOutcome(plan, resolution)


def _build_task(state: TaskState, plan: BuildPlan, model: str,
                remove: Environment | None) -> BuildOutcome:
    if remove is not None:  # Rebuild, agreed to: the old environment goes, the plan builds anew
        state.progress(0, -1, f"removing {remove.name}", force=True)
        plan.cache.remove(remove)
    try:
        result = build(plan, consent=True, model=model,
                       on_progress=lambda t: state.progress(0, -1, t, force=True),
                       on_log=state.partial, cancelled=state.is_cancelled)
    except EnvironmentBuildError as exc:
        if exc.kind == "cancelled":
            return BuildOutcome(model, cancelled=True)
        return BuildOutcome(model, error=exc)
    return BuildOutcome(model, result=result)


def _remove_task(state: TaskState, cache: EnvironmentCache, envs: list[Environment]) -> int:
    return sum(cache.remove(env) for env in envs)


def _list_task(state: TaskState, cache: EnvironmentCache) -> list[Environment]:
    return cache.environments()


def _prune_task(state: TaskState, cache: EnvironmentCache, days: float) -> Any:
    return cache.prune(days)


# ------------------------------------------------------------------------------ controller


class EnvironmentBuilds(QObject):
    """The app's model environments: states, builds, removal (signals in the GUI thread)."""

    state_changed = Signal(str, object)  # model, ModelEnvironmentState
    state_failed = Signal(str, str)  # model, why the state could not be read
    job_changed = Signal(str)  # model: a job started, moved on or ended
    progress = Signal(str, str)  # model, text
    log_lines = Signal(str, list)  # model, new installer lines
    finished = Signal(object)  # BuildOutcome
    environments_changed = Signal()  # one was built or removed

    def __init__(self, tasks: TaskManager, prompter: Prompter, parent: QObject | None = None,
                 cache: EnvironmentCache | None = None) -> None:
        super().__init__(parent)
        self.tasks = tasks
        self.prompter = prompter
        self._cache = cache
        self._jobs: dict[str, BuildJob] = {}
        self._ended: dict[str, tuple[BuildJob, BuildOutcome]] = {}  # the last job's end, per model
        self._states: dict[str, ModelEnvironmentState] = {}
        self.last_dialog: BuildConfirmDialog | None = None  # for tests and screenshots

    @property
    def cache(self) -> EnvironmentCache:
        """The environments folder (read at each use: tests and users may point it elsewhere)."""
        return self._cache if self._cache is not None else EnvironmentCache()

    # -- reading ---------------------------------------------------------------------------
    def job(self, model: str) -> BuildJob | None:
        return self._jobs.get(model)

    def last_outcome(self, model: str) -> tuple[BuildJob, BuildOutcome] | None:
        """The last finished job of ``model`` and how it ended (its log lines included)."""
        return self._ended.get(model)

    def state(self, model: str) -> ModelEnvironmentState | None:
        """The last state read for ``model`` (None: not read yet)."""
        return self._states.get(model)

    def refresh(self, model: str) -> Task:
        task = self.tasks.start(_state_task, model, self.cache, model in self._jobs,
                                name="environment state")
        task.succeeded.connect(lambda st, m=model: self._state_read(m, st))
        task.failed.connect(lambda err, m=model: self._state_error(m, err))
        return task

    def _state_read(self, model: str, state: ModelEnvironmentState) -> None:
        self._states[model] = state
        self.state_changed.emit(model, state)

    def _state_error(self, model: str, err: TaskError) -> None:
        err.handled = True
        self.state_failed.emit(model, err.message)

    def list_environments(self) -> Task:
        return self.tasks.start(_list_task, self.cache, name="list environments")

    # -- building --------------------------------------------------------------------------
    def build(self, parent: QWidget | None, model: str, *, rebuild: Environment | None = None,
              then: Callable[[BuildOutcome], None] | None = None) -> bool:
        """Ask, then build ``model``'s environment (``rebuild``: remove that one first).
        ``then`` is called once with the outcome. False when a job already runs for it (``then``
        then joins that job)."""
        job = self._jobs.get(model)
        if job is not None:
            if then is not None:
                job.then.append(then)
            return False
        job = BuildJob(model, PREVIEW, then=[then] if then else [])
        self._jobs[model] = job
        job.progress = "resolving what the environment would install…"
        job.rebuild = rebuild
        task = self.tasks.start(_preview_task, model, self.cache, rebuild is not None,
                                name="environment preview")
        job.task = task
        task.progressed.connect(lambda _d, _t, text, m=model: self._progress(m, text))
        task.partial.connect(lambda lines, m=model: self._lines(m, lines))
        task.succeeded.connect(lambda out, m=model, w=parent: self._previewed(m, w, out))
        task.failed.connect(lambda err, m=model: self._task_failed(m, err))
        task.cancelled.connect(lambda m=model: self._end(BuildOutcome(m, cancelled=True)))
        self.job_changed.emit(model)
        return True

    def _previewed(self, model: str, parent: QWidget | None, out: PreviewOutcome) -> None:
        job = self._jobs.get(model)
        if job is None:
            return
        if out.ready is not None:
            self._end(BuildOutcome(model, result=BuildResult(out.ready, reused=True)))
            return
        if (job.task is not None and job.task.state.cancelled) or (
                out.error is not None and out.error.kind == "cancelled"):
            self._end(BuildOutcome(model, cancelled=True))
            return
        if out.error is not None or out.plan is None or out.resolution is None:
            self._end(BuildOutcome(model, error=out.error))
            return
        dialog = BuildConfirmDialog(out.plan, out.resolution, parent)
        self.last_dialog = dialog
        agreed = self.prompter.run_dialog(dialog)
        if not agreed:
            self._end(BuildOutcome(model, declined=True))
            return
        job.phase = BUILD
        job.lines = []
        job.progress = "starting the build…"
        task = self.tasks.start(_build_task, out.plan, model, job.rebuild,
                                name="environment build")
        job.task = task
        task.progressed.connect(lambda _d, _t, text, m=model: self._progress(m, text))
        task.partial.connect(lambda lines, m=model: self._lines(m, lines))
        task.succeeded.connect(self._end)
        task.failed.connect(lambda err, m=model: self._task_failed(m, err))
        self.job_changed.emit(model)

    def cancel(self, model: str) -> None:
        """Stop the preview or build of ``model`` (the installer's process group is killed and
        the half-built folder removed by the core)."""
        job = self._jobs.get(model)
        if job is not None and job.task is not None:
            job.progress = "cancelling…"
            self.progress.emit(model, job.progress)
            job.task.cancel()

    def _progress(self, model: str, text: str) -> None:
        job = self._jobs.get(model)
        if job is not None and text:
            job.progress = text
            self.progress.emit(model, text)

    def _lines(self, model: str, lines: list[str]) -> None:
        job = self._jobs.get(model)
        if job is None:
            return
        job.lines.extend(lines)
        if len(job.lines) > MAX_LOG_LINES:
            del job.lines[: len(job.lines) - MAX_LOG_LINES]
        self.log_lines.emit(model, lines)

    def _task_failed(self, model: str, err: TaskError) -> None:
        err.handled = True
        self._end(BuildOutcome(model, error=EnvironmentBuildError(err.message)))

    def _end(self, outcome: BuildOutcome) -> None:
        job = self._jobs.pop(outcome.model, None)
        if job is None:
            return
        self._ended[outcome.model] = (job, outcome)
        self.job_changed.emit(outcome.model)
        self.finished.emit(outcome)
        if outcome.ok or (job.rebuild is not None and job.phase == BUILD):
            self.environments_changed.emit()  # built, or removed for a rebuild that failed
        for fn in job.then:
            fn(outcome)
        self.refresh(outcome.model)

    # -- removing --------------------------------------------------------------------------
    def remove(self, model: str, envs: list[Environment]) -> Task:
        task = self.tasks.start(_remove_task, self.cache, envs, name="remove environment")
        task.finished.connect(lambda m=model: self._removed(m))
        return task

    def _removed(self, model: str | None) -> None:
        self.environments_changed.emit()
        if model:
            self.refresh(model)

    def prune(self, days: float) -> Task:
        task = self.tasks.start(_prune_task, self.cache, days, name="prune environments")
        task.finished.connect(lambda: self._removed(None))
        return task


def environment_builds(ctx: PageContext) -> EnvironmentBuilds:
    """The window's shared :class:`EnvironmentBuilds` (made on first use, kept on ``ctx``)."""
    builds = ctx.environments
    if builds is None:
        builds = EnvironmentBuilds(ctx.tasks, ctx.prompter, ctx.tasks)
        ctx.environments = builds
    return builds
