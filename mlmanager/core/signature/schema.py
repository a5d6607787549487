"""The MLflow signature type system, without mlflow and without numpy on the reading path.

Objects are immutable (frozen dataclasses, tuples), so an edit builds a new signature and the
old one stays valid for undo. Reading accepts every dialect MLflow ever wrote (spec §4.2):

* ``none``     — 1.x–2.4: ``{"name", "type"}`` only; every column required;
* ``optional`` — 2.5–2.9: ``"optional": true`` on optional columns (3.x can no longer read it);
* ``required`` — 2.10+: ``"required"`` on every column.

Writing produces MLflow 3's canonical JSON (``current``), or on request the ``legacy`` form that
mlflow < 2.10 loads, or the ``optional`` form of 2.5–2.9.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.errors import SchemaError

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
DIALECTS: tuple[str, ...] = ("current", "legacy", "optional")
SECTIONS: tuple[str, ...] = ("inputs", "outputs", "params")

# ---------------------------------------------------------------------------------------------
# Types


@dataclass(frozen=True)
class ScalarType:
    """One of MLflow's 8 ``DataType`` names."""

    name: str

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.name}

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True)
class AnyType:
    def to_dict(self) -> dict[str, Any]:
        return {"type": "any"}

    def __str__(self) -> str:
        return "any"


@dataclass(frozen=True)
class SparkVectorType:
    def to_dict(self) -> dict[str, Any]:
        return {"type": "sparkml_vector"}

    def __str__(self) -> str:
        return "sparkml_vector"


@dataclass(frozen=True)
class ArrayType:
    items: ValueType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "array", "items": self.items.to_dict()}

    def __str__(self) -> str:
        return f"array<{self.items}>"


@dataclass(frozen=True)
class Property:
    name: str
    type: ValueType
    required: bool = True

    def to_dict(self) -> dict[str, Any]:
        d = self.type.to_dict()
        d["required"] = self.required
        return d


@dataclass(frozen=True)
class ObjectType:
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


@dataclass(frozen=True)
class MapType:
    values: ValueType

    def to_dict(self) -> dict[str, Any]:
        return {"type": "map", "values": self.values.to_dict()}

    def __str__(self) -> str:
        return f"map<string, {self.values}>"


ValueType = ScalarType | ArrayType | ObjectType | MapType | AnyType | SparkVectorType


# ---------------------------------------------------------------------------------------------
# Specs


@dataclass(frozen=True)
class ColSpec:
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


@dataclass(frozen=True)
class TensorSpec:
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


@dataclass(frozen=True)
class Schema:
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


@dataclass(frozen=True)
class ParamSpec:
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


@dataclass(frozen=True)
class ParamSchema:
    params: tuple[ParamSpec, ...]

    def to_list(self) -> list[dict[str, Any]]:
        return [p.to_dict() for p in self.params]

    def __len__(self) -> int:
        return len(self.params)

    def __iter__(self):
        return iter(self.params)


@dataclass(frozen=True)
class SourceStyle:
    """How the signature was written, so a re-save can keep the file's dialect and key order."""

    dialect: str = "required"  # "none" | "optional" | "required"
    name_first: bool = False  # 1.x wrote ``{"name", "type"}``
    params_key: bool = True  # the file had a ``params`` key (2.6+)
    param_type_first: bool = False  # 2.x wrote ParamSpec as name, type, default, shape


@dataclass(frozen=True)
class Signature:
    inputs: Schema | None = None
    outputs: Schema | None = None
    params: ParamSchema | None = None
    style: SourceStyle = field(default_factory=SourceStyle, compare=False)

    # -- reading -----------------------------------------------------------------------------

    @classmethod
    def from_mlmodel(cls, raw: Any, path: str | Path | None = None) -> Signature:
        """Parse MLmodel's ``signature`` mapping (values are JSON strings) as MLflow does.

        Raises SchemaError for everything that makes MLflow fail to load the file, except the
        2.5–2.9 ``optional`` key, which we read (see ``compat_problems``).
        """
        if not isinstance(raw, Mapping):
            raise SchemaError(
                f"'signature' must be a mapping, found {type(raw).__name__}", path
            )
        parts: dict[str, Any] = {}
        for section in SECTIONS:
            value = raw.get(section)
            if not value:
                parts[section] = None
                continue
            if not isinstance(value, str):
                raise SchemaError(
                    f"signature.{section} must be a JSON string, found a YAML "
                    f"{_yaml_kind(value)} (MLflow fails with 'the JSON object must be str')",
                    path,
                )
            try:
                decoded = json.loads(value)
            except ValueError as exc:
                raise SchemaError(f"signature.{section} is not valid JSON: {exc}", path) from None
            if section == "params":
                parts[section] = parse_params(decoded, path)
            else:
                parts[section] = parse_schema(decoded, section, path)
        if all(v is None for v in parts.values()):
            raise SchemaError(
                "signature has no inputs, outputs or params (MLflow: 'At least one of inputs, "
                "outputs or params must be provided'); delete the signature key instead",
                path,
            )
        style = SourceStyle(
            dialect=detect_dialect(raw),
            name_first=_detect_name_first(raw),
            params_key="params" in raw,
            param_type_first=_detect_param_type_first(raw),
        )
        return cls(parts["inputs"], parts["outputs"], parts["params"], style)

    @classmethod
    def from_canonical(cls, data: Mapping[str, Any], path: str | Path | None = None) -> Signature:
        """Build from ``{"inputs": [...], "outputs": [...], "params": [...]}`` (parsed lists)."""
        if not isinstance(data, Mapping):
            raise SchemaError("a signature must be a JSON object with inputs/outputs/params", path)
        unknown = set(data) - set(SECTIONS)
        if unknown:
            raise SchemaError(f"unknown signature keys: {sorted(unknown)}", path)
        inputs = parse_schema(data["inputs"], "inputs", path) if data.get("inputs") else None
        outputs = parse_schema(data["outputs"], "outputs", path) if data.get("outputs") else None
        params = parse_params(data["params"], path) if data.get("params") else None
        if inputs is None and outputs is None and params is None:
            raise SchemaError("a signature needs at least one of inputs, outputs or params", path)
        return cls(inputs, outputs, params)

    # -- writing -----------------------------------------------------------------------------

    def to_canonical(self) -> dict[str, Any]:
        """MLflow 3's parsed form: what ``Model.load(...).signature.to_dict()`` decodes to."""
        return {
            "inputs": self.inputs.to_list() if self.inputs else None,
            "outputs": self.outputs.to_list() if self.outputs else None,
            "params": self.params.to_list() if self.params else None,
        }

    def to_mlmodel(self, dialect: str = "current", params_key: bool | None = None) -> dict:
        """The ``signature`` mapping to write into MLmodel (JSON strings, like MLflow).

        ``params_key``: write ``params: null`` when there are no params. Default: yes for the
        current dialect, and as the source file did for the others.
        """
        if dialect not in DIALECTS:
            raise ValueError(f"unknown dialect {dialect!r}; choose one of {DIALECTS}")
        for issue in self.validate():
            if issue.fatal:
                raise SchemaError(issue.message, column=issue.column_label)
        out: dict[str, Any] = {}
        for section in ("inputs", "outputs"):
            schema: Schema | None = getattr(self, section)
            out[section] = (
                None if schema is None else _dumps(_schema_to_dialect(schema, section, dialect, self.style))
            )
        if params_key is None:
            params_key = dialect == "current" or self.style.params_key
        if self.params is not None:
            type_first = dialect != "current" and self.style.param_type_first
            out["params"] = _dumps([_param_to_dict(p, type_first) for p in self.params])
        elif params_key:
            out["params"] = None
        return out

    # -- checks ------------------------------------------------------------------------------

    def validate(self) -> list[Issue]:
        """Every rule of §4.5 and §4.8, plus our stricter ones (duplicate names)."""
        issues: list[Issue] = []
        if self.inputs is None and self.outputs is None and self.params is None:
            issues.append(Issue("inputs", None, None, "the signature is empty; remove it instead", True))
        for section in ("inputs", "outputs"):
            schema = getattr(self, section)
            if schema is not None:
                issues.extend(validate_schema(schema, section))
        if self.params is not None:
            issues.extend(validate_params(self.params))
        return issues

    def compat_problems(self) -> list[str]:
        """Which MLflow versions cannot load this signature as it was written."""
        problems = []
        if self.style.dialect == "optional":
            problems.append(
                "signature uses the 2.5–2.9 'optional' column key: mlflow >= 2.19 (3.x included) "
                "cannot load this MLmodel; re-save it in the current dialect"
            )
        return problems

    def needs_current_dialect(self) -> str | None:
        """Why the legacy (mlflow < 2.10) dialect cannot express this signature, or None."""
        for section in ("inputs", "outputs"):
            schema: Schema | None = getattr(self, section)
            if schema is None:
                continue
            for spec in schema.specs:
                if isinstance(spec, ColSpec):
                    if not isinstance(spec.type, ScalarType):
                        return f"{section} column {_label(spec)} has type {spec.type}, which mlflow < 2.10 cannot read"
                    if not spec.is_required:
                        return f"{section} column {_label(spec)} is optional, which mlflow < 2.10 cannot express"
        if self.params is not None:
            for p in self.params:
                if isinstance(p.type, ObjectType):
                    return f"param {p.name!r} has type object, which mlflow < 2.20 cannot read"
        return None

    def describe(self) -> str:
        left = self.inputs.describe() if self.inputs else "?"
        right = self.outputs.describe() if self.outputs else "?"
        text = f"({left}) -> ({right})"
        if self.params:
            text += " params: " + ", ".join(p.describe() for p in self.params)
        return text


@dataclass(frozen=True)
class Issue:
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
# Parsing


def detect_dialect(raw: Any) -> str:
    """``none`` | ``optional`` | ``required`` from the raw MLmodel signature mapping."""
    found = "none"
    if not isinstance(raw, Mapping):
        return found
    for section in ("inputs", "outputs"):
        value = raw.get(section)
        if not isinstance(value, str):
            continue
        try:
            specs = json.loads(value)
        except ValueError:
            continue
        if not isinstance(specs, list):
            continue
        for spec in specs:
            if isinstance(spec, dict):
                if "required" in spec:
                    return "required"
                if "optional" in spec:
                    found = "optional"
    return found


def _detect_name_first(raw: Mapping) -> bool:
    value = raw.get("inputs") or raw.get("outputs")
    if isinstance(value, str):
        return bool(re.match(r'\s*\[\s*\{\s*"name"', value))
    return False


def _detect_param_type_first(raw: Mapping) -> bool:
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
_DATETIME_RE = re.compile(r"^[<>|]?(?:datetime64|M8)(?:\[(\w+)\])?$")
_TIMEDELTA_RE = re.compile(r"^[<>|]?(?:timedelta64|m8)(?:\[(\w+)\])?$")
_SIZED_FLEX_RE = re.compile(r"^[<>|=]?[US]\d+$|^(?:str|bytes)\d+$")


def normalize_dtype(raw: Any, where: str = "tensor", path: str | Path | None = None) -> str:
    """``np.dtype(raw).name`` for the names MLflow meets, with numpy as a lazy fallback."""
    if not isinstance(raw, str):
        raise SchemaError(f"{where}: tensor dtype must be a string, found {raw!r}", path)
    key = raw.strip()
    if key in _DTYPE_ALIASES:
        return _DTYPE_ALIASES[key]
    if _SIZED_FLEX_RE.match(key):
        raise SchemaError(
            f"{where}: sized string dtype {raw!r} is not supported by MLflow; use 'str' or 'bytes'",
            path,
        )
    m = _DATETIME_RE.match(key)
    if m:
        return f"datetime64[{m.group(1)}]" if m.group(1) else "datetime64"
    m = _TIMEDELTA_RE.match(key)
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


_ISO_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


def _parse_datetime_param(value: Any) -> tuple[Any, str | None]:
    """Accept what ``np.datetime64(value).item()`` turns into a date/datetime; keep ISO text."""
    import datetime as dt

    if isinstance(value, (bool, int, float)):
        return value, f"{value!r} is not convertible to datetime (give an ISO date string)"
    if not isinstance(value, str):
        return value, f"{type(value).__name__} is not convertible to datetime"
    text = value.strip()
    if _ISO_DATE.match(text):
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


# ---------------------------------------------------------------------------------------------
# Writing dialects


def _schema_to_dialect(schema: Schema, section: str, dialect: str, style: SourceStyle) -> list[dict]:
    if dialect == "current" or schema.is_tensor:
        return schema.to_list()
    out = []
    for spec in schema.specs:
        assert isinstance(spec, ColSpec)
        if not isinstance(spec.type, ScalarType):
            raise SchemaError(
                f"{section} column {_label(spec)} has type {spec.type}: composite types need the "
                "current dialect (mlflow >= 2.10)",
                column=_label(spec),
            )
        if dialect == "legacy":
            if not spec.is_required:
                raise SchemaError(
                    f"{section} column {_label(spec)} is optional: mlflow < 2.10 cannot express "
                    "optional columns; save in the current dialect instead",
                    column=_label(spec),
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


def _param_to_dict(p: ParamSpec, type_first: bool) -> dict[str, Any]:
    if not type_first:
        return p.to_dict()
    d: dict[str, Any] = {"name": p.name}
    d.update(p.type.to_dict())
    d["default"] = p.default
    d["shape"] = list(p.shape) if p.shape is not None else None
    return d


def _dumps(value: Any) -> str:
    return json.dumps(value)


# ---------------------------------------------------------------------------------------------
# Small helpers


def _label(spec: Spec) -> str:
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


def _yaml_kind(value: Any) -> str:
    return {dict: "mapping", list: "list"}.get(type(value), type(value).__name__)


def schema_from_specs(specs: Iterable[Spec]) -> Schema:
    return Schema(tuple(specs))
