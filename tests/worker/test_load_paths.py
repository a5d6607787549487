"""Which loader runs (restricted unpickler, trusted pickle, the environment's own mlflow), and
load failures that name the versions or the package, marked as mismatches."""

from __future__ import annotations

import subprocess
from pathlib import Path

import interpreter_envs as ie
import numpy as np
import pytest
import worker_builders as wb
import yaml

from mlmanager.core.safety import CONTAINS_CODE, SAFE_LISTED
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker.errors import ModelLoadError
from mlmanager.worker.mismatch import explain_load_failure, package_of
from mlmanager.worker.versions import package_version, python_version


def test_a_trusted_scikit_learn_model_with_code_loads_through_the_environments_mlflow(
        make_client, tmp_path: Path) -> None:
    import mlflow.pyfunc

    folder = wb.write_model(tmp_path / "lambda", wb.pipe_lambda_cloud())
    client = make_client()
    report = client.scan(folder)
    assert report.classification == CONTAINS_CODE
    info = client.load(folder, {report.sha256})
    assert info.loader == f"mlflow.pyfunc (mlflow {package_version('mlflow')})"
    X, _ = wb.xy()
    got = client.predict(X).predictions
    np.testing.assert_array_equal(got, mlflow.pyfunc.load_model(str(folder)).predict(X))


def test_a_safe_listed_model_still_loads_through_the_restricted_unpickler(shared_client, tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "rf", wb.m16(), fmt="pickle")
    info = shared_client.load(folder)
    assert info.classification == SAFE_LISTED
    assert info.loader == "restricted unpickler"
    assert info.model_type.startswith("sklearn.")


def test_without_mlflow_a_trusted_pickle_loads_with_pickle(tmp_path: Path) -> None:
    python = ie.env_python(ie.RECIPES["py312"])  # numpy, pandas, scikit-learn; no mlflow
    folder = tmp_path / "custom"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "custom_doubler.py").write_text(
        "from sklearn.linear_model import LinearRegression\n\nclass Doubler(LinearRegression):\n    pass\n")
    code = ("import pickle, sys\nsys.path.insert(0, sys.argv[2])\nfrom custom_doubler import Doubler\n"
            "m = Doubler().fit([[0.0], [1.0], [2.0]], [0.0, 2.0, 4.0])\n"
            "open(sys.argv[1], 'wb').write(pickle.dumps(m))\n")
    subprocess.run([str(python), "-I", "-c", code, str(folder / "model.pkl"), str(folder / "code")],
                   check=True, timeout=120)
    wb.write_model(folder, None, fmt="pickle", code="code")
    with WorkerClient(python, cache_dir=tmp_path / "cache", timeout=300) as client:
        report = client.scan(folder)
        assert report.classification != SAFE_LISTED  # custom_doubler.Doubler is not on the list
        info = client.load(folder, {report.sha256})
        assert info.loader == "pickle"
        np.testing.assert_allclose(client.predict(np.array([[3.0]])).predictions, [6.0])


def test_an_old_scikit_learn_pickle_names_both_versions(make_client, tmp_path: Path) -> None:
    """A forest pickled by scikit-learn 0.22 in its own environment, loaded by the app's."""
    python = ie.env_python(ie.RECIPES["py37"])
    code = ("import pickle, sys\nfrom sklearn.ensemble import RandomForestClassifier\n"
            "m = RandomForestClassifier(n_estimators=3, random_state=0).fit([[0, 1], [1, 0], [1, 1]], [0, 1, 1])\n"
            "open(sys.argv[1], 'wb').write(pickle.dumps(m, protocol=4))\n")
    folder = tmp_path / "old"
    folder.mkdir()
    subprocess.run([str(python), "-I", "-c", code, str(folder / "model.pkl")], check=True, timeout=120)
    wb.write_model(folder, None, fmt="pickle", sklearn_version="0.22.2.post1", python_version="3.7.16")
    client = make_client()
    with pytest.raises(ModelLoadError) as caught:
        client.load(folder, {client.scan(folder).sha256})
    err = caught.value
    assert err.mismatch
    running = package_version("scikit-learn")
    assert f"saved with scikit-learn 0.22.2.post1, running {running}" in err.message


def test_a_missing_package_is_named(make_client, tmp_path: Path) -> None:
    folder = tmp_path / "lgbm"
    folder.mkdir()
    (folder / "model.lgb").write_text("tree\n")
    doc = {"flavors": {
        "python_function": {"loader_module": "mlflow.lightgbm", "data": "model.lgb",
                            "python_version": python_version()},
        "lightgbm": {"data": "model.lgb", "lgb_version": "3.3.5", "model_class": "lightgbm.basic.Booster"},
    }, "mlflow_version": "2.3.0"}
    (folder / "MLmodel").write_text(yaml.safe_dump(doc))
    client = make_client()
    with pytest.raises(ModelLoadError) as caught:
        client.load(folder, {client.scan(folder).sha256})
    assert caught.value.mismatch
    assert "No module named 'lightgbm': the model needs the package lightgbm" in caught.value.message
    assert "saved with lightgbm 3.3.5" in caught.value.message


def test_explanations() -> None:
    assert package_of("sklearn.ensemble._gb_losses") == "scikit-learn"
    assert package_of("cv2") == "opencv-python"
    err = ModuleNotFoundError("No module named 'sklearn.ensemble._gb_losses'", name="sklearn.ensemble._gb_losses")
    text, mismatch = explain_load_failure(err, {"scikit-learn": "0.24.2"})
    assert mismatch
    assert text.startswith(f"saved with scikit-learn 0.24.2, running {package_version('scikit-learn')}: "
                           "No module named 'sklearn.ensemble._gb_losses'")
    code_err = TypeError("code() argument 13 must be str, not int")
    text, mismatch = explain_load_failure(code_err, {"python": "3.8.10", "scikit-learn": "0.24.2"})
    assert mismatch and text.startswith(f"saved with Python 3.8.10, running {python_version()}: TypeError")
    private = ModuleNotFoundError("No module named '_loss'", name="_loss")
    text, mismatch = explain_load_failure(private, {"scikit-learn": "1.5.2"})
    assert mismatch and text.startswith(f"saved with scikit-learn 1.5.2, running {package_version('scikit-learn')}: "
                                        "No module named '_loss': the model refers to a module")
    same = {"python": python_version(), "scikit-learn": package_version("scikit-learn")}
    assert explain_load_failure(ValueError("bad input"), same) == ("ValueError: bad input", False)
