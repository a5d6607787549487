"""Our inference against the real ``mlflow.models.infer_signature`` (3.17.2): zero differences."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import logging
import warnings

import pytest

mlflow = pytest.importorskip("mlflow")
np = pytest.importorskip("numpy")
pd = pytest.importorskip("pandas")
sparse = pytest.importorskip("scipy.sparse")

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from mlmanager.core.errors import InvalidError  # noqa: E402
from mlmanager.core.signature.infer import FALLBACK_WARNING, infer_signature  # noqa: E402

FALLBACK_HEAD = FALLBACK_WARNING.split("(")[0].format(section="inputs")
NAN = float("nan")


def _df(**cols):
    return lambda: pd.DataFrame(cols)


def _col(values, dtype=None):
    return lambda: pd.DataFrame({"x": pd.Series(values, dtype=dtype)})


INPUT_CASES = {
    # §4.7 numeric dtypes
    "int8": _col([1, 2], "int8"),
    "int16": _col([1, 2], "int16"),
    "int32": _col([1, 2], "int32"),
    "int64": _col([1, 2], "int64"),
    "uint8": _col([1, 2], "uint8"),
    "uint16": _col([1, 2], "uint16"),
    "uint32": _col([1, 2], "uint32"),
    "uint64_fallback": _col([1, 2], "uint64"),
    "float16": _col([1.5, 2], "float16"),
    "float32": _col([1.5, 2], "float32"),
    "float64": _col([1.5, 2], "float64"),
    "bool": _col([True, False], "bool"),
    # strings, bytes, category
    "object_str": _col(["a", "b"], object),
    "pandas_str": _col(["a", "b"], "str"),
    "pandas_string": _col(["a", "b"], "string"),
    "pandas_string_na": _col(["a", None], "string"),
    "category_str": _col(["a", "b", "a"], "category"),
    "category_int": _col([1, 2, 1], "category"),
    "object_bytes": _col([b"a", b"b"], object),
    # datetimes
    "datetime_ns": _col(pd.to_datetime(["2020-01-01", "2021-01-01"])),
    "datetime_us": _col(np.array(["2020-01-01", "2021-01-01"], dtype="datetime64[us]")),
    "datetime_tz": _col(pd.to_datetime(["2020-01-01", "2021-01-01"]).tz_localize("UTC")),
    "datetime_nat": _col(pd.to_datetime(["2020-01-01", None])),
    "object_datetime": _col([dt.datetime(2020, 1, 1), dt.datetime(2021, 1, 1)], object),
    "object_date": _col([dt.date(2020, 1, 1), dt.date(2021, 1, 1)], object),
    "object_date_none": _col([dt.date(2020, 1, 1), None], object),
    # python objects
    "object_int": _col([1, 2], object),
    "object_float": _col([1.5, 2.5], object),
    "object_bool": _col([True, False], object),
    "object_bool_none": _col([True, None], object),
    "object_int_none": _col([1, None], object),
    "object_all_none": _col([None, None], object),
    "object_empty": lambda: pd.DataFrame({"x": pd.Series([], dtype=object)}),
    "object_mixed_fallback": _col([1, "a"], object),
    "object_decimal_fallback": _col([decimal.Decimal("1.5")], object),
    "object_str_nan": _col(["a", NAN], object),
    "object_nan_first": _col([None, "a"], object),
    # nullable extension dtypes
    "Int64": _col([1, 2], "Int64"),
    "Int64_na": _col([1, None], "Int64"),
    "Int32": _col([1, 2], "Int32"),
    "Int8": _col([1, 2], "Int8"),
    "UInt64_fallback": _col([1, 2], "UInt64"),
    "boolean": _col([True, None], "boolean"),
    "Float32": _col([1.5, None], "Float32"),
    "Float64": _col([1.5, 2.0], "Float64"),
    # unsupported
    "timedelta_fallback": _col(pd.to_timedelta([1, 2], unit="s")),
    "complex_fallback": _col([1 + 2j, 3j]),
    "period_fallback": _col(pd.period_range("2020-01", periods=2, freq="M")),
    # missing values
    "float_nan": _col([1.0, NAN]),
    "float_all_nan": _col([NAN, NAN]),
    "str_none": _col(["a", None]),
    # composite cells
    "list_cells": _col([[1, 2], [3]], object),
    "list_cells_str": _col([["a"], ["b", "c"]], object),
    "list_cells_empty": _col([[1, 2], []], object),
    "list_cells_none": _col([[1, 2], None], object),
    "list_nested": _col([[[1, 2]], [[3]]], object),
    "cells_list_mixed_fallback": _col([[1, "a"]], object),
    "list_float_int_fallback": _col([[1, 2.5]], object),
    "ndarray_cells": _col([np.array([1, 2]), np.array([3])], object),
    "ndarray_cells_f32": _col([np.array([1, 2], dtype="float32")], object),
    "dict_cells": _col([{"a": 1, "b": "x"}, {"a": 2}], object),
    "dict_cells_none_value": _col([{"a": 1, "b": None}, {"a": 2, "b": "y"}], object),
    "dict_cells_nested": _col([{"a": {"b": [1]}}, {"a": {"c": 2.5}}], object),
    "dict_cells_none_row": _col([None, {"a": 1}], object),
    "dict_cells_conflict_fallback": _col([{"a": 1}, {"a": "x"}], object),
    "dict_cells_int_keys_fallback": _col([{1: "a"}], object),
    "list_of_dicts_cells": _col([[{"a": 1}], [{"a": 2, "b": True}]], object),
    # frames
    "mixed_frame": _df(
        a=[1, 2], b=[1.5, NAN], c=["x", "y"], d=[True, False], e=pd.to_datetime(["2020", "2021"])
    ),
    "int_labels": lambda: pd.DataFrame(np.arange(6).reshape(3, 2)),
    "float_labels": lambda: pd.DataFrame({1.5: [1.0], 2.5: [2.0]}),
    "duplicate_labels_fallback": lambda: pd.DataFrame([[1, 2]], columns=["a", "a"]),
    "empty_frame_fallback": lambda: pd.DataFrame(),
    "zero_rows": lambda: pd.DataFrame({"a": pd.Series([], dtype="float64"), "b": pd.Series([], dtype=object)}),
    "one_bad_column_fallback": _df(a=[1.0, 2.0], b=[decimal.Decimal(1), decimal.Decimal(2)]),
    "unicode_names": _df(**{"café": [1.0], "a b (cm)": [2.0]}),
    # Series
    "series_unnamed": lambda: pd.Series([1.5, 2.5]),
    "series_named": lambda: pd.Series([1, 2], name="y"),
    "series_str": lambda: pd.Series(["a", "b"], name="s"),
    "series_unnamed_nan_fallback": lambda: pd.Series([1.0, NAN]),
    "series_named_nan": lambda: pd.Series([1.0, NAN], name="y"),
    "series_int_name": lambda: pd.Series([1, 2], name=0),
    # numpy
    "np_1d": lambda: np.array([1.0, 2.0]),
    "np_2d": lambda: np.zeros((3, 4)),
    "np_3d": lambda: np.zeros((2, 3, 4), dtype="float32"),
    "np_uint64": lambda: np.array([[1, 2]], dtype="uint64"),
    "np_float16": lambda: np.array([[1, 2]], dtype="float16"),
    "np_str": lambda: np.array([["a", "bc"]]),
    "np_bytes": lambda: np.array([[b"a", b"bc"]]),
    "np_object": lambda: np.array([["a", 1]], dtype=object),
    "np_bool": lambda: np.array([True, False]),
    "np_datetime": lambda: np.array(["2020-01-01"], dtype="datetime64[ns]"),
    "np_0d_fallback": lambda: np.array(5.0),
    "np_empty": lambda: np.zeros((0, 3)),
    # dicts
    "dict_of_arrays": lambda: {"a": np.zeros((2, 3)), "b": np.array([1, 2], dtype="int32")},
    "dict_of_scalars": lambda: {"q": "hi", "n": 3, "x": 1.5, "ok": True, "none": None},
    "dict_of_lists": lambda: {"a": [1, 2], "b": ["x"], "c": [1.0, None], "d": []},
    "dict_nested": lambda: {"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "stop": None},
    "dict_mixed_array_and_list": lambda: {"a": np.array([1, 2]), "b": [1, 2]},
    "dict_bytes_datetime": lambda: {"b": b"x", "d": dt.datetime(2020, 1, 1), "day": dt.date(2020, 1, 1)},
    "dict_nan": lambda: {"a": NAN, "b": 1.0},
    "dict_numpy_scalars": lambda: {"a": np.float32(1), "b": np.int32(1), "c": np.int64(2), "d": np.bool_(True)},
    "dict_int_keys_fallback": lambda: {1: "a"},
    "dict_empty_fallback": lambda: {},
    "dict_unsupported_value_fallback": lambda: {"a": (1, 2)},
    "dict_numpy_int16_fallback": lambda: {"a": np.int16(1)},
    # lists
    "list_of_dicts": lambda: [{"a": 1, "b": "x"}, {"a": 2}],
    "list_of_dicts_none": lambda: [{"a": 1, "b": None}, {"a": 2, "b": "y"}],
    "list_of_dicts_nan": lambda: [{"a": 1.0}, {"a": NAN}],
    "list_of_dicts_nested": lambda: [{"a": {"k": 1}}, {"a": {"k": 2, "j": "x"}}],
    "list_of_dicts_conflict_fallback": lambda: [{"a": 1}, {"a": "x"}],
    "list_of_dicts_all_none": lambda: [{"a": None}, {"a": None}],
    "list_str": lambda: ["a", "b"],
    "list_int": lambda: [1, 2],
    "list_float": lambda: [1.5, 2.5],
    "list_bool": lambda: [True],
    "list_none": lambda: [None, None],
    "list_with_none": lambda: [1, None],
    "list_of_lists": lambda: [[1, 2], [3]],
    "list_of_lists_str": lambda: [["a"], []],
    "list_mixed_fallback": lambda: [1, "a"],
    "list_dict_and_scalar_fallback": lambda: [{"a": 1}, 2],
    "list_empty": lambda: [],
    "list_datetime": lambda: [dt.datetime(2020, 1, 1)],
    "list_bytes": lambda: [b"a"],
    "list_of_arrays": lambda: [np.array([1, 2])],
    # scalars
    "scalar_str": lambda: "hello",
    "scalar_int": lambda: 3,
    "scalar_float": lambda: 1.5,
    "scalar_bool": lambda: True,
    "bytes": lambda: b"x",
    "none_in_list_of_one": lambda: [None],
    "nan": lambda: NAN,
    "datetime": lambda: dt.datetime(2020, 1, 1),
    "date": lambda: dt.date(2020, 1, 1),
    "np_float32_scalar": lambda: np.float32(1.5),
    "tuple_fallback": lambda: (1, 2),
    "decimal_fallback": lambda: decimal.Decimal("1"),
    "timestamp_fallback": lambda: pd.Timestamp("2020-01-01"),
    # more edges
    "none_label_becomes_nan": lambda: pd.DataFrame({None: [1.0], "a": [2.0]}),
    "category_nan": _col(["a", None, "b"], "category"),
    "object_np_float32_nan": _col([np.float32("nan"), np.float32(1)], object),
    "arrow_int": lambda: pd.DataFrame({"x": pd.array([1, 2], dtype="int64[pyarrow]")}),
    "arrow_str": lambda: pd.DataFrame({"x": pd.array(["a", None], dtype="string[pyarrow]")}),
    "arrow_float32": lambda: pd.DataFrame({"x": pd.array([1.5, None], dtype="float[pyarrow]")}),
    "dict_series_value_fallback": lambda: {"a": pd.Series([1, 2])},
    "list_of_dicts_int_key": lambda: [{1: "a"}, {1: "b"}],
    "list_of_dicts_with_lists": lambda: [{"a": [1, 2]}, {"a": None}],
    "list_nested_dicts_none": lambda: [[{"a": 1}, None], [{"b": "x"}]],
    "sparse_bool": lambda: sparse.csr_matrix(np.array([[True, False]])),
    "object_pd_na": _col(["a", pd.NA], object),
    "object_nat": _col([pd.NaT, dt.datetime(2020, 1, 1)], object),
    "object_none_and_nan": _col([None, NAN, 1.5], object),
    "object_all_nan": _col([NAN, None], object),
    "object_np_float64_nan": _col([np.float64("nan"), "x"], object),
    "object_bool_and_np_bool": _col([True, np.bool_(False), None], object),
    "object_int_and_bool_fallback": _col([1, True, "x"], object),
    "arrow_float_nan": lambda: pd.DataFrame({"x": pd.array([1.5, None], dtype="float64[pyarrow]")}),
    "arrow_timestamp": lambda: pd.DataFrame({"x": pd.array([dt.datetime(2020, 1, 1), None], dtype="timestamp[us][pyarrow]")}),
    "masked_float_nan": lambda: pd.DataFrame({"x": pd.array([1.0, np.nan], dtype="Float64")}),
    "category_float": _col([1.5, NAN, 1.5], "category"),
    "string_all_na": _col([None, None], "str"),
    "string_empty": _col([], "str"),
    # scipy
    "csr": lambda: sparse.csr_matrix(np.eye(3)),
    "csc": lambda: sparse.csc_matrix(np.eye(2, 5, dtype="float32")),
    "csr_int": lambda: sparse.csr_matrix(np.array([[1, 0], [0, 2]], dtype="int64")),
}

OUTPUT_CASES = {
    "pred_1d_float": lambda: np.array([1.5, 2.5]),
    "pred_1d_int": lambda: np.array([0, 1]),
    "pred_series": lambda: pd.Series([0, 1]),
    "pred_series_str": lambda: pd.Series(["a", "b"]),
    "pred_frame": _df(label=["a", "b"], score=[0.1, 0.9]),
    "pred_2d": lambda: np.zeros((2, 3)),
    "pred_list_str": lambda: ["yes", "no"],
    "pred_frame_int_label": lambda: pd.DataFrame({0: ["a", "b"]}),
    "pred_uint64_fallback": lambda: pd.DataFrame({"p": np.array([1], dtype="uint64")}),
    "pred_series_nan_fallback": lambda: pd.Series([1.0, NAN]),
}

PARAM_CASES = {
    "basic": lambda: {"a": 1, "b": 1.5, "c": "x", "d": True},
    "numpy_scalars": lambda: {"f32": np.float32(0.5), "i32": np.int32(3), "i64": np.int64(4), "f64": np.float64(2.5), "b": np.bool_(False), "s": np.str_("x")},
    "lists": lambda: {"e": [1, 2], "f": [1.0, 2], "g": ["a", "b"], "h": [True, False], "empty": []},
    "arrays": lambda: {"arr": np.array([1, 2], dtype="int64"), "farr": np.array([0.5], dtype="float32")},
    "datetimes": lambda: {"d": dt.date(2020, 1, 1), "t": dt.datetime(2020, 1, 1, 12, 30, 1, 5), "nd": np.datetime64("2020-01-02"), "dl": [dt.date(2020, 1, 1), dt.datetime(2020, 1, 2)]},
    "object": lambda: {"i": {"k": "v", "n": 1, "l": [1.5], "o": {"z": None}}},
    "object_list_of_dicts": lambda: {"i": {"items": [{"a": 1}, {"a": 2, "b": "x"}]}},
}

BAD_PARAM_CASES = {
    "none": lambda: {"a": None},
    "two_d": lambda: {"a": [[1, 2]]},
    "bytes": lambda: {"a": b"x"},
    "mixed_list": lambda: {"a": [1, "x"]},
    "list_with_none": lambda: {"a": [1, None]},
    "int16": lambda: {"a": np.int16(1)},
    "empty_dict": lambda: {"a": {}},
    "tuple": lambda: {"a": (1, 2)},
    "ns_datetime": lambda: {"a": np.datetime64("2020-01-01T00:00:00.000000001")},
    "complex": lambda: {"a": 1j},
    "big_int": lambda: {"a": 2**64},
    "date_in_object": lambda: {"a": {"x": dt.date(2000, 1, 1)}},
}


def _mlflow_infer(inputs=None, outputs=None, params=None, caplog=None):
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        sig = mlflow.models.infer_signature(inputs, outputs, params)
    decoded = {k: (json.loads(v) if v else None) for k, v in sig.to_dict().items()}
    int_hint = any("Integer columns" in str(w.message) for w in caught)
    return decoded, int_hint


def _check(inputs_factory=None, outputs_factory=None, params_factory=None, caplog=None):
    make = lambda f: f() if f else None  # noqa: E731
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="mlflow"):
        expected, ml_int_hint = _mlflow_infer(
            make(inputs_factory), make(outputs_factory), make(params_factory)
        )
    ml_fallback = any("Failed to infer schema" in r.getMessage() for r in caplog.records)
    ours, msgs = infer_signature(make(inputs_factory), make(outputs_factory), make(params_factory))
    # json text: compares key order too, and NaN labels (nan != nan)
    assert json.dumps(ours.to_canonical()) == json.dumps(expected)
    assert any("could not infer the" in m for m in msgs) == ml_fallback
    assert any("integer column" in m for m in msgs) == ml_int_hint
    return ours, msgs


@pytest.mark.parametrize("case", sorted(INPUT_CASES))
def test_inputs_match_mlflow(case, caplog):
    ours, msgs = _check(INPUT_CASES[case], caplog=caplog)
    if case.endswith("_fallback"):
        assert ours.to_canonical()["inputs"] == [{"type": "any", "required": True}]
        assert any(m.startswith(FALLBACK_HEAD) for m in msgs)


@pytest.mark.parametrize("case", sorted(OUTPUT_CASES))
def test_outputs_match_mlflow(case, caplog):
    _check(INPUT_CASES["mixed_frame"], OUTPUT_CASES[case], caplog=caplog)


@pytest.mark.parametrize("case", sorted(PARAM_CASES))
def test_params_match_mlflow(case, caplog):
    ours, _ = _check(INPUT_CASES["list_str"], None, PARAM_CASES[case], caplog=caplog)
    assert ours.params is not None


@pytest.mark.parametrize("case", sorted(BAD_PARAM_CASES))
def test_bad_params_refused_like_mlflow(case):
    with pytest.raises(mlflow.exceptions.MlflowException):
        mlflow.models.infer_signature(["a"], None, BAD_PARAM_CASES[case]())
    with pytest.raises(InvalidError, match="cannot infer a schema for params"):
        infer_signature(["a"], None, BAD_PARAM_CASES[case]())


def test_empty_params_are_none(caplog):
    ours, _ = _check(INPUT_CASES["list_str"], None, lambda: {}, caplog=caplog)
    assert ours.params is None


def test_inferred_signature_loads_in_mlflow():
    """What we infer parses in MLflow (round trip through its own from_dict)."""
    from mlflow.models.signature import ModelSignature

    for case in ("mixed_frame", "dict_nested", "np_3d", "list_of_dicts"):
        ours, _ = infer_signature(INPUT_CASES[case](), OUTPUT_CASES["pred_1d_float"](), PARAM_CASES["basic"]())
        loaded = ModelSignature.from_dict(ours.to_mlmodel("current"))
        assert {k: json.loads(v) if v else None for k, v in loaded.to_dict().items()} == ours.to_canonical()


def test_nothing_to_infer_raises_like_mlflow():
    with pytest.raises(ValueError):
        mlflow.models.infer_signature(None)
    with pytest.raises(InvalidError):
        infer_signature(None)


# ---------------------------------------------------------------------------------------------
# Random JSON-like values and params: MLflow and we agree (including when both refuse)

_leaf = st.one_of(
    st.none(), st.booleans(), st.integers(-5, 5), st.floats(allow_infinity=False), st.text("ab", max_size=2)
)
_json_like = st.recursive(
    _leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text("xyz", min_size=1, max_size=1), c, max_size=3),
    max_leaves=8,
)
_param_leaf = st.one_of(
    _leaf.filter(lambda v: not (isinstance(v, float) and v != v)),
    st.integers(2**62, 2**65),
    st.builds(np.float32, st.floats(-10, 10, width=32)),
    st.builds(np.int32, st.integers(-5, 5)),
    st.builds(np.int16, st.integers(-5, 5)),
    st.dates(),
    st.datetimes(min_value=dt.datetime(1900, 1, 1)),
    st.binary(max_size=2),
)
_param_value = st.recursive(
    _param_leaf,
    lambda c: st.lists(c, max_size=3) | st.dictionaries(st.text("xyz", min_size=1, max_size=1), c, max_size=3),
    max_leaves=6,
)


def _both(inputs, params=None):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            msig = mlflow.models.infer_signature(inputs, None, params)
        except Exception:
            expected = "refused"
        else:
            try:
                expected = json.dumps({k: (json.loads(v) if v else None) for k, v in msig.to_dict().items()})
            except TypeError:
                return None  # MLflow cannot serialise numpy values inside object defaults; we can
        try:
            ours = json.dumps(infer_signature(inputs, None, params)[0].to_canonical())
        except Exception:
            ours = "refused"
    return ours, expected


@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
@given(_json_like, st.booleans())
def test_random_json_values_match_mlflow(value, as_column):
    if as_column:
        if not isinstance(value, list) or not value:
            return
        value = pd.DataFrame({"c": pd.Series(value, dtype=object)})
    pair = _both(value)
    assert pair is not None and pair[0] == pair[1]


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(st.dictionaries(st.text("pq", min_size=1, max_size=2), _param_value, min_size=1, max_size=3))
def test_random_params_match_mlflow(params):
    pair = _both(["a"], params)
    if pair is not None:
        assert pair[0] == pair[1]
