"""Enforcement rules (§6.2–§6.8) on hand-made inputs: every problem, diagnoses and fixes."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlmanager.cli.validate import format_validation
from mlmanager.core.inputs.enforce import enforce_input
from mlmanager.core.inputs.enforce_columns import Context, enforce_datatype
from mlmanager.core.inputs.enforce_params import enforce_params
from mlmanager.core.inputs.reader import read_json_input
from mlmanager.core.inputs.validation import validate_file, validate_input
from mlmanager.core.signature.schema import Signature, parse_params, parse_schema


def schema(*cols: tuple) -> object:
    return parse_schema(
        [{"type": t, "name": n, "required": r} for n, t, r in [(c + (True,))[:3] for c in cols]]
    )


def sig(inputs: list | None = None, params: list | None = None) -> Signature:
    return Signature.from_canonical({"inputs": inputs, "params": params})


PY = Context("python")


# -- names ------------------------------------------------------------------------------------


def test_every_problem_is_reported_not_just_the_first() -> None:
    df = pd.DataFrame({"a": [1.5, 2.5], "c": ["x", "y"], "extra": [1, 2]})
    out = enforce_input(df, schema(("a", "long"), ("b", "double"), ("c", "double")), PY)
    assert not out.valid and out.data is None
    by_col = {p.column: p for p in out.errors}
    assert set(by_col) == {"a", "b", "c"}  # MLflow stops at the missing 'b'
    assert by_col["b"].kind == "missing_column"
    assert by_col["b"].message == "Model is missing inputs ['b']. Note that there were extra inputs: ['extra']."
    assert by_col["a"].kind == "type_mismatch" and by_col["a"].rows == [0, 1]
    assert by_col["a"].values == ["1.5", "2.5"]
    assert by_col["c"].values == ["'x'", "'y'"]
    assert [w.column for w in out.warnings] == ["extra"] and out.warnings[0].kind == "extra_column"


def test_case_mismatch_named_with_fix() -> None:
    out = enforce_input(pd.DataFrame({"Age": [1]}), schema(("age", "long")), PY)
    (err,) = out.errors
    assert err.kind == "case_mismatch" and err.column == "age" and err.found == "Age"
    assert "differs only in case" in err.fix and "rename" in err.fix
    assert out.warnings == []  # the extra 'Age' is explained by the error


def test_optional_missing_extra_dropped_and_schema_order() -> None:
    df = pd.DataFrame({"z": [1], "b": [2.0], "a": [3], "noise": ["n"]})
    s = parse_schema(
        [
            {"type": "long", "name": "a", "required": True},
            {"type": "double", "name": "b", "required": True},
            {"type": "string", "name": "opt", "required": False},
            {"type": "long", "name": "z", "required": True},
        ]
    )
    out = enforce_input(df, s, PY)
    assert out.valid
    assert list(out.data.columns) == ["a", "b", "z"]
    assert sorted(w.column for w in out.warnings) == ["noise"]


def test_unnamed_schema_checks_count_only() -> None:
    s = parse_schema([{"type": "double"}, {"type": "double"}])
    ok = enforce_input(pd.DataFrame([[1.0, 2.0, 3.0]]), s, PY)
    assert ok.valid and ok.data.shape == (1, 2) and ok.warnings[0].kind == "extra_column"
    bad = enforce_input(pd.DataFrame([[1.0]]), s, PY)
    assert bad.errors[0].kind == "too_few_columns"
    assert "declares 2 inputs  but the provided value only has 1" in bad.errors[0].message


def test_dict_and_scalar_inputs_become_frames_like_mlflow() -> None:
    s = schema(("q", "string"), ("n", "long"))
    out = enforce_input({"q": "hi", "n": 3}, s, PY)
    assert out.valid and out.data.shape == (1, 2)
    out = enforce_input({"q": ["a", "b"], "n": np.array([1, 2])}, s, PY)
    assert out.valid and out.data.shape == (2, 2)


# -- the conversion matrix rules (the full sweep against mlflow is in tests/compat) -------------


@pytest.mark.parametrize(
    "values,t,ok,dtype",
    [
        (pd.Series([1, 2], dtype="int32"), "long", True, "int64"),
        (pd.Series([1, 2], dtype="int64"), "double", False, None),
        (pd.Series([0, 1], dtype="int64"), "float", True, "float32"),
        (pd.Series([1, 2], dtype="uint32"), "integer", False, None),
        (pd.Series([1, 2], dtype="uint16"), "integer", True, "int32"),
        (pd.Series([1.0, 2.0]), "float", False, None),
        (pd.Series([b"a"], dtype=object), "boolean", True, "object"),
        (pd.Series([True, None], dtype=object), "double", True, "float64"),
        (pd.Series(["a"], dtype="category"), "string", False, None),
        (pd.Series(pd.to_datetime(["2024-01-01"])).astype("datetime64[s]"), "datetime", True, "datetime64[ns]"),
        (pd.Series(["2024-01-01"], dtype=object), "datetime", False, None),
        (pd.Series(["a", "b"]), "binary", True, "str"),
    ],
)
def test_conversion_rules(values: pd.Series, t: str, ok: bool, dtype: str | None) -> None:
    out = enforce_input(pd.DataFrame({"x": values}), schema(("x", t)), PY)
    assert out.valid == ok
    if ok:
        assert str(out.data["x"].dtype) == dtype
    else:
        assert out.errors[0].fix


def test_enforce_datatype_passes_columns_through_without_copy() -> None:
    col = pd.Series(np.arange(5))
    assert enforce_datatype("x", col, "long") is col


def test_nan_in_integer_column_hint_rows_and_fix() -> None:
    values = np.arange(50_000, dtype="float64")
    values[[30_001, 45_000]] = np.nan
    out = enforce_input(pd.DataFrame({"age": values}), schema(("age", "long")), PY)
    (err,) = out.errors
    assert err.kind == "nan_in_integer" and err.rows == [30_001, 45_000]
    assert "Hint: the type mismatch is likely caused by missing values" in err.message
    assert err.fix.startswith("declare `age` as double: integers with missing values become floats")


def test_sparse_text_in_double_column_found_in_a_big_column() -> None:
    values = np.array([f"{i}.5" for i in range(60_000)], dtype=object)
    values[[7, 52_000]] = "n/a"
    out = enforce_input(pd.DataFrame({"x": pd.array(values, dtype="str")}), schema(("x", "double")), PY)
    (err,) = out.errors
    assert err.rows == [7, 52_000] and err.values == ["'n/a'", "'n/a'"] and err.found == "str"


def test_int64_into_double_fix_mentions_rest_endpoint() -> None:
    out = enforce_input(pd.DataFrame({"x": [1, 2]}), schema(("x", "double")), PY)
    (err,) = out.errors
    assert err.message == "Incompatible input types for column x. Can not safely convert int64 to float64."
    assert err.fix.startswith("cast `x` to float64 before predict (int64 can't be safely converted to double")
    assert "REST endpoint would cast it" in err.fix


def test_tz_aware_and_category_and_nullable() -> None:
    tz = pd.Series(pd.to_datetime(["2024-01-01"]).tz_localize("UTC"))
    err = enforce_input(pd.DataFrame({"t": tz}), schema(("t", "datetime")), PY).errors[0]
    assert err.kind == "tz_aware_datetime" and "tz_convert(None)" in err.fix
    cat = pd.Series(["a"], dtype="category")
    err = enforce_input(pd.DataFrame({"c": cat}), schema(("c", "string")), PY).errors[0]
    assert "astype(str)" in err.fix
    na = pd.Series(pd.array([1, None, 3], dtype="Int64"))
    err = enforce_input(pd.DataFrame({"n": na}), schema(("n", "long")), PY).errors[0]
    assert err.kind == "null_in_nullable_column" and err.rows == [1]


# -- composite columns ------------------------------------------------------------------------


def test_composite_problems() -> None:
    s = parse_schema(
        [
            {"type": "array", "items": {"type": "long"}, "name": "arr", "required": True},
            {
                "type": "object",
                "properties": {"k": {"type": "string", "required": True}},
                "name": "obj",
                "required": True,
            },
            {"type": "map", "values": {"type": "double"}, "name": "m", "required": True},
            {"type": "any", "name": "free", "required": True},
        ]
    )
    df = pd.DataFrame(
        {
            "arr": [[1, 2], None, []],
            "obj": [{"k": "a"}, {"k": "b", "q": 1}, {"k": "c"}],
            "m": [{"a": 1.0}, {"b": "x"}, {}],
            "free": [object(), None, 1],
        }
    )
    out = enforce_input(df, s, PY)
    by_col = {p.column: p for p in out.errors}
    assert by_col["arr"].kind == "null_in_required_composite" and by_col["arr"].rows == [1]
    assert by_col["obj"].kind == "extra_property" and by_col["obj"].rows == [1]
    assert "Invalid properties not defined in the schema found: {'q'}" in by_col["obj"].message
    assert by_col["m"].rows == [1]
    assert "free" not in by_col


def test_composite_required_none_behaves_like_mlflow_optional() -> None:
    # a composite column without a "required" key is read with required=None (falsy in MLflow)
    s = parse_schema([{"type": "array", "items": {"type": "long"}, "name": "a"}])
    assert enforce_input(pd.DataFrame({"b": [1]}), s, PY).valid
    assert enforce_input(pd.DataFrame({"a": [None]}), s, PY).valid


# -- tensors ----------------------------------------------------------------------------------


def test_tensor_shape_and_dtype() -> None:
    s = parse_schema([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}])
    assert enforce_input(np.ones((2, 3), dtype="float32"), s, PY).valid
    err = enforce_input(np.ones((2, 3)), s, PY).errors[0]
    assert err.kind == "dtype_mismatch" and err.message == "dtype of input float64 does not match expected dtype float32"
    assert "astype('float32')" in err.fix
    err = enforce_input(np.ones((2, 4), dtype="float32"), s, PY).errors[0]
    assert err.kind == "shape_mismatch" and "each row needs 3 values" in err.fix
    err = enforce_input([[1.0, 2.0, 3.0]], s, PY).errors[0]
    assert err.kind == "bad_input_type"


def test_named_tensors_all_reported_and_dataframe_lists_cast() -> None:
    s = parse_schema(
        [
            {"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}},
            {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}},
        ]
    )
    out = enforce_input({"a": np.ones((2, 3)), "b": np.arange(2, dtype="int32")}, s, PY)
    assert {(p.column, p.kind) for p in out.errors} == {("a", "shape_mismatch"), ("b", "dtype_mismatch")}
    out = enforce_input(pd.DataFrame({"a": [[1, 2], [3, 4]], "b": [1, 2]}), s, PY)
    assert out.valid and out.data["a"].dtype == np.float64


# -- params -----------------------------------------------------------------------------------

PARAMS = [
    {"name": "threshold", "type": "double", "default": 0.5, "shape": None},
    {"name": "n", "type": "long", "default": 3, "shape": None},
    {"name": "tags", "type": "string", "default": ["a"], "shape": [-1]},
    {"name": "when", "type": "datetime", "default": "2024-01-01", "shape": None},
]


def test_params_defaults_conversions_unknown_and_errors() -> None:
    ps = parse_params(PARAMS)
    out, errors, warnings = enforce_params({"threshold": 1, "nope": 1, "tresh": 2}, ps)
    assert not errors
    assert out["threshold"] == 1.0 and isinstance(out["threshold"], float)
    assert out["n"] == 3 and out["tags"] == ["a"]
    assert str(out["when"]) == "2024-01-01"
    assert sorted(w.column for w in warnings) == ["nope", "tresh"]
    tresh = next(w for w in warnings if w.column == "tresh")
    assert "threshold" in tresh.fix
    out, errors, _ = enforce_params({"threshold": "0.7", "n": 2.0, "tags": "a", "when": None}, ps)
    assert out is None
    assert sorted(e.column for e in errors) == ["n", "tags", "threshold"]  # None passes
    e = next(e for e in errors if e.column == "threshold")
    assert e.message == (
        "Failed to validate type and shape for 'threshold': double (default: 0.5), error: "
        "Can not safely convert `<class 'str'>` to `DataType.double` for value `0.7`"
    )


def test_params_without_schema_are_dropped_with_warning() -> None:
    result = validate_input(
        sig([{"type": "long", "name": "a", "required": True}]),
        read_json_input('{"inputs": {"a": [1]}, "params": {"t": 1}}'),
        "serving",
    )
    assert result.valid and result.params == {}
    assert [w.kind for w in result.warnings] == ["params_ignored"]


# -- serving casts ----------------------------------------------------------------------------

S2 = [{"type": "long", "name": "a", "required": True}, {"type": "double", "name": "b", "required": True}]


@pytest.mark.parametrize(
    "payload,ok",
    [
        ({"dataframe_records": [{"a": 1, "b": 2}]}, True),
        ({"dataframe_records": [{"a": 1.5, "b": 2}]}, True),  # silently truncated, as MLflow
        ({"dataframe_records": [{"a": "1", "b": "2.5"}]}, True),
        ({"dataframe_records": [{"a": 1, "b": None}]}, True),
        ({"dataframe_records": [{"a": None, "b": 1}]}, False),
        ({"inputs": {"a": [1, 2], "b": [2, 3]}}, True),
        ({"instances": [{"a": 1, "b": 2}]}, True),
        ({"dataframe_records": [{"a": 1, "b": 2}], "foo": 1}, True),
        ({"dataframe_split": {"columns": ["a", "b"], "data": [[1, 2]]}, "inputs": {}}, False),
    ],
)
def test_serving_json_casts_like_mlflow(payload: dict, ok: bool) -> None:
    result = validate_input(sig(S2), read_json_input(json.dumps(payload)), "serving")
    assert result.valid == ok, result.to_json()


def test_serving_reports_every_bad_column_with_rows() -> None:
    payload = {"dataframe_records": [{"a": "x", "b": "y"}, {"a": 1, "b": 2.0}, {"a": None, "b": "z"}]}
    result = validate_input(sig(S2), read_json_input(json.dumps(payload)), "serving")
    by_col = {p.column: p for p in result.errors}
    assert set(by_col) == {"a", "b"}
    assert by_col["a"].stage == "parse" and by_col["a"].rows == [0, 2]
    assert by_col["b"].rows == [0, 2] and by_col["b"].values == ["'y'", "'z'"]


def test_serving_binary_and_datetime_columns() -> None:
    s = sig(
        [
            {"type": "binary", "name": "blob", "required": True},
            {"type": "datetime", "name": "t", "required": True},
        ]
    )
    good = {"dataframe_split": {"columns": ["blob", "t"], "data": [["AAE=\n", "2024-03-05T14:00:00"]]}}
    result = validate_input(s, read_json_input(json.dumps(good)), "serving")
    assert result.valid and result.data["blob"].tolist() == [b"\x00\x01"]
    assert str(result.data["t"].dtype) == "datetime64[ns]"
    bad = {"dataframe_split": {"columns": ["blob", "t"], "data": [["AAE", "2024-03-05"], ["AAE=", "nope"]]}}
    result = validate_input(s, read_json_input(json.dumps(bad)), "serving")
    by_col = {p.column: p for p in result.errors}
    assert by_col["blob"].rows == [0] and by_col["t"].rows == [1]


def test_serving_csv_reports_each_unreadable_column() -> None:
    from mlmanager.core.inputs.reader import read_csv_input

    s = sig(S2 + [{"type": "boolean", "name": "c", "required": True}])
    p = read_csv_input("a,b,c\n1,2.5,True\n2.5,x,maybe\n3,4,False\n")
    result = validate_input(s, p, "serving")
    by_col = {p.column: p for p in result.errors}
    assert set(by_col) == {"a", "b", "c"}
    assert all(p.stage == "parse" for p in result.errors)
    assert by_col["a"].rows == [1] and by_col["b"].values == ["'x'"] and by_col["c"].rows == [1]


# -- signatures from type hints, no signature ---------------------------------------------------


def _model_dir(tmp_path: Path, extra: str) -> Path:
    d = tmp_path / "m"
    d.mkdir()
    (d / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.pyfunc.model\n"
        "mlflow_version: 3.17.2\n" + extra
    )
    return d


def test_type_hint_signature_skips_input_checks(tmp_path: Path) -> None:
    d = _model_dir(
        tmp_path,
        "is_signature_from_type_hint: true\nsignature:\n"
        "  inputs: '[{\"type\": \"string\", \"required\": true}]'\n  outputs: null\n"
        "  params: '[{\"name\": \"t\", \"default\": 1, \"shape\": null, \"type\": \"long\"}]'\n",
    )
    body = tmp_path / "in.json"
    body.write_text('{"inputs": [1, 2, 3], "params": {"t": 2.5}}')
    result = validate_file(d, body, "serving")
    assert result.signature_kind == "type_hint"
    assert any(w.kind == "type_hint_signature" for w in result.warnings)
    assert [e.column for e in result.errors] == ["t"]  # params still enforced
    body.write_text('{"dataframe_records": [{"x": 1}]}')
    result = validate_file(d, body, "serving")
    assert not result.valid and "'inputs' key" in result.errors[0].message


def test_no_signature_passes_data_unchanged(tmp_path: Path) -> None:
    d = _model_dir(tmp_path, "")
    body = tmp_path / "in.csv"
    body.write_text("x,y\n1,a\n")
    result = validate_file(d, body, "python")
    assert result.valid and result.signature_kind == "none"
    assert result.data["y"].tolist() == ["a"]
    assert [w.kind for w in result.warnings] == ["no_signature"]


def test_to_json_shape() -> None:
    result = validate_input(sig(S2), pd.DataFrame({"a": [1.5]}), "python")
    doc = result.to_json()
    assert {"valid", "mode", "errors", "warnings", "params", "semantics"} <= set(doc)
    assert doc["valid"] is False and doc["mode"] == "python"
    for err in doc["errors"]:
        assert {"column", "kind", "expected", "found", "rows", "values", "message", "fix"} <= set(err)
    json.dumps(doc)  # JSON-safe
    assert "Python predict" in format_validation(result)
