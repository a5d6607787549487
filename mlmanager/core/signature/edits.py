"""Pure edit operations on a :class:`Signature`, for the editor's undo stack.

Every edit is a small frozen dataclass with ``apply(sig) -> sig`` and ``inverse(before) -> Edit``
(the edit that undoes it, computed from the signature the edit was applied to), and
``apply_with_inverse`` for both at once. Edits never re-parse or validate: the editor may hold an
invalid signature while the user types (validation is ``Signature.validate()``), so new
``Schema``/``ParamSchema`` objects are built directly. Structural impossibilities (an index out
of range, a tensor edit on a column) raise :class:`EditError`.

Applying an edit and then its inverse gives back a signature ``==`` to the original (and with the
same ``style``); ``ReplaceSignature`` keeps the old object itself. ``convert_schema_kind`` turns
columns into a tensor and back (with what is lost); ``diff_signatures`` (from ``sigdiff``) lists
the differences between two signatures.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from mlmanager.core.errors import InvalidError
from mlmanager.core.signature.diff import (  # re-exported: part of the edit API
    Change,
    diff_signatures,
)
from mlmanager.core.signature.schema import (
    NUMPY_DTYPES,
    AnyType,
    ArrayType,
    ColSpec,
    ParamSchema,
    ParamSpec,
    ScalarType,
    Schema,
    Signature,
    Spec,
    TensorSpec,
    ValueType,
)

COLUMN_SECTIONS = ("inputs", "outputs")
ALL_SECTIONS = ("inputs", "outputs", "params")


class EditError(InvalidError):
    """An edit cannot be applied to this signature (index out of range, wrong row kind, ...)."""


class _Unset:
    """Marks a field :class:`SetParam` leaves alone (``None`` is a legitimate default/shape)."""

    _instance: _Unset | None = None

    def __new__(cls) -> _Unset:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "UNSET"

    def __reduce__(self) -> str:
        return "UNSET"


UNSET: Any = _Unset()


class Edit:
    """Base class. Subclasses are frozen dataclasses."""

    def apply(self, sig: Signature | None) -> Signature | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def inverse(self, before: Signature | None) -> Edit:  # pragma: no cover - abstract
        raise NotImplementedError

    def describe(self) -> str:  # pragma: no cover - abstract
        raise NotImplementedError

    def apply_with_inverse(self, sig: Signature | None) -> tuple[Signature | None, Edit]:
        """``(new_sig, inverse_edit)``; the inverse is computed before applying."""
        inverse = self.inverse(sig)
        return self.apply(sig), inverse


def apply_edits(sig: Signature | None, edits: list[Edit]) -> tuple[Signature | None, list[Edit]]:
    """Apply edits in order; returns the result and the inverses in undo order (last first)."""
    inverses: list[Edit] = []
    for edit in edits:
        sig, inv = edit.apply_with_inverse(sig)
        inverses.append(inv)
    return sig, inverses[::-1]


# ---------------------------------------------------------------------------------------------
# Access helpers


def _need_sig(sig: Signature | None) -> Signature:
    if sig is None:
        raise EditError("there is no signature; create one first")
    return sig


def _column_section(section: str) -> None:
    if section not in COLUMN_SECTIONS:
        raise EditError(f"unknown section {section!r}; expected inputs or outputs")


def _schema(sig: Signature | None, section: str) -> Schema:
    _column_section(section)
    schema = getattr(_need_sig(sig), section)
    if schema is None:
        raise EditError(f"the signature has no {section}")
    return schema


def _spec(schema: Schema, section: str, index: int) -> Spec:
    if not isinstance(index, int) or not 0 <= index < len(schema.specs):
        raise EditError(f"{section} has no row {index} (it has {len(schema.specs)})")
    return schema.specs[index]


def _col(schema: Schema, section: str, index: int) -> ColSpec:
    spec = _spec(schema, section, index)
    if not isinstance(spec, ColSpec):
        raise EditError(f"{section} row {index} is a tensor, not a column")
    return spec


def _tensor(schema: Schema, section: str, index: int) -> TensorSpec:
    spec = _spec(schema, section, index)
    if not isinstance(spec, TensorSpec):
        raise EditError(f"{section} row {index} is a column, not a tensor")
    return spec


def _with_section(sig: Signature, section: str, value: Schema | ParamSchema | None) -> Signature:
    return dataclasses.replace(sig, **{section: value})


def _with_spec(sig: Signature, section: str, index: int, spec: Spec) -> Signature:
    specs = list(_schema(sig, section).specs)
    specs[index] = spec
    return _with_section(sig, section, Schema(tuple(specs)))


def _params(sig: Signature | None) -> ParamSchema:
    params = _need_sig(sig).params
    if params is None:
        raise EditError("the signature has no params")
    return params


def _param(params: ParamSchema, index: int) -> ParamSpec:
    if not isinstance(index, int) or not 0 <= index < len(params.params):
        raise EditError(f"params has no row {index} (it has {len(params.params)})")
    return params.params[index]


def _move(items: tuple, src: int, dst: int, what: str) -> tuple:
    n = len(items)
    if not (0 <= src < n and 0 <= dst < n):
        raise EditError(f"cannot move {what} row {src} to {dst} (it has {n} rows)")
    out = list(items)
    out.insert(dst, out.pop(src))
    return tuple(out)


def _insert_index(index: int | None, n: int, what: str) -> int:
    if index is None:
        return n
    if not isinstance(index, int) or not 0 <= index <= n:
        raise EditError(f"cannot insert into {what} at {index} (it has {n} rows)")
    return index


def _row(section: str, index: int) -> str:
    return f"{section} row {index + 1}"


# ---------------------------------------------------------------------------------------------
# Column / tensor edits


@dataclass(frozen=True)
class SetColumnType(Edit):
    section: str
    index: int
    type: ValueType

    def apply(self, sig: Signature | None) -> Signature:
        spec = _col(_schema(sig, self.section), self.section, self.index)
        return _with_spec(_need_sig(sig), self.section, self.index, dataclasses.replace(spec, type=self.type))

    def inverse(self, before: Signature | None) -> Edit:
        old = _col(_schema(before, self.section), self.section, self.index)
        return SetColumnType(self.section, self.index, old.type)

    def describe(self) -> str:
        return f"Set type of {_row(self.section, self.index)} to {self.type}"


@dataclass(frozen=True)
class SetTypes(Edit):
    """One type for many columns at once (multi-row selection)."""

    section: str
    indices: tuple[int, ...]
    type: ValueType

    def apply(self, sig: Signature | None) -> Signature:
        schema = _schema(sig, self.section)
        specs = list(schema.specs)
        for i in self.indices:
            specs[i] = dataclasses.replace(_col(schema, self.section, i), type=self.type)
        return _with_section(_need_sig(sig), self.section, Schema(tuple(specs)))

    def inverse(self, before: Signature | None) -> Edit:
        schema = _schema(before, self.section)
        old = [(i, _col(schema, self.section, i).type) for i in self.indices]
        # reversed so that a repeated index ends with its original type
        return Compound(tuple(SetColumnType(self.section, i, t) for i, t in reversed(old)), "Restore types")

    def describe(self) -> str:
        return f"Set type of {len(self.indices)} {self.section} columns to {self.type}"


@dataclass(frozen=True)
class SetColumnName(Edit):
    """Rename a column or tensor; ``name=None`` makes it unnamed."""

    section: str
    index: int
    name: Any

    def apply(self, sig: Signature | None) -> Signature:
        spec = _spec(_schema(sig, self.section), self.section, self.index)
        return _with_spec(_need_sig(sig), self.section, self.index, dataclasses.replace(spec, name=self.name))

    def inverse(self, before: Signature | None) -> Edit:
        old = _spec(_schema(before, self.section), self.section, self.index)
        return SetColumnName(self.section, self.index, old.name)

    def describe(self) -> str:
        if self.name is None:
            return f"Remove the name of {_row(self.section, self.index)}"
        return f"Rename {_row(self.section, self.index)} to {self.name!r}"


@dataclass(frozen=True)
class SetRequired(Edit):
    section: str
    index: int
    required: bool | None

    def apply(self, sig: Signature | None) -> Signature:
        spec = _col(_schema(sig, self.section), self.section, self.index)
        return _with_spec(
            _need_sig(sig), self.section, self.index, dataclasses.replace(spec, required=self.required)
        )

    def inverse(self, before: Signature | None) -> Edit:
        old = _col(_schema(before, self.section), self.section, self.index)
        return SetRequired(self.section, self.index, old.required)

    def describe(self) -> str:
        word = "optional" if self.required is False else "required"
        return f"Make {_row(self.section, self.index)} {word}"


@dataclass(frozen=True)
class ReplaceColumn(Edit):
    """Replace one row by another spec (e.g. after editing an object type in a dialog)."""

    section: str
    index: int
    spec: Spec

    def apply(self, sig: Signature | None) -> Signature:
        _spec(_schema(sig, self.section), self.section, self.index)
        return _with_spec(_need_sig(sig), self.section, self.index, self.spec)

    def inverse(self, before: Signature | None) -> Edit:
        old = _spec(_schema(before, self.section), self.section, self.index)
        return ReplaceColumn(self.section, self.index, old)

    def describe(self) -> str:
        return f"Change {_row(self.section, self.index)} to {self.spec.describe()}"


@dataclass(frozen=True)
class AddColumn(Edit):
    """Insert ``spec`` at ``index`` (None: append). Creates the section when it is absent."""

    section: str
    index: int | None
    spec: Spec

    def apply(self, sig: Signature | None) -> Signature:
        _column_section(self.section)
        s = _need_sig(sig)
        schema = getattr(s, self.section)
        specs = list(schema.specs) if schema is not None else []
        specs.insert(_insert_index(self.index, len(specs), self.section), self.spec)
        return _with_section(s, self.section, Schema(tuple(specs)))

    def inverse(self, before: Signature | None) -> Edit:
        _column_section(self.section)
        schema = getattr(_need_sig(before), self.section)
        if schema is None:
            return ReplaceSection(self.section, None)
        return RemoveColumn(self.section, _insert_index(self.index, len(schema.specs), self.section))

    def describe(self) -> str:
        return f"Add {self.section} column {self.spec.describe()}"


@dataclass(frozen=True)
class RemoveColumn(Edit):
    """Remove one row. Removing the last row leaves an empty (invalid) section for the editor."""

    section: str
    index: int

    def apply(self, sig: Signature | None) -> Signature:
        schema = _schema(sig, self.section)
        _spec(schema, self.section, self.index)
        specs = schema.specs[: self.index] + schema.specs[self.index + 1 :]
        return _with_section(_need_sig(sig), self.section, Schema(specs))

    def inverse(self, before: Signature | None) -> Edit:
        old = _spec(_schema(before, self.section), self.section, self.index)
        return AddColumn(self.section, self.index, old)

    def describe(self) -> str:
        return f"Remove {_row(self.section, self.index)}"


@dataclass(frozen=True)
class MoveColumn(Edit):
    """Move row ``src`` so that it ends up at index ``dst``."""

    section: str
    src: int
    dst: int

    def apply(self, sig: Signature | None) -> Signature:
        schema = _schema(sig, self.section)
        specs = _move(schema.specs, self.src, self.dst, self.section)
        return _with_section(_need_sig(sig), self.section, Schema(specs))

    def inverse(self, before: Signature | None) -> Edit:
        _schema(before, self.section)
        return MoveColumn(self.section, self.dst, self.src)

    def describe(self) -> str:
        return f"Move {_row(self.section, self.src)} to position {self.dst + 1}"


@dataclass(frozen=True)
class DuplicateColumn(Edit):
    """Insert a copy of row ``index`` right after it (named rows get a fresh ``_copy`` name)."""

    section: str
    index: int

    def apply(self, sig: Signature | None) -> Signature:
        schema = _schema(sig, self.section)
        spec = _spec(schema, self.section, self.index)
        copy = spec
        if spec.name is not None:
            copy = dataclasses.replace(spec, name=unique_name(f"{spec.name}_copy", schema.names()))
        specs = list(schema.specs)
        specs.insert(self.index + 1, copy)
        return _with_section(_need_sig(sig), self.section, Schema(tuple(specs)))

    def inverse(self, before: Signature | None) -> Edit:
        _spec(_schema(before, self.section), self.section, self.index)
        return RemoveColumn(self.section, self.index + 1)

    def describe(self) -> str:
        return f"Duplicate {_row(self.section, self.index)}"


@dataclass(frozen=True)
class SetTensorDtype(Edit):
    """Set a tensor's dtype text as given (normalise it first with ``schema.normalize_dtype``)."""

    section: str
    index: int
    dtype: str

    def apply(self, sig: Signature | None) -> Signature:
        spec = _tensor(_schema(sig, self.section), self.section, self.index)
        return _with_spec(_need_sig(sig), self.section, self.index, dataclasses.replace(spec, dtype=self.dtype))

    def inverse(self, before: Signature | None) -> Edit:
        old = _tensor(_schema(before, self.section), self.section, self.index)
        return SetTensorDtype(self.section, self.index, old.dtype)

    def describe(self) -> str:
        return f"Set dtype of {_row(self.section, self.index)} to {self.dtype}"


@dataclass(frozen=True)
class SetTensorShape(Edit):
    section: str
    index: int
    shape: tuple[int, ...]

    def apply(self, sig: Signature | None) -> Signature:
        spec = _tensor(_schema(sig, self.section), self.section, self.index)
        return _with_spec(
            _need_sig(sig), self.section, self.index, dataclasses.replace(spec, shape=tuple(self.shape))
        )

    def inverse(self, before: Signature | None) -> Edit:
        old = _tensor(_schema(before, self.section), self.section, self.index)
        return SetTensorShape(self.section, self.index, old.shape)

    def describe(self) -> str:
        return f"Set shape of {_row(self.section, self.index)} to {list(self.shape)}"


# ---------------------------------------------------------------------------------------------
# Param edits


@dataclass(frozen=True)
class SetParam(Edit):
    """Change any of a param's name, type, default and shape (UNSET fields stay as they are)."""

    index: int
    name: Any = UNSET
    type: Any = UNSET
    default: Any = UNSET
    shape: Any = UNSET

    def _changes(self) -> dict[str, Any]:
        return {
            k: (tuple(v) if k == "shape" and v is not None else v)
            for k in ("name", "type", "default", "shape")
            if (v := getattr(self, k)) is not UNSET
        }

    def apply(self, sig: Signature | None) -> Signature:
        params = _params(sig)
        old = _param(params, self.index)
        items = list(params.params)
        items[self.index] = dataclasses.replace(old, **self._changes())
        return _with_section(_need_sig(sig), "params", ParamSchema(tuple(items)))

    def inverse(self, before: Signature | None) -> Edit:
        old = _param(_params(before), self.index)
        return SetParam(self.index, **{k: getattr(old, k) for k in self._changes()})

    def describe(self) -> str:
        parts = ", ".join(f"{k} = {v!r}" if k != "type" else f"type = {v}" for k, v in self._changes().items())
        return f"Set params row {self.index + 1}: {parts}"


@dataclass(frozen=True)
class AddParam(Edit):
    """Insert a param at ``index`` (None: append); creates the params section when absent."""

    index: int | None
    spec: ParamSpec

    def apply(self, sig: Signature | None) -> Signature:
        s = _need_sig(sig)
        items = list(s.params.params) if s.params is not None else []
        items.insert(_insert_index(self.index, len(items), "params"), self.spec)
        return _with_section(s, "params", ParamSchema(tuple(items)))

    def inverse(self, before: Signature | None) -> Edit:
        params = _need_sig(before).params
        if params is None:
            return ReplaceSection("params", None)
        return RemoveParam(_insert_index(self.index, len(params.params), "params"))

    def describe(self) -> str:
        return f"Add param {self.spec.describe()}"


@dataclass(frozen=True)
class RemoveParam(Edit):
    index: int

    def apply(self, sig: Signature | None) -> Signature:
        params = _params(sig)
        _param(params, self.index)
        items = params.params[: self.index] + params.params[self.index + 1 :]
        return _with_section(_need_sig(sig), "params", ParamSchema(items))

    def inverse(self, before: Signature | None) -> Edit:
        return AddParam(self.index, _param(_params(before), self.index))

    def describe(self) -> str:
        return f"Remove params row {self.index + 1}"


@dataclass(frozen=True)
class MoveParam(Edit):
    src: int
    dst: int

    def apply(self, sig: Signature | None) -> Signature:
        params = _params(sig)
        return _with_section(
            _need_sig(sig), "params", ParamSchema(_move(params.params, self.src, self.dst, "params"))
        )

    def inverse(self, before: Signature | None) -> Edit:
        _params(before)
        return MoveParam(self.dst, self.src)

    def describe(self) -> str:
        return f"Move params row {self.src + 1} to position {self.dst + 1}"


# ---------------------------------------------------------------------------------------------
# Whole sections / signatures


@dataclass(frozen=True)
class ReplaceSection(Edit):
    """Set ``inputs``/``outputs`` to a Schema, ``params`` to a ParamSchema, or any of them to None.

    Covers switching columns <-> tensor (see :func:`convert_schema_kind`) and removing a section.
    """

    section: str
    value: Schema | ParamSchema | None

    def apply(self, sig: Signature | None) -> Signature:
        if self.section not in ALL_SECTIONS:
            raise EditError(f"unknown section {self.section!r}")
        expected = ParamSchema if self.section == "params" else Schema
        if self.value is not None and not isinstance(self.value, expected):
            raise EditError(f"{self.section} needs a {expected.__name__}, got {type(self.value).__name__}")
        return _with_section(_need_sig(sig), self.section, self.value)

    def inverse(self, before: Signature | None) -> Edit:
        if self.section not in ALL_SECTIONS:
            raise EditError(f"unknown section {self.section!r}")
        return ReplaceSection(self.section, getattr(_need_sig(before), self.section))

    def describe(self) -> str:
        if self.value is None:
            return f"Remove {self.section}"
        return f"Replace {self.section}"


@dataclass(frozen=True)
class ReplaceSignature(Edit):
    """Create, replace (e.g. apply an inferred proposal as one step) or remove (None) a signature.

    ``keep_style``: a replacement keeps the old signature's ``style`` (so "keep the file's
    dialect" still knows what the file used); the inverse restores the old object itself.
    """

    new: Signature | None
    keep_style: bool = True

    def apply(self, sig: Signature | None) -> Signature | None:
        if self.keep_style and sig is not None and self.new is not None:
            return dataclasses.replace(self.new, style=sig.style)
        return self.new

    def inverse(self, before: Signature | None) -> Edit:
        return ReplaceSignature(before, keep_style=False)

    def describe(self) -> str:
        return "Remove the signature" if self.new is None else "Replace the signature"


@dataclass(frozen=True)
class Compound(Edit):
    """Several edits applied as one undo step."""

    edits: tuple[Edit, ...]
    text: str = ""

    def apply(self, sig: Signature | None) -> Signature | None:
        for edit in self.edits:
            sig = edit.apply(sig)
        return sig

    def inverse(self, before: Signature | None) -> Edit:
        inverses = []
        sig = before
        for edit in self.edits:
            inverses.append(edit.inverse(sig))
            sig = edit.apply(sig)
        return Compound(tuple(reversed(inverses)), f"Undo {self.describe().lower()}")

    def describe(self) -> str:
        if self.text:
            return self.text
        return "; ".join(e.describe() for e in self.edits) or "No change"


def unique_name(base: str, taken: list[Any]) -> str:
    """``base``, or ``base2``, ``base3``... the first not in ``taken``."""
    names = {str(n) for n in taken}
    if base not in names:
        return base
    k = 2
    while f"{base}{k}" in names:
        k += 1
    return f"{base}{k}"


# ---------------------------------------------------------------------------------------------
# Columns <-> tensor

_NUMERIC_ORDER = ("boolean", "integer", "long", "float", "double")


def dtype_to_type(dtype: str) -> tuple[ValueType, str | None]:
    """The column type for a tensor dtype (MLflow's ``_infer_numpy_dtype``), and what is lost."""
    d = dtype.strip()
    simple = {
        "bool": "boolean",
        "int8": "integer",
        "int16": "integer",
        "int32": "integer",
        "uint8": "integer",
        "uint16": "integer",
        "int64": "long",
        "uint32": "long",
        "float16": "float",
        "float32": "float",
        "float64": "double",
        "str": "string",
        "bytes": "binary",
    }
    if d in simple:
        note = None
        if d in ("int8", "int16", "uint8", "uint16", "float16"):
            note = f"{d} widens to {simple[d]} ({NUMPY_DTYPES[simple[d]]}): the narrower range is no longer checked"
        return ScalarType(simple[d]), note
    if d.startswith("datetime64"):
        note = None if d == "datetime64[ns]" else f"{d} becomes datetime (nanoseconds)"
        return ScalarType("datetime"), note
    if d == "uint64":
        return ScalarType("long"), "uint64 becomes long: values above 2**63-1 no longer fit"
    return AnyType(), f"dtype {d} has no column type; using any (no type check)"


def _unified_dtype(types: list[ValueType]) -> tuple[str, str | None]:
    names = [t.name for t in types if isinstance(t, ScalarType)]
    if len(names) != len(types):
        kinds = sorted({str(t) for t in types if not isinstance(t, ScalarType)})
        return "object", f"{', '.join(kinds)} columns have no tensor dtype: using object (no type check)"
    distinct = sorted(set(names), key=names.index)
    if len(distinct) == 1:
        return NUMPY_DTYPES.get(distinct[0], "object"), None
    if all(n in _NUMERIC_ORDER for n in distinct):
        if any(n in ("float", "double") for n in distinct):
            dtype = "float32" if set(distinct) <= {"float", "boolean"} else "float64"
        else:
            dtype = "int64" if "long" in distinct else "int32" if "integer" in distinct else "bool"
        return dtype, f"mixed column types ({', '.join(distinct)}) become one dtype {dtype}"
    return "object", f"mixed column types ({', '.join(distinct)}) have no common dtype: using object"


def convert_schema_kind(schema: Schema, to: str) -> tuple[Schema, str]:
    """Switch a schema between columns and tensors; returns the new schema and what is lost.

    * ``to="tensor"``: N columns -> one unnamed tensor ``[-1, N]`` of the columns' dtype
      (N double columns -> float64 ``[-1, N]``);
    * ``to="columns"``: one unnamed tensor ``[-1, N]`` -> N unnamed columns of the mapped type
      (``[-1]`` -> one column; ``[-1, -1]`` or more dimensions -> one array column); named
      tensors -> one named column each (``[-1]`` -> scalar, more dimensions -> array).
    """
    if to not in ("tensor", "columns"):
        raise EditError(f"convert to 'tensor' or 'columns', not {to!r}")
    if not schema.specs:
        raise EditError("an empty schema has nothing to convert")
    if to == "tensor":
        if schema.is_tensor:
            return schema, "already a tensor schema: nothing changed"
        return _columns_to_tensor(schema)
    if not schema.is_tensor:
        return schema, "already a column schema: nothing changed"
    return _tensors_to_columns(schema)


def _columns_to_tensor(schema: Schema) -> tuple[Schema, str]:
    cols = [s for s in schema.specs if isinstance(s, ColSpec)]
    if len(cols) != len(schema.specs):
        raise EditError("the schema mixes columns and tensors; fix that first")
    dtype, note = _unified_dtype([c.type for c in cols])
    n = len(cols)
    tensor = TensorSpec(dtype=dtype, shape=(-1, n), name=None)
    lines = [
        f"{n} column{'s' if n != 1 else ''} -> one tensor {dtype} [-1, {n}]. Clients must send "
        f"{dtype} arrays of exactly {n} values per row (tensor dtypes must match exactly)."
    ]
    if note:
        lines.append(note + ".")
    if schema.has_names:
        shown = ", ".join(repr(c.name) for c in cols[:6]) + (", …" if n > 6 else "")
        lines.append(f"Column names are lost ({shown}): a tensor is positional, so keep this order.")
    if any(not c.is_required for c in cols):
        lines.append("Optional flags are lost: every tensor value is required.")
    return Schema((tensor,)), "\n".join(lines)


def _nested(t: ValueType, depth: int) -> ValueType:
    for _ in range(depth):
        t = ArrayType(t)
    return t


def _tensors_to_columns(schema: Schema) -> tuple[Schema, str]:
    tensors = [s for s in schema.specs if isinstance(s, TensorSpec)]
    if len(tensors) != len(schema.specs):
        raise EditError("the schema mixes columns and tensors; fix that first")
    lines: list[str] = []
    notes: list[str] = []
    specs: list[ColSpec] = []
    if len(tensors) == 1 and tensors[0].name is None:
        t = tensors[0]
        base, note = dtype_to_type(t.dtype)
        if note:
            notes.append(note)
        shape = t.shape
        if len(shape) <= 1:
            specs = [ColSpec(base)]
            lines.append(f"tensor {t.dtype} {list(shape)} -> one unnamed {base} column.")
        elif len(shape) == 2 and shape[1] >= 0:
            n = shape[1]
            if n == 0:
                raise EditError("a tensor with 0 columns cannot become columns")
            specs = [ColSpec(base) for _ in range(n)]
            lines.append(
                f"tensor {t.dtype} {list(shape)} -> {n} unnamed {base} column{'s' if n != 1 else ''} "
                "(name them to send a table with headers)."
            )
        else:
            col_type = _nested(base, len(shape) - 1)
            specs = [ColSpec(col_type)]
            lines.append(f"tensor {t.dtype} {list(shape)} -> one unnamed {col_type} column.")
            lines.append("The fixed sizes of the inner dimensions are no longer checked.")
    else:
        for t in tensors:
            base, note = dtype_to_type(t.dtype)
            if note:
                notes.append(f"{t.name!r}: {note}")
            col_type = _nested(base, max(len(t.shape) - 1, 0))
            specs.append(ColSpec(col_type, t.name))
        lines.append(
            f"{len(tensors)} named tensor{'s' if len(tensors) != 1 else ''} -> one named column each "
            "([-1] -> a scalar column, more dimensions -> an array column)."
        )
        if any(len(t.shape) > 1 for t in tensors):
            lines.append("Inner dimension sizes are no longer checked (arrays of any length pass).")
    lines.extend(n + "." for n in notes)
    lines.append(
        "Predict now checks each column with MLflow's column rules instead of requiring the exact "
        "tensor dtype and shape."
    )
    return Schema(tuple(specs)), "\n".join(lines)


__all__ = [
    "AddColumn",
    "AddParam",
    "Change",
    "Compound",
    "DuplicateColumn",
    "Edit",
    "EditError",
    "MoveColumn",
    "MoveParam",
    "RemoveColumn",
    "RemoveParam",
    "ReplaceColumn",
    "ReplaceSection",
    "ReplaceSignature",
    "SetColumnName",
    "SetParam",
    "SetRequired",
    "SetTensorDtype",
    "SetTensorShape",
    "SetTypes",
    "SetColumnType",
    "UNSET",
    "apply_edits",
    "convert_schema_kind",
    "diff_signatures",
    "dtype_to_type",
    "unique_name",
]
