"""An OpenAPI 3.0 document for a model's scoring endpoint, generated from its signature.

``mlflow`` / ``databricks``: ``POST /invocations`` with one request schema per accepted JSON form
(``dataframe_split``, ``dataframe_records``, ``instances``, ``inputs``; each with the optional
``params``), ``text/csv`` and Parquet bodies, and ``{"predictions": ...}`` responses
(docs/deploy-targets.md §1, §4.2). ``azureml``: ``POST /score`` with ``input_data`` (+
``params``) and a plain-list response (§2.3). Examples come from the model's input example.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mlmanager.core.deploy.request_bodies import TARGETS, request_for_model
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.signature.schema import (
    AnyType,
    ArrayType,
    ColSpec,
    MapType,
    ObjectType,
    ScalarType,
    SparkVectorType,
    TensorSpec,
)

if TYPE_CHECKING:
    from mlmanager.core.model.mlmodel import ModelDocument
    from mlmanager.core.signature.schema import ParamSpec, Schema

OPENAPI_VERSION = "3.0.3"
_NULLABLE_SCALARS = ("float", "double", "string", "binary", "datetime")
_SCALAR = {
    "boolean": {"type": "boolean"},
    "integer": {"type": "integer", "format": "int32"},
    "long": {"type": "integer", "format": "int64"},
    "float": {"type": "number", "format": "float"},
    "double": {"type": "number", "format": "double"},
    "string": {"type": "string"},
    "binary": {"type": "string", "format": "byte", "description": "base64-encoded bytes"},
    "datetime": {"type": "string", "description": "ISO 8601 date or date-time, e.g. 2024-01-01T00:00:00"},
}
# Not ``format: date-time``: that is RFC 3339 (a time zone is required), while MLflow reads and
# writes naive ISO 8601 values (``pandas.to_datetime``, ``numpy.datetime64``), defaults included.


def value_schema(t: Any, nullable: bool = False) -> dict[str, Any]:
    """JSON schema of one value of an MLflow type (ScalarType, Array, Object, Map, Any, ...)."""
    if isinstance(t, ScalarType):
        out = dict(_SCALAR[t.name])
    elif isinstance(t, ArrayType):
        out = {"type": "array", "items": value_schema(t.items)}
    elif isinstance(t, ObjectType):
        out = {
            "type": "object",
            "properties": {p.name: value_schema(p.type, not p.required) for p in t.properties},
            "additionalProperties": False,
        }
        required = [p.name for p in t.properties if p.required]
        if required:
            out["required"] = required
    elif isinstance(t, MapType):
        out = {"type": "object", "additionalProperties": value_schema(t.values)}
    elif isinstance(t, SparkVectorType):
        out = {"type": "array", "items": {"type": "number"}}
    elif isinstance(t, AnyType):
        return {"description": "any JSON value"}
    else:  # pragma: no cover - every type is handled above
        return {}
    if nullable:
        out["nullable"] = True
    return out


def _dtype_schema(dtype: str) -> dict[str, Any]:
    if dtype == "bool":
        return {"type": "boolean"}
    if dtype.startswith(("int", "uint")):
        return {"type": "integer"}
    if dtype.startswith("float"):
        return {"type": "number", "nullable": True}
    if dtype in ("str", "object"):
        return {"type": "string"} if dtype == "str" else {}
    if dtype == "bytes":
        return {"type": "string", "format": "byte"}
    if dtype.startswith("datetime64"):
        return dict(_SCALAR["datetime"])
    return {}


def tensor_schema(dtype: str, shape: tuple[int, ...]) -> dict[str, Any]:
    """Nested arrays for a tensor shape (``-1`` = any length)."""
    schema: dict[str, Any] = _dtype_schema(dtype)
    for dim in reversed(shape):
        arr: dict[str, Any] = {"type": "array", "items": schema}
        if dim != -1:
            arr["minItems"] = dim
            arr["maxItems"] = dim
        schema = arr
    return schema


def _cell(spec: Any) -> dict[str, Any]:
    nullable = not spec.is_required or getattr(spec.type, "name", None) in _NULLABLE_SCALARS
    return value_schema(spec.type, nullable)


def _any_of(schemas: list[dict[str, Any]]) -> dict[str, Any]:
    unique: list[dict[str, Any]] = []
    for s in schemas:
        if s not in unique:
            unique.append(s)
    if not unique:
        return {}
    return unique[0] if len(unique) == 1 else {"anyOf": unique}


def _names(schema: Schema) -> list[str]:
    return [str(n) for n in schema.names()]


def input_schemas(schema: Schema | None) -> dict[str, dict[str, Any]]:
    """``{form: schema of the value under that key}`` for split, records, instances, inputs."""
    if schema is None:
        return {
            "split": {"type": "object", "required": ["data"], "properties": {
                "columns": {"type": "array", "items": {}}, "index": {"type": "array", "items": {}},
                "data": {"type": "array", "items": {"type": "array", "items": {}}}}},
            "records": {"type": "array", "items": {"type": "object"}},
            "instances": {"type": "array", "items": {}},
            "inputs": {},
        }
    if schema.is_tensor:
        specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
        if schema.has_names:
            tensors = {str(s.name): tensor_schema(s.dtype, s.shape) for s in specs}
            rows = {str(s.name): tensor_schema(s.dtype, s.shape[1:]) for s in specs}
            split_cells = _any_of([tensor_schema(s.dtype, s.shape[1:]) for s in specs])
            return {
                "split": _split_schema([str(s.name) for s in specs], split_cells),
                "records": {"type": "array", "items": {"type": "object", "properties": rows, "required": list(rows)}},
                "instances": {"type": "array", "items": {"type": "object", "properties": rows, "required": list(rows)}},
                "inputs": {"type": "object", "properties": tensors, "required": list(tensors)},
            }
        spec = specs[0]
        full = tensor_schema(spec.dtype, spec.shape)
        return {
            "split": _split_schema(None, _dtype_schema(spec.dtype)),
            "instances": full,
            "inputs": full,
        }
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    cells = [_cell(s) for s in specs]
    if not schema.has_names:
        row = {"type": "array", "items": _any_of(cells), "minItems": len(specs)}
        return {
            "split": _split_schema(None, _any_of(cells)),
            "instances": {"type": "array", "items": row},
            "inputs": {"type": "array", "items": row},
        }
    names = _names(schema)
    required = [str(s.name) for s in specs if s.is_required]
    record = {"type": "object", "properties": dict(zip(names, cells))}
    if required:
        record["required"] = required
    columnar: dict[str, Any] = {
        "type": "object",
        "properties": {n: {"type": "array", "items": c} for n, c in zip(names, cells)},
    }
    if required:
        columnar["required"] = required
    return {
        "split": _split_schema(names, _any_of(cells)),
        "records": {"type": "array", "items": record},
        "instances": {"type": "array", "items": record},
        "inputs": columnar,
    }


def _split_schema(names: list[str] | None, cell: dict[str, Any]) -> dict[str, Any]:
    # unnamed columns are matched by position: pandas labels them 0, 1, ... (any label is fine)
    columns: dict[str, Any] = {"type": "array", "items": {}}
    if names:
        columns["items"] = {"type": "string", "enum": names}
    return {
        "type": "object",
        "required": ["data"],
        "properties": {
            "columns": columns,
            "index": {"type": "array", "items": {}},
            "data": {"type": "array", "items": {"type": "array", "items": cell}},
        },
        "additionalProperties": False,
    }


def _param_schema(p: ParamSpec) -> dict[str, Any]:
    base = value_schema(p.type, nullable=True)
    if p.shape is not None:
        base = {"type": "array", "items": value_schema(p.type), "nullable": True}
    base["default"] = to_jsonable(p.default)
    return base


def params_schema(doc: ModelDocument) -> dict[str, Any] | None:
    sig = doc.signature
    if sig is None or sig.params is None:
        return None
    return {
        "type": "object",
        "description": "inference params; missing ones take their default",
        "properties": {p.name: _param_schema(p) for p in sig.params},
    }


def output_schema(doc: ModelDocument) -> dict[str, Any]:
    """What ``predictions`` holds (DataFrames are serialised as records)."""
    sig = doc.signature
    if sig is None or sig.outputs is None:
        return {"description": "the model's predictions (no output schema)"}
    schema = sig.outputs
    if schema.is_tensor:
        specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
        if schema.has_names:
            return {"type": "object", "properties": {str(s.name): tensor_schema(s.dtype, s.shape) for s in specs}}
        return tensor_schema(specs[0].dtype, specs[0].shape)
    specs = [s for s in schema.specs if isinstance(s, ColSpec)]
    if len(specs) == 1 and not schema.has_names:
        return {"type": "array", "items": _cell(specs[0])}
    names = _names(schema)
    return {"type": "array", "items": {"type": "object", "properties": {n: _cell(s) for n, s in zip(names, specs)}}}


_ERROR = {
    "type": "object",
    "properties": {"error_code": {"type": "string"}, "message": {"type": "string"}, "stack_trace": {"type": "string"}},
}
_KEYS = {"split": "dataframe_split", "records": "dataframe_records", "instances": "instances", "inputs": "inputs"}


def _examples(doc: ModelDocument, target: str, forms: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for form in forms:
        try:
            request = request_for_model(doc, target, orient=form, max_rows=5)
        except MlmanagerError:
            continue
        summary = "from the input example" if request.source != "signature" else "placeholder values"
        out[form] = {"summary": f"{_KEYS.get(form, form)} ({summary})", "value": request.body}
    return out


def build_openapi(doc: ModelDocument, target: str = "mlflow", *, title: str | None = None) -> dict[str, Any]:
    """The OpenAPI 3.0.3 document (a dict) for ``target`` (mlflow | databricks | azureml)."""
    if target not in TARGETS:
        raise ValueError(f"unknown target {target!r}; choose one of {TARGETS}")
    sig = doc.signature
    type_hint = doc.is_signature_from_type_hint is True
    name = title or (doc.root.name if doc.root is not None else doc.location.rstrip("/").split("/")[-1])
    inputs = input_schemas(sig.inputs if sig is not None else None)
    params = params_schema(doc)
    components: dict[str, Any] = {"schemas": {"Error": _ERROR, "Predictions": output_schema(doc)}}
    if params is not None:
        components["schemas"]["Params"] = params
    info = {
        "title": f"{name} scoring endpoint",
        "version": str(doc.model_uuid or doc.model_id or "1"),
        "description": (
            f"Generated by mlmanager from the model's MLflow signature for {target}. "
            + ("The signature comes from type hints: only the 'inputs' form is accepted. " if type_hint else "")
            + ("The model has no signature: inputs are not checked." if sig is None else "")
        ).strip(),
    }
    if target == "azureml":
        return _azure_document(doc, info, inputs, params, components)
    forms = ["inputs"] if type_hint else [f for f in ("split", "records", "instances", "inputs") if f in inputs]
    bodies = []
    for form in forms:
        key = _KEYS[form]
        props: dict[str, Any] = {key: inputs[form]}
        if params is not None:
            props["params"] = {"$ref": "#/components/schemas/Params"}
        schema_name = "Request_" + key
        components["schemas"][schema_name] = {
            "type": "object", "required": [key], "properties": props,
            "description": f"a request in the {key} form" + (" (deprecated: column order is not kept)" if form == "records" else ""),
        }
        bodies.append({"$ref": f"#/components/schemas/{schema_name}"})
    content: dict[str, Any] = {
        "application/json": {
            "schema": bodies[0] if len(bodies) == 1 else {"oneOf": bodies},
            "examples": _examples(doc, target, forms) or None,
        },
    }
    if content["application/json"]["examples"] is None:
        del content["application/json"]["examples"]
    if target == "mlflow" and not type_hint:
        content["text/csv"] = {"schema": {"type": "string", "description": "DataFrame.to_csv(index=False); no params"}}
        content["application/vnd.apache.parquet"] = {"schema": {"type": "string", "format": "binary"}}
    responses = {
        "200": {"description": "predictions", "content": {"application/json": {"schema": {
            "type": "object", "required": ["predictions"],
            "properties": {"predictions": {"$ref": "#/components/schemas/Predictions"}}}}}},
        "400": {"description": "invalid input", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}},
    }
    paths: dict[str, Any] = {
        "/invocations": {"post": {
            "operationId": "invocations",
            "summary": "score the model",
            "requestBody": {"required": True, "content": content},
            "responses": {**responses, "415": {"description": "unsupported content type"}},
        }},
    }
    doc_out: dict[str, Any] = {"openapi": OPENAPI_VERSION, "info": info, "paths": paths, "components": components}
    if target == "mlflow":
        ok = {"200": {"description": "the model is loaded"}}
        paths["/ping"] = {"get": {"operationId": "ping", "responses": ok}}
        paths["/health"] = {"get": {"operationId": "health", "responses": ok}}
        paths["/version"] = {"get": {"operationId": "version", "responses": {"200": {"description": "the MLflow version", "content": {"text/plain": {"schema": {"type": "string"}}}}}}}
        doc_out["servers"] = [{"url": "http://127.0.0.1:5000", "description": "mlflow models serve"}]
    else:
        doc_out["servers"] = [{
            "url": "https://{workspace}/serving-endpoints/{endpoint}",
            "variables": {"workspace": {"default": "example.cloud.databricks.com"}, "endpoint": {"default": "my-endpoint"}},
        }]
        components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
        doc_out["security"] = [{"bearer": []}]
    return doc_out


def _azure_document(doc: ModelDocument, info: dict[str, Any], inputs: dict[str, Any], params: dict[str, Any] | None,
                    components: dict[str, Any]) -> dict[str, Any]:
    sig = doc.signature
    if sig is None or sig.inputs is None:
        data_schema: dict[str, Any] = {}
    elif sig.inputs.is_tensor:
        data_schema = inputs["inputs"]
    else:
        split = dict(inputs["split"])
        split["required"] = ["columns", "index", "data"]
        data_schema = split
    props: dict[str, Any] = {"input_data": data_schema}
    if params is not None:
        props["params"] = {"$ref": "#/components/schemas/Params"}
    components["schemas"]["Request"] = {"type": "object", "required": ["input_data"], "properties": props}
    content: dict[str, Any] = {"schema": {"$ref": "#/components/schemas/Request"}}
    examples = _examples(doc, "azureml", ["split" if sig is not None and sig.inputs is not None and not sig.inputs.is_tensor else "inputs"])
    if examples:
        content["examples"] = examples
    components["securitySchemes"] = {"bearer": {"type": "http", "scheme": "bearer"}}
    return {
        "openapi": OPENAPI_VERSION,
        "info": info,
        "servers": [{"url": "https://{endpoint}.{region}.inference.ml.azure.com",
                     "variables": {"endpoint": {"default": "my-endpoint"}, "region": {"default": "eastus"}}}],
        "security": [{"bearer": []}],
        "paths": {"/score": {"post": {
            "operationId": "score",
            "summary": "score the model (Azure ML no-code MLflow deployment)",
            "requestBody": {"required": True, "content": {"application/json": content}},
            "responses": {
                "200": {"description": "predictions: a plain list (DataFrames as records)",
                        "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Predictions"}}}},
                "400": {"description": "bad request"},
                "500": {"description": "the scoring script failed (e.g. schema enforcement)"},
            },
        }}},
        "components": components,
    }
