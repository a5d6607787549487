"""Checking values against types: param values (defaults and sent params) and JSON values of
nested columns, as MLflow checks them."""

from __future__ import annotations

import re

from mlmanager.core.signature.schema.types import (
    AnyType,
    ArrayType,
    MapType,
    ObjectType,
    ScalarType,
    ValueType,
)

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

# ---------------------------------------------------------------------------------------------
# Param values (§6.7), on JSON-decoded values


def check_param_value(value: Any, ptype: ScalarType | ObjectType, shape: tuple[int, ...] | None) -> tuple[Any, str | None]:
    """Validate and convert a param value as MLflow's ``_enforce_param_datatype`` does.

    Returns ``(converted, None)`` or ``(value, problem)``. Values are JSON-decoded Python
    objects (the numpy-scalar cases of MLflow do not arise from JSON).
    """
    if shape is not None:
        if tuple(shape) != (-1,):
            return value, f"shape must be scalar or [-1], found {list(shape)}"
        if not isinstance(value, (list, tuple)) or any(isinstance(v, (list, tuple)) for v in value):
            return value, "a [-1]-shaped param needs a 1-D list"
        out = []
        for v in value:
            conv, problem = _check_param_scalar(v, ptype)
            if problem:
                return value, problem
            out.append(conv)
        return out, None
    return _check_param_scalar(value, ptype)


_PARAM_CONVERSIONS: dict[str, tuple[type, ...]] = {
    "integer": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
}


def _check_param_scalar(value: Any, ptype: ScalarType | ObjectType) -> tuple[Any, str | None]:
    if value is None:
        return None, None
    if isinstance(ptype, ObjectType):
        problem = check_object_value(value, ptype)
        return value, problem
    name = ptype.name
    if name == "datetime":
        return _parse_datetime_param(value)
    if isinstance(value, (list, dict, tuple)):
        return value, f"value must be a scalar for type {name}, got {type(value).__name__}"
    if name == "boolean":
        return (value, None) if isinstance(value, bool) else (value, _cannot(value, name))
    if name == "string":
        return (value, None) if isinstance(value, str) else (value, _cannot(value, name))
    if name in _PARAM_CONVERSIONS:
        if isinstance(value, bool) or not isinstance(value, _PARAM_CONVERSIONS[name]):
            return value, _cannot(value, name)
        return (int(value) if name in ("integer", "long") else float(value)), None
    return value, _cannot(value, name)


def _cannot(value: Any, name: str) -> str:
    return f"can not safely convert {type(value).__name__} {value!r} to {name}"


_ISO_DATE = r"^\d{4}(-\d{2}(-\d{2})?)?$"  # compiled (and cached by re) on first use


def _parse_datetime_param(value: Any) -> tuple[Any, str | None]:
    """Accept what ``np.datetime64(value).item()`` turns into a date/datetime; keep ISO text."""
    import datetime as dt

    if isinstance(value, (bool, int, float)):
        return value, f"{value!r} is not convertible to datetime (give an ISO date string)"
    if not isinstance(value, str):
        return value, f"{type(value).__name__} is not convertible to datetime"
    text = value.strip()
    if re.match(_ISO_DATE, text):
        parts = [int(x) for x in text.split("-")]
        try:
            d = dt.date(parts[0], parts[1] if len(parts) > 1 else 1, parts[2] if len(parts) > 2 else 1)
        except ValueError as exc:
            return value, f"{value!r} is not a valid date: {exc}"
        return d.isoformat(), None
    try:
        parsed = dt.datetime.fromisoformat(text.replace("Z", "+00:00") if text.endswith("Z") else text)
    except ValueError:
        return value, f"{value!r} is not an ISO date/time"
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(dt.timezone.utc).replace(tzinfo=None)
    return parsed.isoformat(), None


def check_object_value(value: Any, obj: ObjectType) -> str | None:
    """Structural check of a JSON value against an object type (§6.5 rules on plain JSON)."""
    if not isinstance(value, dict):
        return f"expected an object (JSON dict), got {type(value).__name__}"
    props = {p.name: p for p in obj.properties}
    missing = sorted(n for n, p in props.items() if p.required and n not in value)
    if missing:
        return f"missing required properties: {missing}"
    extra = sorted(set(value) - set(props))
    if extra:
        return f"properties not defined in the schema: {extra}"
    for k, v in value.items():
        problem = check_json_value(v, props[k].type, props[k].required)
        if problem:
            return f"property {k!r}: {problem}"
    return None


def check_json_value(value: Any, t: ValueType, required: bool = True) -> str | None:
    """Check one JSON value against a type, with MLflow's rules for values inside composites."""
    if isinstance(t, AnyType):
        return None
    if value is None:
        return None if not required or isinstance(t, ScalarType) else "missing value"
    if isinstance(t, ArrayType):
        if not isinstance(value, list):
            return f"expected a list, got {type(value).__name__}"
        for v in value:
            p = check_json_value(v, t.items, True)
            if p:
                return p
        if isinstance(t.items, ScalarType):
            return _check_json_scalar_list(value, t.items.name)
        return None
    if isinstance(t, MapType):
        if not isinstance(value, dict):
            return f"expected a map (JSON dict), got {type(value).__name__}"
        for v in value.values():
            p = check_json_value(v, t.values, True)
            if p:
                return p
        return None
    if isinstance(t, ObjectType):
        return check_object_value(value, t)
    if isinstance(t, ScalarType):
        return _check_json_scalar_list([value], t.name)
    return None


def _check_json_scalar_list(values: list[Any], type_name: str) -> str | None:
    """What MLflow decides for ``pd.Series(values)`` against a DataType (§6.3 rules)."""
    non_null = [v for v in values if v is not None]
    if not non_null:
        return None
    if all(isinstance(v, bool) for v in non_null):
        kind = "bool"
    elif all(isinstance(v, int) and not isinstance(v, bool) for v in non_null):
        kind = "int64" if len(non_null) == len(values) else "float64"
    elif all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in non_null):
        kind = "float64"
    elif all(isinstance(v, str) for v in non_null):
        kind = "str"
    else:
        kind = "mixed"
    ok = {
        "boolean": {"bool"},
        "integer": set(),
        "long": {"int64"},
        "float": set(),
        "double": {"float64"},
        "string": {"str", "mixed"},
        "binary": {"str"},
        "datetime": set(),
    }[type_name]
    if kind == "int64" and type_name in ("float", "double") and all(v in (0, 1) for v in non_null):
        return None
    if kind in ok:
        return None
    return f"can not safely convert {kind} values to {type_name}"
