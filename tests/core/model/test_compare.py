"""Comparing two models: signature column by column, flavors, environment, metadata, files,
and what an input that is valid for A does in B."""

from __future__ import annotations

import json
from pathlib import Path

from corpus_paths import MODELS

from mlmanager.core.model.compare import compare_models, input_breaks
from mlmanager.core.model.mlmodel import load_model, save_text
from mlmanager.core.signature.schema import Signature


def _sig(inputs: list[dict] | None, params: list[dict] | None = None, outputs: list[dict] | None = None) -> Signature:
    return Signature.from_canonical({"inputs": inputs, "outputs": outputs, "params": params})


def _col(name: str, type_: str, required: bool = True) -> dict:
    return {"type": type_, "name": name, "required": required}


def _with_signature(copy_model, src: str, sig: Signature, name: str) -> Path:
    folder = copy_model(MODELS / src, name)
    doc = load_model(folder)
    save_text(doc, doc.with_signature(sig, dialect="current"))
    return folder


def test_a_model_is_identical_to_itself_and_to_its_copy(copy_model) -> None:
    a = MODELS / "iris_logreg_colspec"
    same = compare_models(a, a)
    assert same.identical and same.breaks == []
    copy = copy_model(a, "iris_copy")
    result = compare_models(a, copy)
    assert result.identical, result.format()
    assert "identical" in result.format()
    assert result.to_json()["identical"] is True


def test_corpus_pair_reports_columns_environment_metadata_and_breaks() -> None:
    a = MODELS / "churn_pipeline_onehot"
    b = MODELS / "sqlite_store/mlruns/1/models/m-6565aaf1362f4ce3aaaa435684cf5b16/artifacts"
    result = compare_models(a, b)
    assert not result.identical
    kinds = {(c.kind, c.label) for c in result.signature}
    assert ("removed", "'tenure_months'") in kinds and ("added", "'usage_gb'") in kinds
    env = {d.key: d for d in result.environment}
    assert (env["serialization_format"].a, env["serialization_format"].b) == ("pickle", "cloudpickle")
    assert env["requirements: cloudpickle"].kind == "added"
    meta = {d.key for d in result.metadata}
    assert {"model_uuid", "utc_time_created", "run_id", "model_id"} <= meta
    files = {d.key: d for d in result.files}
    assert files["model.pkl"].kind == "changed"
    errors = [b.message for b in result.breaking]
    assert errors == ["B requires column 'usage_gb' (double), which A does not have: inputs valid "
                      "for A lack it"]
    warnings = [b.message for b in result.breaks if b.severity == "warning"]
    assert any("'tenure_months' is not in B's signature" in w for w in warnings)
    text = result.format()
    assert "Inputs valid for A that B rejects:" in text and "usage_gb" in text
    data = json.loads(json.dumps(result.to_json()))  # strict JSON
    assert data["identical"] is False and data["breaks"][0]["column"] == "usage_gb"


def test_type_and_required_changes_checked_with_python_mode_enforcement(copy_model) -> None:
    base = [_col("a", "double"), _col("b", "long"), _col("c", "integer"), _col("d", "string", False)]
    a = _with_signature(copy_model, "iris_logreg_colspec", _sig(base), "a")
    changed = [_col("a", "float"), _col("b", "double"), _col("c", "long"), _col("d", "string", True)]
    b = _with_signature(copy_model, "iris_logreg_colspec", _sig(changed), "b")
    result = compare_models(a, b)
    kinds = sorted((c.kind, c.label, c.before, c.after) for c in result.signature)
    assert kinds == [("required_changed", "'d'", False, True), ("type_changed", "'a'", "double", "float"),
                     ("type_changed", "'b'", "long", "double"), ("type_changed", "'c'", "integer", "long")]
    broken = {b.column: b.message for b in result.breaking}
    # double -> float and long (int64) -> double are refused by MLflow's predict; int32 -> long is an upcast
    assert set(broken) == {"a", "b", "d"}
    assert "Can not safely convert float64 to float32" in broken["a"]
    assert "int64" in broken["b"]
    assert "optional in A but required in B" in broken["d"]
    # the other way round: float32 -> double is an upcast and an optional column drops no
    # input; double -> long and int64 -> int32 are refused
    back = compare_models(b, a)
    messages = {b.column: b.message for b in back.breaking}
    assert set(messages) == {"b", "c"}
    assert "float64 to int64" in messages["b"] and "int64 to int32" in messages["c"]


def test_tensor_and_param_breaks() -> None:
    tensor = lambda dtype, shape: [{"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": shape}}]  # noqa: E731
    same = input_breaks(_sig(tensor("float64", [-1, 4])), _sig(tensor("float64", [-1, 4])))
    assert same == []
    dtype = input_breaks(_sig(tensor("float64", [-1, 4])), _sig(tensor("float32", [-1, 4])))
    assert "dtypes must match exactly" in dtype[0].message
    dims = input_breaks(_sig(tensor("float64", [-1, 4])), _sig(tensor("float64", [-1, 4, 1])))
    assert "number of dimensions" in dims[0].message
    fixed = input_breaks(_sig(tensor("float64", [-1, -1])), _sig(tensor("float64", [-1, 4])))
    assert "dimension 1 is variable in A but must be 4 in B" in fixed[0].message
    loose = input_breaks(_sig(tensor("float64", [-1, 4])), _sig(tensor("float64", [-1, -1])))
    assert loose == []
    kind = input_breaks(_sig([_col("a", "double")]), _sig(tensor("float64", [-1, 1])))
    assert "A takes columns" in kind[0].message
    none = input_breaks(None, _sig([_col("a", "double")]))
    assert "A declares no input schema" in none[0].message
    assert input_breaks(_sig([_col("a", "double")]), None) == []
    p = lambda t, d: [{"name": "k", "type": t, "default": d, "shape": None}]  # noqa: E731
    cols = [_col("a", "double")]
    assert input_breaks(_sig(cols, p("long", 3)), _sig(cols, p("double", 0.5))) == []
    narrowed = input_breaks(_sig(cols, p("double", 0.5)), _sig(cols, p("long", 3)))
    assert narrowed[0].section == "params" and "B rejects A's values" in narrowed[0].message
    dropped = input_breaks(_sig(cols, p("double", 0.5)), _sig(cols))
    assert dropped[0].severity == "warning"


def test_same_size_file_with_other_content_and_changed_flavor(copy_model) -> None:
    a = copy_model(MODELS / "housing_rf_regressor", "a")
    b = copy_model(MODELS / "housing_rf_regressor", "b")
    data = bytearray((b / "model.pkl").read_bytes())
    data[-2] ^= 0x01
    (b / "model.pkl").write_bytes(bytes(data))
    doc = load_model(b)
    save_text(doc, doc.text.replace("predict_fn: predict", "predict_fn: predict_proba"))
    result = compare_models(a, b)
    files = {d.key: d for d in result.files}
    assert files["model.pkl"].a.startswith("sha256 ") and files["model.pkl"].a != files["model.pkl"].b
    assert "MLmodel.bak" in files and files["MLmodel.bak"].kind == "added"
    flavors = {d.key: (d.a, d.b) for d in result.flavors}
    assert flavors == {"python_function.predict_fn": ("predict", "predict_proba")}
    assert result.signature == [] and result.breaks == []


def test_models_from_zips_and_mlmodel_files(tmp_path: Path) -> None:
    from mlmanager.core.transfer.export import export_zip

    src = MODELS / "sensor_tensor_logreg"
    zipped = export_zip(src, tmp_path / "s.zip").path
    result = compare_models(src / "MLmodel", zipped)
    assert result.identical, result.format()
