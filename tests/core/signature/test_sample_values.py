"""One table of sample values serves a fresh param default (empty containers, today's date) and a
request body made from the signature (one element per container, a fixed day)."""

from __future__ import annotations

import datetime as dt

from mlmanager.core.deploy.request_bodies import PLACEHOLDER_DATETIME, request_for_model
from mlmanager.core.signature.schema import (
    AnyType,
    ArrayType,
    MapType,
    ObjectType,
    Property,
    ScalarType,
)
from mlmanager.core.signature.type_paths import sample_value

RECORD = ObjectType((Property("id", ScalarType("long"), True),
                     Property("seen", ArrayType(ScalarType("datetime")), True),
                     Property("note", ScalarType("string"), False)))


def test_fresh_defaults_are_zero_empty_and_today() -> None:
    today = dt.date.today().isoformat() + "T00:00:00"
    assert [sample_value(ScalarType(n)) for n in ("boolean", "integer", "long", "float",
                                                   "double", "string", "binary", "datetime")] \
        == [False, 0, 0, 0.0, 0.0, "", "", today]
    assert sample_value(ArrayType(ScalarType("double"))) == []
    assert sample_value(MapType(RECORD)) == {}
    assert sample_value(RECORD) == {"id": 0, "seen": []}
    assert sample_value(AnyType()) is None


def test_filled_samples_show_the_shape_on_a_fixed_day() -> None:
    def filled(t):
        return sample_value(t, datetime=PLACEHOLDER_DATETIME, filled=True)

    assert filled(ScalarType("datetime")) == "2024-01-01T00:00:00"
    assert filled(ArrayType(ArrayType(ScalarType("long")))) == [[0]]
    assert filled(MapType(RECORD)) == {"key": {"id": 0, "seen": ["2024-01-01T00:00:00"]}}
    assert filled(RECORD) == {"id": 0, "seen": ["2024-01-01T00:00:00"]}
    assert filled(ArrayType(AnyType())) == [None]


def test_a_body_from_the_signature_uses_the_filled_samples(tmp_path) -> None:
    from mlmanager.core.model.mlmodel import load_model

    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n"
        "signature:\n  inputs: '[{\"type\": \"datetime\", \"name\": \"at\", \"required\": true},"
        " {\"type\": \"array\", \"items\": {\"type\": \"long\"}, \"name\": \"ids\", \"required\":"
        " true}]'\n  outputs: null\n  params: null\n")
    body = request_for_model(load_model(folder), "mlflow").body
    assert body["dataframe_split"]["data"] == [["2024-01-01T00:00:00", [0]]]
