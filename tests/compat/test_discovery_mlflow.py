"""Discovery lists the same logged models, with the same names, as MlflowClient does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

from mlmanager.core.library.discovery import scan  # noqa: E402


@pytest.fixture
def isolated_mlflow(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Run mlflow inside tmp_path (./mlruns defaults land there) and restore its globals."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    before = mlflow.get_tracking_uri()
    yield tmp_path
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(before)
    # set_experiment's id (kept in the module and in MLFLOW_EXPERIMENT_ID) outlives the store:
    # a later start_run in this worker would look for experiment 2 on another server
    mlflow.tracking.fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


def _log_models(tmp_path: Path) -> None:
    """Three tiny sklearn models in two experiments (one with a signature), plus a 2.x-style
    run artifact model (save_model + log_artifacts)."""
    import numpy as np
    from sklearn.linear_model import LinearRegression

    x = np.array([[1.0], [2.0], [3.0]])
    y = np.array([1.0, 2.0, 3.0])
    est = LinearRegression().fit(x, y)
    opts = {"serialization_format": "cloudpickle", "pip_requirements": ["scikit-learn"]}
    mlflow.set_experiment("exp-a")
    with mlflow.start_run(run_name="first"):
        sig = mlflow.models.infer_signature(x, est.predict(x))
        mlflow.sklearn.log_model(est, name="model-a", signature=sig, **opts)
    with mlflow.start_run(run_name="second"):
        mlflow.sklearn.log_model(est, name="model-b", **opts)
        saved = tmp_path / "saved"
        mlflow.sklearn.save_model(est, saved, **opts)
        mlflow.log_artifacts(str(saved), "legacy_model")
    mlflow.set_experiment("exp-b")
    with mlflow.start_run(run_name="third"):
        mlflow.sklearn.log_model(est, name="model-c", **opts)


def _mlflow_view(tracking_uri: str) -> set[tuple]:
    from mlflow.entities import ViewType

    client = mlflow.MlflowClient(tracking_uri)
    exps = {e.experiment_id: e.name for e in client.search_experiments(view_type=ViewType.ALL)}
    runs = {
        r.info.run_id: r.info.run_name
        for r in client.search_runs(list(exps), run_view_type=ViewType.ALL, max_results=1000)
    }
    models = client.search_logged_models(experiment_ids=list(exps), max_results=1000)
    return {
        (m.experiment_id, exps[m.experiment_id], m.model_id, m.name, m.source_run_id,
         runs.get(m.source_run_id))
        for m in models
    }


def _our_view(root: Path) -> set[tuple]:
    return {
        (m.experiment.id, m.experiment.name, m.model_id, m.name, m.run.id, m.run.name)
        for m in scan(root).models
        if m.kind == "logged_model"
    }


def _check_facts(root: Path) -> None:
    """Flavors and signature presence as mlflow's Model.load reads them, for every model."""
    from mlflow.models import Model

    result = scan(root)
    assert result.problems == []
    for m in result.models:
        loaded = Model.load(str(m.path))
        assert list(m.flavors) == list(loaded.flavors), m.path
        assert m.has_signature == (loaded.signature is not None), m.path
    legacy = [m for m in result.models if m.kind == "run_artifact"]
    assert [(m.name, m.run.name, m.experiment.name) for m in legacy] == [
        ("legacy_model", "second", "exp-a")
    ]


@pytest.mark.compat
def test_file_store_scan_matches_mlflow_client(isolated_mlflow: Path) -> None:
    root = isolated_mlflow / "mlruns"
    uri = root.as_uri()
    mlflow.set_tracking_uri(uri)
    _log_models(isolated_mlflow)
    expected = _mlflow_view(uri)
    assert len(expected) == 3
    assert _our_view(root) == expected
    _check_facts(root)
    # deleting a logged model hides it from both
    gone = sorted(expected)[0][2]
    mlflow.MlflowClient(uri).delete_logged_model(gone)
    expected = _mlflow_view(uri)
    assert len(expected) == 2
    assert _our_view(root) == expected
    assert gone in {m.model_id for m in scan(root, include_deleted=True).models}


@pytest.mark.compat
def test_sqlite_store_scan_matches_mlflow_client(isolated_mlflow: Path) -> None:
    db = isolated_mlflow / "mlflow.db"
    uri = f"sqlite:///{db}"
    mlflow.set_tracking_uri(uri)
    _log_models(isolated_mlflow)
    expected = _mlflow_view(uri)
    assert len(expected) == 3
    assert not list(isolated_mlflow.glob("mlruns/*/meta.yaml"))  # names only in mlflow.db
    before = (db.read_bytes(), db.stat().st_mtime_ns, sorted(p.name for p in isolated_mlflow.iterdir()))
    assert _our_view(isolated_mlflow) == expected
    assert _our_view(isolated_mlflow / "mlruns") == expected
    assert (db.read_bytes(), db.stat().st_mtime_ns, sorted(p.name for p in isolated_mlflow.iterdir())) == before
    _check_facts(isolated_mlflow)
