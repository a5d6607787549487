"""Resolving one strategy without installing (``uv pip compile``): the requirement lines given
to the installer (a bare ``mlflow`` pinned to the version that saved the model, else to its
release of the day), the date, moved past
pins published after the model, and the exact package set."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion

from mlmanager.core.environments.build_run import AttemptFailed, BuildRun
from mlmanager.core.environments.dating import later_window, moved_date
from mlmanager.core.environments.failures import Failure
from mlmanager.core.environments.plan import Attempt, BuildPlan
from mlmanager.core.environments.recipe import exact_pin, requirement_name

MAX_ROUNDS = 16  # resolutions per strategy (date moves and later windows together)
SETUPTOOLS_WITH_PKG_RESOURCES = "setuptools<81"  # 81 dropped pkg_resources (old MLflow needs it)


@dataclass
class Resolution:
    """What one strategy resolves to: the requirement lines given to the installer (mlflow
    pinned to its release of the day), the date used, and the resolved package set."""

    attempt: Attempt
    requirements: list[str]
    build_dependencies: list[str]
    exclude_newer: str | None
    packages: list[str] = field(default_factory=list)  # name==version (uv only)
    build_packages: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    #: loosely required packages with no wheel as of the date, allowed up to a later date
    later: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"strategy": self.attempt.strategy, "label": self.attempt.label,
                "python": self.attempt.interpreter.version,
                "interpreter": self.attempt.interpreter.executable,
                "environment": self.attempt.recipe.name, "exclude_newer": self.exclude_newer,
                "requirements": self.requirements, "build_dependencies": self.build_dependencies,
                "packages": self.packages, "build_packages": self.build_packages,
                "later": self.later, "notes": self.notes}


def write_lines(path: Path, lines: list[str]) -> Path:
    path.write_text("".join(x + "\n" for x in lines), "utf-8")
    return path


def _pins(lines: list[str]) -> list[str]:
    return [x.strip() for x in lines if x.strip() and not x.strip().startswith(("#", "-"))]


def _mlflow_pin(run: BuildRun, attempt: Attempt, lines: list[str], date: str,
                work: Path) -> tuple[list[str], list[str]]:
    """A bare or ranged ``mlflow`` becomes the newest MLflow released by ``date``: else the
    wheels-only resolver may walk back to an ancient MLflow that cannot read the model."""
    out, notes = [], []
    saved = run.plan.spec.mlflow_version
    for line in lines:
        if requirement_name(line) == "mlflow" and exact_pin(line) is None:
            if saved and _allows(line, saved):  # the MLflow that wrote the folder reads it best
                out.append(f"mlflow=={saved}")
                notes.append(f"{line.strip()} pinned to mlflow=={saved}, the MLflow that saved "
                             "the model (its MLmodel's mlflow_version)")
                continue
            req = write_lines(work / "mlflow.in", [line])
            try:
                resolved = _pins(run.run(run.installer.resolve_argv(
                    attempt.interpreter.executable, req, exclude_newer=date, builds="none",
                    no_deps=True)))
            except AttemptFailed as exc:
                notes.append(f"mlflow left as written ({exc.failure.text})")
                resolved = []
            pin = next((p for p in resolved if requirement_name(p) == "mlflow"), None)
            if pin is not None:
                notes.append(f"{line.strip()} pinned to {pin}, the newest release on {date[:10]}")
                out.append(pin)
                continue
        out.append(line)
    return out, notes


def _allows(line: str, version: str) -> bool:
    """Whether requirement ``line`` admits ``version`` (False when either does not parse)."""
    try:
        return Requirement(line.strip()).specifier.contains(version, prereleases=True)
    except (InvalidRequirement, InvalidVersion):
        return False


def _build_dependencies(plan: BuildPlan, attempt: Attempt) -> tuple[list[str], list[str]]:
    deps = list(plan.spec.build_dependencies)
    if any(requirement_name(d) == "setuptools" for d in deps):
        return deps, []
    if attempt.strategy == "as-written":
        return deps + [SETUPTOOLS_WITH_PKG_RESOURCES], [
            f"{SETUPTOOLS_WITH_PKG_RESOURCES} added: newer setuptools lack pkg_resources, "
            "which older MLflow and xgboost import"]
    if attempt.interpreter.minor >= (3, 12):
        # uv seeds no setuptools from 3.12 on; the dated resolution picks that day's
        return deps + ["setuptools"], []
    return deps, []


def resolve(run: BuildRun, attempt: Attempt, work: Path) -> Resolution:
    """Resolve one strategy (uv pip compile); moves the date past pins published after it."""
    plan = run.plan
    date = attempt.recipe.as_of
    lines = list(plan.spec.requirements)
    notes: list[str] = [attempt.note] if attempt.note else []
    if date and run.installer.can_resolve:
        lines, pin_notes = _mlflow_pin(run, attempt, lines, date, work)
        notes += pin_notes
    build, build_notes = _build_dependencies(plan, attempt)
    notes += build_notes
    res = Resolution(attempt, lines, build, date, notes=notes)
    if not run.installer.can_resolve:
        return res
    constraints = write_lines(work / "constraints.txt", list(plan.spec.constraints)) \
        if plan.spec.constraints else None
    pinned = {requirement_name(x) for x in lines + build if exact_pin(x) is not None}
    for _ in range(MAX_ROUNDS):
        try:
            res.build_packages = _pins(run.run(run.installer.resolve_argv(
                attempt.interpreter.executable, write_lines(work / "build.in", build),
                exclude_newer=res.exclude_newer, builds=attempt.builds, later=res.later),
                attempt.interpreter.version)) if build else []
            res.packages = _pins(run.run(run.installer.resolve_argv(
                attempt.interpreter.executable, write_lines(work / "requirements.in", lines),
                exclude_newer=res.exclude_newer, builds=attempt.builds, constraints=constraints,
                later=res.later), attempt.interpreter.version))
            return res
        except AttemptFailed as exc:
            if not _adjust(run, res, exc.failure, pinned):
                raise
    raise AttemptFailed(Failure("conflict", "the resolution date kept moving; giving up"))


def _adjust(run: BuildRun, res: Resolution, failure: Failure, pinned: set[str | None]) -> bool:
    """Whether a dated resolution can go on after ``failure``, with a later date (a pin
    published after the model) or a later window for one loosely required package that had no
    wheel then (a pure-Python package that shipped only sources in those years, say)."""
    if not res.exclude_newer:
        return False
    if failure.kind == "published-after" and failure.published:
        new = moved_date(res.exclude_newer, failure.published)
        if new is None:
            return False
        res.notes.append(f"date moved to {new[:10]}: {failure.requirement} was published "
                         f"after the model was saved")
        run.progress(f"{failure.requirement} is newer than the model: resolving as of {new[:10]}")
        res.exclude_newer = new
        return True
    name = requirement_name(failure.requirement or "")
    if failure.kind != "no-wheel" or not name or name in pinned:
        return False  # an exact pin without a wheel: another Python may have one
    window = later_window(res.exclude_newer, res.later.get(name))
    if window is None:
        return False
    res.later[name] = window
    res.notes = [n for n in res.notes if not n.startswith(f"{name}: ")]
    res.notes.append(f"{name}: no wheel for this Python as of {res.exclude_newer[:10]}; the "
                     f"newest with a wheel by {window[:10]} is used")
    run.progress(f"{name} had no wheel then: looking up to {window[:10]}")
    return True
