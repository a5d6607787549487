"""A model saved in Python 3.10 with its own scikit-learn, run in its own environment: built by
``mlmanager env build --load`` (uv, the model's requirements), then ``predict --env model``;
the predictions equal the ones that environment computed when it saved the model."""

from __future__ import annotations

import datetime as dt
import json
import subprocess
from pathlib import Path

import interpreter_envs as ie
import pytest
import yaml

from mlmanager.cli import main as cli_main
from mlmanager.predict.session import MODEL, ModelEnvironmentError, model_runtime

SAVE = r'''
import json, os, pickle, platform, sys
import numpy as np, pandas as pd, sklearn
from sklearn.linear_model import LogisticRegression
out = sys.argv[1]
rng = np.random.RandomState(1)
X = pd.DataFrame({"a": rng.rand(50), "b": rng.rand(50)})
y = (X["a"] > X["b"]).astype("int64")
model = LogisticRegression().fit(X, y)
with open(os.path.join(out, "model.pkl"), "wb") as fh:
    pickle.dump(model, fh)
json.dump({"versions": {"python": platform.python_version(), "numpy": np.__version__,
                        "pandas": pd.__version__, "scikit-learn": sklearn.__version__},
           "input": {"columns": ["a", "b"], "data": X.head(6).values.tolist()},
           "predictions": model.predict(X.head(6)).tolist()}, open(os.path.join(out, "oracle.json"), "w"))
'''


@pytest.fixture(scope="module")
def old_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    python = ie.env_python(ie.RECIPES["py310"])
    folder = tmp_path_factory.mktemp("model") / "py310_logreg"
    folder.mkdir()
    subprocess.run([str(python), "-I", "-c", SAVE, str(folder)], check=True, timeout=300)
    oracle = json.loads((folder / "oracle.json").read_text())
    v = oracle["versions"]
    (folder / "requirements.txt").write_text(
        f"scikit-learn=={v['scikit-learn']}\nnumpy=={v['numpy']}\npandas=={v['pandas']}\n")
    (folder / "python_env.yaml").write_text(yaml.safe_dump(
        {"python": v["python"], "build_dependencies": ["pip"], "dependencies": ["-r requirements.txt"]}))
    created = dt.datetime.now(dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S.%f")
    (folder / "MLmodel").write_text(yaml.safe_dump({
        "flavors": {
            "python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                                "python_version": v["python"],
                                "env": {"virtualenv": "python_env.yaml"}},
            "sklearn": {"pickled_model": "model.pkl", "serialization_format": "pickle",
                        "sklearn_version": v["scikit-learn"]},
        },
        "utc_time_created": created,
    }))
    (folder.parent / "input.json").write_text(json.dumps({"dataframe_split": oracle["input"]}))
    return folder


def test_build_load_then_predict_in_the_models_own_environment(
        old_model: Path, tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "envs"
    monkeypatch.setenv("MLMANAGER_ENV_CACHE", str(cache))
    oracle = json.loads((old_model / "oracle.json").read_text())
    with pytest.raises(ModelEnvironmentError, match="mlmanager env build"):
        model_runtime(old_model)  # not built yet: nothing is built behind the user's back

    code = cli_main(["env", "build", str(old_model), "--yes", "--load", "--quiet", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    built = json.loads(out)
    assert built["load"]["loader"] == "restricted unpickler"
    assert built["load"]["python"] == oracle["versions"]["python"]
    assert built["load"]["packages"]["scikit-learn"] == oracle["versions"]["scikit-learn"]

    runtime = model_runtime(old_model)
    assert runtime.kind == MODEL and runtime.environment == built["name"]
    code = cli_main(["predict", str(old_model), "--input", str(old_model.parent / "input.json"),
                     "--env", "model", "--json"])
    out, err = capsys.readouterr()
    assert code == 0, err
    data = json.loads(out)
    assert data["predictions"] == oracle["predictions"]
    assert data["ran_by"]["where"] == "model" and data["ran_by"]["environment"] == built["name"]
    assert data["ran_by"]["python"] == oracle["versions"]["python"]
    assert data["ran_by"]["packages"]["numpy"] == oracle["versions"]["numpy"]
    assert not any("version" in w for w in data["warnings"])  # its own versions: no skew
