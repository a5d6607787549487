"""A custom PythonModel runs in the worker through mlflow.pyfunc, only once trusted."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest

mlflow = pytest.importorskip("mlflow")

import pandas as pd  # noqa: E402

from mlmanager.core.safety import CONTAINS_CODE  # noqa: E402
from mlmanager.predict.worker_client import WorkerClient  # noqa: E402
from mlmanager.worker.errors import ModelRefusedError  # noqa: E402


def test_custom_pyfunc_predicts_like_mlflow_after_trust(
    models_dir: Path, copy_model, tmp_path: Path
) -> None:
    name = "ticket_triage_pyfunc_params"
    folder = copy_model(models_dir / name)
    doc = json.loads((models_dir / f"{name}.expected.json").read_text())
    request = json.loads((models_dir / f"{name}.input.json").read_text())
    frame = pd.read_csv(models_dir / f"{name}.input.csv")
    with WorkerClient(cache_dir=tmp_path / "cache", timeout=120) as client:
        report = client.scan(folder)
        assert report.classification == CONTAINS_CODE and report.format == "pyfunc"
        assert "mlflow.pyfunc.model.PythonModel" in report.imports
        with pytest.raises(ModelRefusedError, match="contains Python code"):
            client.load(folder)
        info = client.load(folder, {report.sha256})
        assert info.kind == "pyfunc" and info.trusted
        result = client.predict(frame, params=request["params"])
    got = result.predictions
    expected = doc["predictions"]["predictions"]
    assert list(got.columns) == ["label", "score"]
    assert got["label"].tolist() == [row["label"] for row in expected]
    assert all(math.isclose(g, row["score"], rel_tol=1e-9)
               for g, row in zip(got["score"].tolist(), expected))


def test_changing_any_file_of_a_pyfunc_folder_asks_again(models_dir: Path, copy_model, tmp_path: Path) -> None:
    folder = copy_model(models_dir / "ticket_triage_pyfunc_params")
    with WorkerClient(cache_dir=tmp_path / "cache", timeout=120) as client:
        first = client.scan(folder)
        labels = folder / "artifacts" / "labels.json"
        labels.write_text(labels.read_text() + " ")
        with pytest.raises(ModelRefusedError):
            client.load(folder, {first.sha256})
