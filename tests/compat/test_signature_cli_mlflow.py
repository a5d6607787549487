"""Models edited by ``signature set/remove`` load in the real MLflow with the signature we wrote."""

from __future__ import annotations

import json

import pytest

mlflow = pytest.importorskip("mlflow")

from mlflow.models import Model  # noqa: E402

from mlmanager.cli import signature as sc  # noqa: E402
from mlmanager.core.signature.infer import infer_signature  # noqa: E402


def _mlflow_signature(model_dir):
    sig = Model.load(str(model_dir / "MLmodel")).signature
    if sig is None:
        return None
    return {k: (json.loads(v) if v else None) for k, v in sig.to_dict().items()}


@pytest.mark.parametrize("name", ["iris_logreg_colspec", "ticket_triage_pyfunc_params", "sensor_tensor_logreg"])
def test_set_result_loads_in_mlflow(models_dir, copy_model, tmp_path, name):
    pd = pytest.importorskip("pandas")
    model = copy_model(models_dir / name)
    sig, _ = infer_signature(
        pd.DataFrame({"a": [1.0, None], "b": ["x", "y"], "c": pd.Series([[1], [2, 3]], dtype=object)}),
        pd.Series([0, 1]),
        {"k": 1, "when": "x", "obj": {"z": [1.5]}},
    )
    src = tmp_path / "sig.json"
    src.write_text(json.dumps(sig.to_canonical()))
    code, _ = sc.set_signature(model, src, dialect="current")
    assert code == 0
    assert _mlflow_signature(model) == sig.to_canonical()


def test_remove_result_loads_in_mlflow(models_dir, copy_model):
    model = copy_model(models_dir / "iris_logreg_colspec")
    sc.remove(model)
    assert _mlflow_signature(model) is None
