"""A load failure that comes from the model's versions or packages offers its own environment."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from mlmanager.predict.worker_client import WorkerClient
from mlmanager.ui.pages.predict.run_controller import MODEL_ENV_HINT, describe_failure
from mlmanager.worker.errors import ModelLoadError, WorkerError


def test_a_missing_package_offers_the_models_environment(tmp_path: Path) -> None:
    folder = tmp_path / "lgbm"
    folder.mkdir()
    (folder / "model.lgb").write_text("tree\n")
    (folder / "MLmodel").write_text(yaml.safe_dump({"flavors": {
        "python_function": {"loader_module": "mlflow.lightgbm", "data": "model.lgb"},
        "lightgbm": {"data": "model.lgb", "lgb_version": "3.3.5"},
    }}))
    with WorkerClient(cache_dir=tmp_path / "cache", timeout=120) as client, pytest.raises(ModelLoadError) as caught:
        client.load(folder, {client.scan(folder).sha256})
    failure = describe_failure(caught.value)
    assert failure.mismatch and failure.title == "The model could not be loaded"
    assert "No module named 'lightgbm'" in failure.message and failure.message.endswith(MODEL_ENV_HINT)


def test_other_failures_do_not_offer_it() -> None:
    failure = describe_failure(ModelLoadError("the file holds a dict, which has no predict() method"))
    assert not failure.mismatch and MODEL_ENV_HINT not in failure.message
    assert not describe_failure(WorkerError("boom")).mismatch
