"""One model's environment as the app shows it (``core.environments.model_state``): not built
with the interpreter it would use and why, ready with its requirements checked against what it
holds, unavailable when no interpreter fits (real uv builds; a model without requirements builds
Python and its seed packages in seconds)."""

from __future__ import annotations

from pathlib import Path

import pytest
from env_models import write_model

from mlmanager.core.environments.builder import build
from mlmanager.core.environments.cache import EnvironmentCache
from mlmanager.core.environments.model_state import (
    NOT_BUILT,
    READY,
    UNAVAILABLE,
    environment_packages,
    model_environment_state,
)
from mlmanager.core.environments.plan import plan_build
from mlmanager.core.environments.spec import read_spec

pytestmark = pytest.mark.envbuild


def test_not_built_then_ready(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "envs")
    folder = write_model(tmp_path / "m", python="3.12.1", requirements=(), build_dependencies=())
    state = model_environment_state(folder, cache=cache)
    assert state.state == NOT_BUILT and state.state_text == "Not built"
    assert state.python_version == "3.12.1" and "as the model asks" in state.reason
    assert state.environment is None and state.packages == []
    build(plan_build(read_spec(folder), cache=cache), consent=True)
    state = model_environment_state(folder, cache=cache)
    assert state.state == READY and state.environment is not None
    assert state.interpreter is not None and state.python_version.startswith("3.12.")
    assert model_environment_state(folder, cache=cache, building=True).state == READY


def test_requirements_against_the_environment(tmp_path: Path) -> None:
    cache = EnvironmentCache(tmp_path / "envs")
    folder = write_model(tmp_path / "m", python="3.12.1", requirements=(), build_dependencies=())
    env = build(plan_build(read_spec(folder), cache=cache), consent=True).environment
    spec = read_spec(write_model(tmp_path / "other", python="3.12.1",
                                 requirements=("pip", "Setuptools>=1", "numpy==1.26.4",
                                               "tomli; python_version < '3.11'")))
    rows = {r.name: r.status for r in environment_packages(spec, env)}
    assert rows["pip"] == "ok"
    assert rows["numpy"] == "missing"
    assert rows["tomli"] == "ok"  # the marker is read for the environment's Python, not this one


def test_no_interpreter_fits(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m", python="2.7.18", requirements=(), build_dependencies=())
    state = model_environment_state(folder, cache=EnvironmentCache(tmp_path / "envs"))
    assert state.state == UNAVAILABLE and state.plan is None
    assert state.problem and "2.7" in state.problem
