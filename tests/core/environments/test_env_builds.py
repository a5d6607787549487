"""Real environments built with uv from the package index (uv's cache makes them quick)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from env_models import write_blocking_package, write_model

from mlmanager.core.environments.builder import (
    ConsentRequired,
    build,
    model_environment,
    preview,
)
from mlmanager.core.environments.cache import METADATA, EnvironmentCache
from mlmanager.core.environments.failures import EnvironmentBuildError
from mlmanager.core.environments.plan import BuildOptions, plan_build
from mlmanager.core.environments.spec import read_spec

pytestmark = pytest.mark.envbuild


def _installed(python: Path, module: str) -> str:
    out = subprocess.run([str(python), "-c", f"import {module}; print({module}.__version__)"],
                         capture_output=True, text=True, check=True, timeout=120)
    return out.stdout.strip()


@pytest.fixture(scope="session")
def sklearn_env(sklearn_model: Path, shared_env_cache: Path):
    plan = plan_build(read_spec(sklearn_model), cache=EnvironmentCache(shared_env_cache))
    return plan, build(plan, consent=True)


def test_dated_build_installs_the_numpy_of_the_day(sklearn_env) -> None:
    plan, result = sklearn_env
    env = result.environment
    assert env.strategy == "dated" and env.recipe.builds == "none"
    assert env.resolution["exclude_newer"] == "2023-08-02T10:00:00Z"
    # numpy is unpinned: resolved as of 2023-08-02 it is 1.25.2 (today it would be numpy 2)
    assert env.packages["numpy"] == "1.25.2"
    assert _installed(env.python, "numpy") == "1.25.2"
    assert _installed(env.python, "sklearn") == "1.3.0"
    # python_env.yaml's build dependencies went in first, as pinned
    assert env.packages["setuptools"] == "68.0.0" and env.packages["pip"] == "23.2.1"
    assert env.python_version.startswith("3.10.") and env.interpreter["match"] in (
        "exact", "same-minor")
    assert str(plan.spec.model) in env.models
    meta = json.loads((env.path / METADATA).read_text())
    assert meta["packages"]["scikit-learn"] == "1.3.0" and meta["size_bytes"] > 50_000_000
    assert meta["python"] == str(env.python) and meta["strategy"] == "dated"
    assert Path(meta["log"]).is_file()
    assert not [p for p in env.path.parent.iterdir() if p.name.startswith(".tmp-")]


def test_the_session_asks_for_a_models_ready_environment(
        sklearn_env, sklearn_model: Path, shared_env_cache: Path, tmp_path: Path) -> None:
    _, result = sklearn_env
    cache = EnvironmentCache(shared_env_cache)
    env = model_environment(sklearn_model, cache=cache)
    assert env is not None and env.name == result.environment.name and env.python.is_file()
    other = write_model(tmp_path / "other", requirements=["six==1.16.0"])
    assert model_environment(other, cache=cache) is None


def test_as_written_would_have_taken_todays_numpy(sklearn_model: Path, shared_env_cache: Path,
                                                  tmp_path: Path) -> None:
    undated = write_model(tmp_path / "undated", created=None)
    plan = plan_build(read_spec(undated), cache=EnvironmentCache(shared_env_cache))
    assert [a.strategy for a in plan.attempts][0] == "as-written"
    res = preview(plan)
    numpy = next(p for p in res.packages if p.startswith("numpy=="))
    assert int(numpy.split("==")[1].split(".")[0]) >= 2


def test_a_second_model_with_the_same_recipe_reuses_the_environment(
        sklearn_env, shared_env_cache: Path, tmp_path: Path) -> None:
    _, first = sklearn_env
    twin = write_model(tmp_path / "twin")
    plan = plan_build(read_spec(twin), cache=EnvironmentCache(shared_env_cache))
    assert plan.ready() is not None
    again = build(plan, consent=False)  # already built: no consent needed
    assert again.reused and again.environment.name == first.environment.name
    assert str(twin.resolve()) in again.environment.models
    assert str(plan.spec.model) in EnvironmentCache(shared_env_cache).get(
        first.environment.name).models


def test_first_build_needs_consent_and_preview_shows_exact_packages(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m", requirements=["six==1.16.0"], build_dependencies=())
    plan = plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache"))
    with pytest.raises(ConsentRequired):
        build(plan, consent=False)
    assert EnvironmentCache(tmp_path / "cache").environments() == []
    res = preview(plan)
    assert res.packages == ["six==1.16.0"] and res.exclude_newer == "2023-08-02T10:00:00Z"


def test_bare_mlflow_is_pinned_to_the_version_that_saved_the_model(tmp_path: Path) -> None:
    # MLflow 1.30.1 wrote a bare `mlflow` line; 2.2.2 was the newest on the model's day
    model = write_model(tmp_path / "m", requirements=["mlflow", "six==1.16.0"], build_dependencies=(),
                        python="3.8.18", mlflow_version="1.30.1", created="2023-04-14 12:00:00")
    res = preview(plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache")))
    assert "mlflow==1.30.1" in res.requirements and "mlflow==1.30.1" in res.packages
    assert any("pinned to mlflow==1.30.1, the MLflow that saved the model" in n for n in res.notes)


def test_bare_mlflow_is_pinned_to_its_release_of_the_day(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m", requirements=["mlflow", "numpy"], mlflow_version=None)
    plan = plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache"))
    res = preview(plan)
    # MLflow 2.5.0 came out 2023-07-17, 2.6.0 on 2023-08-15: the model's date is 2023-08-01
    assert "mlflow==2.5.0" in res.requirements and "mlflow==2.5.0" in res.packages
    assert any("pinned to mlflow==2.5.0, the newest release on 2023-08-02" in n for n in res.notes)


def test_a_pin_published_after_the_model_moves_the_date(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m", created="2021-06-01 10:00:00",
                        requirements=["numpy", "scikit-learn==1.3.0"], build_dependencies=())
    res = preview(plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache")))
    assert res.attempt.strategy == "dated"
    assert res.exclude_newer == "2023-07-01T07:54:40Z"  # scikit-learn 1.3.0 + 1 day
    assert "numpy==1.25.0" in res.packages
    assert any("date moved to 2023-07-01" in n for n in res.notes)


def test_a_loose_requirement_without_a_wheel_then_takes_the_nearest_later_one(
        tmp_path: Path) -> None:
    # prometheus-flask-exporter (an MLflow 1.x dependency) shipped only sources until late 2021
    model = write_model(tmp_path / "m", created="2021-08-14 12:00:00", build_dependencies=(),
                        requirements=["prometheus-flask-exporter", "six==1.16.0"])
    res = preview(plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache")))
    assert res.attempt.strategy == "dated" and res.exclude_newer == "2021-08-15T12:00:00Z"
    assert res.later == {"prometheus-flask-exporter": "2021-11-13T12:00:00Z"}
    assert "prometheus-flask-exporter==0.18.5" in res.packages  # not today's release
    assert any("no wheel for this Python as of 2021-08-15" in n for n in res.notes)


def test_no_wheel_for_the_models_python_tries_the_nearest_minor(tmp_path: Path) -> None:
    # scikit-learn 1.3.0 has no wheel for Python 3.12 (1.3.1 was the first)
    model = write_model(tmp_path / "m", python="3.12.1", created="2023-09-01 10:00:00",
                        requirements=["scikit-learn==1.3.0"])
    plan = plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache"))
    res = preview(plan)
    assert res.attempt.strategy == "other-python"
    assert res.attempt.interpreter.minor == (3, 11)
    assert any("may not load" in n for n in res.notes)


def test_a_cached_source_build_does_not_fake_a_wheels_only_success(tmp_path: Path) -> None:
    # a package that exists only as a source folder: build it once (allowed); uv caches that
    # build, and with --exclude-newer would install it again despite --no-build
    package = write_blocking_package(tmp_path / "pkg", tmp_path / "no-fifo")
    model = write_model(tmp_path / "m", python="3.11.7", build_dependencies=(),
                        requirements=["six==1.16.0", f"mlm-blocking @ {package.as_uri()}"])
    built = build(plan_build(read_spec(model), BuildOptions(allow_build=True),
                             EnvironmentCache(tmp_path / "cache")), consent=True).environment
    assert built.recipe.builds == "light" and built.packages["mlm-blocking"] == "1.0"
    fresh = EnvironmentCache(tmp_path / "cache2")
    with pytest.raises(EnvironmentBuildError) as err:
        build(plan_build(read_spec(model), cache=fresh), consent=True)
    assert err.value.kind == "source-only" and "mlm-blocking" in err.value.message
    assert "--allow-build" in str(err.value)
    assert fresh.environments() == []


def test_pip_builds_when_uv_is_not_usable(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLMANAGER_UV", "none")
    model = write_model(tmp_path / "m", python="3.11.7", requirements=["six==1.16.0"],
                        build_dependencies=())
    plan = plan_build(read_spec(model), cache=EnvironmentCache(tmp_path / "cache"))
    assert plan.installer.kind == "pip"
    env = build(plan, consent=True).environment
    assert env.packages["six"] == "1.16.0" and env.installer.startswith("pip")
    assert _installed(env.python, "six") == "1.16.0"
