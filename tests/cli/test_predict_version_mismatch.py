"""A model saved by another library version fails to predict: the message names the versions
(issue 16, 5d): "saved with scikit-learn 1.3.2, running 1.9.1: AttributeError: ...".

The library named is the one the exception came from (the innermost frame of its traceback in a
package whose saved version is known), with the version from MLmodel's flavor or, when MLmodel
does not say, from the model's requirements (requirements.txt / conda.yaml), against the version
the worker's interpreter has. The model is a real scikit-learn 1.3.2 pipeline from the factory.
"""

from __future__ import annotations

import sklearn
from numpy import linalg

from mlmanager.cli import main as cli_main
from mlmanager.predict.model_plan import read_plan
from mlmanager.worker.mismatch import explain_load_failure
from mlmanager.worker.versions import package_version

MESSAGE = (f"saved with scikit-learn 1.3.2, running {sklearn.__version__}: "
           "AttributeError: 'SimpleImputer' object has no attribute '_fill_dtype'")


def _predict(capsys, folder, model) -> tuple[int, str]:
    code = cli_main(["predict", str(folder), "--input", str(model.input_path), "--trust", "--timeout", "600"])
    return code, capsys.readouterr().err


def test_an_old_pickle_names_the_library_and_both_versions(built_model, tmp_path, capsys) -> None:
    model = built_model("sklearn13-py310")
    folder = model.copy_model(tmp_path / "model")
    code, err = _predict(capsys, folder, model)
    assert code == 2
    # only the library it came from: not MLflow's or Python's versions, which differ too
    assert err.splitlines()[0] == f"mlmanager: {MESSAGE}"


def test_the_version_comes_from_the_requirements_when_mlmodel_has_none(built_model, tmp_path, capsys) -> None:
    model = built_model("sklearn13-py310")
    folder = model.copy_model(tmp_path / "model")
    mlmodel = folder / "MLmodel"
    mlmodel.write_text("".join(line for line in mlmodel.read_text().splitlines(True)
                               if "sklearn_version:" not in line))
    plan = read_plan(folder)
    assert plan.sklearn_version is None and "scikit-learn==1.3.2" in plan.required_versions
    code, err = _predict(capsys, folder, model)
    assert code == 2 and err.splitlines()[0] == f"mlmanager: {MESSAGE}"


def test_the_innermost_library_with_a_known_version_is_named() -> None:
    try:
        linalg.inv([[1.0, 2.0]])  # raised inside numpy's own Python code
    except linalg.LinAlgError as exc:
        error = exc
    text, mismatch = explain_load_failure(error, {"mlflow": "2.0.0", "python": "3.8.10"}, {"numpy": "1.21.0"})
    assert mismatch
    assert text.startswith(f"saved with numpy 1.21.0, running {package_version('numpy')}: LinAlgError: ")
