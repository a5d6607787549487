"""Building a plan into the cache: resolve, create, install, record, rename into place.

``preview(plan)`` resolves without installing (``uv pip compile``, wheels only, so no package
code runs) and returns exactly what the first working strategy would install: what a user is
shown before they agree. ``build(plan, consent=True)`` then:

- takes the plan's lock (a second build of the same environment waits, then reuses it);
- tries the plan's strategies in order; each in a fresh temporary folder, so an earlier
  attempt's packages (or uv's cache of a source build) cannot make a later one look done;
- streams the installer's output to ``on_log`` line by line and to the log file;
- writes ``environment.json`` last and renames the folder into place: a killed build leaves
  only a ``.tmp-`` folder, removed by the next build;
- a cancel kills the installer's process group and removes the temporary folder.

Callbacks run in the caller's thread; nothing here starts a thread the caller must manage.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

from mlmanager.core.environments.build_run import (
    AttemptFailed,
    BuildRun,
    ProgressFn,
    built_from_source,
    direct_references,
    source_only,
)
from mlmanager.core.environments.cache import (
    Environment,
    EnvironmentCache,
    env_python,
    now_iso,
)
from mlmanager.core.environments.failures import (
    BuildCancelled,
    EnvironmentBuildError,
    Failure,
    classify,
)
from mlmanager.core.environments.plan import Attempt, BuildOptions, BuildPlan, plan_build
from mlmanager.core.environments.resolution import Resolution, resolve, write_lines
from mlmanager.core.environments.spec import read_spec
from mlmanager.core.environments.streaming import CancelledFn, LineFn
from mlmanager.core.errors import WriteError
from mlmanager.core.filelock import LockCancelled
from mlmanager.core.model.mlmodel import ModelDocument
from mlmanager.core.sizes import tree_size


class ConsentRequired(EnvironmentBuildError):
    """The environment is not built and the caller has not agreed to install its packages."""

    def __init__(self, plan: BuildPlan) -> None:
        self.plan = plan
        super().__init__(
            "building this environment installs packages from the package index, which runs "
            "their code: review what will be installed (mlmanager env show MODEL) and agree "
            "(--yes, or answer y)", kind="consent")


@dataclass
class BuildResult:
    environment: Environment
    reused: bool  # an environment already built (now or by a build this one waited for)
    waited: bool = False
    seconds: float = 0.0
    tried: list[str] = field(default_factory=list)


def _installed_packages(run: BuildRun, python: Path) -> dict[str, str]:
    lines = run.run(run.installer.list_argv(python))
    for line in reversed(lines):
        text = line.strip()
        if text.startswith("["):
            with contextlib.suppress(ValueError):
                return {str(p["name"]): str(p["version"]) for p in json.loads(text)
                        if isinstance(p, dict) and "name" in p}
    return {}


def _install(run: BuildRun, res: Resolution, work: Path, model: str | None) -> Environment:
    """Create the environment in ``work/env``, install, record; the caller renames it."""
    plan, attempt, installer = run.plan, res.attempt, run.installer
    venv = work / "env"
    run.progress(f"creating the environment (Python {attempt.interpreter.version})")
    run.run(installer.venv_argv(attempt.interpreter.executable, venv,
                                    exclude_newer=res.exclude_newer), attempt.interpreter.version)
    python = env_python(venv)
    pip_dated = False
    if installer.kind == "pip" and res.exclude_newer:
        helptext = "\n".join(run.run(installer.pip_supports_dates_argv(python)))
        pip_dated = "--uploaded-prior-to" in helptext
        if not pip_dated:
            res.notes.append("this environment's pip has no --uploaded-prior-to: the "
                             "requirements were resolved as of today")
    constraints = write_lines(work / "constraints.txt", list(plan.spec.constraints)) \
        if plan.spec.constraints else None
    # with a resolution (uv), exactly the resolved versions go in (--no-deps): what was shown
    # before the build is what is installed, and the installer need not resolve again
    options = [x for x in res.requirements if x.strip().startswith("-")]  # --extra-index-url...
    steps = (("build dependencies", res.build_dependencies, res.build_packages, None),
             ("packages", res.requirements, res.packages, constraints))
    for what, lines, locked, limits in steps:
        if not lines:
            continue
        run.progress(f"installing {len(locked or lines)} {what} ({attempt.recipe.label})")
        run.run(installer.install_argv(
            python, write_lines(work / f"{what.split()[0]}.txt", options + locked if locked
                                else lines),
            exclude_newer=None if locked else res.exclude_newer, builds=attempt.builds,
            constraints=None if locked else limits, pip_dated=pip_dated,
            refresh=direct_references(lines), no_deps=bool(locked)),
            attempt.interpreter.version)
    if attempt.builds == "none":
        built = built_from_source(venv)
        if built:
            raise AttemptFailed(source_only(built[0]))
    run.progress("recording the environment")
    packages = _installed_packages(run, python)
    final = plan.cache.root / attempt.recipe.name
    stamp = now_iso()
    interp = dict(attempt.interpreter.to_dict(), reason=plan.choice.reason,
                  match=plan.choice.match, warning=plan.choice.warning)
    if attempt.interpreter != plan.choice.interpreter:
        interp.update(match="other-minor", reason=attempt.note or "another Python minor")
    env = Environment(
        name=final.name, path=final, recipe=attempt.recipe, interpreter=interp,
        packages=packages, size_bytes=tree_size(venv), created=stamp, last_used=stamp,
        models=[model] if model else [],
        resolution={"exclude_newer": res.exclude_newer, "later": res.later,
                    "requirements": res.requirements,
                    "build_dependencies": res.build_dependencies},
        notes=list(plan.notes) + res.notes, installer=installer.version,
        log=run.log_path)
    plan.cache.write_metadata(venv, env)  # written last: the folder now describes itself
    return env


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return isinstance(exc, WriteError) and "no space left" in str(exc).lower()


def _attempt(run: BuildRun, attempt: Attempt, model: str | None) -> tuple[Environment,
                                                                              Resolution]:
    cache = run.plan.cache
    work = cache.new_temp(run.plan.name, attempt.recipe)
    try:
        run.progress(f"trying {attempt.label}")
        res = resolve(run, attempt, work)
        env = _install(run, res, work, model)
        final = cache.root / attempt.recipe.name
        if final.exists():  # a folder without metadata (never ready): ours replaces it
            shutil.rmtree(final, ignore_errors=True)
        os.replace(work / "env", final)
        return env, res
    except (OSError, WriteError) as exc:
        if _disk_full(exc):
            raise AttemptFailed(classify("No space left on device")) from None
        if isinstance(exc, WriteError):
            raise AttemptFailed(Failure("installer", str(exc))) from None
        raise
    finally:
        shutil.rmtree(work, ignore_errors=True)


def _open_log(plan: BuildPlan) -> TextIO:
    plan.cache.ensure()
    log = open(plan.cache.log_path(plan.name), "w", encoding="utf-8")  # noqa: SIM115
    log.write(f"# mlmanager environment build, {now_iso()}\n# model: {plan.spec.model}\n"
              f"# interpreter: {plan.choice.reason}\n# installer: {plan.installer.version}\n")
    return log


def _runnable(attempt: Attempt, last: Failure | None) -> bool:
    if attempt.after is None:
        return True
    return last is not None and last.kind in attempt.after


def preview(plan: BuildPlan, *, on_log: LineFn | None = None,
            on_progress: ProgressFn | None = None,
            cancelled: CancelledFn | None = None) -> Resolution:
    """Resolve the plan's strategies without installing, until one resolves: exactly what a
    build would install (with uv; with pip, the requirement lines). Raises
    EnvironmentBuildError naming the requirement and the reason when none resolves."""
    run = BuildRun(plan, None, on_log, on_progress, cancelled)
    plan.cache.ensure()
    last: Failure | None = None
    first: Failure | None = None
    tried: list[str] = []
    for attempt in plan.attempts:
        if attempt.builds != "none" and plan.installer.can_resolve:
            # resolving with builds allowed may run a package's build code: not before consent
            res = Resolution(attempt, list(plan.spec.requirements),
                             list(plan.spec.build_dependencies), attempt.recipe.as_of,
                             notes=["resolved at build time: source builds run package code"])
            if _runnable(attempt, last):
                return res
            continue
        if not _runnable(attempt, last):
            continue
        # outside the cache: a build's clean-up of stale folders must not take it away
        work = Path(tempfile.mkdtemp(prefix="mlmanager-resolve-"))
        try:
            return resolve(run, attempt, work)
        except AttemptFailed as exc:
            last = exc.failure
            first = first or last
            tried.append(f"{attempt.label}: {last.message}")
            if last.final:
                break
        finally:
            shutil.rmtree(work, ignore_errors=True)
    assert first is not None
    raise EnvironmentBuildError(_failure_message(plan, first), kind=first.kind,
                                requirement=first.requirement, tried=tried)


def _failure_message(plan: BuildPlan, failure: Failure) -> str:
    return f"cannot build the environment for {plan.spec.model}: {failure.text}"


def build(
    plan: BuildPlan,
    *,
    consent: bool,
    model: str | None = None,
    on_progress: ProgressFn | None = None,
    on_log: LineFn | None = None,
    cancelled: CancelledFn | None = None,
) -> BuildResult:
    """Make the plan's environment ready (or reuse it). ``consent``: the user agreed to install
    (required unless it is already built; else ConsentRequired). ``model``: the model location
    recorded as a user of the environment (default: the plan's model)."""
    started = time.monotonic()
    model = model or plan.spec.model
    cache = plan.cache
    ready = plan.ready()
    if ready is not None:
        return BuildResult(cache.touch(ready, model), reused=True)
    if not consent:
        raise ConsentRequired(plan)
    cache.ensure()
    lock = cache.lock(plan.name)
    waited = False

    def waiting() -> None:
        nonlocal waited
        waited = True
        if on_progress is not None:
            on_progress("waiting for another build of this environment to finish")

    try:
        lock.acquire(cancelled=cancelled, on_wait=waiting)
    except LockCancelled:
        raise BuildCancelled() from None
    try:
        ready = plan.ready()
        if ready is not None:
            return BuildResult(cache.touch(ready, model), reused=True, waited=waited,
                               seconds=round(time.monotonic() - started, 2))
        cache.clean_stale(plan.name)
        with _open_log(plan) as log_file:
            run = BuildRun(plan, log_file, on_log, on_progress, cancelled)
            return _run_attempts(run, model, started, waited)
    finally:
        lock.release()


def _run_attempts(run: BuildRun, model: str, started: float, waited: bool) -> BuildResult:
    plan = run.plan
    last: Failure | None = None
    first: Failure | None = None
    tried: list[str] = []
    for attempt in plan.attempts:
        if not _runnable(attempt, last):
            continue
        try:
            env, _res = _attempt(run, attempt, model)
        except AttemptFailed as exc:
            last = exc.failure
            first = first or last
            tried.append(f"{attempt.label}: {last.message}")
            run.progress(f"{attempt.label}: {last.message}")
            if last.final:
                break
            continue
        except BuildCancelled:
            run.progress("cancelled; the partial environment was removed")
            raise
        plan.cache.clear_failure(plan.name)
        tried.append(f"{attempt.label}: ready")
        seconds = round(time.monotonic() - started, 2)
        run.progress(f"ready in {seconds:.1f} s: {env.name}")
        return BuildResult(env, reused=False, waited=waited, seconds=seconds, tried=tried)
    assert first is not None
    error = EnvironmentBuildError(_failure_message(plan, first), kind=first.kind,
                                  requirement=first.requirement, log_path=run.log_path,
                                  tried=tried)
    plan.cache.record_failure(plan.name, error.to_dict())
    raise error


def ready_environment(plan: BuildPlan) -> Environment | None:
    """The plan's environment if built (or one recorded for this model), else None."""
    env = plan.ready()
    if env is not None:
        return env
    used = plan.cache.for_model(plan.spec.model)
    return used[0] if used else None


def model_environment(model: str | os.PathLike[str] | ModelDocument, *,
                      options: BuildOptions | None = None,
                      cache: EnvironmentCache | None = None) -> Environment | None:
    """The ready environment of ``model`` (a folder, MLmodel file, zip or open document), or
    None when it is not built. Builds nothing and asks nothing: reads the model's environment
    files and the cache (interpreters are looked up once per process). PythonUnavailableError
    when no interpreter fits and nothing was built with another one."""
    spec = read_spec(model)
    cache = cache or EnvironmentCache()
    try:
        plan = plan_build(spec, options, cache)
    except EnvironmentBuildError:
        used = cache.for_model(spec.model)
        if used:
            return used[0]
        raise
    return ready_environment(plan)
