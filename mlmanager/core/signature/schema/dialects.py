"""Writing a schema or params in a dialect: MLflow 3's canonical form, legacy, optional."""

from __future__ import annotations

import json

from mlmanager.core.errors import SchemaError
from mlmanager.core.signature.schema.parsing import spec_label
from mlmanager.core.signature.schema.specs import ColSpec, ParamSpec, Schema
from mlmanager.core.signature.schema.types import ScalarType
from mlmanager.core.structs import Struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

DIALECTS: tuple[str, ...] = ("current", "legacy", "optional")


class SourceStyle(Struct, frozen=True):
    """How the signature was written, so a re-save can keep the file's dialect and key order."""

    dialect: str = "required"  # "none" | "optional" | "required"
    name_first: bool = False  # 1.x wrote ``{"name", "type"}``
    params_key: bool = True  # the file had a ``params`` key (2.6+)
    param_type_first: bool = False  # 2.x wrote ParamSpec as name, type, default, shape


# ---------------------------------------------------------------------------------------------
# Writing dialects


def schema_to_dialect(schema: Schema, section: str, dialect: str, style: SourceStyle) -> list[dict]:
    if dialect == "current" or schema.is_tensor:
        return schema.to_list()
    out = []
    for spec in schema.specs:
        assert isinstance(spec, ColSpec)
        if not isinstance(spec.type, ScalarType):
            raise SchemaError(
                f"{section} column {spec_label(spec)} has type {spec.type}: composite types need the "
                "current dialect (mlflow >= 2.10)",
                column=spec_label(spec),
            )
        if dialect == "legacy":
            if not spec.is_required:
                raise SchemaError(
                    f"{section} column {spec_label(spec)} is optional: mlflow < 2.10 cannot express "
                    "optional columns; save in the current dialect instead",
                    column=spec_label(spec),
                )
            d = _legacy_pair(spec, style.name_first)
        else:  # optional (2.5-2.9)
            d = _legacy_pair(spec, False)
            if not spec.is_required:
                d["optional"] = True
        out.append(d)
    return out


def _legacy_pair(spec: ColSpec, name_first: bool) -> dict[str, Any]:
    assert isinstance(spec.type, ScalarType)
    if spec.name is None:
        return {"type": spec.type.name}
    if name_first:
        return {"name": spec.name, "type": spec.type.name}
    return {"type": spec.type.name, "name": spec.name}


def param_to_dict(p: ParamSpec, type_first: bool) -> dict[str, Any]:
    if not type_first:
        return p.to_dict()
    d: dict[str, Any] = {"name": p.name}
    d.update(p.type.to_dict())
    d["default"] = p.default
    d["shape"] = list(p.shape) if p.shape is not None else None
    return d


def dumps_compact(value: Any) -> str:
    return json.dumps(value)
