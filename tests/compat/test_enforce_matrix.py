"""Our enforcement against MLflow's own, over the whole §6.3 matrix, params (§6.7) and tensors
(§6.6): identical accept/reject and, when accepted, identical dtypes. Zero disagreements."""

from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
import math

import numpy as np
import pandas as pd
import pytest

mlflow = pytest.importorskip("mlflow")
pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")

from mlflow.models import Model, ModelSignature  # noqa: E402
from mlflow.models.utils import _enforce_params_schema, _enforce_schema  # noqa: E402
from mlflow.pyfunc.scoring_server import _parse_json_data  # noqa: E402
from mlflow.types import ColSpec as MColSpec  # noqa: E402
from mlflow.types import ParamSchema as MParamSchema  # noqa: E402
from mlflow.types import ParamSpec as MParamSpec  # noqa: E402
from mlflow.types import Schema as MSchema  # noqa: E402

from mlmanager.core.inputs.enforce import enforce_input  # noqa: E402
from mlmanager.core.inputs.enforce_columns import Context  # noqa: E402
from mlmanager.core.inputs.enforce_params import enforce_params  # noqa: E402
from mlmanager.core.inputs.reader import read_json_input  # noqa: E402
from mlmanager.core.inputs.validation import validate_input  # noqa: E402
from mlmanager.core.signature.schema import Signature, parse_params, parse_schema  # noqa: E402

TYPES = ["boolean", "integer", "long", "float", "double", "string", "binary", "datetime"]


def _inputs() -> dict[str, pd.Series]:
    naive = pd.Series(pd.to_datetime(["2024-01-01 10:00", "2024-02-03 04:05"]))
    return {
        "bool": pd.Series([True, False]),
        "int8": pd.Series([1, 2], dtype="int8"),
        "int16": pd.Series([1, 2], dtype="int16"),
        "int32": pd.Series([1, 2], dtype="int32"),
        "int64": pd.Series([3, 2], dtype="int64"),
        "int64_01": pd.Series([0, 1], dtype="int64"),
        "uint8": pd.Series([1, 2], dtype="uint8"),
        "uint16": pd.Series([1, 2], dtype="uint16"),
        "uint32": pd.Series([1, 2], dtype="uint32"),
        "uint64": pd.Series([1, 2], dtype="uint64"),
        "float16": pd.Series([1.5, 2.0], dtype="float16"),
        "float32": pd.Series([1.5, 2.0], dtype="float32"),
        "float32_nan": pd.Series([1.5, np.nan], dtype="float32"),
        "float64": pd.Series([1.5, 2.0]),
        "float64_whole": pd.Series([1.0, 2.0]),
        "float64_nan": pd.Series([1.0, np.nan]),
        "Int64_na": pd.Series(pd.array([1, None], dtype="Int64")),
        "boolean_na": pd.Series(pd.array([True, None], dtype="boolean")),
        "object_str": pd.Series(["a", "b"], dtype=object),
        "pd_string": pd.Series(["a", "b"], dtype="string"),
        "str_default": pd.Series(["a", "b"]),
        "object_bytes": pd.Series([b"ab", b"cd"], dtype=object),
        "object_true_none": pd.Series([True, None], dtype=object),
        "object_ints": pd.Series([1, 2], dtype=object),
        "object_decimal": pd.Series([decimal.Decimal("1.5"), decimal.Decimal("2")], dtype=object),
        "datetime_s": naive.astype("datetime64[s]"),
        "datetime_us": naive.astype("datetime64[us]"),
        "datetime_ns": naive.astype("datetime64[ns]"),
        "object_datetime": pd.Series([dt.datetime(2024, 1, 1), dt.datetime(2024, 2, 3)], dtype=object),
        "object_iso": pd.Series(["2024-01-01", "2024-02-03T04:05:00"], dtype=object),
        "tz_aware": naive.dt.tz_localize("Europe/Paris"),
        "category": pd.Series(["a", "b"], dtype="category"),
        "object_mixed": pd.Series([1, "a"], dtype=object),
        "object_none": pd.Series([None, None], dtype=object),
        "numeric_str": pd.Series(["1.5", "2"], dtype=object),
    }


INPUTS = _inputs()


def _ours_schema(t: str, name: str = "x"):
    return parse_schema([{"type": t, "name": name, "required": True}])


def _mlflow_outcome(fn):
    try:
        out = fn()
    except Exception as exc:  # MLflow raises MlflowException, ValueError, TypeError...
        return False, type(exc).__name__ + ": " + str(exc).splitlines()[0][:160]
    return True, out


@pytest.mark.parametrize("label", list(INPUTS))
@pytest.mark.parametrize("t", TYPES)
def test_python_mode_matches_mlflow(label: str, t: str) -> None:
    series = INPUTS[label]
    df = pd.DataFrame({"x": series.copy()})
    ok, theirs = _mlflow_outcome(lambda: _enforce_schema(df.copy(), MSchema([MColSpec(t, "x")])))
    ours = enforce_input(df.copy(), _ours_schema(t), Context("python"))
    assert ours.valid == ok, (label, t, theirs, [p.message for p in ours.errors])
    if ok:
        assert dict(ours.data.dtypes.astype(str)) == dict(theirs.dtypes.astype(str)), (label, t)
        assert list(ours.data.columns) == list(theirs.columns)
        pd.testing.assert_frame_equal(ours.data, theirs, check_column_type=False)
    else:
        (problem,) = ours.errors
        assert problem.column == "x" and problem.kind and problem.fix


def _json_value(v):
    if v is None or v is pd.NA or v is pd.NaT:
        return None
    if isinstance(v, (bytes, bytearray)):
        return base64.encodebytes(bytes(v)).decode()
    if isinstance(v, decimal.Decimal):
        return float(v)
    if isinstance(v, (pd.Timestamp, dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, float) and math.isnan(v):
        return float("nan")
    return v


def _payloads(values: list) -> dict[str, str]:
    return {
        "split": json.dumps({"dataframe_split": {"columns": ["x"], "data": [[v] for v in values]}}),
        "records": json.dumps({"dataframe_records": [{"x": v} for v in values]}),
        "inputs": json.dumps({"inputs": {"x": values}}),
        "instances": json.dumps({"instances": [{"x": v} for v in values]}),
    }


@pytest.mark.parametrize("label", list(INPUTS))
@pytest.mark.parametrize("t", TYPES)
def test_serving_mode_matches_mlflow(label: str, t: str) -> None:
    values = [_json_value(v) for v in INPUTS[label].tolist()]
    schema = MSchema([MColSpec(t, "x")])
    meta = Model(signature=ModelSignature(inputs=schema))
    sig = Signature.from_canonical({"inputs": [{"type": t, "name": "x", "required": True}]})
    for form, text in _payloads(values).items():

        def mlflow_serving(text=text):
            parsed = _parse_json_data(text, meta, schema)
            return _enforce_schema(parsed.data, schema)

        ok, theirs = _mlflow_outcome(mlflow_serving)
        result = validate_input(sig, read_json_input(text), "serving")
        assert result.valid == ok, (label, t, form, theirs, [p.message for p in result.errors])
        if ok and isinstance(theirs, pd.DataFrame):
            assert dict(result.data.dtypes.astype(str)) == dict(theirs.dtypes.astype(str)), (label, t, form)


# -- composite columns -----------------------------------------------------------------------

COMPOSITE_TYPES = {
    "array_long": {"type": "array", "items": {"type": "long"}},
    "array_string": {"type": "array", "items": {"type": "string"}},
    "array_double": {"type": "array", "items": {"type": "double"}},
    "object": {
        "type": "object",
        "properties": {"k": {"type": "string", "required": True}, "v": {"type": "double", "required": False}},
    },
    "map_long": {"type": "map", "values": {"type": "long"}},
    "any": {"type": "any"},
    "array_object": {
        "type": "array",
        "items": {"type": "object", "properties": {"role": {"type": "string", "required": True}}},
    },
}
COMPOSITE_VALUES = {
    "lists_int": [[1, 2], [3]],
    "lists_float": [[1.5, 2.0], [3.0]],
    "lists_str": [["a"], ["b", "c"]],
    "empty_list": [[], [1]],
    "none_cell": [None, [1]],
    "dicts": [{"k": "a", "v": 1.0}, {"k": "b"}],
    "dict_extra": [{"k": "a", "q": 1}, {"k": "b"}],
    "dict_missing": [{"v": 1.0}, {"k": "b"}],
    "map_str_keys": [{"a": 1, "b": 2}, {}],
    "map_float_vals": [{"a": 1.5}, {"b": 2}],
    "roles": [[{"role": "user"}], [{"role": "bot"}, {"role": "x"}]],
    "roles_extra": [[{"role": "user", "name": "z"}], []],
    "scalars": [1, 2],
}


@pytest.mark.parametrize("label", list(COMPOSITE_VALUES))
@pytest.mark.parametrize("tname", list(COMPOSITE_TYPES))
@pytest.mark.parametrize("required", [True, False])
def test_composite_columns_match_mlflow(label: str, tname: str, required: bool) -> None:
    spec = dict(COMPOSITE_TYPES[tname], name="x", required=required)
    df = pd.DataFrame({"x": pd.Series(COMPOSITE_VALUES[label], dtype=object)})
    mschema = MSchema.from_json(json.dumps([spec]))
    ok, theirs = _mlflow_outcome(lambda: _enforce_schema(df.copy(deep=True), mschema))
    ours = enforce_input(df.copy(deep=True), parse_schema([spec]), Context("python"))
    assert ours.valid == ok, (label, tname, theirs, [p.message for p in ours.errors])
    if ok:
        assert ours.data["x"].tolist() == theirs["x"].tolist() or str(ours.data["x"].tolist()) == str(theirs["x"].tolist())


# -- params ----------------------------------------------------------------------------------

PARAM_SPECS = [
    {"name": "b", "type": "boolean", "default": True, "shape": None},
    {"name": "i", "type": "integer", "default": 1, "shape": None},
    {"name": "l", "type": "long", "default": 1, "shape": None},
    {"name": "f", "type": "float", "default": 1.5, "shape": None},
    {"name": "d", "type": "double", "default": 0.5, "shape": None},
    {"name": "s", "type": "string", "default": "x", "shape": None},
    {"name": "t", "type": "datetime", "default": "2020-01-01", "shape": None},
    {"name": "ll", "type": "long", "default": [1, 2], "shape": [-1]},
    {"name": "ds", "type": "double", "default": [1.0], "shape": [-1]},
    {"name": "o", "type": "object", "default": {"k": "v"}, "shape": None,
     "properties": {"k": {"type": "string", "required": True}}},
]
PARAM_VALUES = {
    "int": 3,
    "float": 2.5,
    "whole_float": 2.0,
    "str": "0.7",
    "bool": True,
    "none": None,
    "list_int": [1, 2],
    "list_mixed": [1, "a"],
    "list_nested": [[1], [2]],
    "date": "2021-05-01",
    "timestamp": "2021-05-01T10:11:12",
    "np_int32": np.int32(3),
    "np_float32": np.float32(1.5),
    "np_int64": np.int64(4),
    "dict_ok": {"k": "v"},
    "dict_extra": {"k": "v", "z": 1},
    "dict_bad": {"k": 1},
    "epoch": 1700000000,
}


@pytest.mark.parametrize("label", list(PARAM_VALUES))
@pytest.mark.parametrize("spec", PARAM_SPECS, ids=[s["name"] for s in PARAM_SPECS])
def test_params_match_mlflow(label: str, spec: dict) -> None:
    value = PARAM_VALUES[label]
    mschema = MParamSchema([MParamSpec.from_json_dict(**spec)])
    ok, theirs = _mlflow_outcome(lambda: _enforce_params_schema({spec["name"]: value}, mschema))
    out, errors, _ = enforce_params({spec["name"]: value}, parse_params([spec]))
    assert (not errors) == ok, (label, spec["name"], theirs, [p.message for p in errors])
    if ok:
        assert out == theirs
        assert type(out[spec["name"]]) is type(theirs[spec["name"]])


def test_params_defaults_unknown_and_no_schema() -> None:
    mschema = MParamSchema([MParamSpec.from_json_dict(**s) for s in PARAM_SPECS])
    ours_schema = parse_params(PARAM_SPECS)
    theirs = _enforce_params_schema({"zzz": 1}, mschema)
    out, errors, warnings = enforce_params({"zzz": 1}, ours_schema)
    assert not errors and out == theirs
    assert [w.column for w in warnings] == ["zzz"] and warnings[0].kind == "unknown_param"
    assert _enforce_params_schema({"a": 1}, None) == {}
    out, errors, warnings = enforce_params({"a": 1}, None)
    assert out == {} and not errors and warnings[0].kind == "params_ignored"
    ok, _ = _mlflow_outcome(lambda: _enforce_params_schema([1], mschema))
    out, errors, _ = enforce_params([1], ours_schema)
    assert not ok and errors[0].kind == "bad_params"


# -- tensors ---------------------------------------------------------------------------------

TENSOR_SPECS = {
    "f64_4": {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}},
    "f32_3": {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}},
    "i64_1d": {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}},
    "i64_col": {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 1]}},
    "obj_ragged": {"type": "tensor", "tensor-spec": {"dtype": "object", "shape": [-1]}},
    "f64_img": {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2, -1]}},
    "str_1d": {"type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}},
}


def _tensor_inputs() -> dict[str, object]:
    return {
        "f64_2x4": np.ones((2, 4)),
        "f64_2x3": np.ones((2, 3)),
        "f32_2x3": np.ones((2, 3), dtype="float32"),
        "i64_3": np.arange(3),
        "i32_3": np.arange(3, dtype="int32"),
        "i64_3x1": np.arange(3).reshape(3, 1),
        "ragged": np.array([[1], [1, 2]], dtype=object),
        "str_arr": np.array(["a", "bc"]),
        "df_4cols": pd.DataFrame(np.ones((2, 4)), columns=list("abcd")),
        "df_4int": pd.DataFrame(np.ones((2, 4), dtype="int64"), columns=list("abcd")),
        "df_1col": pd.DataFrame({"a": [1, 2]}),
        "df_lists": pd.DataFrame({"a": [[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]}),
        "list": [[1.0, 2.0, 3.0, 4.0]],
        "f64_3d": np.ones((2, 2, 5)),
        "empty_df": pd.DataFrame({"a": []}),
    }


@pytest.mark.parametrize("label", list(_tensor_inputs()))
@pytest.mark.parametrize("sname", list(TENSOR_SPECS))
def test_unnamed_tensors_match_mlflow(label: str, sname: str) -> None:
    data = _tensor_inputs()[label]
    spec = TENSOR_SPECS[sname]
    mschema = MSchema.from_json(json.dumps([spec]))
    ok, theirs = _mlflow_outcome(lambda: _enforce_schema(data, mschema))
    ours = enforce_input(data, parse_schema([spec]), Context("python"))
    assert ours.valid == ok, (label, sname, theirs, [p.message for p in ours.errors])
    if ok:
        assert type(ours.data) is type(theirs)
        if isinstance(theirs, np.ndarray):
            assert ours.data.dtype == theirs.dtype and ours.data.shape == theirs.shape


NAMED = [
    {"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}},
    {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}},
]


@pytest.mark.parametrize(
    "label,data",
    [
        ("dict_ok", {"a": np.ones((3, 2)), "b": np.arange(3)}),
        ("dict_wrong_dtype", {"a": np.ones((3, 2), dtype="float32"), "b": np.arange(3)}),
        ("dict_both_bad", {"a": np.ones((3, 3)), "b": np.arange(3, dtype="int32")}),
        ("dict_list_value", {"a": [[1.0, 2.0]], "b": np.arange(1)}),
        ("dict_missing", {"a": np.ones((3, 2))}),
        ("df_lists", pd.DataFrame({"a": [[1, 2], [3, 4]], "b": [1, 2]})),
        ("df_bad_lists", pd.DataFrame({"a": [[1, 2, 3], [3, 4, 5]], "b": [1, 2]})),
        ("ndarray", np.ones((3, 2))),
        ("list", [1, 2]),
    ],
)
def test_named_tensors_match_mlflow(label: str, data) -> None:
    mschema = MSchema.from_json(json.dumps(NAMED))
    ok, theirs = _mlflow_outcome(lambda: _enforce_schema(data, mschema))
    ours = enforce_input(data, parse_schema(NAMED), Context("python"))
    assert ours.valid == ok, (label, theirs, [p.message for p in ours.errors])
    if label == "dict_both_bad":
        assert {p.column for p in ours.errors} == {"a", "b"}  # MLflow reports only "a"


@pytest.mark.parametrize(
    "payload",
    [
        {"inputs": [[1, 2, 3, 4]]},
        {"inputs": [[1, 2, 3]]},
        {"inputs": [["a", "b", "c", "d"]]},
        {"instances": [[1.0, 2.0, 3.0, 4.0]]},
        {"inputs": {"a": [1, 2]}},
        {"dataframe_split": {"columns": ["a", "b", "c", "d"], "data": [[1, 2, 3, 4]]}},
        {"dataframe_records": [{"a": 1.5}]},
    ],
)
def test_tensor_serving_matches_mlflow(payload: dict) -> None:
    spec = TENSOR_SPECS["f64_4"]
    mschema = MSchema.from_json(json.dumps([spec]))
    meta = Model(signature=ModelSignature(inputs=mschema))
    text = json.dumps(payload)
    ok, theirs = _mlflow_outcome(lambda: _enforce_schema(_parse_json_data(text, meta, mschema).data, mschema))
    sig = Signature.from_canonical({"inputs": [spec]})
    result = validate_input(sig, read_json_input(text), "serving")
    assert result.valid == ok, (payload, theirs, [p.message for p in result.errors])


# -- differential fuzz: random serving payloads, same verdict as the real server path ----------

FUZZ_SIGNATURES = [
    {
        "inputs": [
            {"type": "long", "name": "a", "required": True},
            {"type": "string", "name": "b", "required": False},
            {"type": "datetime", "name": "t", "required": True},
        ],
        "params": [{"name": "p", "type": "double", "default": 0.5, "shape": None}],
    },
    {"inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}]},
    {
        "inputs": [
            {"name": "x", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}},
            {"name": "y", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}},
        ]
    },
    {
        "inputs": [
            {"type": "array", "items": {"type": "double"}, "name": "arr", "required": True},
            {"type": "object", "properties": {"k": {"type": "string", "required": True}}, "name": "o", "required": True},
            {"type": "map", "values": {"type": "long"}, "name": "m", "required": False},
        ]
    },
    {"inputs": [{"type": "double"}, {"type": "binary"}]},
]
ATOMS = [None, 1, -2.5, "x", "2024-01-01", True, [], {}, [1, 2], [1.5, "a"], {"k": "v"}, {"k": 1}, [[1, 2], [3, 4]], "AAE="]


def _fuzz_docs(n: int, seed: int = 11) -> list[str]:
    import random

    rnd = random.Random(seed)
    cols_all = ["a", "b", "t", "arr", "o", "m", "x", "y"]
    docs = []
    for _ in range(n):
        cols = rnd.sample(cols_all, rnd.randint(1, 4))
        rows = [[rnd.choice(ATOMS) for _ in cols] for _ in range(rnd.randint(1, 3))]
        form = rnd.choice(["split", "records", "inputs", "instances", "inputs_list"])
        if form == "split":
            doc: dict = {"dataframe_split": {"columns": cols, "data": rows}}
        elif form == "records":
            doc = {"dataframe_records": [dict(zip(cols, r)) for r in rows]}
        elif form == "inputs":
            doc = {"inputs": {c: [r[j] for r in rows] for j, c in enumerate(cols)}}
        elif form == "instances":
            doc = {"instances": [dict(zip(cols, r)) for r in rows]}
        else:
            doc = {"inputs": rows}
        if rnd.random() < 0.3:
            doc["params"] = {"p": rnd.choice(ATOMS)}
        docs.append(json.dumps(doc))
    return docs


@pytest.mark.parametrize("sig_index", range(len(FUZZ_SIGNATURES)))
def test_differential_fuzz_serving_json(sig_index: int) -> None:
    canonical = FUZZ_SIGNATURES[sig_index]
    ours_sig = Signature.from_canonical(canonical)
    m_sig = ModelSignature.from_dict({k: json.dumps(v) if v else None for k, v in ours_sig.to_canonical().items()})
    meta = Model(signature=m_sig)
    disagreements = []
    for text in _fuzz_docs(120):

        def mlflow_path(text=text):
            parsed = _parse_json_data(text, meta, m_sig.inputs)
            _enforce_schema(parsed.data, m_sig.inputs)
            _enforce_params_schema(parsed.params, m_sig.params)

        ok, why = _mlflow_outcome(mlflow_path)
        ours = validate_input(ours_sig, read_json_input(text), "serving")
        if ours.valid != ok:
            disagreements.append((text, why, [p.message for p in ours.errors]))
    assert disagreements == []
