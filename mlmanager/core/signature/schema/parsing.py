"""Reading schemas, specs, types and params from the JSON MLflow wrote, in every dialect."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from pathlib import Path

from mlmanager.core.errors import SchemaError
from mlmanager.core.signature.schema.specs import (
    ColSpec,
    ParamSchema,
    ParamSpec,
    Schema,
    Spec,
    TensorSpec,
)
from mlmanager.core.signature.schema.types import (
    COMPOSITE_TYPES,
    DATA_TYPES,
    AnyType,
    ArrayType,
    MapType,
    ObjectType,
    Property,
    ScalarType,
    SparkVectorType,
    ValueType,
    normalize_dtype,
)
from mlmanager.core.signature.schema.validation import validate_params, validate_schema
from mlmanager.core.signature.schema.values import check_param_value

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

# ---------------------------------------------------------------------------------------------
# Parsing


def raw_column_specs(raw: Any) -> Iterator[dict]:
    """Every column spec (a dict) written in the raw MLmodel signature's ``inputs`` and
    ``outputs`` JSON strings; sections that are missing or not JSON lists are skipped."""
    if not isinstance(raw, Mapping):
        return
    for section in ("inputs", "outputs"):
        value = raw.get(section)
        if not isinstance(value, str):
            continue
        try:
            specs = json.loads(value)
        except ValueError:
            continue
        if isinstance(specs, list):
            yield from (spec for spec in specs if isinstance(spec, dict))


def detect_dialect(raw: Any) -> str:
    """``none`` | ``optional`` | ``required`` from the raw MLmodel signature mapping."""
    found = "none"
    for spec in raw_column_specs(raw):
        if "required" in spec:
            return "required"
        if "optional" in spec:
            found = "optional"
    return found


def detect_name_first(raw: Mapping) -> bool:
    value = raw.get("inputs") or raw.get("outputs")
    if isinstance(value, str):
        return bool(re.match(r'\s*\[\s*\{\s*"name"', value))
    return False


def detect_param_type_first(raw: Mapping) -> bool:
    value = raw.get("params")
    if isinstance(value, str):
        return bool(re.match(r'\s*\[\s*\{\s*"name"\s*:\s*(?:"(?:[^"\\]|\\.)*"|[^,]*)\s*,\s*"(?:type|dtype)"', value))
    return False


def parse_schema(decoded: Any, section: str = "inputs", path: str | Path | None = None) -> Schema:
    if not isinstance(decoded, list):
        raise SchemaError(
            f"signature.{section} must be a JSON list of column or tensor specs, found "
            f"{_json_kind(decoded)}",
            path,
        )
    specs = tuple(_parse_spec(item, section, i, path) for i, item in enumerate(decoded))
    schema = Schema(specs)
    for issue in validate_schema(schema, section):
        if issue.mlflow_fatal:
            raise SchemaError(f"signature.{section}: {issue.message}", path, issue.column_label)
    return schema


def parse_spec(item: Any, section: str, index: int, path: str | Path | None = None) -> Spec:
    """One column or tensor spec of a schema (``index`` names it in errors)."""
    return _parse_spec(item, section, index, path)


def _parse_spec(item: Any, section: str, index: int, path: str | Path | None) -> Spec:
    where = f"signature.{section}[{index}]"
    if not isinstance(item, dict):
        raise SchemaError(f"{where} must be a JSON object, found {_json_kind(item)}", path)
    if "type" not in item:
        raise SchemaError(f"{where} has no 'type' key", path, _item_label(item, index))
    type_name = item["type"]
    label = _item_label(item, index)
    if type_name == "tensor":
        tensor = item.get("tensor-spec")
        if not isinstance(tensor, dict) or "dtype" not in tensor or "shape" not in tensor:
            raise SchemaError(
                f"{where}: a tensor spec needs 'tensor-spec' with 'dtype' and 'shape'", path, label
            )
        dtype = normalize_dtype(tensor["dtype"], where, path)
        shape = _parse_shape(tensor["shape"], where, path)
        return TensorSpec(dtype=dtype, shape=shape, name=item.get("name"))
    if type_name in DATA_TYPES:
        extra = set(item) - {"type", "name", "required", "optional"}
        if extra:
            raise SchemaError(
                f"{where}: unknown key(s) {sorted(extra)} in column {label} "
                "(MLflow fails with 'unexpected keyword argument')",
                path,
                label,
            )
        if "required" in item:
            required = item["required"]
        elif "optional" in item:
            required = not bool(item["optional"])
        else:
            required = True
        if not isinstance(required, bool):
            raise SchemaError(
                f"{where}: 'required' of column {label} must be true or false, found {required!r}",
                path,
                label,
            )
        return ColSpec(type=ScalarType(type_name), name=item.get("name"), required=required)
    if type_name in ("array", "object", "map", "any", "sparkml_vector"):
        value_type = parse_value_type(item, where, path)
        required = item.get("required")
        if required is None and "optional" in item:
            required = not bool(item["optional"])
        if required is not None and not isinstance(required, bool):
            raise SchemaError(f"{where}: 'required' must be true or false", path, label)
        return ColSpec(type=value_type, name=item.get("name"), required=required)
    raise SchemaError(_unknown_type_message(where, type_name, label), path, label)


def parse_value_type(d: Any, where: str, path: str | Path | None = None) -> ValueType:
    """A type dict: scalar, array (items), object (properties), map (values), any."""
    if not isinstance(d, dict) or "type" not in d:
        raise SchemaError(f"{where}: expected a type object with a 'type' key", path)
    t = d["type"]
    if t in DATA_TYPES:
        return ScalarType(t)
    if t == "any":
        return AnyType()
    if t == "sparkml_vector":
        return SparkVectorType()
    if t == "array":
        if not isinstance(d.get("items"), dict):
            raise SchemaError(f"{where}: an array type needs an 'items' type object", path)
        return ArrayType(parse_value_type(d["items"], f"{where}.items", path))
    if t == "map":
        if not isinstance(d.get("values"), dict):
            raise SchemaError(f"{where}: a map type needs a 'values' type object", path)
        return MapType(parse_value_type(d["values"], f"{where}.values", path))
    if t == "object":
        props = d.get("properties")
        if not isinstance(props, dict):
            raise SchemaError(f"{where}: an object type needs a 'properties' mapping", path)
        if not props:
            raise SchemaError(f"{where}: an object type needs at least one property", path)
        parsed = []
        for name, pd in props.items():
            if not isinstance(pd, dict) or "type" not in pd:
                raise SchemaError(f"{where}.properties.{name}: expected a type object", path)
            required = pd.get("required", True)
            if not isinstance(required, bool):
                raise SchemaError(f"{where}.properties.{name}: 'required' must be a boolean", path)
            parsed.append(Property(name, parse_value_type(pd, f"{where}.properties.{name}", path), required))
        return ObjectType(tuple(parsed))
    raise SchemaError(_unknown_type_message(where, t, None), path)


def parse_params(decoded: Any, path: str | Path | None = None) -> ParamSchema:
    if not isinstance(decoded, list):
        raise SchemaError(f"signature.params must be a JSON list, found {_json_kind(decoded)}", path)
    params = []
    for i, item in enumerate(decoded):
        where = f"signature.params[{i}]"
        if not isinstance(item, dict):
            raise SchemaError(f"{where} must be a JSON object", path)
        type_name = item.get("type") or item.get("dtype")
        if "name" not in item or type_name is None or "default" not in item:
            raise SchemaError(
                f"{where}: a param needs 'name', 'type' (or 'dtype') and 'default'", path
            )
        name = str(item["name"])
        if type_name == "object":
            ptype: ScalarType | ObjectType = parse_value_type(
                {"type": "object", "properties": item.get("properties")}, where, path
            )  # type: ignore[assignment]
        elif type_name == "binary":
            raise SchemaError(f"param {name!r}: binary is not supported for params", path, name)
        elif type_name in DATA_TYPES:
            ptype = ScalarType(type_name)
        else:
            raise SchemaError(_unknown_type_message(where, type_name, name), path, name)
        shape_raw = item.get("shape")
        shape = None if shape_raw is None else _parse_shape(shape_raw, where, path)
        default, problem = check_param_value(item["default"], ptype, shape)
        if problem:
            raise SchemaError(
                f"param {name!r}: invalid default {item['default']!r}: {problem} "
                "(MLflow refuses to load the model)",
                path,
                name,
            )
        params.append(ParamSpec(name=name, type=ptype, default=default, shape=shape))
    schema = ParamSchema(tuple(params))
    for issue in validate_params(schema):
        if issue.fatal:
            raise SchemaError(issue.message, path, issue.column_label)
    return schema


def _parse_shape(raw: Any, where: str, path: str | Path | None) -> tuple[int, ...]:
    if not isinstance(raw, (list, tuple)) or not all(
        isinstance(x, int) and not isinstance(x, bool) for x in raw
    ):
        raise SchemaError(f"{where}: 'shape' must be a list of integers, found {raw!r}", path)
    return tuple(raw)


# ---------------------------------------------------------------------------------------------
# numpy dtype names without numpy


# ---------------------------------------------------------------------------------------------
# Small helpers


def spec_label(spec: Spec) -> str:
    return repr(spec.name) if spec.name is not None else "(unnamed)"


def _item_label(item: dict, index: int) -> str:
    name = item.get("name")
    return str(name) if name is not None else f"#{index}"


def _unknown_type_message(where: str, type_name: Any, label: str | None) -> str:
    col = f" of column {label}" if label else ""
    hint = ""
    if isinstance(type_name, str) and type_name.lower() in DATA_TYPES + COMPOSITE_TYPES:
        hint = f" (MLflow type names are lower case: {type_name.lower()!r})"
    return (
        f"{where}: unknown type {type_name!r}{col}{hint}; expected one of "
        f"{', '.join(DATA_TYPES + COMPOSITE_TYPES)} or tensor"
    )


def _json_kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "a string", type(None): "null"}.get(
        type(value), type(value).__name__
    )


def yaml_kind(value: Any) -> str:
    return {dict: "mapping", list: "list"}.get(type(value), type(value).__name__)
