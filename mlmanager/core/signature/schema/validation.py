"""The rules a signature must follow (what MLflow refuses, and what mlmanager refuses to write)."""

from __future__ import annotations

from mlmanager.core.signature.schema.specs import ColSpec, ParamSchema, Schema, TensorSpec
from mlmanager.core.signature.schema.types import (
    DATA_TYPES,
    TENSOR_DTYPES,
    ArrayType,
    MapType,
    ObjectType,
    ScalarType,
    ValueType,
)
from mlmanager.core.signature.schema.values import check_param_value
from mlmanager.core.structs import Struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any


class Issue(Struct, frozen=True):
    """A rule a signature breaks. ``fatal``: MLflow itself refuses it (or we refuse to write it)."""

    section: str  # inputs | outputs | params
    index: int | None  # row in the section, None for the section as a whole
    field: str | None  # name | type | required | dtype | shape | default | properties
    message: str
    fatal: bool = True
    column: Any = None
    mlflow_fatal: bool = True  # False: MLflow loads it anyway (we still refuse to write it)

    @property
    def column_label(self) -> str | None:
        if self.column is not None:
            return str(self.column)
        if self.index is not None:
            return f"#{self.index}"
        return None


# ---------------------------------------------------------------------------------------------
# Validation


def validate_schema(schema: Schema, section: str) -> list[Issue]:
    """Rules of §4.5. MLflow-fatal rules are ``fatal``; duplicates are ours (also fatal to write)."""
    issues: list[Issue] = []
    specs = schema.specs
    if not specs:
        return [Issue(section, None, None, f"{section} schema is empty (MLflow: 'Creating Schema with empty inputs is not allowed'); remove it instead")]
    named = [s.name is not None for s in specs]
    if any(named) and not all(named):
        for i, s in enumerate(specs):
            if s.name is None:
                issues.append(Issue(section, i, "name", "every column must be named when any is (MLflow refuses a mix of named and unnamed)", True, None))
    kinds = {isinstance(s, TensorSpec) for s in specs}
    if len(kinds) > 1:
        first = specs[0]
        for i, s in enumerate(specs):
            if type(s) is not type(first):
                issues.append(Issue(section, i, "type", "tensor specs and column specs cannot be mixed in one schema", True, s.name))
    if all(isinstance(s, TensorSpec) for s in specs) and len(specs) > 1:
        for i, s in enumerate(specs):
            if s.name is None:
                issues.append(Issue(section, i, "name", "with more than one tensor every tensor needs a name", True, None))
    if not any(named):
        for i, s in enumerate(specs):
            if isinstance(s, ColSpec) and s.required is False:
                issues.append(Issue(section, i, "required", "unnamed columns cannot be optional (name the columns or make them required)", True, None))
    seen: dict[Any, int] = {}
    for i, s in enumerate(specs):
        if s.name is None:
            continue
        if isinstance(s.name, str) and not s.name:
            issues.append(Issue(section, i, "name", "column name is empty", True, s.name, mlflow_fatal=False))
        key = s.name
        if key in seen:
            issues.append(Issue(section, i, "name", f"duplicate name {s.name!r} (also row {seen[key] + 1}): name-based enforcement would be ambiguous", True, s.name, mlflow_fatal=False))
        else:
            seen[key] = i
    for i, s in enumerate(specs):
        if isinstance(s, TensorSpec):
            if any(d < -1 for d in s.shape):
                issues.append(Issue(section, i, "shape", f"shape {list(s.shape)} has a negative dimension other than -1", True, s.name))
            if s.dtype not in TENSOR_DTYPES and not s.dtype.startswith("datetime64"):
                issues.append(Issue(section, i, "dtype", f"dtype {s.dtype} is unusual for MLflow tensors", False, s.name, mlflow_fatal=False))
        else:
            issues.extend(_validate_value_type(s.type, section, i, s.name))
    return issues


def _validate_value_type(t: ValueType, section: str, index: int, column: Any) -> list[Issue]:
    issues: list[Issue] = []
    if isinstance(t, ArrayType):
        issues.extend(_validate_value_type(t.items, section, index, column))
    elif isinstance(t, MapType):
        issues.extend(_validate_value_type(t.values, section, index, column))
    elif isinstance(t, ObjectType):
        if not t.properties:
            issues.append(Issue(section, index, "type", "an object needs at least one property", True, column))
        names = [p.name for p in t.properties]
        dups = sorted({n for n in names if names.count(n) > 1})
        if dups:
            issues.append(Issue(section, index, "type", f"duplicate object properties: {dups}", True, column))
        for p in t.properties:
            if not isinstance(p.name, str) or not p.name:
                issues.append(Issue(section, index, "type", "object property names must be non-empty strings", True, column))
            issues.extend(_validate_value_type(p.type, section, index, column))
    elif isinstance(t, ScalarType) and t.name not in DATA_TYPES:
        issues.append(Issue(section, index, "type", f"unknown type {t.name!r}", True, column))
    return issues


def validate_params(params: ParamSchema) -> list[Issue]:
    issues: list[Issue] = []
    seen: dict[str, int] = {}
    for i, p in enumerate(params.params):
        if not p.name:
            issues.append(Issue("params", i, "name", "param name is empty", True, p.name))
        if p.name in seen:
            issues.append(Issue("params", i, "name", f"duplicate param name {p.name!r} (MLflow refuses duplicated parameters)", True, p.name))
        else:
            seen[p.name] = i
        if isinstance(p.type, ScalarType) and p.type.name == "binary":
            issues.append(Issue("params", i, "type", "binary is not supported for params", True, p.name))
        if p.shape is not None and tuple(p.shape) != (-1,):
            issues.append(Issue("params", i, "shape", f"shape must be scalar (null) or [-1], found {list(p.shape)}", True, p.name))
            continue
        _, problem = check_param_value(p.default, p.type, p.shape)
        if problem:
            issues.append(Issue("params", i, "default", f"invalid default: {problem}", True, p.name))
    return issues
