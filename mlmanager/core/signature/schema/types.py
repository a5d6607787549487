"""The MLflow type system: DataTypes (and their numpy/pandas dtypes), nested column types
(array, object, map, any), Spark vectors, and tensor dtypes."""

from __future__ import annotations

import re
from pathlib import Path

from mlmanager.core.errors import SchemaError
from mlmanager.core.structs import Struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

DATA_TYPES: tuple[str, ...] = (
    "boolean",
    "integer",
    "long",
    "float",
    "double",
    "string",
    "binary",
    "datetime",
)
#: DataType -> numpy dtype name, as MLflow 3.17.2's ``DataType.to_numpy()`` (the one table;
#: every other DataType -> dtype mapping in mlmanager is derived from it)
NUMPY_DTYPES: dict[str, str] = {
    "boolean": "bool",
    "integer": "int32",
    "long": "int64",
    "float": "float32",
    "double": "float64",
    "string": "str",
    "binary": "bytes",
    "datetime": "datetime64[ns]",
}
#: DataType -> pandas column dtype name, as ``DataType.to_pandas()``: text and bytes are object columns
PANDAS_DTYPES: dict[str, str] = {**NUMPY_DTYPES, "string": "object", "binary": "object"}
COMPOSITE_TYPES: tuple[str, ...] = ("array", "object", "map", "any")
PARAM_TYPES: tuple[str, ...] = tuple(t for t in DATA_TYPES if t != "binary") + ("object",)


# ---------------------------------------------------------------------------------------------
# Types


class ScalarType(Struct, frozen=True):
    """One of MLflow's 8 ``DataType`` names."""

    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.name}

    def __str__(self) -> str:
        return self.name


class AnyType(Struct, frozen=True):
    def to_dict(self) -> dict[str, Any]:
        return {"type": "any"}

    def __str__(self) -> str:
        return "any"


class SparkVectorType(Struct, frozen=True):
    def to_dict(self) -> dict[str, Any]:
        return {"type": "sparkml_vector"}

    def __str__(self) -> str:
        return "sparkml_vector"


class ArrayType(Struct, frozen=True):
    items: ValueType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "array", "items": self.items.to_dict()}

    def __str__(self) -> str:
        return f"array<{self.items}>"


class Property(Struct, frozen=True):
    name: str
    type: ValueType
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = self.type.to_dict()
        d["required"] = self.required
        return d


class ObjectType(Struct, frozen=True):
    properties: tuple[Property, ...]

    def __post_init__(self) -> None:
        # MLflow sorts properties by name; so do we, so equality matches MLflow's.
        ordered = tuple(sorted(self.properties, key=lambda p: p.name))
        object.__setattr__(self, "properties", ordered)

    def to_dict(self) -> dict[str, Any]:
        return {"type": "object", "properties": {p.name: p.to_dict() for p in self.properties}}

    def __str__(self) -> str:
        inner = ", ".join(
            f"{p.name}{'' if p.required else '?'}: {p.type}" for p in self.properties
        )
        return "{" + inner + "}"


class MapType(Struct, frozen=True):
    values: ValueType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "map", "values": self.values.to_dict()}

    def __str__(self) -> str:
        return f"map<string, {self.values}>"


ValueType = ScalarType | ArrayType | ObjectType | MapType | AnyType | SparkVectorType


# ---------------------------------------------------------------------------------------------
# Tensor dtypes


_DTYPE_ALIASES: dict[str, str] = {
    "bool": "bool", "bool_": "bool", "?": "bool", "b1": "bool", "|b1": "bool",
    "int8": "int8", "i1": "int8", "|i1": "int8", "byte": "int8",
    "int16": "int16", "i2": "int16", "<i2": "int16", "short": "int16",
    "int32": "int32", "i4": "int32", "<i4": "int32", "intc": "int32",
    "int64": "int64", "i8": "int64", "<i8": "int64", "int": "int64", "long": "int64",
    "int_": "int64", "intp": "int64", "longlong": "int64",
    "uint8": "uint8", "u1": "uint8", "|u1": "uint8", "ubyte": "uint8",
    "uint16": "uint16", "u2": "uint16", "<u2": "uint16",
    "uint32": "uint32", "u4": "uint32", "<u4": "uint32",
    "uint64": "uint64", "u8": "uint64", "<u8": "uint64", "uint": "uint64",
    "float16": "float16", "f2": "float16", "<f2": "float16", "half": "float16",
    "float32": "float32", "f4": "float32", "<f4": "float32", "single": "float32",
    "float64": "float64", "f8": "float64", "<f8": "float64", "float": "float64",
    "double": "float64", "float_": "float64", "d": "float64", "f": "float32",
    "complex64": "complex64", "complex128": "complex128", "complex": "complex128",
    "str": "str", "str_": "str", "unicode": "str", "U": "str", "<U": "str", "<U0": "str",
    "bytes": "bytes", "bytes_": "bytes", "S": "bytes", "|S": "bytes", "|S0": "bytes", "S0": "bytes",
    "object": "object", "object_": "object", "O": "object", "|O": "object",
}
# patterns, compiled (and cached by ``re``) on first use: most dtypes are in the table above
_DATETIME_RE = r"^[<>|]?(?:datetime64|M8)(?:\[(\w+)\])?$"
_TIMEDELTA_RE = r"^[<>|]?(?:timedelta64|m8)(?:\[(\w+)\])?$"
_SIZED_FLEX_RE = r"^[<>|=]?[US]\d+$|^(?:str|bytes)\d+$"


def normalize_dtype(raw: Any, where: str = "tensor", path: str | Path | None = None) -> str:
    """``np.dtype(raw).name`` for the names MLflow meets, with numpy as a lazy fallback."""
    if not isinstance(raw, str):
        raise SchemaError(f"{where}: tensor dtype must be a string, found {raw!r}", path)
    key = raw.strip()
    if key in _DTYPE_ALIASES:
        return _DTYPE_ALIASES[key]
    if re.match(_SIZED_FLEX_RE, key):
        raise SchemaError(
            f"{where}: sized string dtype {raw!r} is not supported by MLflow; use 'str' or 'bytes'",
            path,
        )
    m = re.match(_DATETIME_RE, key)
    if m:
        return f"datetime64[{m.group(1)}]" if m.group(1) else "datetime64"
    m = re.match(_TIMEDELTA_RE, key)
    if m:
        return f"timedelta64[{m.group(1)}]" if m.group(1) else "timedelta64"
    try:
        import numpy as np  # rare spellings only

        dt = np.dtype(key)
    except Exception:
        raise SchemaError(f"{where}: {raw!r} is not a numpy dtype", path) from None
    if dt.char in ("U", "S") and not dt.name.isalpha():
        raise SchemaError(f"{where}: sized string dtype {raw!r} is not supported by MLflow", path)
    return dt.name


TENSOR_DTYPES: tuple[str, ...] = (
    "bool", "int8", "int16", "int32", "int64", "uint8", "uint16", "uint32", "uint64",
    "float16", "float32", "float64", "str", "bytes", "object", "datetime64[ns]",
)
