"""The model factory itself: its cache is atomic and locked, its failures are loud, and every
recipe yields a real MLflow folder saved by the pinned old versions, with MLflow's predictions."""

from __future__ import annotations

import json
import multiprocessing
import subprocess
import sys
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from packaging.version import Version
from support.build_cache import build_once, content_key
from support.model_factory import ALL_RECIPES, RecipeBuildError, build_model, model_key
from support.model_recipes import AUTHOR_SCRIPTS, SKLEARN13_PY310

from mlmanager.core.inputs.reader import read_input

# ---------------------------------------------------------------------------------------------
# The catalogue and the cache (no environment is built here)


def test_catalogue_is_consistent() -> None:
    assert len(set(ALL_RECIPES.names)) == len(ALL_RECIPES.names)
    for recipe in ALL_RECIPES.recipes:
        for name in recipe.script_files:
            assert (AUTHOR_SCRIPTS / name).is_file(), (recipe.name, name)
        assert Version(recipe.mlflow_version)
        date.fromisoformat(recipe.resolved_as_of)
    with pytest.raises(KeyError, match="no recipe named 'nope'"):
        ALL_RECIPES["nope"]


def test_cache_key_follows_everything_in_the_recipe() -> None:
    from support.author_env import find_interpreter

    python = find_interpreter(SKLEARN13_PY310.python)
    key = model_key(SKLEARN13_PY310, python)
    assert model_key(SKLEARN13_PY310, python) == key
    env = SKLEARN13_PY310.env
    assert model_key(replace(SKLEARN13_PY310, env=replace(env, resolved_as_of="2024-02-01")),
                     python) != key
    assert model_key(replace(SKLEARN13_PY310, env=replace(env, packages=("mlflow==2.9.1",))),
                     python) != key
    assert model_key(replace(SKLEARN13_PY310, script="predict_oracle.py"), python) != key
    assert content_key({"a": 1, "b": [2]}) == content_key({"b": [2], "a": 1})


def test_a_failed_build_leaves_nothing_and_a_killed_one_is_cleaned(tmp_path: Path) -> None:
    final = tmp_path / "entry"
    stale = tmp_path / ".entry.tmp-99999"  # what a build killed halfway leaves
    stale.mkdir()

    def fails(temp: Path) -> None:
        (temp / "half").write_text("x")
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError, match="boom"):
        build_once(final, fails)
    assert sorted(p.name for p in tmp_path.iterdir()) == [".locks"]

    assert build_once(final, lambda temp: (temp / "done").write_text("ok")) is True
    assert build_once(final, fails) is False  # present: not rebuilt
    assert (final / "done").read_text() == "ok"


def _build_counting(final: str, count_file: str, started, release) -> None:
    def build(temp: Path) -> None:
        with open(count_file, "a") as handle:
            handle.write("built\n")
        started.set()
        release.wait(60)
        (temp / "done").write_text("ok")

    build_once(Path(final), build)


def test_concurrent_builders_of_one_entry_build_it_once(tmp_path: Path) -> None:
    context = multiprocessing.get_context("spawn")
    started, release = context.Event(), context.Event()
    final, count = tmp_path / "entry", tmp_path / "count"
    args = (str(final), str(count), started, release)
    first = context.Process(target=_build_counting, args=args)
    first.start()
    assert started.wait(60)
    second = context.Process(target=_build_counting, args=args)
    second.start()  # blocks on the lock (or finds the entry built), never builds a second time
    release.set()
    for process in (first, second):
        process.join(120)
        assert process.exitcode == 0
    assert count.read_text() == "built\n"
    assert (final / "done").read_text() == "ok"


# ---------------------------------------------------------------------------------------------
# Failures are loud and name the recipe


def test_a_package_that_does_not_exist_fails_with_uv_output(tmp_path: Path) -> None:
    broken = replace(SKLEARN13_PY310, env=replace(
        SKLEARN13_PY310.env, name="broken-recipe",
        packages=("mlflow==2.9.2", "mlmanager-no-such-package==1.0")))
    with pytest.raises(RecipeBuildError) as caught:
        build_model(broken, tmp_path)
    message = str(caught.value)
    assert "recipe 'broken-recipe': installing" in message
    assert "mlmanager-no-such-package" in message and "not found" in message
    assert "full log kept at" in message
    for kind in ("envs", "models"):
        assert [p.name for p in (tmp_path / kind).iterdir()] == [".locks"]


def test_an_unreachable_index_with_an_empty_cache_says_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("UV_CACHE_DIR", str(tmp_path / "empty-uv-cache"))
    monkeypatch.setenv("UV_DEFAULT_INDEX", "http://127.0.0.1:9/simple")  # nothing listens there
    monkeypatch.setenv("UV_HTTP_RETRIES", "0")
    with pytest.raises(RecipeBuildError) as caught:
        build_model(SKLEARN13_PY310, tmp_path / "models")
    message = str(caught.value)
    assert message.startswith("recipe 'sklearn13-py310'")
    assert "The package index (PyPI) looks unreachable" in message


# ---------------------------------------------------------------------------------------------
# Every recipe: a real folder written by the pinned versions, and MLflow's predictions for it


@pytest.mark.parametrize("name", ALL_RECIPES.names)
def test_recipe_builds_a_model_saved_by_its_pinned_versions(built_model, name: str) -> None:
    model = built_model(name)
    recipe = model.recipe
    mlmodel = yaml.safe_load((model.model_dir / "MLmodel").read_text())
    assert {recipe.flavor, "python_function"} <= set(mlmodel["flavors"])
    mlflow_2 = Version(recipe.mlflow_version).major >= 2
    if mlflow_2 or "mlflow_version" in mlmodel:  # MLflow 1.19 did not write it yet
        assert mlmodel["mlflow_version"] == recipe.mlflow_version
    pyfunc = mlmodel["flavors"]["python_function"]
    assert pyfunc["python_version"] == model.python_version
    assert model.python_version.startswith(recipe.python + ".")
    if recipe.flavor_version_key:
        flavor = mlmodel["flavors"][recipe.flavor]
        assert flavor[recipe.flavor_version_key] == recipe.env.pinned(recipe.flavor_package)
    saved_at = mlmodel["utc_time_created"]  # back-dated to the author's era
    assert saved_at == model.build_info["utc_time_created"] < recipe.resolved_as_of
    requirements = (model.model_dir / "requirements.txt").read_text().split()
    # MLflow 1.x wrote a bare `mlflow`: resolving it today brings MLflow 3
    assert (f"mlflow=={recipe.mlflow_version}" if mlflow_2 else "mlflow") in requirements
    python_env = model.model_dir / "python_env.yaml"
    assert python_env.is_file() == (Version(recipe.mlflow_version) >= Version("1.26"))
    if python_env.is_file():
        assert yaml.safe_load(python_env.read_text())["python"] == model.python_version

    raw = read_input(model.input_path)
    assert not raw.errors, raw.errors
    n_rows = len(json.loads(model.input_path.read_text())["dataframe_split"]["data"])
    oracle = model.oracle
    assert oracle["mlflow_version"] == recipe.mlflow_version
    assert oracle["python_version"] == model.python_version
    assert oracle["n_rows"] == n_rows
    output = oracle["output"]
    assert len(output["data"]) == n_rows or output["type"] == "dict"

    installed = {line.lower() for line in model.build_info["packages"]}
    assert {spec.lower() for spec in recipe.env.packages if "==" in spec} <= installed


def test_the_author_env_is_kept_and_runs_the_old_versions(built_model) -> None:
    model = built_model("sklearn13-py310")
    done = subprocess.run(
        [str(model.env_python()), "-c", "import sklearn, mlflow; print(sklearn.__version__, "
         "mlflow.__version__)"], capture_output=True, text=True, check=True, timeout=120,
    )
    assert done.stdout.split() == ["1.3.2", "2.9.2"]


def test_the_custom_pyfunc_ships_its_own_module_through_code_paths(built_model) -> None:
    model = built_model("pyfunc-code-py313")
    mlmodel = yaml.safe_load((model.model_dir / "MLmodel").read_text())
    assert mlmodel["flavors"]["python_function"]["code"] == "code"
    assert (model.model_dir / "code" / "basket_rules.py").is_file()
    assert (model.model_dir / "artifacts" / "weights.json").is_file()
    assert model.oracle["output"]["columns"] == ["score", "band"]


# What the app's own environment (its Python, mlflow and libraries) makes of each model: every
# model but the pure-Python one needs its own environment. A new recipe must say what happens.
IN_THE_APPS_ENVIRONMENT = {
    "sklearn13-py310": "AttributeError: 'SimpleImputer' object has no attribute '_fill_dtype'",
    "xgboost17-py39": "ModuleNotFoundError: No module named 'xgboost'",
    "lightgbm41-py311": "ModuleNotFoundError: No module named 'lightgbm'",
    "onnx-py312": "ModuleNotFoundError: No module named 'onnx",
    "sklearn10-py38": "TypeError: code() argument 13 must be str",  # Python 3.8 bytecode on 3.11
    "sklearn024-py37": "ValueError: node array from the pickle has an incompatible dtype",
    "pyfunc-code-py313": None,  # pure Python and its own code: predicts as in its environment
}

APP_PREDICTS = """
import json, sys, warnings
warnings.simplefilter("ignore")
import mlflow.pyfunc, pandas as pd
for model_dir, input_path in json.loads(sys.argv[1]):
    split = json.load(open(input_path))["dataframe_split"]
    frame = pd.DataFrame(split["data"], columns=split["columns"])
    try:
        out = mlflow.pyfunc.load_model(model_dir).predict(frame)
        data = out.values.tolist() if hasattr(out, "columns") else list(out)
        print(json.dumps({"data": data}))
    except Exception as exc:
        print(json.dumps({"error": type(exc).__name__ + ": " + str(exc)}))
"""


def test_the_apps_own_environment_cannot_predict_the_old_models(built_model) -> None:
    """The headline: the app's own Python and libraries fail on these models, each in its own
    way, while each model's own environment predicted them (the oracle)."""
    import sklearn

    assert Version(sklearn.__version__) >= Version("1.6"), "the premise: the app has a newer sklearn"
    assert set(IN_THE_APPS_ENVIRONMENT) == set(ALL_RECIPES.names)
    models = [built_model(name) for name in IN_THE_APPS_ENVIRONMENT]
    done = subprocess.run(
        [sys.executable, "-c", APP_PREDICTS,
         json.dumps([[str(m.model_dir), str(m.input_path)] for m in models])],
        capture_output=True, text=True, timeout=600, check=True,
    )
    results = [json.loads(line) for line in done.stdout.splitlines() if line.startswith("{")]
    assert len(results) == len(models), done.stderr[-2000:]
    for model, result in zip(models, results):
        expected = IN_THE_APPS_ENVIRONMENT[model.recipe.name]
        if expected is None:
            assert result.get("data") == model.oracle["output"]["data"], model.recipe.name
        else:
            assert result.get("error", "").startswith(expected), (model.recipe.name, result)


def test_prune_removes_only_stale_entries_of_our_recipes(tmp_path: Path) -> None:
    from support.author_env import env_folder, find_interpreter
    from support.model_factory import model_folder, prune

    recipe = SKLEARN13_PY310
    current_model = model_folder(recipe, tmp_path)
    current_env = env_folder(recipe.env, tmp_path, find_interpreter(recipe.python))
    stale_model = tmp_path / "models" / f"{recipe.name}-{'0' * 16}"
    stale_env = tmp_path / "envs" / f"{recipe.name}-{'1' * 16}"
    foreign = tmp_path / "envs" / f"py310-{'2' * 16}"  # another fixture's environment
    for folder in (current_model, current_env, stale_model, stale_env, foreign):
        folder.mkdir(parents=True)
    assert sorted(prune(tmp_path)) == sorted([stale_model, stale_env])
    assert current_model.is_dir() and current_env.is_dir() and foreign.is_dir()
