"""``mlmanager signature show|infer|set|remove`` core functions, on copies of real models."""

from __future__ import annotations

import json

import pytest

from mlmanager.cli import signature as sc
from mlmanager.core.errors import ModelReadError, SchemaError, WriteError
from mlmanager.core.model.mlmodel import load_model


@pytest.fixture
def iris(models_dir, copy_model):
    return copy_model(models_dir / "iris_logreg_colspec")


@pytest.fixture
def bikes_v1(models_dir, copy_model):
    return copy_model(models_dir / "v1_bikes_linreg")


def write_json(path, obj):
    path.write_text(json.dumps(obj))
    return path


def test_show_text_and_json(iris, models_dir):
    code, text = sc.show(iris)
    assert code == 0
    assert "sepal length (cm)" in text and "double" in text and "required" in text
    assert "outputs (1 unnamed column)" in text
    code, text = sc.show(iris, as_json=True)
    expected = json.loads((models_dir / "iris_logreg_colspec.expected.json").read_text())
    assert json.loads(text) == expected["signature_parsed"]


def test_show_without_signature(models_dir):
    code, text = sc.show(models_dir / "scaler_logreg_nosig")
    assert code == 0 and "no signature" in text
    assert sc.show(models_dir / "scaler_logreg_nosig", as_json=True)[1].strip() == "null"


def test_show_legacy_and_unreadable(bikes_v1, iris):
    assert "legacy format" in sc.show(bikes_v1)[1]
    mlmodel = iris / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace('"type": "double"', '"type": "DOUBLE"', 1))
    with pytest.raises(SchemaError, match="cannot be read"):
        sc.show(iris)
    with pytest.raises(ModelReadError):
        sc.show(iris / "nope")


def test_show_json_roundtrips_through_set(iris):
    before = (iris / "MLmodel").read_bytes()
    sig_file = write_json(iris.parent / "sig.json", json.loads(sc.show(iris, as_json=True)[1]))
    code, text = sc.set_signature(iris, sig_file)
    assert code == 0 and "nothing written" in text
    assert (iris / "MLmodel").read_bytes() == before


def test_infer_from_files(models_dir, tmp_path):
    code, text = sc.infer(models_dir / "housing_rf_regressor.input.csv")
    assert code == 0
    assert "rooms" in text and "long" in text and "warning: Inputs contain integer" in text
    out = sc.infer(models_dir / "housing_rf_regressor.input.csv", as_json=True)
    sig = json.loads(out.stdout)
    assert sig["inputs"][0] == {"type": "long", "name": "rooms", "required": True}
    assert sig["outputs"] is None
    assert "integer" in out.stderr  # warnings stay out of the JSON
    preds = tmp_path / "preds.json"
    preds.write_text('{"predictions": [1.5, 2.5]}')
    sig = json.loads(sc.infer(models_dir / "housing_rf_regressor.input.csv", preds, as_json=True)[1])
    assert sig["outputs"] == [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]


def test_set_writes_current_and_reports_changes(iris):
    sig = json.loads(sc.show(iris, as_json=True)[1])
    sig["inputs"][0]["type"] = "float"
    sig["inputs"][1]["required"] = False
    sig["params"] = [{"name": "k", "type": "long", "default": 3, "shape": None}]
    code, text = sc.set_signature(iris, write_json(iris.parent / "s.json", sig))
    assert code == 0
    assert "column 'sepal length (cm)' type double -> float" in text
    assert "column 'sepal width (cm)' is now optional" in text
    assert "params: added" in text
    assert (iris / "MLmodel.bak").is_file()
    with load_model(iris) as doc:
        assert doc.signature.to_canonical() == sig


def test_set_accepts_mlflow_to_dict_form(iris):
    doc_sig = json.loads(sc.show(iris, as_json=True)[1])
    doc_sig["outputs"][0]["type"] = "double"
    as_strings = {k: (json.dumps(v) if v is not None else None) for k, v in doc_sig.items()}
    code, _ = sc.set_signature(iris, write_json(iris.parent / "s.json", {"signature": as_strings}))
    assert code == 0
    with load_model(iris) as doc:
        assert doc.signature.to_canonical()["outputs"] == [{"type": "double", "required": True}]


def test_set_rejects_invalid_listing_every_problem_and_writes_nothing(iris):
    before = (iris / "MLmodel").read_bytes()
    bad = {
        "inputs": [
            {"type": "DOUBLE", "name": "a"},
            {"name": "b"},
            {"type": "long", "name": "c"},
            {"type": "long", "name": "c"},
        ],
        "outputs": [],
        "params": [
            {"name": "k", "type": "long", "default": 1.5},
            {"name": "k2", "type": "binary", "default": "x"},
        ],
        "extra": 1,
    }
    with pytest.raises(SchemaError) as err:
        sc.set_signature(iris, write_json(iris.parent / "bad.json", bad))
    message = str(err.value)
    assert "7 problems" in message and "nothing was written" in message
    for needle in ("'DOUBLE'", "inputs[1] has no 'type'", "duplicate name 'c'", "outputs is an empty list", "1.5", "binary", "unknown keys ['extra']"):
        assert needle in message, needle
    assert "signature.inputs[3] (column 'c'): duplicate name 'c' (also row 3)" in message
    assert (iris / "MLmodel").read_bytes() == before
    assert not (iris / "MLmodel.bak").exists()


@pytest.mark.parametrize(
    ("content", "match"),
    [
        ("{not json", "invalid JSON at line 1"),
        ("[1, 2]", "must be a JSON object"),
        ('{"inputs": null, "outputs": null}', "no inputs, outputs or params"),
        ('{"inputs": [{"type": "string"}, {"type": "double", "required": false}]}', "unnamed columns cannot be optional"),
        ('{"inputs": "[broken"}', "inputs: not valid JSON"),
    ],
)
def test_set_rejects_bad_files(iris, content, match):
    p = iris.parent / "s.json"
    p.write_text(content)
    before = (iris / "MLmodel").read_bytes()
    with pytest.raises(SchemaError, match=match):
        sc.set_signature(iris, p)
    assert (iris / "MLmodel").read_bytes() == before
    with pytest.raises(ModelReadError):
        sc.set_signature(iris, iris.parent / "missing.json")


def test_set_keeps_legacy_dialect_or_refuses(bikes_v1):
    before = (bikes_v1 / "MLmodel").read_bytes()
    sig = json.loads(sc.show(bikes_v1, as_json=True)[1])
    sig["inputs"][0]["type"] = "float"
    code, text = sc.set_signature(bikes_v1, write_json(bikes_v1.parent / "s.json", sig))
    assert code == 0
    written = (bikes_v1 / "MLmodel").read_text()
    assert '"required"' not in written and '{"name": "temp_c", "type": "float"}' in written
    # an optional column cannot be written in the legacy format: refused, nothing written
    (bikes_v1 / "MLmodel").write_bytes(before)
    sig["inputs"][1]["required"] = False
    src = write_json(bikes_v1.parent / "s2.json", sig)
    with pytest.raises(SchemaError, match="current"):
        sc.set_signature(bikes_v1, src)
    assert (bikes_v1 / "MLmodel").read_bytes() == before
    code, text = sc.set_signature(bikes_v1, src, dialect="current")
    assert "mlflow < 2.10 can no longer load" in text
    assert '"required": false' in (bikes_v1 / "MLmodel").read_text()


def test_set_copy_to_leaves_original(iris, tmp_path):
    before = (iris / "MLmodel").read_bytes()
    sig = json.loads(sc.show(iris, as_json=True)[1])
    sig["outputs"] = None
    dest = tmp_path / "copy"
    code, text = sc.set_signature(iris, write_json(tmp_path / "s.json", sig), copy_to=dest)
    assert code == 0 and "wrote a copy" in text and "outputs: removed" in text
    assert (iris / "MLmodel").read_bytes() == before
    with load_model(dest) as doc:
        assert doc.signature.outputs is None
    assert (dest / "model.skops").exists() or any(dest.iterdir())
    with pytest.raises(WriteError):
        sc.set_signature(iris, tmp_path / "s.json", copy_to=dest)  # not empty any more


def test_set_resets_type_hint_flags(iris):
    mlmodel = iris / "MLmodel"
    text = mlmodel.read_text()
    assert "is_signature_from_type_hint: false" in text
    mlmodel.write_text(text.replace("is_signature_from_type_hint: false", "is_signature_from_type_hint: true"))
    sig = json.loads(sc.show(iris, as_json=True)[1])
    sig["inputs"][0]["type"] = "float"
    sc.set_signature(iris, write_json(iris.parent / "s.json", sig))
    assert "is_signature_from_type_hint: false" in mlmodel.read_text()


def test_remove(iris, models_dir, copy_model):
    code, text = sc.remove(iris)
    assert code == 0 and "removed the signature" in text
    written = (iris / "MLmodel").read_text()
    assert "signature:" not in written and "is_signature_from_type_hint" not in written
    assert (iris / "MLmodel.bak").is_file()
    before = (iris / "MLmodel").read_bytes()
    code, text = sc.remove(iris)
    assert code == 0 and "nothing written" in text
    assert (iris / "MLmodel").read_bytes() == before


def test_cli_output_unpacks_as_pair():
    out = sc.CliOutput(0, "x", "warn")
    code, text = out
    assert (code, text, out.stderr, out.code, out.stdout) == (0, "x", "warn", 0, "x")
