"""Models mlmanager writes load in the real MLflow: packaged estimators (every format) and
models copied into a file-store tracking folder."""

from __future__ import annotations

import json
import pickle
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")

from corpus_paths import MODELS  # noqa: E402

from mlmanager.core.library.discovery import scan  # noqa: E402
from mlmanager.core.transfer.copy import copy_model_to  # noqa: E402
from mlmanager.core.transfer.package_estimator import build_package  # noqa: E402

FORMATS = ("skops", "cloudpickle", "pickle")


@pytest.fixture(scope="module")
def runner(tmp_path_factory: pytest.TempPathFactory) -> Iterator:
    """One worker for the module (packaging runs in the prediction worker)."""
    from mlmanager.predict import estimator_runner
    from mlmanager.predict.worker_client import WorkerClient

    client = WorkerClient(cache_dir=tmp_path_factory.mktemp("cache"), timeout=120)
    yield estimator_runner.WorkerEstimatorRunner(client=client, timeout=120)
    client.close()


@pytest.fixture(scope="module")
def estimators(tmp_path_factory: pytest.TempPathFactory) -> dict[str, tuple[Path, Path, object, object]]:
    """name -> (estimator file, sample file, estimator, sample as the estimator takes it)."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import RandomForestRegressor
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    folder = tmp_path_factory.mktemp("estimators")
    rng = np.random.RandomState(7)
    frame = pd.DataFrame({
        "plan": rng.choice(["basic", "pro", "team"], 40), "region": rng.choice(["east", "west"], 40),
        "tenure": rng.randint(1, 60, 40), "fee": np.round(rng.rand(40) * 100, 2),
    })
    clf = Pipeline([
        ("ct", ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["plan", "region"]),
                                  ("sc", StandardScaler(), ["tenure", "fee"])])),
        ("lr", LogisticRegression()),
    ]).fit(frame, (frame.tenure > 30).astype(int))
    reg_x = pd.DataFrame({"rooms": rng.randint(1, 6, 40), "area": rng.rand(40) * 150})
    reg = RandomForestRegressor(n_estimators=3, max_depth=3, random_state=0).fit(reg_x, reg_x.area * 3)
    tensor_x = rng.rand(40, 4)
    tens = LogisticRegression().fit(tensor_x, (tensor_x[:, 1] > 0.5).astype(int))
    out = {}
    for name, est, sample, given in (
        ("classifier", clf, frame.head(8), frame.head(8)),
        ("regressor", reg, reg_x.head(8), reg_x.head(8)),
        ("tensor", tens, tensor_x[:8], tensor_x[:8]),
    ):
        est_file = folder / f"{name}.pkl"
        est_file.write_bytes(pickle.dumps(est))
        if isinstance(sample, pd.DataFrame):
            sample_file = folder / f"{name}.csv"
            sample.to_csv(sample_file, index=False)
        else:
            sample_file = folder / f"{name}.npy"
            np.save(sample_file, sample)
        out[name] = (est_file, sample_file, est, given)
    return out


@pytest.mark.filterwarnings("ignore:.*validate_serving_input.*:FutureWarning")
@pytest.mark.parametrize("fmt", FORMATS)
@pytest.mark.parametrize("name", ["classifier", "regressor", "tensor"])
def test_packaged_estimator_loads_and_predicts_the_same_in_mlflow(tmp_path: Path, runner, estimators,
                                                                  name: str, fmt: str) -> None:
    est_file, sample_file, est, given = estimators[name]
    result = build_package(est_file, sample_file, tmp_path / "model", fmt, runner=runner)
    folder = result.path
    model = mlflow.pyfunc.load_model(str(folder))
    if isinstance(given, pd.DataFrame):
        given = given.copy()
        for col in given.select_dtypes(include="str").columns:  # as in the signature: string
            given[col] = given[col].astype(object)
    got = model.predict(given)
    np.testing.assert_allclose(np.asarray(got, dtype=float), np.asarray(est.predict(given), dtype=float))
    serving = (folder / "serving_input_example.json").read_text()
    served = mlflow.models.validate_serving_input(str(folder), serving)
    example = json.loads((folder / "input_example.json").read_text())
    rows = example["data"] if isinstance(example, dict) else example
    assert len(np.asarray(served)) == len(rows)
    info = mlflow.models.Model.load(str(folder))
    assert info.flavors["sklearn"]["serialization_format"] == fmt
    assert info.signature.to_dict() == json.loads(json.dumps(info.signature.to_dict()))
    if name == "tensor":
        assert info.signature.inputs.is_tensor_spec()
    loaded = mlflow.sklearn.load_model(str(folder))
    np.testing.assert_allclose(np.asarray(loaded.predict(given), dtype=float),
                               np.asarray(est.predict(given), dtype=float))


def test_random_forest_in_skops_lists_the_tree_type_for_mlflow(tmp_path: Path, runner, estimators) -> None:
    est_file, sample_file, _est, _given = estimators["regressor"]
    result = build_package(est_file, sample_file, tmp_path / "rf", "skops", runner=runner)
    assert result.run.skops_trusted_types == ["sklearn.tree._tree.Tree"]
    sk = mlflow.models.Model.load(str(result.path)).flavors["sklearn"]
    assert sk["skops_trusted_types"] == ["sklearn.tree._tree.Tree"]


def test_copy_into_a_tracking_folder_is_read_by_mlflow_client(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    store = tmp_path / "mlruns"
    first = copy_model_to(MODELS / "iris_logreg_colspec", store, "tracking", experiment="iris")
    second = copy_model_to(MODELS / "housing_rf_regressor", store, "tracking", experiment="iris",
                           run_name="rf-copy")
    uri = store.resolve().as_uri()
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.get_experiment_by_name("iris")
    assert exp.experiment_id == first.experiment_id and exp.lifecycle_stage == "active"
    assert {e.name for e in client.search_experiments()} == {"Default", "iris"}
    runs = client.search_runs([exp.experiment_id])
    assert {r.info.run_id for r in runs} == {first.run_id, second.run_id}
    run = client.get_run(second.run_id)
    assert run.info.status == "FINISHED" and run.info.run_name == "rf-copy"
    assert [a.path for a in client.list_artifacts(first.run_id)] == ["iris_logreg_colspec"]
    mlflow.set_tracking_uri(uri)
    try:
        model = mlflow.pyfunc.load_model(first.uri)
        frame = pd.read_csv(MODELS / "iris_logreg_colspec.input.csv")
        assert len(model.predict(frame)) == len(frame)
    finally:
        mlflow.set_tracking_uri(None)
    kinds = {(m.kind, m.experiment.name, m.run.name) for m in scan(store).models}
    assert kinds == {("run_artifact", "iris", "iris_logreg_colspec"), ("run_artifact", "iris", "rf-copy")}
