"""Column and tensor specs, schemas, and param specs: what a signature's sections hold."""

from __future__ import annotations

import json
from collections.abc import Iterable

from mlmanager.core.signature.schema.types import ObjectType, ScalarType, ValueType
from mlmanager.core.structs import Struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

# ---------------------------------------------------------------------------------------------
# Specs


class ColSpec(Struct, frozen=True):
    """A column. ``required`` is None when MLflow read a composite column without the key."""

    type: ValueType
    name: Any = None  # str, or a JSON number for pandas integer labels; None when unnamed
    required: bool | None = True

    @property
    def is_required(self) -> bool:
        return self.required is not False

    def to_dict(self) -> dict[str, Any]:
        d = self.type.to_dict()
        if self.name is not None:
            d["name"] = self.name
        d["required"] = self.required
        return d

    def describe(self) -> str:
        flag = "" if self.is_required else " (optional)"
        label = f"{self.name}: " if self.name is not None else ""
        return f"{label}{self.type}{flag}"


class TensorSpec(Struct, frozen=True):
    dtype: str  # numpy dtype name, normalised (``<f8`` -> ``float64``)
    shape: tuple[int, ...]
    name: Any = None

    required = True  # tensors are always required (class attribute, not a field)

    @property
    def is_required(self) -> bool:
        return True

    def to_dict(self) -> dict[str, Any]:
        spec = {"dtype": self.dtype, "shape": list(self.shape)}
        if self.name is None:
            return {"type": "tensor", "tensor-spec": spec}
        return {"name": self.name, "type": "tensor", "tensor-spec": spec}

    def describe(self) -> str:
        label = f"{self.name}: " if self.name is not None else ""
        return f"{label}tensor {self.dtype} {list(self.shape)}"


Spec = ColSpec | TensorSpec


class Schema(Struct, frozen=True):
    """An input or output schema: all ColSpecs or all TensorSpecs."""

    specs: tuple[Spec, ...]

    @property
    def is_tensor(self) -> bool:
        return bool(self.specs) and isinstance(self.specs[0], TensorSpec)

    @property
    def has_names(self) -> bool:
        return bool(self.specs) and self.specs[0].name is not None

    def names(self) -> list[Any]:
        return [s.name if s.name is not None else i for i, s in enumerate(self.specs)]

    def required_names(self) -> list[Any]:
        return [
            s.name if s.name is not None else i
            for i, s in enumerate(self.specs)
            if s.is_required
        ]

    def to_list(self) -> list[dict[str, Any]]:
        return [s.to_dict() for s in self.specs]

    def __len__(self) -> int:
        return len(self.specs)

    def __iter__(self):
        return iter(self.specs)

    def describe(self) -> str:
        if self.is_tensor:
            return ", ".join(s.describe() for s in self.specs)
        return ", ".join(s.describe() for s in self.specs)


class ParamSpec(Struct, frozen=True):
    name: str
    type: ScalarType | ObjectType
    default: Any
    shape: tuple[int, ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """MLflow 3 order: name, default, shape, then the type (and properties)."""
        d: dict[str, Any] = {
            "name": self.name,
            "default": self.default,
            "shape": list(self.shape) if self.shape is not None else None,
        }
        d.update(self.type.to_dict())
        return d

    def describe(self) -> str:
        shape = "[]" if self.shape is not None else ""
        return f"{self.name}: {self.type}{shape} = {json.dumps(self.default, default=str)}"


class ParamSchema(Struct, frozen=True):
    params: tuple[ParamSpec, ...]

    def to_list(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self):
        return iter(self.params)


def schema_from_specs(specs: Iterable[Spec]) -> Schema:
    return Schema(tuple(specs))
