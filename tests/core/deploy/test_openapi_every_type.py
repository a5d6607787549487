"""Every generated OpenAPI document validates, for every type and default (issue 16, 5b).

Documents are generated for models whose signature uses each DataType as a column (required and
optional, alone and inside array/object/map), each tensor dtype (named and unnamed), and each param
type (scalar and array, with and without defaults), for every target, and checked with
openapi-spec-validator; their examples are checked against their own request schemas, formats
included (a ``date-time`` value must be RFC 3339).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from mlmanager.core.deploy.openapi import build_openapi
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.schema import DATA_TYPES, PARAM_TYPES, TENSOR_DTYPES

TARGETS = ("mlflow", "databricks", "azureml")
PATHS = {"mlflow": "/invocations", "databricks": "/invocations", "azureml": "/score"}

# defaults MLflow accepts for each param type (None: the param has no default)
PARAM_DEFAULTS: dict[str, list[Any]] = {
    "boolean": [True, None],
    "integer": [3, None],
    "long": [2**40, None],
    "float": [0.5, 1, None],
    "double": [1e-3, None],
    "string": ["abc", "", None],
    "datetime": ["2024-01-01T00:00:00", "2024-01-01", "2024-01-01T10:30:00.123456",
                 "2024-06-01T12:00:00+02:00", "2024-06-01T12:00:00Z", None],
}
OBJECT_PARAM = {"name": "cfg", "type": "object", "default": {"k": "v", "n": 1},
                "properties": {"k": {"type": "string", "required": True},
                               "n": {"type": "long", "required": False}}}


def _column_types() -> list[tuple[str, dict[str, Any]]]:
    out: list[tuple[str, dict[str, Any]]] = []
    for t in DATA_TYPES:
        out.append((t, {"type": t}))
        out.append((f"array-{t}", {"type": "array", "items": {"type": t}}))
        out.append((f"object-{t}", {"type": "object", "properties": {
            "a": {"type": t, "required": True}, "b": {"type": t, "required": False}}}))
        out.append((f"map-{t}", {"type": "map", "values": {"type": t}}))
    out.append(("any", {"type": "any"}))
    out.append(("array-array-long", {"type": "array", "items": {"type": "array", "items": {"type": "long"}}}))
    return out


def _signatures() -> list[tuple[str, dict[str, Any]]]:
    sigs: list[tuple[str, dict[str, Any]]] = []
    for label, t in _column_types():
        cols = [{**t, "name": "x", "required": True}, {**t, "name": "y", "required": False}]
        sigs.append((f"columns-{label}", {"inputs": cols, "outputs": [{**t, "required": True}]}))
        sigs.append((f"unnamed-{label}", {"inputs": [{**t, "required": True}], "outputs": cols}))
    for dtype in TENSOR_DTYPES:
        spec = {"dtype": dtype, "shape": [-1, 2]}
        sigs.append((f"tensor-{dtype}", {"inputs": [{"type": "tensor", "tensor-spec": spec}],
                                         "outputs": [{"type": "tensor", "tensor-spec": {"dtype": dtype, "shape": [-1]}}]}))
        sigs.append((f"named-tensors-{dtype}", {
            "inputs": [{"type": "tensor", "name": "a", "tensor-spec": spec},
                       {"type": "tensor", "name": "b", "tensor-spec": {"dtype": dtype, "shape": [-1]}}],
            "outputs": [{"type": "tensor", "name": "out", "tensor-spec": spec}]}))
    base_inputs = [{"type": "double", "name": "x", "required": True}]
    for ptype in PARAM_TYPES:
        if ptype == "object":
            params = [OBJECT_PARAM, {**OBJECT_PARAM, "name": "cfg_none", "default": None}]
        else:
            defaults = PARAM_DEFAULTS[ptype]
            params = [{"name": f"p{i}", "type": ptype, "default": d} for i, d in enumerate(defaults)]
            params.append({"name": "arr", "type": ptype, "shape": [-1], "default": [d for d in defaults if d is not None]})
        sigs.append((f"params-{ptype}", {"inputs": base_inputs, "params": params}))
        sigs.append((f"params-only-{ptype}", {"params": params}))
    return sigs


SIGNATURES = _signatures()


def _model(folder: Path, sig: dict[str, Any]) -> Path:
    folder.mkdir()
    lines = ["flavors:", "  python_function:", "    loader_module: mlflow.sklearn", "    python_version: 3.11.7",
             "mlflow_version: 3.17.2", "signature:"]
    for key in ("inputs", "outputs", "params"):
        value = sig.get(key)
        lines.append(f"  {key}: " + ("null" if value is None else json.dumps(json.dumps(value))))
    (folder / "MLmodel").write_text("\n".join(lines) + "\n")
    return folder


def _format_checked_validator(document: dict[str, Any], schema: dict[str, Any]):
    from openapi_schema_validator import OAS30Validator, oas30_format_checker

    return OAS30Validator({**schema, "components": document["components"]}, format_checker=oas30_format_checker)


@pytest.mark.parametrize("name,sig", SIGNATURES, ids=[s[0] for s in SIGNATURES])
def test_every_type_gives_a_valid_document(tmp_path: Path, name: str, sig: dict[str, Any]) -> None:
    from openapi_spec_validator import validate

    doc = load_model(_model(tmp_path / "m", sig))
    assert doc.signature is not None, doc.signature_error  # the signature itself is one MLflow reads
    for target in TARGETS:
        document = json.loads(json.dumps(build_openapi(doc, target), allow_nan=False))
        validate(document)
        content = document["paths"][PATHS[target]]["post"]["requestBody"]["content"]["application/json"]
        check = _format_checked_validator(document, content["schema"])
        for key, example in content.get("examples", {}).items():
            errors = [e.message for e in check.iter_errors(example["value"])]
            assert errors == [], f"{name}/{target}/{key}: {errors[:2]}"
        for pname, pschema in document["components"]["schemas"].get("Params", {}).get("properties", {}).items():
            default_errors = [e.message for e in _format_checked_validator(document, pschema).iter_errors(pschema["default"])]
            assert default_errors == [], f"{name}/{target}/{pname}: {default_errors[:2]}"


def test_datetime_param_default_is_documented_as_mlflow_reads_it(tmp_path: Path) -> None:
    """The reported case: a naive default ``2024-01-01T00:00:00`` under ``format: date-time``."""
    from openapi_spec_validator import validate

    sig = {"inputs": [{"type": "double", "name": "x", "required": True}],
           "params": [{"name": "since", "type": "datetime", "default": "2024-01-01T00:00:00"}]}
    document = build_openapi(load_model(_model(tmp_path / "m", sig)), "mlflow")
    validate(document)
    since = document["components"]["schemas"]["Params"]["properties"]["since"]
    assert since["default"] == "2024-01-01T00:00:00"  # what MLflow itself takes by default
    assert since.get("format") != "date-time"
