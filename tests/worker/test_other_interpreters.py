"""The worker under other Pythons (3.7 to 3.13) with their own numpy/pandas/scikit-learn.

Each environment is built with uv from wheels (``interpreter_envs``); mlmanager is not
installed there: the worker runs from its zip. A model fitted and pickled *in* that
environment is scanned, loaded and predicted by mlmanager, and the predictions must equal
the ones the environment computed itself. Frames (the data folders) cross in both directions
between the app's numpy 2 / pandas 3 and the environment's numpy 1.16+ / pandas 0.25+.
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import interpreter_envs as ie
import numpy as np
import pandas as pd
import pytest

from mlmanager.core.safety import SAFE_LISTED
from mlmanager.predict.worker_bootstrap import worker_zip
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker.frames import read_frames, write_frames

pytestmark = pytest.mark.slow

MAKE_MODEL = r'''
import json, os, pickle, platform, sys
import numpy as np, pandas as pd, sklearn
from sklearn.linear_model import LogisticRegression
out = sys.argv[1]
rng = np.random.RandomState(0)
X = pd.DataFrame({"a": rng.rand(60), "b": rng.rand(60) * 10, "c": rng.randint(0, 5, 60).astype("int64")})
y = ((X["a"] * 10 + X["b"] + X["c"]) > 10).astype("int64")
model = LogisticRegression(solver="lbfgs").fit(X, y)
os.makedirs(out)
with open(os.path.join(out, "model.pkl"), "wb") as fh:
    pickle.dump(model, fh)
with open(os.path.join(out, "MLmodel"), "w") as fh:
    fh.write("flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
             "    model_path: model.pkl\n    predict_fn: predict_proba\n"
             "    python_version: %s\n  sklearn:\n    pickled_model: model.pkl\n"
             "    serialization_format: pickle\n    sklearn_version: %s\n"
             % (platform.python_version(), sklearn.__version__))
head = X.head(12)
with open(os.path.join(out, "oracle.json"), "w") as fh:
    json.dump({"input": {k: head[k].tolist() for k in head.columns},
               "proba": model.predict_proba(head).tolist(),
               "versions": {"python": platform.python_version(), "numpy": np.__version__,
                            "pandas": pd.__version__, "scikit-learn": sklearn.__version__}}, fh)
'''

ECHO_FRAMES = r'''
import sys
sys.path.insert(0, sys.argv[1])
from mlmanager.worker.frames import read_frames, write_frames
value = read_frames(sys.argv[2])
write_frames(value, sys.argv[3])
'''


@pytest.fixture(scope="module", params=sorted(ie.RECIPES), ids=str)
def env(request: pytest.FixtureRequest) -> Path:
    return ie.env_python(ie.RECIPES[request.param])


def _make_model(python: Path, folder: Path) -> dict:
    done = subprocess.run([str(python), "-I", "-c", MAKE_MODEL, str(folder)],
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads((folder / "oracle.json").read_text())


def test_scan_load_predict_in_the_models_own_interpreter(env: Path, tmp_path: Path) -> None:
    oracle = _make_model(env, tmp_path / "model")
    frame = pd.DataFrame(oracle["input"])
    with WorkerClient(env, cache_dir=tmp_path / "cache", timeout=300) as client:
        report = client.scan(tmp_path / "model")
        assert report.classification == SAFE_LISTED, report.reasons
        info = client.load(tmp_path / "model")
        assert info.versions["python"] == oracle["versions"]["python"]
        assert info.versions["scikit-learn"] == oracle["versions"]["scikit-learn"]
        assert info.versions["numpy"] == oracle["versions"]["numpy"]
        assert not any(w.kind == "version_skew" for w in info.warnings)  # its own environment
        result = client.predict(frame)
        again = client.predict(frame)  # warm: the same loaded model
    expected = np.array(oracle["proba"])
    assert isinstance(result.predictions, np.ndarray)
    np.testing.assert_array_equal(result.predictions, expected)
    np.testing.assert_array_equal(again.predictions, expected)


def _frames_sample() -> dict[str, object]:
    frame = pd.DataFrame({
        "i": np.arange(4, dtype="int64"), "f": [0.5, np.nan, -1.25, 1e300],
        "b": [True, False, True, True], "s": ["a", None, "ç", "long " * 20],
        "t": pd.to_datetime(["2020-01-01", "2021-06-30", None, "1999-12-31"]),
        "tz": pd.to_datetime(["2020-01-01", "2020-01-02", "2020-01-03", "2020-01-04"]).tz_localize("Europe/Paris"),
        "d": pd.to_timedelta([1, 2, 3, 4], unit="s"), "u8": np.arange(4, dtype="uint8"),
        0: [1.0, 2.0, 3.0, 4.0],
    })
    frame["s"] = frame["s"].astype(object)
    return {
        "frame": frame,
        "array": np.arange(12, dtype="float32").reshape(3, 4),
        "tensors": {"x": np.ones((2, 3)), "y": np.array(["p", "q"])},
        "series": pd.Series([1.5, 2.5], name="score"),
        "json": {"k": [1, 2.5, None, "x"]},
    }


@pytest.mark.parametrize("kind", ["array", "frame", "json", "series", "tensors"])
def test_frames_cross_numpy_and_pandas_versions_both_ways(env: Path, tmp_path: Path, kind: str) -> None:
    """The app writes, the environment reads and writes back, the app reads: unchanged."""
    value = _frames_sample()[kind]
    write_frames(value, tmp_path / "in")
    zip_path = worker_zip(tmp_path / "cache")
    done = subprocess.run([str(env), "-I", "-c", ECHO_FRAMES, str(zip_path), str(tmp_path / "in"),
                           str(tmp_path / "out")], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    back = read_frames(tmp_path / "out")
    if isinstance(value, pd.DataFrame):
        # pandas < 2 holds times in nanoseconds only: the same instants come back as [ns]
        value = value.astype({c: back[c].dtype for c in value.columns
                              if value[c].dtype.kind in "Mm" and back[c].dtype != value[c].dtype})
        pd.testing.assert_frame_equal(back, value, check_column_type=False)
    elif isinstance(value, pd.Series):
        pd.testing.assert_series_equal(back, value)
    elif isinstance(value, dict) and kind == "tensors":
        assert back.keys() == value.keys()
        for key in value:
            np.testing.assert_array_equal(back[key], value[key])
    elif isinstance(value, np.ndarray):
        assert back.dtype == value.dtype
        np.testing.assert_array_equal(back, value)
    else:
        assert back == value
