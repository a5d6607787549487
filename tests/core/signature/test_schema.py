"""The signature type system against MLflow's own reading of every corpus file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mlmanager.core.errors import SchemaError
from mlmanager.core.model.yamlio import load_yaml_bytes
from mlmanager.core.signature.schema import (
    ArrayType,
    ColSpec,
    MapType,
    ObjectType,
    ParamSchema,
    ParamSpec,
    Property,
    ScalarType,
    Schema,
    Signature,
    TensorSpec,
    detect_dialect,
    normalize_dtype,
)

KEEP = {"none": "legacy", "required": "current", "optional": "optional"}


def _corpus_models(shared: Path) -> list[tuple[str, Path, dict]]:
    out = []
    for f in sorted(shared.glob("*.expected.json")):
        exp = json.loads(f.read_text())
        if exp.get("kind") == "tracking":
            continue
        out.append((exp["name"], shared / exp["model_dir"], exp))
    return out


def _raw_signature(model_dir: Path):
    return load_yaml_bytes((model_dir / "MLmodel").read_bytes()).get("signature")


def test_corpus_signatures_equal_mlflow_canonical(models_dir: Path) -> None:
    models = _corpus_models(models_dir)
    assert len(models) >= 15
    for name, model_dir, exp in models:
        raw = _raw_signature(model_dir)
        got = Signature.from_mlmodel(raw).to_canonical() if raw else None
        assert got == exp["signature_parsed"], name


def test_corpus_signatures_rewrite_to_the_same_json_strings(models_dir: Path) -> None:
    for name, model_dir, _ in _corpus_models(models_dir):
        raw = _raw_signature(model_dir)
        if not raw:
            continue
        sig = Signature.from_mlmodel(raw)
        out = sig.to_mlmodel(KEEP[detect_dialect(raw)])
        assert out == dict(raw), name


def test_wild_signatures_equal_mlflow(wild_models: Path) -> None:
    index = json.loads((wild_models / "index.json").read_text())
    assert len(index) == 35
    for entry in index:
        data = load_yaml_bytes((wild_models / entry["slug"] / "MLmodel").read_bytes())
        raw = data.get("signature")
        got = Signature.from_mlmodel(raw).to_canonical() if raw else None
        assert got == entry["mlflow_3_17_2"]["signature"], entry["slug"]
        if raw:
            out = Signature.from_mlmodel(raw).to_mlmodel(KEEP[detect_dialect(raw)])
            assert out == dict(raw), entry["slug"]


def test_v1_file_reads_required_true_and_keeps_name_first(models_dir: Path) -> None:
    raw = _raw_signature(models_dir / "v1_bikes_linreg")
    assert detect_dialect(raw) == "none"
    sig = Signature.from_mlmodel(raw)
    assert all(c["required"] is True for c in sig.to_canonical()["inputs"])
    legacy = sig.to_mlmodel("legacy")
    assert legacy["inputs"].startswith('[{"name": "temp_c", "type": "double"}')
    assert "params" not in legacy


def test_optional_dialect_is_read_and_flagged() -> None:
    raw = {"inputs": '[{"type": "double", "name": "a"}, {"type": "long", "name": "b", "optional": true}]'}
    sig = Signature.from_mlmodel(raw)
    assert detect_dialect(raw) == "optional"
    assert [c.is_required for c in sig.inputs] == [True, False]
    assert sig.compat_problems() and "2.19" in sig.compat_problems()[0]
    cur = json.loads(sig.to_mlmodel("current")["inputs"])
    assert cur[1] == {"type": "long", "name": "b", "required": False}
    assert json.loads(sig.to_mlmodel("optional")["inputs"])[1] == {"type": "long", "name": "b", "optional": True}


def test_legacy_dialect_refuses_optional_and_composites() -> None:
    sig = Signature(Schema((ColSpec(ScalarType("double"), "a", required=False),)))
    with pytest.raises(SchemaError, match="optional"):
        sig.to_mlmodel("legacy")
    sig = Signature(Schema((ColSpec(ArrayType(ScalarType("long")), "a"),)))
    with pytest.raises(SchemaError, match="composite"):
        sig.to_mlmodel("legacy")
    assert sig.needs_current_dialect()


@pytest.mark.parametrize(
    ("raw", "match"),
    [
        ({"inputs": "[]"}, "empty"),
        ({"inputs": "null"}, "list"),
        ({"inputs": "{not json"}, "not valid JSON"),
        ({"inputs": [{"type": "double"}]}, "JSON string"),
        ({"inputs": '[{"type": "DOUBLE", "name": "a"}]'}, "lower case"),
        ({"inputs": '[{"type": "decimal", "name": "a"}]'}, "unknown type"),
        ({"inputs": '[{"type": "double", "name": "a"}, {"type": "double"}]'}, "named"),
        ({"inputs": '[{"type": "double", "required": false}]'}, "optional"),
        ({"inputs": '[{"type": "double", "name": "a", "nullable": true}]'}, "unknown key"),
        ({"inputs": '[{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}, {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'}, "name"),
        ({"inputs": '[{"type": "tensor", "name": "a", "tensor-spec": {"dtype": "<U10", "shape": [-1]}}]'}, "sized string"),
        ({"inputs": '[{"type": "double", "name": "a"}, {"type": "tensor", "name": "b", "tensor-spec": {"dtype": "float64", "shape": [-1]}}]'}, "mixed"),
        ({"inputs": '[{"type": "object", "name": "a", "properties": {}}]'}, "at least one property"),
        ({"inputs": None, "outputs": None, "params": None}, "At least one"),
        ({"params": '[{"name": "p", "type": "long", "default": 1.0, "shape": null}]'}, "invalid default"),
        ({"params": '[{"name": "p", "type": "double", "default": "x", "shape": null}]'}, "invalid default"),
        ({"params": '[{"name": "p", "type": "binary", "default": "x", "shape": null}]'}, "binary"),
        ({"params": '[{"name": "p", "type": "long", "default": 1, "shape": null}, {"name": "p", "type": "long", "default": 2, "shape": null}]'}, "duplicate"),
        ({"params": '[{"name": "p", "type": "long", "default": [1, 2], "shape": [2]}]'}, "shape"),
    ],
)
def test_mlflow_fatal_rules_raise_schema_error(raw: dict, match: str) -> None:
    with pytest.raises(SchemaError, match=match):
        Signature.from_mlmodel(raw)


def test_duplicate_columns_load_like_mlflow_but_cannot_be_written() -> None:
    raw = {"inputs": '[{"type": "double", "name": "a"}, {"type": "long", "name": "a"}]'}
    sig = Signature.from_mlmodel(raw)  # MLflow 3.17.2 accepts it
    issues = sig.validate()
    assert any(i.field == "name" and i.column == "a" and not i.mlflow_fatal for i in issues)
    with pytest.raises(SchemaError, match="duplicate"):
        sig.to_mlmodel("current")


def test_param_defaults_converted_like_mlflow() -> None:
    raw = {
        "params": json.dumps(
            [
                {"name": "d", "type": "double", "default": 1, "shape": None},
                {"name": "l", "type": "long", "default": [1, 2], "shape": [-1]},
                {"name": "t", "type": "datetime", "default": "2020-01-01T00:00:00", "shape": None},
                {"name": "day", "type": "datetime", "default": "2021-05-01", "shape": None},
                {"name": "o", "type": "object", "default": {"k": "v"}, "shape": None,
                 "properties": {"k": {"type": "string", "required": True}}},
            ]
        )
    }
    params = Signature.from_mlmodel(raw).to_canonical()["params"]
    assert params[0] == {"name": "d", "default": 1.0, "shape": None, "type": "double"}
    assert isinstance(params[0]["default"], float)
    assert params[1]["default"] == [1, 2] and params[1]["shape"] == [-1]
    assert params[2]["default"] == "2020-01-01T00:00:00"
    assert params[3]["default"] == "2021-05-01"
    assert params[4]["properties"] == {"k": {"type": "string", "required": True}}


def test_tensor_dtype_normalisation() -> None:
    assert normalize_dtype("<f8") == "float64"
    assert normalize_dtype("float32") == "float32"
    assert normalize_dtype("str") == "str"
    assert normalize_dtype("datetime64[ns]") == "datetime64[ns]"
    with pytest.raises(SchemaError):
        normalize_dtype("not-a-dtype")


def test_composite_types_round_trip_and_sort_properties() -> None:
    obj = ObjectType((Property("role", ScalarType("string")), Property("content", ScalarType("string"), False)))
    assert [p.name for p in obj.properties] == ["content", "role"]
    sig = Signature(
        Schema(
            (
                ColSpec(ArrayType(obj), "messages"),
                ColSpec(MapType(ScalarType("double")), "weights", required=False),
                ColSpec(ScalarType("double"), "temperature"),
            )
        )
    )
    text = sig.to_mlmodel("current")
    assert Signature.from_mlmodel(text) == sig


# -- property: canonical JSON round-trips -----------------------------------------------------

_names = st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=0x2FF), min_size=1, max_size=12)
_scalar = st.sampled_from(["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"]).map(ScalarType)


def _value_types():
    return st.recursive(
        _scalar,
        lambda inner: st.one_of(
            inner.map(ArrayType),
            inner.map(MapType),
            st.lists(st.tuples(_names, inner, st.booleans()), min_size=1, max_size=3, unique_by=lambda t: t[0]).map(
                lambda props: ObjectType(tuple(Property(n, t, r) for n, t, r in props))
            ),
        ),
        max_leaves=4,
    )


@st.composite
def _signatures(draw):
    if draw(st.booleans()):
        names = draw(st.lists(_names, min_size=1, max_size=5, unique=True))
        specs = tuple(ColSpec(draw(_value_types()), n, draw(st.booleans())) for n in names)
    else:
        names = draw(st.lists(_names, min_size=1, max_size=3, unique=True))
        specs = tuple(
            TensorSpec(draw(st.sampled_from(["float64", "float32", "int64", "bool", "str"])),
                       tuple(draw(st.lists(st.sampled_from([-1, 1, 3, 28]), min_size=1, max_size=3))), n)
            for n in names
        )
    params = None
    if draw(st.booleans()):
        params = ParamSchema((ParamSpec("threshold", ScalarType("double"), draw(st.floats(-5, 5))),
                              ParamSpec("k", ScalarType("long"), draw(st.integers(-9, 9)))))
    return Signature(Schema(specs), None, params)


@given(_signatures())
@settings(max_examples=150, deadline=None)
def test_canonical_round_trip(sig: Signature) -> None:
    assert Signature.from_canonical(sig.to_canonical()) == sig
    assert Signature.from_mlmodel(sig.to_mlmodel("current")) == sig
