"""The editable tensor schema (TensorSpec rows): optional name, numpy dtype, shape with -1."""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt

from mlmanager.core.errors import SchemaError
from mlmanager.core.signature.edits import (
    Edit,
    MoveColumn,
    SetColumnName,
    SetTensorDtype,
    SetTensorShape,
)
from mlmanager.core.signature.schema import Schema, TensorSpec, normalize_dtype
from mlmanager.core.signature.type_paths import short
from mlmanager.ui.pages.signature.base_model import (
    EDITOR_ROLE,
    Node,
    RowData,
    SpecTreeModel,
    muted_brush,
)
from mlmanager.ui.pages.signature.schema_model import column_structural, parse_name

NAME, DTYPE, SHAPE = range(3)
_SHAPE_RE = re.compile(r"^\s*\[?\s*(-?\d+(\s*[, ]\s*-?\d+)*)?\s*,?\s*\]?\s*$")


def parse_shape(value: Any) -> tuple[int, ...]:
    """``"[-1, 4]"``, ``"-1, 4"`` or ``"-1 4"`` (or a list) -> ``(-1, 4)``; ValueError otherwise."""
    if isinstance(value, (list, tuple)):
        items = list(value)
    else:
        text = str(value)
        if not _SHAPE_RE.match(text):
            raise ValueError(f"shape must be a list of integers such as [-1, 4], not {text!r}")
        items = re.findall(r"-?\d+", text)
    out = []
    for item in items:
        if isinstance(item, bool):
            raise ValueError("shape must be a list of integers")
        n = int(item)
        if n < -1:
            raise ValueError(f"dimension {n} is invalid: use -1 for a variable size")
        out.append(n)
    return tuple(out)


def format_shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(d) for d in shape) + "]"


class TensorSchemaModel(SpecTreeModel):
    COLUMNS = ("Name", "Dtype", "Shape")
    COLUMN_TIPS = (
        "Tensor name (optional for a single tensor; required when there are several)",
        "numpy dtype: the input's dtype must match exactly (no upcasting for tensors)",
        "Dimensions; -1 marks a variable size (the first, batch dimension is usually -1)",
    )
    FIELD_COLUMN = {"name": NAME, "type": DTYPE, "dtype": DTYPE, "shape": SHAPE, "required": NAME}

    def build_rows(self, value: Schema | None) -> list[Node]:
        if value is None:
            return []
        out = []
        for spec in value.specs:
            kind = "tensor" if isinstance(spec, TensorSpec) else "column"
            out.append(Node(RowData(kind, spec.name, getattr(spec, "type", None), None, spec)))
        return out

    def cell(self, node: Node, column: int, role: int) -> Any:
        d = node.data
        assert d is not None
        spec = d.spec
        display = role == Qt.ItemDataRole.DisplayRole
        if column == NAME:
            if display:
                return "(unnamed)" if d.name is None else str(d.name)
            if role == Qt.ItemDataRole.EditRole:
                return "" if d.name is None else str(d.name)
            if role == Qt.ItemDataRole.ForegroundRole and d.name is None:
                return muted_brush()
            if role == EDITOR_ROLE:
                return "text"
            return None
        if d.kind != "tensor":
            if display and column == DTYPE:
                return f"column {short(d.vtype)}"
            return None
        if column == DTYPE:
            if display or role == Qt.ItemDataRole.EditRole:
                return spec.dtype
            if role == EDITOR_ROLE:
                return "dtype"
        if column == SHAPE:
            if display or role == Qt.ItemDataRole.EditRole:
                return format_shape(spec.shape)
            if role == EDITOR_ROLE:
                return "shape"
            if role == Qt.ItemDataRole.ToolTipRole:
                dims = len(spec.shape)
                return f"{dims} dimension{'s' if dims != 1 else ''}; -1 = any size"
        return None

    def cell_flags(self, node: Node, column: int) -> Qt.ItemFlag:
        if column == NAME or (node.data is not None and node.data.kind == "tensor"):
            return Qt.ItemFlag.ItemIsEditable
        return Qt.ItemFlag.NoItemFlags

    def edit_for(self, node: Node, column: int, value: Any, role: int) -> Edit | None | bool:
        d = node.data
        assert d is not None
        if role != Qt.ItemDataRole.EditRole:
            return False
        row = node.row()
        if column == NAME:
            name = parse_name(value, d.name)
            if name == d.name and type(name) is type(d.name):
                return None
            return SetColumnName(self.section, row, name)
        spec = d.spec
        if column == DTYPE:
            try:
                dtype = normalize_dtype(str(value).strip(), "dtype")
            except SchemaError as exc:
                raise ValueError(exc.message) from None
            return None if dtype == spec.dtype else SetTensorDtype(self.section, row, dtype)
        if column == SHAPE:
            shape = parse_shape(value)
            return None if shape == spec.shape else SetTensorShape(self.section, row, shape)
        return False

    def structural(self, edit: Edit) -> tuple[str, int, int] | None:
        return column_structural(self.section, edit, len(self.root.children))

    def move_edit(self, src: int, dst: int) -> Edit | None:
        return MoveColumn(self.section, src, dst)
