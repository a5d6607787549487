"""Real models saved by real old library versions (tests/support/model_factory.py), loaded and
predicted by mlmanager in their own environment, compared with MLflow's own predictions there."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from support.build_cache import model_environments_cache  # tests/ is on the path (conftest)
from support.model_recipes import RECIPES
from support.predictions import same_predictions

from mlmanager.cli import main as cli_main

FACTORY_MODELS = RECIPES.names  # every recipe the factory has: each model in its own environment


def _expected(output: dict[str, Any]) -> Any:
    """The oracle's typed output as `mlmanager predict --json` writes predictions."""
    if output["type"] == "dataframe":
        return [dict(zip(output["columns"], row)) for row in output["data"]]
    return output["data"]


@pytest.mark.parametrize("name", FACTORY_MODELS)
def test_an_old_model_predicts_in_its_own_environment_as_mlflow_does(
        built_model, name: str, tmp_path: Path, capsys) -> None:
    model = built_model(name)
    folder = model.copy_model(tmp_path / "model")
    code = cli_main(["predict", str(folder), "--input", str(model.input_path),
                     "--env", str(model.env_python()), "--trust", "--json", "--timeout", "600"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["ran_by"]["python"] == model.python_version
    assert same_predictions(data["predictions"], _expected(model.oracle["output"])), (
        data["predictions"][:3], _expected(model.oracle["output"])[:3])


@pytest.mark.parametrize("name", FACTORY_MODELS)
def test_one_command_builds_its_environment_and_one_predicts_there(
        built_model, name: str, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    """`env build --load` (dated, wheels only), then `predict --env model`: MLflow's predictions."""
    # a persistent cache: later runs (and CI on the same machine) reuse the built environment
    monkeypatch.setenv("MLMANAGER_ENV_CACHE", str(model_environments_cache()))
    model = built_model(name)
    folder = model.copy_model(tmp_path / "model")
    code = cli_main(["env", "build", str(folder), "--yes", "--load", "--trust", "--quiet", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out)["load"]["python"].rsplit(".", 1)[0] == model.python_version.rsplit(".", 1)[0]
    code = cli_main(["predict", str(folder), "--input", str(model.input_path), "--env", "model",
                     "--trust", "--json", "--timeout", "600"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["ran_by"]["where"] == "model"
    assert same_predictions(data["predictions"], _expected(model.oracle["output"])), (
        data["predictions"][:3], _expected(model.oracle["output"])[:3])
