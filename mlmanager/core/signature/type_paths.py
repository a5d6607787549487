"""Nested column types as rows, and the pure type surgery the editor needs (no Qt).

An array/object/map column shows its inner types as child rows: ``items`` under an array,
``values`` under a map, one row per property under an object. A row is addressed by a *path*
of :class:`Step` from the column's type; editing a child row rebuilds the whole column type
with :func:`replace_at` and becomes one ``SetColumnType`` edit (the core has no nested edits,
and does not need them: types are small immutable values).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mlmanager.core.signature.edits import unique_name
from mlmanager.core.signature.schema import (
    DATA_TYPES,
    AnyType,
    ArrayType,
    MapType,
    ObjectType,
    Property,
    ScalarType,
    SparkVectorType,
    ValueType,
)

COMPOSITE_KINDS = ("array", "object", "map", "any")
COLUMN_KINDS: tuple[str, ...] = DATA_TYPES + COMPOSITE_KINDS
PARAM_KINDS: tuple[str, ...] = tuple(t for t in DATA_TYPES if t != "binary") + ("object",)

KIND_TIPS = {
    "boolean": "true/false (numpy bool)",
    "integer": "32-bit integer (int32)",
    "long": "64-bit integer (int64)",
    "float": "32-bit floating point (float32)",
    "double": "64-bit floating point (float64)",
    "string": "text",
    "binary": "bytes (sent base64-encoded in JSON)",
    "datetime": "date/time (datetime64[ns])",
    "array": "a list in each cell (mlflow >= 2.10)",
    "object": "a dict with fixed, typed properties in each cell (mlflow >= 2.10)",
    "map": "a dict with string keys and values of one type (mlflow >= 2.12)",
    "any": "anything: no type check at all (mlflow >= 2.18)",
}


@dataclass(frozen=True)
class Step:
    """One step into a composite type: ``items`` | ``values`` | ``prop`` (``index`` in sorted order)."""

    kind: str
    index: int = 0


Path = tuple[Step, ...]


def kind_of(t: ValueType) -> str:
    if isinstance(t, ScalarType):
        return t.name
    if isinstance(t, ArrayType):
        return "array"
    if isinstance(t, ObjectType):
        return "object"
    if isinstance(t, MapType):
        return "map"
    if isinstance(t, SparkVectorType):
        return "sparkml_vector"
    return "any"


def short(t: ValueType) -> str:
    """A one-line label: ``array<long>``, ``object (2 properties)``, ``map<string, double>``."""
    if isinstance(t, ArrayType):
        return f"array<{_inner(t.items)}>"
    if isinstance(t, MapType):
        return f"map<string, {_inner(t.values)}>"
    if isinstance(t, ObjectType):
        n = len(t.properties)
        return f"object ({n} propert{'y' if n == 1 else 'ies'})"
    return str(t)


def _inner(t: ValueType) -> str:
    if isinstance(t, ObjectType):
        return "object"
    return short(t)


def child_rows(t: Any) -> list[tuple[Step, ValueType, str, bool | None]]:
    """``(step, type, label, required)`` for each row under a type (``required`` for properties)."""
    if isinstance(t, ArrayType):
        return [(Step("items"), t.items, "items", None)]
    if isinstance(t, MapType):
        return [(Step("values"), t.values, "values", None)]
    if isinstance(t, ObjectType):
        return [(Step("prop", i), p.type, p.name, p.required) for i, p in enumerate(t.properties)]
    return []


def type_at(t: ValueType, path: Path) -> ValueType:
    for step in path:
        t = _child(t, step)
    return t


def _child(t: ValueType, step: Step) -> ValueType:
    if step.kind == "items" and isinstance(t, ArrayType):
        return t.items
    if step.kind == "values" and isinstance(t, MapType):
        return t.values
    if step.kind == "prop" and isinstance(t, ObjectType) and 0 <= step.index < len(t.properties):
        return t.properties[step.index].type
    raise KeyError(f"no {step.kind} {step.index} in {t}")


def replace_at(t: ValueType, path: Path, fn: Callable[[ValueType], ValueType]) -> ValueType:
    """``t`` with the type at ``path`` replaced by ``fn(old)``."""
    if not path:
        return fn(t)
    step, rest = path[0], path[1:]
    if step.kind == "items" and isinstance(t, ArrayType):
        return ArrayType(replace_at(t.items, rest, fn))
    if step.kind == "values" and isinstance(t, MapType):
        return MapType(replace_at(t.values, rest, fn))
    if step.kind == "prop" and isinstance(t, ObjectType):
        props = list(t.properties)
        p = props[step.index]
        props[step.index] = dataclasses.replace(p, type=replace_at(p.type, rest, fn))
        return ObjectType(tuple(props))
    raise KeyError(f"no {step.kind} {step.index} in {t}")


def _edit_property(t: ValueType, path: Path, fn: Callable[[Property], Property | None]) -> ValueType:
    """Apply ``fn`` to the property at ``path`` (last step is ``prop``); None removes it."""
    if not path or path[-1].kind != "prop":
        raise KeyError("not a property row")
    index = path[-1].index

    def change(obj: ValueType) -> ValueType:
        if not isinstance(obj, ObjectType):
            raise KeyError("not an object")
        props = list(obj.properties)
        new = fn(props[index])
        if new is None:
            del props[index]
        else:
            props[index] = new
        return ObjectType(tuple(props))

    return replace_at(t, path[:-1], change)


def rename_property(t: ValueType, path: Path, name: str) -> ValueType:
    return _edit_property(t, path, lambda p: dataclasses.replace(p, name=name))


def set_property_required(t: ValueType, path: Path, required: bool) -> ValueType:
    return _edit_property(t, path, lambda p: dataclasses.replace(p, required=required))


def remove_property(t: ValueType, path: Path) -> ValueType:
    return _edit_property(t, path, lambda p: None)


def add_property(t: ValueType, object_path: Path, base: str = "field") -> ValueType:
    """Add a required ``string`` property (fresh name) to the object at ``object_path``."""

    def change(obj: ValueType) -> ValueType:
        if not isinstance(obj, ObjectType):
            raise KeyError("not an object")
        name = unique_name(base, [p.name for p in obj.properties])
        return ObjectType((*obj.properties, Property(name, ScalarType("string"), True)))

    return replace_at(t, object_path, change)


def object_path_for(t: ValueType, path: Path) -> Path | None:
    """The object a new property goes into, for a row at ``path`` (the row itself, or its parent)."""
    here = type_at(t, path)
    if isinstance(here, ObjectType):
        return path
    if path and path[-1].kind == "prop":
        return path[:-1]
    return None


def coerce(old: ValueType, kind: str) -> ValueType:
    """The type for ``kind`` chosen in a combo box, keeping what it can of ``old``."""
    if kind in DATA_TYPES:
        return ScalarType(kind)
    if kind == "any":
        return AnyType()
    inner = old.items if isinstance(old, ArrayType) else old.values if isinstance(old, MapType) else old
    if kind == "array":
        if isinstance(old, ArrayType):
            return old
        return ArrayType(inner if not isinstance(inner, AnyType) else ScalarType("double"))
    if kind == "map":
        if isinstance(old, MapType):
            return old
        return MapType(inner if not isinstance(inner, AnyType) else ScalarType("double"))
    if kind == "object":
        if isinstance(old, ObjectType):
            return old
        if isinstance(inner, ObjectType):
            return inner
        field_type = inner if isinstance(inner, ScalarType) else ScalarType("string")
        return ObjectType((Property("field", field_type, True),))
    raise ValueError(f"unknown type {kind!r}")


_SCALAR_SAMPLES: dict[str, Any] = {
    "boolean": False,
    "integer": 0,
    "long": 0,
    "float": 0.0,
    "double": 0.0,
    "string": "",
    "binary": "",
}


def sample_value(t: ValueType, *, datetime: str | None = None, filled: bool = False) -> Any:
    """A value that passes the type's check: zero, an empty string, an object's required
    properties. ``datetime``: what a datetime is (default: today at midnight, a fresh param
    default). ``filled``: an array holds one sample element and a map one under ``"key"``
    (a request body that shows the shape) instead of being empty."""
    if isinstance(t, ScalarType):
        if t.name == "datetime":
            return datetime if datetime is not None else dt.date.today().isoformat() + "T00:00:00"
        return _SCALAR_SAMPLES.get(t.name)
    if isinstance(t, ArrayType):
        return [sample_value(t.items, datetime=datetime, filled=True)] if filled else []
    if isinstance(t, MapType):
        return {"key": sample_value(t.values, datetime=datetime, filled=True)} if filled else {}
    if isinstance(t, ObjectType):
        return {p.name: sample_value(p.type, datetime=datetime, filled=filled)
                for p in t.properties if p.required}
    return None
