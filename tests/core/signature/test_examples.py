"""Input examples in every historical form (§5), and MLflow's own reading of the corpus examples."""

from __future__ import annotations

import json
import math
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.core.errors import InvalidError, ModelReadError
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.examples import (
    example_from_request_body,
    load_input_example,
    load_serving_example,
    parse_example,
    parse_json_bytes,
)

DF = {"type": "dataframe", "pandas_orient": "split"}


def parse(text: str, info: dict) -> object:
    return parse_example(parse_json_bytes(text.encode()), info)


def test_split_with_columns() -> None:
    ex = parse('{"columns": ["a", "b"], "data": [[1, 1.0], [2, 2.5]]}', DF)
    assert (ex.kind, ex.columns, ex.data, ex.params) == ("dataframe", ["a", "b"], [[1, 1.0], [2, 2.5]], None)
    df = ex.to_dataframe([{"type": "long", "name": "a"}, {"type": "float", "name": "b"}])
    assert [str(t) for t in df.dtypes] == ["int64", "float32"]


def test_values_orient_without_columns() -> None:
    ex = parse('{"data": [[1, 2]]}', {"type": "dataframe", "pandas_orient": "values"})
    assert ex.columns is None and ex.orient == "values"
    assert list(ex.to_dataframe().columns) == [0, 1]


def test_records_form() -> None:
    ex = parse('[{"a": 1, "b": "x"}, {"b": "y", "c": true}]', DF)
    assert ex.columns == ["a", "b", "c"]
    assert ex.data == [[1, "x", None], [None, "y", True]]


def test_bare_nan_infinity_and_nat() -> None:
    ex = parse(
        '{"columns": ["x", "s", "t"], "data": [[NaN, NaN, "NaT"], [Infinity, "a", "2020-01-01T00:00:00"]]}',
        DF,
    )
    assert math.isnan(ex.data[0][0]) and ex.data[1][0] == math.inf
    df = ex.to_dataframe(
        [
            {"type": "double", "name": "x", "required": False},
            {"type": "string", "name": "s", "required": False},
            {"type": "datetime", "name": "t", "required": False},
        ]
    )
    assert str(df["t"].dtype) == "datetime64[ns]"
    assert df["t"].isna().tolist() == [True, False]


def test_base64_binary_with_trailing_newline() -> None:
    ex = parse('{"columns": ["b"], "data": [["AAE=\\n"], ["aGk=\\n"]]}', DF)
    assert ex.data == [["AAE=\n"], ["aGk=\n"]]
    df = ex.to_dataframe([{"type": "binary", "name": "b"}])
    assert df["b"].tolist() == [b"\x00\x01", b"hi"]


def test_ndarray_plain_and_cast() -> None:
    ex = parse("[[1.0, null], [2.0, 3.0]]", {"type": "ndarray"})
    assert ex.columns is None and not ex.unwrapped
    arr = ex.to_model_input([{"type": "tensor", "tensor-spec": {"dtype": "float32", "shape": [-1, 2]}}])
    assert str(arr.dtype) == "float32" and arr.shape == (2, 2) and math.isnan(arr[0, 1])


@pytest.mark.parametrize(
    "info",
    [
        {"type": "ndarray", "format": "tf-serving"},  # <= 2.15 with the format key
        {"type": "ndarray"},  # <= 2.15 without serving_input_path
    ],
)
def test_ndarray_inputs_wrapper_up_to_2_15(info: dict) -> None:
    ex = parse('{"inputs": [[1, 2], [3, 4]]}', info)
    assert ex.unwrapped and ex.data == [[1, 2], [3, 4]]
    assert ex.to_model_input().tolist() == [[1, 2], [3, 4]]


def test_dict_of_arrays() -> None:
    ex = parse('{"a": [1, 2], "b": [[1.0], [2.0]]}', {"type": "ndarray", "serving_input_path": "s.json"})
    assert ex.columns == ["a", "b"] and not ex.unwrapped
    value = ex.to_model_input(
        [
            {"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int32", "shape": [-1]}},
            {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 1]}},
        ]
    )
    assert str(value["a"].dtype) == "int32" and value["b"].shape == (2, 1)


@pytest.mark.parametrize("text", ['{"q": "hi", "n": 3}', '["a", "b"]', '"hello"', "3"])
def test_json_object(text: str) -> None:
    ex = parse(text, {"type": "json_object"})
    assert ex.data == json.loads(text)
    assert ex.to_model_input() == json.loads(text)


@pytest.mark.parametrize("kind", ["sparse_matrix_csr", "sparse_matrix_csc"])
def test_sparse(kind: str) -> None:
    ex = parse('{"data": [1.0, 2.0], "indices": [0, 1], "indptr": [0, 1, 2], "shape": [2, 2]}', {"type": kind})
    m = ex.to_model_input()
    assert m.format == kind[-3:]
    assert m.toarray().tolist() == [[1.0, 0.0], [0.0, 2.0]]


def test_data_and_params_tuple() -> None:
    info = {**DF, "params": "true"}
    ex = parse('{"inputs": {"columns": ["a"], "data": [[1]]}, "params": {"temperature": 0.1}}', info)
    assert ex.params == {"temperature": 0.1}
    assert ex.columns == ["a"] and ex.data == [[1]]


@pytest.mark.parametrize(
    ("text", "info", "error"),
    [
        ("{", DF, ModelReadError),
        ("[" * 100_000 + "]" * 100_000, DF, ModelReadError),
        ("1" * 5000, {"type": "json_object"}, ModelReadError),
        ('{"data": [[1]]}', {"type": "tensorflow"}, InvalidError),
        ('{"columns": ["a"], "data": [[1]]}', {**DF, "params": "true"}, InvalidError),
        ('{"columns": ["a"], "rows": [[1]]}', DF, InvalidError),
        ('{"data": [1]}', {"type": "sparse_matrix_csr"}, InvalidError),
    ],
)
def test_bad_examples(text: str, info: dict, error: type) -> None:
    with pytest.raises(error):
        parse(text, info)


def test_non_utf8_example() -> None:
    with pytest.raises(ModelReadError, match="UTF-8"):
        parse_json_bytes(b'{"a": "\xe9"}')


def test_serving_payloads() -> None:
    ex = example_from_request_body({"dataframe_split": {"columns": ["a"], "data": [[1]]}, "params": {"p": 1}})
    assert (ex.kind, ex.columns, ex.data, ex.params) == ("dataframe", ["a"], [[1]], {"p": 1})
    ex = example_from_request_body({"dataframe_records": [{"a": 1}]})
    assert ex.kind == "dataframe" and ex.columns == ["a"] and ex.orient == "records"
    ex = example_from_request_body({"inputs": {"x": [1, 2]}})
    assert ex.kind == "ndarray" and ex.columns == ["x"]
    chat = {"messages": [{"role": "user", "content": "hi"}]}
    assert example_from_request_body(chat).data == chat


def test_example_file_through_a_model(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    sig = json.dumps([{"type": "binary", "name": "b"}, {"type": "datetime", "name": "t"}])
    (folder / "MLmodel").write_text(
        "flavors: {}\nsaved_input_example_info:\n  artifact_path: input_example.json\n"
        "  pandas_orient: split\n  type: dataframe\nsignature:\n  inputs: '" + sig + "'\n"
    )
    (folder / "input_example.json").write_text('{"columns": ["b", "t"], "data": [["AAE=\\n", "NaT"]]}')
    ex = load_input_example(load_model(folder))
    assert ex is not None and ex.path == "input_example.json"
    df = ex.to_dataframe()
    assert df["b"].tolist() == [b"\x00\x01"] and str(df["t"].dtype) == "datetime64[ns]"
    assert load_serving_example(load_model(folder)) is None


# ---------------------------------------------------------------------------------------------
# The corpus: our reading equals what MLflow's _read_example gave


def _corpus() -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    if not MODELS.is_dir():
        return out
    for f in sorted(MODELS.glob("*.expected.json")):
        e = json.loads(f.read_text())
        if e.get("kind") != "tracking":
            out.append((f.name.removesuffix(".expected.json"), e))
    return out


def _plain(v: object) -> object:
    import numpy as np
    import pandas as pd

    if isinstance(v, float) and math.isnan(v):
        return None
    if isinstance(v, pd.Timestamp):
        return v.isoformat()
    if isinstance(v, np.generic):
        return _plain(v.item())
    return v


@pytest.mark.parametrize(("name", "expected"), _corpus(), ids=[n for n, _ in _corpus()])
def test_corpus_examples_equal_mlflow(name: str, expected: dict) -> None:
    import pandas as pd

    doc = load_model(MODELS / expected["model_dir"])
    ex = load_input_example(doc)
    if expected["input_example"] is None:
        assert ex is None
        return
    value = ex.to_model_input()
    info = expected["input_example"]["info"]
    if isinstance(value, pd.DataFrame):
        records = [{k: _plain(v) for k, v in r.items()} for r in value.to_dict(orient="records")]
        assert records == expected["input_example"]["value"]
        assert {c: str(t) for c, t in value.dtypes.items()} == info["dtypes"]
        assert list(value.shape) == info["shape"]
    else:
        assert value.tolist() == expected["input_example"]["value"]
        assert str(value.dtype) == info["dtype"]
    assert ex.params == expected["input_example_params"]
    serving = load_serving_example(doc)
    if doc.saved_input_example_info.get("serving_input_path"):
        assert serving is not None and serving.params == expected["input_example_params"]
