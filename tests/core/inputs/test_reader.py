"""Reading inputs: CSV robustness (T26), strict JSON (T27), every JSON form, Parquet."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest

from mlmanager.core.errors import InputReadError
from mlmanager.core.inputs.reader import (
    PARQUET_HINT,
    classify_json,
    read_csv_input,
    read_input,
    read_json_input,
)
from mlmanager.core.inputs.serving import schemaless_value
from mlmanager.core.inputs.validation import validate_file, validate_input
from mlmanager.core.signature.schema import Signature

SIG = Signature.from_canonical(
    {
        "inputs": [
            {"type": "string", "name": "id", "required": True},
            {"type": "double", "name": "x", "required": True},
            {"type": "string", "name": "note", "required": True},
        ]
    }
)


def _write(tmp_path: Path, name: str, data: bytes | str) -> Path:
    p = tmp_path / name
    if isinstance(data, str):
        p.write_text(data, encoding="utf-8", newline="")
    else:
        p.write_bytes(data)
    return p


# -- CSV (T26) --------------------------------------------------------------------------------


def test_short_row_reported_per_row_not_padded(tmp_path: Path) -> None:
    p = read_input(_write(tmp_path, "a.csv", "id,x,note\n1,1.5,a\n2,2.5\n3,3.5,c\n4\n"))
    short = [pr for pr in p.problems if pr.kind == "short_row"]
    assert [pr.rows for pr in short] == [[1], [3]]
    assert [pr.line for pr in short] == [3, 5]
    assert "NaN" in short[0].message and short[0].severity == "error"
    result = validate_input(SIG, p, "serving")
    assert not result.valid and {e.kind for e in result.errors} == {"short_row"}


def test_long_row_and_unterminated_quote(tmp_path: Path) -> None:
    text = 'id,x,note\n1,1.5,a\n2,2.5,b,EXTRA\n3,3.5,c\n4,4.5,"open\n5,5.5,e\n'
    p = read_input(_write(tmp_path, "b.csv", text))
    kinds = {pr.kind: pr for pr in p.problems}
    assert kinds["long_row"].rows == [1] and kinds["long_row"].line == 3
    assert kinds["long_row"].values == ["'EXTRA'"]
    assert kinds["unterminated_quote"].rows == [3] and kinds["unterminated_quote"].line == 5
    # the readable rows still form a frame (rows 0 and 2), mapped back to file rows
    frame = schemaless_value(p)
    assert frame["id"].tolist() == [1, 3]
    assert p.source_row(1) == 2
    result = validate_input(SIG, p, "python")
    assert not result.valid
    assert {"long_row", "unterminated_quote"} <= {e.kind for e in result.errors}


def test_quoted_multiline_field_is_fine(tmp_path: Path) -> None:
    p = read_input(_write(tmp_path, "c.csv", 'id,x,note\n1,1.5,"two\nlines"\n2,2.5,"say ""hi"""\n'))
    assert p.problems == []
    assert schemaless_value(p)["note"].tolist() == ["two\nlines", 'say "hi"']


def test_latin1_bytes_error_names_line_and_column_and_retry_works(tmp_path: Path) -> None:
    path = _write(tmp_path, "l.csv", "id,x,note\n1,1.5,caf\xe9\n".encode("latin-1"))
    with pytest.raises(InputReadError) as info:
        read_input(path)
    err = info.value
    assert (err.kind, err.line, err.column, err.retry_encoding) == ("encoding_error", 2, 10, "latin-1")
    assert "line 2, column 10" in str(err) and "latin-1" in str(err)
    p = read_input(path, encoding="latin-1")
    assert schemaless_value(p)["note"].tolist() == ["café"]
    # validate_file turns it into an invalid result, not an exception
    result = validate_file(SIG, path, "serving")
    assert not result.valid and result.errors[0].kind == "encoding_error"
    assert result.errors[0].fix == "retry with encoding='latin-1'"


def test_bom_nul_and_200kb_field(tmp_path: Path) -> None:
    big = "y" * 200_000
    text = "\ufeffid,x,note\n1,1.5,a\x00b\n2,2.5," + big + "\n"
    limit_before = csv.field_size_limit()
    p = read_input(_write(tmp_path, "d.csv", text))
    assert csv.field_size_limit() == limit_before  # raised locally only
    assert p.problems == []
    assert p.header == ["id", "x", "note"]  # no BOM in the first name
    frame = schemaless_value(p)
    assert frame["note"].tolist() == ["a\x00b", big]
    assert validate_input(SIG, p, "serving").valid


def test_leading_zero_ids_cast_per_signature_string(tmp_path: Path) -> None:
    path = _write(tmp_path, "ids.csv", "id,x,note\n007,1.5,a\n010,2.0,b\n")
    serving = validate_file(SIG, path, "serving")
    assert serving.valid
    assert serving.data["id"].tolist() == ["007", "010"]  # read with dtype=object, zeros kept
    python = validate_file(SIG, path, "python")
    assert not python.valid
    (err,) = python.errors
    assert err.column == "id" and err.found == "int64"
    assert "'007'" in err.fix and "leading zeros" in err.fix


def test_duplicate_and_padded_header_names_warn(tmp_path: Path) -> None:
    p = read_input(_write(tmp_path, "h.csv", "id,x,x, note\n1,2,3,4\n"))
    kinds = sorted(pr.kind for pr in p.problems)
    assert kinds == ["duplicate_column", "header_whitespace"]
    assert all(pr.severity == "warning" for pr in p.problems)


def test_empty_and_utf16_inputs(tmp_path: Path) -> None:
    with pytest.raises(InputReadError, match="empty"):
        read_input(_write(tmp_path, "e.csv", "\n\n"))
    with pytest.raises(InputReadError) as info:
        read_input(_write(tmp_path, "u.csv", "id\n1\n".encode("utf-16")))
    assert info.value.retry_encoding == "utf-16"


def test_size_cap(tmp_path: Path) -> None:
    with pytest.raises(InputReadError) as info:
        read_input(_write(tmp_path, "big.csv", "a\n" + "1\n" * 100), max_bytes=50)
    assert info.value.kind == "too_large"


# -- JSON (T27) -------------------------------------------------------------------------------


def test_nan_is_accepted_like_mlflow_but_warned_with_position() -> None:
    text = '{"dataframe_split": {"columns": ["id", "x", "note"],\n "data": [["a", NaN, "b"], ["c", Infinity, "d"]]}}'
    p = read_json_input(text)
    nans = [pr for pr in p.problems if pr.kind == "json_nan"]
    assert [pr.values for pr in nans] == [["NaN"], ["Infinity"]]
    assert nans[0].line == 2 and nans[0].severity == "warning"
    result = validate_input(SIG, p, "serving")
    assert result.valid  # MLflow's json.loads accepts NaN: a double column takes it
    assert any(w.kind == "json_nan" for w in result.warnings)


def test_duplicate_keys_are_errors() -> None:
    text = '{"dataframe_records": [{"id": "a", "x": 1.0, "x": 2.0, "note": "n"}]}'
    p = read_json_input(text)
    (dup,) = [pr for pr in p.problems if pr.kind == "duplicate_key"]
    assert dup.column == "x" and dup.line == 1 and dup.severity == "error"
    assert not validate_input(SIG, p, "serving").valid


def test_deep_nesting_is_a_clean_error() -> None:
    with pytest.raises(InputReadError) as info:
        read_json_input("[" * 100_000 + "]" * 100_000)
    assert info.value.kind == "json_too_deep"
    assert info.value.line == 1 and info.value.column is not None and info.value.column > 900


def test_huge_integer_is_a_clean_error() -> None:
    with pytest.raises(InputReadError) as info:
        read_json_input('{"inputs": {"x": [\n' + "9" * 5000 + "]}}")
    assert info.value.kind == "json_number_too_long"
    assert (info.value.line, info.value.column) == (2, 1)
    assert "5000 digits" in str(info.value)


def test_invalid_json_names_position(tmp_path: Path) -> None:
    result = validate_file(SIG, _write(tmp_path, "bad.json", '{"inputs": [1, 2,]}'), "serving")
    assert not result.valid
    assert result.errors[0].kind == "json_error" and result.errors[0].line == 1


@pytest.mark.parametrize(
    "doc,source,kind",
    [
        ({"dataframe_split": {"columns": ["a"], "data": [[1]]}}, "json:dataframe_split", "dataframe"),
        ({"dataframe_records": [{"a": 1}]}, "json:dataframe_records", "dataframe"),
        ({"instances": [[1, 2]]}, "json:instances", "tensor"),
        ({"inputs": {"a": [1, 2], "b": [3, 4]}}, "json:inputs", "tensors"),
        ({"inputs": [[1.0, 2.0]], "params": {"t": 1}}, "json:inputs", "tensor"),
        ({"inputs": [1], "dataframe_split": {}}, "json:ambiguous", "object"),
        ({"messages": [{"role": "user", "content": "hi"}]}, "json:unified_llm", "object"),
        ({"columns": ["a"], "data": [[1]]}, "json:example_split", "dataframe"),
        ({"data": [[1, 2]]}, "json:example_split", "dataframe"),
        ([[1.0, 2.0]], "json:example_ndarray", "tensor"),
        ({"a": [1, 2], "b": [[1.0], [2.0]]}, "json:example_object", "tensors"),
        ("hello", "json:example_object", "object"),
    ],
)
def test_json_forms_are_classified(doc, source: str, kind: str) -> None:
    assert classify_json(doc) == (source, kind)
    p = read_json_input(json.dumps(doc))
    assert (p.source, p.kind) == (source, kind)


def test_params_are_kept_and_other_keys_ignored() -> None:
    p = read_json_input('{"inputs": [[1]], "params": {"t": 0.5}, "foo": 1}')
    assert p.params == {"t": 0.5} and p.source == "json:inputs"


def test_top_level_list_rejected_in_serving_mode_with_fix() -> None:
    p = read_json_input("[[1.0, 2.0]]")
    result = validate_input(SIG, p, "serving")
    assert not result.valid
    (err,) = result.errors
    assert err.kind == "payload_format" and "Received a list" in err.message
    assert "inputs" in err.fix


def test_exactly_one_input_field() -> None:
    p = read_json_input('{"inputs": {"id": ["a"]}, "dataframe_records": [{"id": "a"}]}')
    result = validate_input(SIG, p, "serving")
    (err,) = result.errors
    assert err.kind == "payload_format"
    assert "exactly one of the input fields" in err.message
    assert "['inputs', 'dataframe_records']" in err.message
    bare = validate_input(SIG, read_json_input('{"columns": ["id"], "data": [["a"]]}'), "serving")
    assert "dataframe_split" in bare.errors[0].fix


# -- format sniffing and Parquet ----------------------------------------------------------------


def test_format_by_extension_and_sniffing(tmp_path: Path) -> None:
    assert read_input(_write(tmp_path, "x.json", '{"inputs": [1]}')).source == "json:inputs"
    assert read_input(_write(tmp_path, "x.txt", ' {"inputs": [1]}')).source == "json:inputs"
    assert read_input(_write(tmp_path, "y.txt", "a,b\n1,2\n")).source == "csv"
    assert read_input(b"a,b\n1,2\n").source == "csv"


def test_parquet_roundtrip(tmp_path: Path) -> None:
    pytest.importorskip("pyarrow")
    import pandas as pd

    path = tmp_path / "x.parquet"
    pd.DataFrame({"id": ["a"], "x": [1.5], "note": ["n"]}).to_parquet(path)
    p = read_input(path)
    assert p.source == "parquet" and schemaless_value(p)["x"].tolist() == [1.5]
    assert validate_input(SIG, p, "serving").valid
    assert read_input(path.read_bytes()).source == "parquet"


def test_parquet_without_pyarrow_says_how_to_install(tmp_path: Path, monkeypatch) -> None:
    path = _write(tmp_path, "x.parquet", b"PAR1....")
    monkeypatch.setitem(sys.modules, "pyarrow", None)
    with pytest.raises(InputReadError) as info:
        read_input(path)
    assert str(info.value).endswith(PARQUET_HINT) and info.value.kind == "parquet_unavailable"


def test_read_csv_from_text_directly() -> None:
    p = read_csv_input("a,b\n1,2\n")
    assert p.n_rows == 1 and p.header == ["a", "b"] and p.encoding == "utf-8"
