"""One model's environment as a person sees it: not built / building / ready / failed, the
interpreter and why, the model's requirements against what the environment holds, its size.

What the Environment tab shows and ``env show`` prints; reads the model's environment files,
the interpreters and the cache (no installer runs), so callers run it off the GUI thread.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.environments.builder import ready_environment
from mlmanager.core.environments.cache import Environment, EnvironmentCache
from mlmanager.core.environments.failures import EnvironmentBuildError
from mlmanager.core.environments.plan import BuildOptions, BuildPlan, plan_build
from mlmanager.core.environments.requirements import (
    InterpreterInfo,
    RequirementStatus,
    check_requirement,
)
from mlmanager.core.environments.requirements import _normalize as normal_name
from mlmanager.core.environments.spec import EnvironmentSpec, read_spec
from mlmanager.core.model.mlmodel import ModelDocument

NOT_BUILT, BUILDING, READY, FAILED, UNAVAILABLE = (
    "not-built", "building", "ready", "failed", "unavailable")
STATE_TEXT = {NOT_BUILT: "Not built", BUILDING: "Building", READY: "Ready", FAILED: "Failed",
              UNAVAILABLE: "Cannot be built here"}


@dataclass
class ModelEnvironmentState:
    """The state of a model's own environment. ``plan`` is None when no interpreter fits
    (``problem`` says why); ``packages`` compares the model's requirements with the ready
    environment (empty until it is built)."""

    spec: EnvironmentSpec
    state: str
    plan: BuildPlan | None = None
    environment: Environment | None = None
    failure: dict[str, Any] | None = None
    problem: str | None = None
    packages: list[RequirementStatus] = field(default_factory=list)

    @property
    def model(self) -> str:
        return self.spec.model

    @property
    def state_text(self) -> str:
        return STATE_TEXT.get(self.state, self.state)

    @property
    def python_version(self) -> str | None:
        if self.environment is not None:
            return self.environment.python_version
        return self.plan.choice.interpreter.version if self.plan is not None else None

    @property
    def interpreter(self) -> str | None:
        """The base interpreter the environment is (or would be) built on."""
        if self.environment is not None:
            return str(self.environment.interpreter.get("executable") or "") or None
        return self.plan.choice.interpreter.executable if self.plan is not None else None

    @property
    def reason(self) -> str:
        """Which interpreter, and why, in one sentence."""
        if self.environment is not None and self.environment.interpreter.get("reason"):
            return str(self.environment.interpreter["reason"])
        if self.plan is not None:
            return self.plan.choice.reason
        return self.problem or ""

    @property
    def warning(self) -> str | None:
        if self.environment is not None:
            return self.environment.interpreter.get("warning") or None
        return self.plan.choice.warning if self.plan is not None else None

    @property
    def unsatisfied(self) -> list[RequirementStatus]:
        return [r for r in self.packages if r.status in ("mismatch", "missing")]


def environment_packages(spec: EnvironmentSpec, env: Environment) -> list[RequirementStatus]:
    """Each of the model's requirements against the versions installed in ``env``."""
    installed = {normal_name(name): version for name, version in env.packages.items()}
    version = env.python_version
    markers = {"python_version": ".".join(version.split(".")[:2]), "python_full_version": version}
    interp = InterpreterInfo(str(env.python), version,
                             lambda name: installed.get(normal_name(name)), markers)
    return [check_requirement(line, interp) for line in spec.requirements]


def model_environment_state(
    model: str | os.PathLike[str] | ModelDocument, *, cache: EnvironmentCache | None = None,
    options: BuildOptions | None = None, building: bool = False,
) -> ModelEnvironmentState:
    """The state of ``model``'s environment. ``building``: the caller knows a build of it runs
    in this process (a lock held by this process does not read as "elsewhere")."""
    spec = read_spec(model)
    cache = cache or EnvironmentCache()
    try:
        plan = plan_build(spec, options, cache)
    except EnvironmentBuildError as exc:
        used = cache.for_model(spec.model)
        if used:  # built earlier with an interpreter that is gone, or one the user gave
            env = used[0]
            return ModelEnvironmentState(spec, READY, environment=env, problem=exc.message,
                                         packages=environment_packages(spec, env))
        return ModelEnvironmentState(spec, UNAVAILABLE, problem=exc.message)
    env = ready_environment(plan)
    if env is not None:
        return ModelEnvironmentState(spec, READY, plan, env,
                                     packages=environment_packages(spec, env))
    status = plan.status()
    state = BUILDING if building else status.state
    return ModelEnvironmentState(spec, state, plan, failure=status.failure)
