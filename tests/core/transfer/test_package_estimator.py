"""A new model from a bare estimator: exact MLflow file formats, the worker's safety rules."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from corpus_paths import MODELS

from mlmanager.core.errors import InvalidError, WriteError
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.model.yamlio import dump_mlflow_yaml
from mlmanager.core.signature.schema import Signature
from mlmanager.core.transfer.package_estimator import (
    EstimatorJob,
    EstimatorRun,
    build_mlmodel,
    build_package,
    conda_yaml,
    example_files,
    package_estimator,
    python_env_yaml,
    requirements_for,
)
from mlmanager.core.transfer.staging import TransferCancelled

# the writer environment of the corpus (its expected files' "writer" field, conda.yaml)
CORPUS_VERSIONS = {
    "python": "3.11.7", "scikit-learn": "1.9.1", "numpy": "2.4.6", "pandas": "3.1.1",
    "scipy": "1.17.1", "skops": "0.16.0", "cloudpickle": "3.1.3", "mlflow": "3.17.2",
    "pip": "23.2.1", "setuptools": "65.5.0", "wheel": None,
}


# ---------------------------------------------------------------------------------------------
# Writers: byte for byte what MLflow wrote in the corpus


def test_env_files_match_mlflow_byte_for_byte() -> None:
    housing = MODELS / "housing_rf_regressor"  # cloudpickle, requirements without extras
    reqs = requirements_for("cloudpickle", CORPUS_VERSIONS)
    assert "\n".join(reqs) == (housing / "requirements.txt").read_text()  # no trailing newline
    assert conda_yaml("3.11.7", reqs, "23.2.1") == (housing / "conda.yaml").read_text()
    assert python_env_yaml("3.11.7", CORPUS_VERSIONS) == (housing / "python_env.yaml").read_text()
    skops = requirements_for("skops", CORPUS_VERSIONS)
    assert skops == ["mlflow==3.17.2", "numpy==2.4.6", "pandas==3.1.1", "scikit-learn==1.9.1",
                     "scipy==1.17.1", "skops==0.16.0"]
    no_mlflow = requirements_for("pickle", {**CORPUS_VERSIONS, "mlflow": None})
    assert no_mlflow[0] == "mlflow>=3.17.2"


@pytest.mark.parametrize("name", ["iris_logreg_colspec", "churn_pipeline_onehot", "optional_cols_imputer"])
def test_dataframe_examples_match_mlflow_byte_for_byte(name: str) -> None:
    folder = MODELS / name
    split = json.loads((folder / "input_example.json").read_text())
    frame = pd.DataFrame(split["data"], columns=split["columns"])
    example, serving, info = example_files(frame)
    assert example == (folder / "input_example.json").read_text()
    assert serving == (folder / "serving_input_example.json").read_text()
    assert info == load_model(folder).saved_input_example_info


def test_ndarray_example_matches_mlflow_byte_for_byte() -> None:
    folder = MODELS / "sensor_tensor_logreg"
    array = np.asarray(json.loads((folder / "input_example.json").read_text()), dtype=np.float64)
    example, serving, info = example_files(array)
    assert example == (folder / "input_example.json").read_text()
    assert serving == (folder / "serving_input_example.json").read_text()
    assert info == {"artifact_path": "input_example.json", "type": "ndarray",
                    "serving_input_path": "serving_input_example.json"}


@pytest.mark.parametrize(("name", "fmt"), [("iris_logreg_colspec", "skops"),
                                           ("housing_rf_regressor", "cloudpickle"),
                                           ("churn_pipeline_onehot", "pickle"),
                                           ("optional_cols_imputer", "skops")])
def test_mlmodel_matches_mlflow_byte_for_byte(name: str, fmt: str) -> None:
    import datetime as dt

    doc = load_model(MODELS / name)
    sk = doc.flavor("sklearn")
    data = build_mlmodel(
        fmt=fmt, python_version=doc.python_version, sklearn_version=sk["sklearn_version"],
        skops_trusted_types=sk["skops_trusted_types"], signature=doc.signature,
        example_info=doc.saved_input_example_info, model_size_bytes=doc.model_size_bytes,
        created=dt.datetime.strptime(doc.utc_time_created, "%Y-%m-%d %H:%M:%S.%f"),
        model_uuid=doc.model_uuid,
    )
    assert dump_mlflow_yaml(data) == doc.text


# ---------------------------------------------------------------------------------------------
# The operation, with a stand-in runner (no worker)


class FakeRunner:
    """Plays the worker: 'loads' a pickle the test itself wrote, predicts, re-serializes."""

    def __init__(self, fail: BaseException | None = None) -> None:
        self.fail = fail
        self.jobs: list[EstimatorJob] = []

    def __call__(self, job: EstimatorJob) -> EstimatorRun:
        self.jobs.append(job)
        if self.fail is not None:
            job.model_out.write_bytes(b"half")  # a half-written file must not survive
            raise self.fail
        est = pickle.loads(job.estimator_file.read_bytes())  # the test's own estimator
        kind = "dataframe" if hasattr(est, "feature_names_in_") else "ndarray"
        x = job.sample if kind == "dataframe" else job.sample.to_numpy()
        job.model_out.write_bytes(pickle.dumps(est))
        return EstimatorRun(predictions=est.predict(x), input_kind=kind,
                            versions=dict(CORPUS_VERSIONS), model_type="x", classification="SAFE-LISTED",
                            sha256=None, source_format="pickle")


@pytest.fixture
def regressor(tmp_path: Path) -> tuple[Path, Path]:
    from sklearn.linear_model import LinearRegression

    frame = pd.DataFrame({"a": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "b": [1, 0, 1, 0, 1, 1]})
    est = LinearRegression().fit(frame, frame.a * 2 + frame.b)
    est_file = tmp_path / "reg.pkl"
    est_file.write_bytes(pickle.dumps(est))
    sample = tmp_path / "sample.csv"
    frame.to_csv(sample, index=False)
    return est_file, sample


def test_package_with_a_runner_writes_a_complete_model(tmp_path: Path, regressor) -> None:
    est, sample = regressor
    runner = FakeRunner()
    result = build_package(est, sample, tmp_path / "models", "pickle", name="reg", runner=runner)
    doc = result.document
    assert doc.root == tmp_path / "models" / "reg"
    assert sorted(p.name for p in doc.root.iterdir()) == [
        "MLmodel", "conda.yaml", "input_example.json", "model.pkl", "python_env.yaml",
        "requirements.txt", "serving_input_example.json"]
    assert doc.problems == []
    assert doc.signature.to_canonical()["inputs"] == [
        {"type": "double", "name": "a", "required": True},
        {"type": "long", "name": "b", "required": True}]
    assert doc.signature.to_canonical()["outputs"] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]
    size = sum((doc.root / f).stat().st_size for f in ("model.pkl", "input_example.json",
                                                       "serving_input_example.json"))
    assert doc.model_size_bytes == size  # measured as MLflow does: before MLmodel and env files
    assert doc.mlflow_version == "3.17.2"
    assert doc.data["model_id"] is None and doc.data["prompts"] is None
    assert len(json.loads((doc.root / "input_example.json").read_text())["data"]) == 5
    assert any("integer column" in w for w in result.warnings)
    assert [p.name for p in (tmp_path / "models").iterdir()] == ["reg"]  # no staging left


def test_package_refuses_an_existing_folder_and_bad_arguments(tmp_path: Path, regressor) -> None:
    est, sample = regressor
    (tmp_path / "taken").mkdir()
    (tmp_path / "taken" / "x").write_text("x")
    with pytest.raises(WriteError, match="not an empty folder"):
        package_estimator(est, sample, tmp_path / "taken", runner=FakeRunner())
    with pytest.raises(InvalidError, match="unknown format"):
        package_estimator(est, sample, tmp_path / "new", "joblib", runner=FakeRunner())
    (tmp_path / "link.pkl").symlink_to(est)
    with pytest.raises(Exception, match="regular file"):
        package_estimator(tmp_path / "link.pkl", sample, tmp_path / "new", runner=FakeRunner())
    bad = tmp_path / "bad.json"
    bad.write_text('{"a": 1}')
    with pytest.raises(InvalidError, match="sample must be a table"):
        package_estimator(est, bad, tmp_path / "new", runner=FakeRunner())
    assert not (tmp_path / "new").exists()


def test_a_failing_or_cancelled_package_leaves_nothing(tmp_path: Path, regressor) -> None:
    est, sample = regressor
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(InvalidError, match="boom"):
        package_estimator(est, sample, out / "m", runner=FakeRunner(InvalidError("boom")))
    assert list(out.iterdir()) == []
    calls = []
    with pytest.raises(TransferCancelled):
        package_estimator(est, sample, out / "m", runner=FakeRunner(),
                          progress=lambda d, t, i: calls.append(i), cancel=lambda: len(calls) >= 2)
    assert list(out.iterdir()) == []


def test_tensor_signature_when_fitted_without_feature_names(tmp_path: Path) -> None:
    from sklearn.linear_model import LogisticRegression

    x = np.random.RandomState(0).rand(20, 3)
    est = LogisticRegression().fit(x, (x[:, 0] > 0.5).astype(int))
    (tmp_path / "e.pkl").write_bytes(pickle.dumps(est))
    pd.DataFrame(x[:8], columns=["p", "q", "r"]).to_csv(tmp_path / "s.csv", index=False)
    doc = package_estimator(tmp_path / "e.pkl", tmp_path / "s.csv", tmp_path / "m", "pickle",
                            runner=FakeRunner())
    assert doc.signature.to_canonical()["inputs"] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}]
    assert doc.saved_input_example_info["type"] == "ndarray"
    assert json.loads((doc.root / "serving_input_example.json").read_text())["inputs"][0] == list(x[0])


def test_signature_round_trips_through_schema() -> None:
    sig = Signature.from_canonical({"inputs": [{"type": "double", "name": "a", "required": True}],
                                    "outputs": None, "params": None})
    data = build_mlmodel(fmt="skops", python_version="3.11.7", sklearn_version="1.9.1",
                         skops_trusted_types=["sklearn.tree._tree.Tree"], signature=sig,
                         example_info=None, model_size_bytes=1)
    assert data["flavors"]["sklearn"]["skops_trusted_types"] == ["sklearn.tree._tree.Tree"]
    assert data["flavors"]["python_function"]["model_path"] == "model.skops"
    assert data["signature"]["outputs"] is None and data["signature"]["params"] is None


# ---------------------------------------------------------------------------------------------
# With the real worker: the safety rules apply to the bare estimator file


@pytest.fixture(scope="module")
def worker(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One worker for the module (packaging runs in the prediction worker)."""
    from mlmanager.predict import estimator_runner
    from mlmanager.predict.worker_client import WorkerClient

    client = WorkerClient(cache_dir=tmp_path_factory.mktemp("cache"), timeout=120)
    yield estimator_runner.WorkerEstimatorRunner(client=client, timeout=120)
    client.close()


@pytest.fixture(scope="module")
def pipeline_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    import joblib
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, StandardScaler

    folder = tmp_path_factory.mktemp("estimators")
    rng = np.random.RandomState(1)
    frame = pd.DataFrame({"plan": rng.choice(["a", "b", "c"], 30), "n": rng.randint(0, 9, 30),
                          "fee": rng.rand(30)})
    y = (frame.n > 4).astype(int)
    clf = Pipeline([("ct", ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["plan"]),
                                              ("sc", StandardScaler(), ["n", "fee"])])),
                    ("lr", LogisticRegression())]).fit(frame, y)
    lam = Pipeline([("f", FunctionTransformer(lambda v: v * 2)), ("lr", LogisticRegression())])
    lam.fit(frame[["n", "fee"]], y)
    import cloudpickle

    files = {"clf.pkl": pickle.dumps(clf), "lambda.pkl": cloudpickle.dumps(lam)}
    for name, blob in files.items():
        (folder / name).write_bytes(blob)
    joblib.dump(clf, folder / "clf.joblib", compress=3)
    frame.head(10).to_csv(folder / "sample.csv", index=False)
    frame[["n", "fee"]].head(10).to_csv(folder / "sample_num.csv", index=False)
    marker = folder / "pwned"
    evil = b"cposix\nsystem\n(V touch " + str(marker).encode() + b"\ntR."
    (folder / "evil.pkl").write_bytes(evil)
    return {p.name: p for p in folder.iterdir()}


def test_worker_packages_a_safe_pickle_and_a_compressed_joblib(tmp_path: Path, worker, pipeline_files) -> None:
    for name in ("clf.pkl", "clf.joblib"):
        result = build_package(pipeline_files[name], pipeline_files["sample.csv"],
                               tmp_path / name, "skops", runner=worker)
        assert result.run.classification == "SAFE-LISTED"
        assert result.run.source_format == ("joblib" if name.endswith("joblib") else "pickle")
        assert result.run.input_kind == "dataframe"
        assert result.run.versions["scikit-learn"] and result.run.versions["python"]
        doc = result.document
        assert doc.flavor("sklearn")["serialization_format"] == "skops"
        assert [s["type"] for s in doc.signature.to_canonical()["inputs"]] == ["string", "long", "double"]
        assert doc.problems == []


def test_worker_refuses_code_unless_trusted_and_never_a_dangerous_file(tmp_path: Path, worker, pipeline_files) -> None:
    from mlmanager.core.safety import sha256_file
    from mlmanager.worker.errors import ModelRefusedError

    lam, sample = pipeline_files["lambda.pkl"], pipeline_files["sample_num.csv"]
    with pytest.raises(ModelRefusedError, match="contains Python code") as err:
        build_package(lam, sample, tmp_path / "a", "cloudpickle", runner=worker)
    assert err.value.report.sha256 == sha256_file(lam)
    assert not (tmp_path / "a").exists()
    with pytest.raises(Exception, match="cannot be saved as skops"):
        build_package(lam, sample, tmp_path / "b", "skops", trust=True, runner=worker)
    assert not (tmp_path / "b").exists()
    ok = build_package(lam, sample, tmp_path / "c", "cloudpickle", trust=True, runner=worker)
    assert ok.run.trusted and ok.run.classification == "CONTAINS-CODE"
    evil = pipeline_files["evil.pkl"]
    with pytest.raises(ModelRefusedError, match="dangerous import posix.system"):
        build_package(evil, sample, tmp_path / "d", "pickle", trust=True, runner=worker)
    assert not (evil.parent / "pwned").exists()
    assert not (tmp_path / "d").exists()
