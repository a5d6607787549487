"""What a model needs: the files read in MLflow's order, disagreements said, conda mapped."""

from __future__ import annotations

from datetime import datetime, timezone
from pathlib import Path

import pytest
from env_models import write_model

from mlmanager.core.environments.conda_names import conda_to_pip
from mlmanager.core.environments.recipe import Recipe, exact_pin, normalise_requirement
from mlmanager.core.environments.spec import parse_created, read_spec


def test_python_env_yaml_with_its_requirements_file(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m")
    spec = read_spec(model)
    assert spec.python == "3.10.12" and spec.python_source == "python_env.yaml"
    assert spec.requirements == ("cloudpickle==2.2.1", "numpy", "scikit-learn==1.3.0")
    assert spec.requirements_source == "python_env.yaml + requirements.txt"
    assert spec.build_dependencies == ("pip==23.2.1", "setuptools==68.0.0", "wheel==0.41.0")
    assert spec.created == datetime(2023, 8, 1, 10, 0, tzinfo=timezone.utc)
    assert spec.model == str(model.resolve()) and not spec.notes and not spec.problems


def test_missing_requirements_file_falls_back_to_conda_and_says_so(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m")
    (model / "requirements.txt").unlink()
    (model / "conda.yaml").write_text(
        "dependencies:\n- python=3.10.12\n- pip\n- pip:\n  - mlflow<3,>=2.5\n  - numpy==1.25.2\n")
    spec = read_spec(model)
    assert spec.requirements_source == "conda.yaml"
    assert spec.requirements == ("mlflow<3,>=2.5", "numpy==1.25.2")
    assert any("python_env.yaml names a requirements file" in n and "requirements.txt" in n
               for n in spec.notes), spec.notes


def test_requirements_txt_alone_and_constraints_kept_apart(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m", python_env=False, conda=False,
                        requirements=["numpy", "-c constraints.txt", "pandas==2.0.3"])
    (model / "constraints.txt").write_text("numpy<2\n")
    spec = read_spec(model)
    assert spec.requirements_source == "requirements.txt"
    assert spec.requirements == ("numpy", "pandas==2.0.3")
    assert spec.constraints == ("numpy<2",)
    assert spec.python == "3.10.12" and spec.python_source == "MLmodel"


def test_conda_only_packages_mapped_to_pip_names(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m", python="3.7.6", python_env=False, requirements=None)
    (model / "conda.yaml").write_text(
        "channels: [defaults]\ndependencies:\n- python=3.7.6\n- scikit-learn=0.23.2\n"
        "- pytorch=1.5\n- cudatoolkit=10.1\n- pip\n- pip:\n  - mlflow\n  - cloudpickle==1.6.0\n")
    spec = read_spec(model)
    assert spec.requirements_source == "conda.yaml"
    assert spec.requirements == ("scikit-learn==0.23.2", "torch==1.5.*", "mlflow",
                                 "cloudpickle==1.6.0")
    assert any("pytorch installed as torch" in n for n in spec.notes)
    assert any("cudatoolkit is not a Python package" in n for n in spec.notes)


def test_python_versions_that_disagree_name_the_one_used(tmp_path: Path) -> None:
    model = write_model(tmp_path / "m", python="3.7")
    (model / "python_env.yaml").write_text(
        "python: 3.6.9\nbuild_dependencies: [pip]\ndependencies: [-r requirements.txt]\n")
    spec = read_spec(model)
    assert spec.python == "3.6.9" and spec.python_source == "python_env.yaml"
    assert spec.notes and "MLmodel says 3.7" in spec.notes[0], spec.notes


def test_no_environment_files_use_the_flavor_versions(wild_models: Path) -> None:
    spec = read_spec(wild_models / "statsmodels-2-12")
    assert spec.requirements_source == "MLmodel (flavor versions)"
    assert spec.requirements == ("mlflow==2.12.2", "statsmodels==0.14.0")
    assert spec.python == "3.11.8" and spec.python_source == "MLmodel"
    assert spec.created is not None and spec.created.year == 2025
    onnx = read_spec(wild_models / "onnx-providers")
    assert "onnxruntime" in onnx.requirements
    assert any(r.startswith("onnx==") for r in onnx.requirements)


@pytest.mark.parametrize(("dep", "pip"), [
    ("scikit-learn=0.23.2", "scikit-learn==0.23.2"),
    ("numpy=1.19", "numpy==1.19.*"),
    ("numpy=1.19.2=py38h54aff64_0", "numpy==1.19.2"),
    ("conda-forge::py-xgboost==1.3.3", "xgboost==1.3.3"),
    ("pandas>=1.0", "pandas>=1.0"),
    ("msgpack-python", "msgpack"),
    ("libgcc-ng", None),
    ("python=3.8", None),
])
def test_conda_to_pip(dep: str, pip: str | None) -> None:
    assert conda_to_pip(dep)[0] == pip


def test_utc_time_created_forms() -> None:
    assert parse_created("2023-08-01 10:00:00.123456") == datetime(
        2023, 8, 1, 10, 0, 0, 123456, tzinfo=timezone.utc)
    assert parse_created("2023-08-01 10:00:00") == datetime(2023, 8, 1, 10, tzinfo=timezone.utc)
    assert parse_created("garbage") is None and parse_created(None) is None


def test_recipe_key_ignores_spelling_and_order_not_content() -> None:
    a = Recipe.create("3.10.13", ["Scikit_Learn == 1.3.0", "numpy", "cloudpickle==2.2.1"],
                      as_of="2023-08-02T10:00:00Z")
    b = Recipe.create("3.10.13", ["cloudpickle==2.2.1", "numpy", "scikit-learn==1.3.0"],
                      as_of="2023-08-02T10:00:00Z")
    assert a == b and a.key == b.key and a.name == f"py3.10-{a.key}"
    assert Recipe.create("3.10.13", ["numpy"], strategy="as-written").key != Recipe.create(
        "3.10.13", ["numpy"], as_of="2023-08-02T10:00:00Z").key
    assert Recipe.create("3.10.12", ["numpy"]).key != Recipe.create("3.10.13", ["numpy"]).key
    assert Recipe.create("3.10.13", ["numpy"], builds="light").key != Recipe.create(
        "3.10.13", ["numpy"]).key
    assert Recipe.from_dict(a.to_dict()) == a


def test_requirement_helpers() -> None:
    assert normalise_requirement("Pandas>=1.0,<2 ; python_version<'3.12'") == (
        'pandas<2,>=1.0; python_version < "3.12"')
    assert normalise_requirement("--extra-index-url https://x/simple") == (
        "--extra-index-url https://x/simple")
    assert exact_pin("numpy==1.25.2") == "1.25.2"
    assert exact_pin("numpy==1.25.*") is None and exact_pin("numpy>=1") is None
    assert exact_pin("mlflow") is None
