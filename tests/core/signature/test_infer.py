"""Signature inference (spec §4.7/§4.8) without mlflow: expected values written out by hand."""

from __future__ import annotations

import datetime as dt
import decimal
import json
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from mlmanager.core.errors import InvalidError, ModelReadError
from mlmanager.core.signature.infer import (
    infer_from_file,
    infer_from_input_example,
    infer_params,
    infer_schema,
    infer_signature,
    json_to_data,
    load_data_file,
)
from mlmanager.core.signature.schema import ScalarType, Signature

NAN = float("nan")
ANY_FALLBACK = [{"type": "any", "required": True}]


def inputs_of(data):
    sig, msgs = infer_signature(data)
    return sig.to_canonical()["inputs"], msgs


def col(values, dtype=None):
    """(type name, required) of a one-column frame ``x``."""
    cols, _ = inputs_of(pd.DataFrame({"x": pd.Series(values, dtype=dtype)}))
    assert len(cols) == 1 and cols[0]["name"] == "x"
    return cols[0]["type"], cols[0]["required"]


@pytest.mark.parametrize(
    ("dtype", "expected"),
    [
        ("int8", "integer"),
        ("int16", "integer"),
        ("int32", "integer"),
        ("uint8", "integer"),
        ("uint16", "integer"),
        ("int64", "long"),
        ("uint32", "long"),
        ("float16", "float"),
        ("float32", "float"),
        ("float64", "double"),
        ("bool", "boolean"),
        ("Int64", "long"),
        ("Int32", "integer"),
        ("boolean", "boolean"),
        ("Float32", "float"),
        ("string", "string"),
        ("str", "string"),
    ],
)
def test_numeric_and_nullable_dtypes(dtype, expected):
    values = [True, False] if "bool" in dtype else ["a", "b"] if dtype in ("string", "str") else [1, 2]
    assert col(values, dtype) == (expected, True)


@pytest.mark.parametrize(
    ("values", "dtype", "expected"),
    [
        (["a", "b"], object, ("string", True)),
        (["a", "b", "a"], "category", ("string", True)),
        ([b"a", b"b"], object, ("binary", True)),
        (pd.to_datetime(["2020-01-01", "2021-01-01"]), None, ("datetime", True)),
        (pd.to_datetime(["2020-01-01"]).tz_localize("UTC"), None, ("datetime", True)),
        ([dt.datetime(2020, 1, 1)], object, ("datetime", True)),
        ([dt.date(2020, 1, 1)], object, ("datetime", True)),
        ([1, 2], object, ("long", True)),
        ([1.5, 2.5], object, ("double", True)),
        ([True, False], object, ("boolean", True)),
        # missing values
        ([1.0, NAN], None, ("double", False)),
        (["a", None], object, ("string", False)),
        ([1, None], object, ("double", False)),
        ([1, None], "Int64", ("long", False)),
        ([NAN, NAN], None, ("double", False)),
        ([None, None], object, ("any", False)),
        (pd.to_datetime(["2020-01-01", None]), None, ("datetime", False)),
        ([True, None], object, ("boolean", False)),
    ],
)
def test_object_and_missing_values(values, dtype, expected):
    assert col(values, dtype) == expected


def test_lists_and_dicts_in_cells():
    cols, _ = inputs_of(
        pd.DataFrame(
            {
                "l": pd.Series([[1, 2], [3]], dtype=object),
                "d": pd.Series([{"a": 1, "b": "x"}, {"a": 2}], dtype=object),
            }
        )
    )
    assert cols == [
        {"type": "array", "items": {"type": "long"}, "name": "l", "required": True},
        {
            "type": "object",
            "properties": {
                "a": {"type": "long", "required": True},
                "b": {"type": "string", "required": False},
            },
            "name": "d",
            "required": True,
        },
    ]


@pytest.mark.parametrize(
    "values",
    [
        np.array([1, 2], dtype="uint64"),
        [decimal.Decimal("1.5")],
        pd.to_timedelta([1, 2], unit="s"),
        [1 + 2j],
        pd.Series([1, "a"], dtype=object),
    ],
    ids=["uint64", "decimal", "timedelta", "complex", "mixed"],
)
def test_one_bad_column_loses_every_type(values):
    df = pd.DataFrame({"good": [1.0] * len(values), "bad": values})
    cols, msgs = inputs_of(df)
    assert cols == ANY_FALLBACK
    assert len(msgs) == 1
    assert "could not infer the inputs schema" in msgs[0]
    assert "'bad'" in msgs[0]


def test_integer_hint_only_for_integer_columns():
    _, msgs = inputs_of(pd.DataFrame({"a": [1, 2]}))
    assert any("integer column" in m for m in msgs)
    _, msgs = inputs_of(pd.DataFrame({"a": [1.0, 2.0]}))
    assert msgs == []
    _, msgs = inputs_of(pd.DataFrame({"a": pd.Series([[1], [2]], dtype=object)}))
    assert msgs == []  # array<long> does not trigger MLflow's hint


def test_series_and_numpy():
    assert inputs_of(pd.Series([1.5, 2.5]))[0] == [{"type": "double", "required": True}]
    assert inputs_of(pd.Series([1, 2], name="y"))[0] == [{"type": "long", "name": "y", "required": True}]
    assert inputs_of(np.zeros((3, 4)))[0] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}
    ]
    assert inputs_of(np.zeros((2, 3, 4), dtype="float32"))[0][0]["tensor-spec"] == {
        "dtype": "float32",
        "shape": [-1, 3, 4],
    }
    assert inputs_of(np.array([["a", "bcd"]]))[0][0]["tensor-spec"]["dtype"] == "str"
    assert inputs_of(np.array([1], dtype="uint64"))[0][0]["tensor-spec"]["dtype"] == "uint64"


def test_unnamed_series_with_nan_falls_back():
    # MLflow refuses an unnamed optional column, so the whole schema becomes any
    cols, msgs = inputs_of(pd.Series([1.0, NAN]))
    assert cols == ANY_FALLBACK
    assert msgs


def test_dicts_and_lists():
    assert inputs_of({"a": np.zeros((2, 3)), "b": np.array([1, 2], dtype="int32")})[0] == [
        {"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}},
        {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1]}},
    ]
    assert inputs_of({"messages": [{"role": "user", "content": "hi"}], "temperature": 0.5, "stop": None})[0] == [
        {
            "type": "array",
            "items": {
                "type": "object",
                "properties": {
                    "content": {"type": "string", "required": True},
                    "role": {"type": "string", "required": True},
                },
            },
            "name": "messages",
            "required": True,
        },
        {"type": "double", "name": "temperature", "required": True},
        {"type": "any", "name": "stop", "required": False},
    ]
    assert inputs_of({"a": [1, 2]})[0] == [
        {"type": "array", "items": {"type": "long"}, "name": "a", "required": True}
    ]
    assert inputs_of([{"a": 1, "b": "x"}, {"a": 2}])[0] == [
        {"type": "long", "name": "a", "required": True},
        {"type": "string", "name": "b", "required": False},
    ]
    assert inputs_of(["a", "b"])[0] == [{"type": "string", "required": True}]
    assert inputs_of("a")[0] == [{"type": "string", "required": True}]
    assert inputs_of(3)[0] == [{"type": "long", "required": True}]
    assert inputs_of(1.5)[0] == [{"type": "double", "required": True}]
    assert inputs_of([[1, 2], [3]])[0] == [{"type": "array", "items": {"type": "long"}, "required": True}]
    assert inputs_of([])[0] == [{"type": "string", "required": True}]
    assert inputs_of([1, "a"])[0] == ANY_FALLBACK


def test_scipy_sparse():
    sparse = pytest.importorskip("scipy.sparse")
    assert inputs_of(sparse.csr_matrix(np.eye(3)))[0] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 3]}}
    ]
    assert inputs_of(sparse.csc_matrix(np.eye(2, 5, dtype="float32")))[0][0]["tensor-spec"] == {
        "dtype": "float32",
        "shape": [-1, 5],
    }


def test_outputs_and_signature():
    sig, _ = infer_signature(pd.DataFrame({"a": [1.0]}), np.array([1.5, 2.5]))
    assert sig.to_canonical()["outputs"] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}}
    ]
    sig, _ = infer_signature(pd.DataFrame({"a": [1.0]}), pd.Series([0, 1]))
    assert sig.to_canonical()["outputs"] == [{"type": "long", "required": True}]
    sig, msgs = infer_signature(pd.DataFrame({"a": [1.0]}), pd.DataFrame({"p": np.array([1], dtype="uint64")}))
    assert sig.to_canonical()["outputs"] == ANY_FALLBACK
    assert any("outputs" in m for m in msgs)
    assert sig.validate() == []
    with pytest.raises(InvalidError):
        infer_signature(None)


def test_params_inference():
    params = infer_params(
        {
            "a": 1,
            "b": 1.5,
            "c": "x",
            "d": True,
            "e": [1, 2],
            "f": dt.datetime(2020, 1, 1),
            "g": np.float32(0.5),
            "h": np.int32(3),
            "i": {"k": "v"},
            "j": dt.date(2021, 2, 3),
        }
    )
    assert Signature(params=params).to_canonical()["params"] == [
        {"name": "a", "default": 1, "shape": None, "type": "long"},
        {"name": "b", "default": 1.5, "shape": None, "type": "double"},
        {"name": "c", "default": "x", "shape": None, "type": "string"},
        {"name": "d", "default": True, "shape": None, "type": "boolean"},
        {"name": "e", "default": [1, 2], "shape": [-1], "type": "long"},
        {"name": "f", "default": "2020-01-01T00:00:00", "shape": None, "type": "datetime"},
        {"name": "g", "default": 0.5, "shape": None, "type": "float"},
        {"name": "h", "default": 3, "shape": None, "type": "integer"},
        {
            "name": "i",
            "default": {"k": "v"},
            "shape": None,
            "type": "object",
            "properties": {"k": {"type": "string", "required": True}},
        },
        {"name": "j", "default": "2021-02-03", "shape": None, "type": "datetime"},
    ]
    assert Signature(params=params).validate() == []


def test_bad_params_listed_together():
    with pytest.raises(InvalidError) as err:
        infer_params({"none": None, "two_d": [[1]], "bytes": b"x", "ok": 1})
    text = str(err.value)
    for name in ("'none'", "'two_d'", "'bytes'"):
        assert name in text
    assert "'ok'" not in text
    with pytest.raises(InvalidError):
        infer_params([1, 2])


def test_infer_schema_section_name_in_warnings():
    _, msgs = infer_schema(pd.DataFrame({"a": [1]}), "outputs")
    assert msgs and msgs[0].startswith("Outputs")


# ---------------------------------------------------------------------------------------------
# Files


def test_csv_uses_pandas_dtype_guessing(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b,c,d\n1,1.5,x,True\n2,,y,False\n")
    schema, msgs = infer_from_file(p)
    assert schema.to_list() == [
        {"type": "long", "name": "a", "required": True},
        {"type": "double", "name": "b", "required": False},
        {"type": "string", "name": "c", "required": True},
        {"type": "boolean", "name": "d", "required": True},
    ]
    assert any("integer" in m for m in msgs)


def test_tsv_and_npy(tmp_path):
    p = tmp_path / "d.tsv"
    p.write_text("a\tb\n1.5\tx\n")
    assert [s.name for s in infer_from_file(p)[0].specs] == ["a", "b"]
    n = tmp_path / "d.npy"
    np.save(n, np.zeros((2, 3), dtype="float32"))
    assert infer_from_file(n)[0].to_list() == [
        {"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 3]}}
    ]
    o = tmp_path / "o.npy"
    np.save(o, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(ModelReadError, match="object arrays are refused"):
        infer_from_file(o)


def test_parquet(tmp_path):
    pytest.importorskip("pyarrow")
    p = tmp_path / "d.parquet"
    pd.DataFrame({"a": np.array([1, 2], dtype="int32"), "b": ["x", None]}).to_parquet(p)
    assert infer_from_file(p)[0].to_list() == [
        {"type": "integer", "name": "a", "required": True},
        {"type": "string", "name": "b", "required": False},
    ]


@pytest.mark.parametrize(
    ("doc", "expected"),
    [
        (
            {"dataframe_split": {"columns": ["a", "b"], "data": [[1, "x"], [2, None]]}},
            [{"type": "long", "name": "a", "required": True}, {"type": "string", "name": "b", "required": False}],
        ),
        (
            {"dataframe_records": [{"a": 1.5}, {"a": 2}]},
            [{"type": "double", "name": "a", "required": True}],
        ),
        (
            {"inputs": [[1.0, 2.0], [3.0, 4.0]]},
            [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}],
        ),
        (
            {"inputs": {"a": [1, 2]}},
            [{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}],
        ),
        (
            {"instances": [{"a": 1, "b": 2.5}]},
            [
                {"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}},
                {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1]}},
            ],
        ),
        ({"columns": ["a"], "data": [[1.5]]}, [{"type": "double", "name": "a", "required": True}]),
        ([{"a": "x"}, {"a": "y"}], [{"type": "string", "name": "a", "required": True}]),
        ({"q": "hi", "n": 3}, [{"type": "string", "name": "q", "required": True}, {"type": "long", "name": "n", "required": True}]),
        (["a", "b"], [{"type": "string", "required": True}]),
    ],
    ids=["split", "records", "inputs_list", "inputs_dict", "instances", "example_split", "records_plain", "object", "list"],
)
def test_json_forms(tmp_path, doc, expected):
    p = tmp_path / "d.json"
    p.write_text(json.dumps(doc))
    assert infer_from_file(p)[0].to_list() == expected


def test_json_params_and_errors(tmp_path):
    p = tmp_path / "d.json"
    p.write_text('{"dataframe_split": {"columns": ["a"], "data": [[NaN]]}, "params": {"k": 1}}')
    loaded = load_data_file(p)
    assert loaded.params == {"k": 1}
    assert loaded.warnings  # bare NaN is reported
    with pytest.raises(InvalidError, match="exactly one"):
        json_to_data({"inputs": [1], "dataframe_records": []})
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    with pytest.raises(ModelReadError):
        load_data_file(bad)
    xlsx = tmp_path / "x.xlsx"
    xlsx.write_text("")
    with pytest.raises(ModelReadError, match="unsupported data file type"):
        load_data_file(xlsx)
    with pytest.raises(ModelReadError, match="no such file"):
        load_data_file(tmp_path / "missing.csv")
    empty = tmp_path / "e.csv"
    empty.write_text("")
    with pytest.raises(ModelReadError, match="empty"):
        load_data_file(empty)


def test_predictions_file(tmp_path):
    p = tmp_path / "p.json"
    p.write_text('{"predictions": [0, 1, 1]}')
    loaded = load_data_file(p, predictions=True)
    assert isinstance(loaded.data, np.ndarray)
    sig, _ = infer_signature(["x"], loaded.data)
    assert sig.to_canonical()["outputs"] == [
        {"type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1]}}
    ]


# ---------------------------------------------------------------------------------------------
# Input examples of real models


def test_infer_from_input_example(models_dir, tmp_path):
    sig, msgs = infer_from_input_example(models_dir / "iris_logreg_colspec")
    assert [s.name for s in sig.inputs.specs] == [
        "sepal length (cm)",
        "sepal width (cm)",
        "petal length (cm)",
        "petal width (cm)",
    ]
    assert all(s.type == ScalarType("double") for s in sig.inputs.specs)
    assert sig.outputs is None
    assert any("read back from JSON" in m for m in msgs)


def test_infer_from_input_example_with_params(models_dir):
    sig, _ = infer_from_input_example(models_dir / "ticket_triage_pyfunc_params")
    assert sig.params is not None and sig.params.params[0].name == "threshold"


def test_infer_from_input_example_tensor(models_dir):
    sig, _ = infer_from_input_example(models_dir / "sensor_tensor_logreg")
    assert sig.to_canonical()["inputs"] == [
        {"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}
    ]


def test_infer_from_input_example_optional_and_expected(models_dir):
    """Where JSON keeps the types, the proposal equals what MLflow inferred when logging."""
    expected = json.loads((models_dir / "optional_cols_imputer.expected.json").read_text())
    sig, _ = infer_from_input_example(models_dir / "optional_cols_imputer")
    assert sig.to_canonical()["inputs"] == expected["signature_parsed"]["inputs"]


def test_infer_from_input_example_none(models_dir, tmp_path):
    with pytest.raises(InvalidError, match="no input example"):
        infer_from_input_example(models_dir / "scaler_logreg_nosig")
    # a document object works as well as a path
    from mlmanager.core.model.mlmodel import load_model

    dest = tmp_path / "m"
    shutil.copytree(models_dir / "iris_logreg_colspec", dest)
    with load_model(dest) as doc:
        sig, _ = infer_from_input_example(doc)
    assert len(sig.inputs.specs) == 4


def test_real_inputs_infer_like_the_logged_signature(models_dir):
    """CSV inputs of models whose signature was inferred from pandas frames give the same schema
    where CSV keeps the dtypes (no int32/float32/datetime columns)."""
    for name in ("churn_pipeline_onehot", "mlruns.manual-gbr", "iris_logreg_colspec"):
        expected = json.loads((models_dir / f"{name}.expected.json").read_text())
        schema, _ = infer_from_file(models_dir / f"{name}.input.csv")
        assert schema.to_list() == expected["signature_parsed"]["inputs"], name


def test_core_import_is_lazy():
    import subprocess
    import sys

    code = (
        "import sys; import mlmanager.core.signature.infer, mlmanager.core.signature.edits, mlmanager.cli.signature; "
        "print('pandas' in sys.modules, 'numpy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=Path(__file__).parents[3], check=True)
    assert out.stdout.strip() == "False False"


def test_dataclass_and_pydantic_inputs_are_refused():
    import dataclasses

    @dataclasses.dataclass
    class Row:
        a: int

    with pytest.raises(InvalidError, match="dataclass"):
        infer_signature(Row(1))
    pydantic = pytest.importorskip("pydantic")

    class Model(pydantic.BaseModel):
        a: int

    with pytest.raises(InvalidError, match="pydantic"):
        infer_signature([Model(a=1)])
