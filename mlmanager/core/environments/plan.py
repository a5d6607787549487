"""The plan for a model's environment: the interpreter, and the strategies to try, in order.

1. **dated** — the chosen interpreter, wheels only, resolved as of the day the model was saved
   (the MLmodel's ``utc_time_created`` + 1 day; exact pins stay exact; a pin published later
   moves the date past it; a loosely required package with no wheel then takes the nearest
   later version that has one). Without a date this step is "as written".
2. **other Python** — when no wheel set exists for that Python: the nearest other minors
   (older first), dated, wheels only. Not when the user gave the interpreter.
3. **as written** — the chosen interpreter, wheels only, the requirements resolved as of today
   (what MLflow's ``--env-manager uv`` installs): when the dated resolution conflicts.
4. with ``allow_build`` only: the first strategy again with source builds, first for all but
   the heavy compiled packages (numpy, scipy, scikit-learn, pandas), then for everything.

Each step runs only after a failure that it can fix (a package that does not exist stays
missing whatever the strategy). Every step has its own recipe, so its own cache folder.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.environments.cache import Environment, EnvironmentCache
from mlmanager.core.environments.dating import start_date
from mlmanager.core.environments.installer import Installer
from mlmanager.core.environments.interpreter_choice import (
    PICKLE_WARNING,
    InterpreterChoice,
    choose_interpreter,
    nearest_minors,
)
from mlmanager.core.environments.interpreters import Interpreter, find_interpreters
from mlmanager.core.environments.recipe import Recipe
from mlmanager.core.environments.spec import EnvironmentSpec

#: failures another Python minor may fix
WHEEL_KINDS = frozenset({"no-wheel", "python-incompatible"})
#: failures that a different resolution (or source builds) may fix
RETRY_KINDS = frozenset({"no-wheel", "python-incompatible", "conflict", "published-after",
                         "build-failed"})


@dataclass(frozen=True)
class BuildOptions:
    """What the user allowed. ``python``: an interpreter they gave (used as is)."""

    python: str | None = None
    offline: bool = False
    allow_other_python: bool = False
    allow_build: bool = False
    allow_python_install: bool = False  # uv python install (online only): downloads a Python
    uv_cache_dir: str | None = None  # uv's package cache; None: uv's default


@dataclass(frozen=True)
class Attempt:
    """One strategy on one interpreter; ``after``: the failure kinds it follows (None: first)."""

    strategy: str
    interpreter: Interpreter
    builds: str
    recipe: Recipe
    after: frozenset[str] | None = None
    note: str | None = None

    @property
    def label(self) -> str:
        return f"{self.recipe.label} on Python {self.interpreter.version}"


@dataclass
class PlanStatus:
    """not-built | building | ready | failed, with the environment or the last failure."""

    state: str
    environment: Environment | None = None
    failure: dict[str, Any] | None = None


@dataclass
class BuildPlan:
    spec: EnvironmentSpec
    options: BuildOptions
    installer: Installer
    choice: InterpreterChoice
    attempts: list[Attempt]
    cache: EnvironmentCache
    notes: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        """The plan's name: its first recipe's folder name (locks and logs are named by it)."""
        return self.attempts[0].recipe.name

    @property
    def as_of(self) -> str | None:
        return self.attempts[0].recipe.as_of

    def ready(self) -> Environment | None:
        """The environment one of the plan's recipes already built, if any."""
        for attempt in self.attempts:
            env = self.cache.get_recipe(attempt.recipe)
            if env is not None:
                return env
        return None

    def status(self) -> PlanStatus:
        env = self.ready()
        if env is not None:
            return PlanStatus("ready", env)
        if self.cache.lock(self.name).is_locked_elsewhere():
            return PlanStatus("building")
        failure = self.cache.failure(self.name)
        if failure is not None:
            return PlanStatus("failed", failure=failure)
        return PlanStatus("not-built")

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "spec": self.spec.to_dict(),
            "interpreter": self.choice.to_dict(),
            "installer": self.installer.version,
            "strategies": [
                {"strategy": a.strategy, "label": a.label, "python": a.interpreter.version,
                 "builds": a.builds, "environment": a.recipe.name,
                 "after": sorted(a.after) if a.after else None, "note": a.note}
                for a in self.attempts
            ],
            "as_of": self.as_of,
            "notes": list(self.notes),
        }


def plan_build(
    spec: EnvironmentSpec,
    options: BuildOptions | None = None,
    cache: EnvironmentCache | None = None,
    *,
    installer: Installer | None = None,
    interpreters: Sequence[Interpreter] | None = None,
) -> BuildPlan:
    """Choose the interpreter and lay out the strategies. Runs no installer; raises
    PythonUnavailableError (or EnvironmentBuildError when no installer can run)."""
    options = options or BuildOptions()
    cache = cache or EnvironmentCache()
    installer = installer or Installer.locate(offline=options.offline,
                                              cache_dir=options.uv_cache_dir)
    found = list(interpreters) if interpreters is not None else find_interpreters(installer.executable)
    choice = choose_interpreter(
        spec.python, python=options.python, allow_other_minor=options.allow_other_python,
        allow_install=options.allow_python_install, offline=options.offline,
        uv=installer.executable, interpreters=found)
    date = start_date(spec.created) if spec.created else None
    notes = list(spec.notes)
    if date is None:
        notes.append("the MLmodel has no utc_time_created: the requirements are resolved as "
                     "written (as of today), not as of the day the model was saved")
    if not spec.requirements:
        notes.append("the model lists no requirements: the environment holds only Python and "
                     "its seed packages")

    def recipe(strategy: str, interp: Interpreter, builds: str) -> Recipe:
        return Recipe.create(interp.version, list(spec.requirements),
                             build_dependencies=list(spec.build_dependencies),
                             constraints=list(spec.constraints), strategy=strategy,
                             as_of=date, builds=builds)

    main = choice.interpreter
    first = "dated" if date else "as-written"
    attempts = [Attempt(first, main, "none", recipe(first, main, "none"))]
    if choice.match != "given":
        for alt in nearest_minors(main, found):
            note = (f"Python {alt.version}: the nearest minor with wheels for these requirements; "
                    + PICKLE_WARNING.format(wanted=spec.python or main.version, used=alt.version))
            strategy = "other-python"
            attempts.append(Attempt(strategy, alt, "none", recipe(strategy, alt, "none"),
                                    WHEEL_KINDS, note))
    if date:
        attempts.append(Attempt("as-written", main, "none", recipe("as-written", main, "none"),
                                RETRY_KINDS))
    if options.allow_build:
        for builds in ("light", "all"):
            attempts.append(Attempt(first, main, builds, recipe(first, main, builds),
                                    RETRY_KINDS | {"source-only"}))
    return BuildPlan(spec, options, installer, choice, attempts, cache, notes)
