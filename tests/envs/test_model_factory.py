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
from support.model_factory import RECIPES, RecipeBuildError, build_model, model_key
from support.model_recipes import AUTHOR_SCRIPTS, SKLEARN13_PY310

from mlmanager.core.inputs.reader import read_input

# ---------------------------------------------------------------------------------------------
# The catalogue and the cache (no environment is built here)


def test_catalogue_is_consistent() -> None:
    assert len(set(RECIPES.names)) == len(RECIPES.names)
    for recipe in RECIPES.recipes:
        for name in recipe.script_files:
            assert (AUTHOR_SCRIPTS / name).is_file(), (recipe.name, name)
        assert Version(recipe.mlflow_version)
        date.fromisoformat(recipe.resolved_as_of)
    with pytest.raises(KeyError, match="no recipe named 'nope'"):
        RECIPES["nope"]


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


@pytest.mark.parametrize("name", RECIPES.names)
def test_recipe_builds_a_model_saved_by_its_pinned_versions(built_model, name: str) -> None:
    model = built_model(name)
    recipe = model.recipe
    mlmodel = yaml.safe_load((model.model_dir / "MLmodel").read_text())
    assert {recipe.flavor, "python_function"} <= set(mlmodel["flavors"])
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
    assert f"mlflow=={recipe.mlflow_version}" in requirements
    if Version(recipe.mlflow_version) >= Version("1.26"):  # python_env.yaml appeared in 1.26
        python_env = yaml.safe_load((model.model_dir / "python_env.yaml").read_text())
        assert python_env["python"] == model.python_version

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


def test_the_sklearn13_model_does_not_predict_in_the_apps_environment(built_model) -> None:
    """The headline case: the app's own scikit-learn cannot use this pickle, its own env can."""
    import sklearn

    assert Version(sklearn.__version__) >= Version("1.6"), "the premise: the app has a newer sklearn"
    model = built_model("sklearn13-py310")
    script = (
        "import json, sys, pandas as pd, mlflow.pyfunc\n"
        "split = json.load(open(sys.argv[2]))['dataframe_split']\n"
        "frame = pd.DataFrame(split['data'], columns=split['columns'])\n"
        "print(mlflow.pyfunc.load_model(sys.argv[1]).predict(frame))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", script, str(model.model_dir), str(model.input_path)],
        capture_output=True, text=True, timeout=300,
    )
    assert done.returncode != 0
    assert "'SimpleImputer' object has no attribute '_fill_dtype'" in done.stderr
    assert model.oracle["output"]["type"] == "ndarray"  # while its own environment predicted
