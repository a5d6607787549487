"""Real models saved by real old library versions (the test model factory): the environment
mlmanager builds for each, from the model folder alone, predicts what MLflow predicted in the
author's own environment."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from support.build_cache import model_environments_cache
from support.model_factory import ORACLE_SCRIPT
from support.model_recipes import AUTHOR_SCRIPTS, RECIPES

from mlmanager.core.environments.builder import build
from mlmanager.core.environments.cache import EnvironmentCache
from mlmanager.core.environments.plan import plan_build
from mlmanager.core.environments.spec import read_spec

pytestmark = pytest.mark.envbuild


@pytest.mark.parametrize("name", RECIPES.names)
def test_the_models_own_environment_predicts_like_mlflow_did(
        name: str, built_model, tmp_path: Path) -> None:
    model = built_model(name)
    # kept between runs, keyed by the builder's source (support.build_cache): warm runs reuse
    plan = plan_build(read_spec(model.model_dir), cache=EnvironmentCache(model_environments_cache()))
    env = build(plan, consent=True).environment
    recipe = model.recipe
    # the flavor's library as pinned by the author (a custom pyfunc has none), Python of the same minor
    if recipe.flavor_package is not None:
        assert env.packages[recipe.flavor_package] == recipe.env.pinned(recipe.flavor_package)
    assert env.python_version.startswith(recipe.python + ".")
    assert env.strategy == "dated"
    out = tmp_path / "predicted.json"
    subprocess.run([str(env.python), "-I", str(AUTHOR_SCRIPTS / ORACLE_SCRIPT),
                    str(model.model_dir), str(model.input_path), str(out)],
                   check=True, capture_output=True, timeout=600, cwd=tmp_path)
    predicted = json.loads(out.read_text())
    assert predicted["output"] == model.oracle["output"]
    assert predicted["mlflow_version"] == model.oracle["mlflow_version"]
