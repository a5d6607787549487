"""The editable column schema (ColSpec rows): name, type, required; nested types as child rows.

Row kinds: ``column`` (a top-level ColSpec), ``items`` (an array's element type), ``values``
(a map's value type), ``property`` (an object property, with its own required flag), and
``tensor`` (a TensorSpec in a mixed schema: shown so the rule that forbids mixing can be
flagged on it). Every change is a core edit pushed on the document's undo stack.
"""

from __future__ import annotations

import re
from typing import Any

from PySide6.QtCore import Qt

from mlmanager.core.signature.edits import (
    AddColumn,
    Compound,
    DuplicateColumn,
    Edit,
    MoveColumn,
    RemoveColumn,
    SetColumnName,
    SetColumnType,
    SetRequired,
)
from mlmanager.core.signature.schema import ColSpec, ScalarType, Schema
from mlmanager.core.signature.type_paths import (
    KIND_TIPS,
    Path,
    child_rows,
    coerce,
    kind_of,
    rename_property,
    replace_at,
    set_property_required,
    short,
)
from mlmanager.ui.pages.signature.base_model import (
    EDITOR_ROLE,
    Node,
    RowData,
    SpecTreeModel,
    muted_brush,
)

NAME, TYPE, REQUIRED = range(3)
_EDITABLE = Qt.ItemFlag.ItemIsEditable
_CHECKABLE = Qt.ItemFlag.ItemIsUserCheckable


def type_children(t: Any, path: Path = ()) -> list[Node]:
    """Child rows for the inner types of ``t`` (recursively)."""
    out = []
    for step, child_type, label, required in child_rows(t):
        kind = {"items": "items", "values": "values"}.get(step.kind, "property")
        node = Node(RowData(kind, label, child_type, required, None, (*path, step)))
        node.children = type_children(child_type, (*path, step))
        out.append(node)
    return out


def parse_name(value: Any, old: Any) -> Any:
    """The name typed in a cell: blank -> None (unnamed); digits keep a numeric name numeric."""
    text = "" if value is None else str(value)
    if not text.strip():
        return None
    if isinstance(old, int) and not isinstance(old, bool) and re.fullmatch(r"\s*-?\d+\s*", text):
        return int(text)
    return text


def checked(value: Any) -> bool:
    if isinstance(value, Qt.CheckState):
        return value == Qt.CheckState.Checked
    if isinstance(value, bool):
        return value
    return value == Qt.CheckState.Checked.value


def column_structural(section: str, edit: Edit, count: int) -> tuple[str, int, int] | None:
    """The one-row structural change a column/tensor edit makes in ``section`` (or None)."""
    if getattr(edit, "section", None) != section:
        return None
    if isinstance(edit, AddColumn):
        return ("insert", count if edit.index is None else edit.index, 0)
    if isinstance(edit, RemoveColumn):
        return ("remove", edit.index, 0)
    if isinstance(edit, MoveColumn):
        return ("move", edit.src, edit.dst)
    if isinstance(edit, DuplicateColumn):
        return ("insert", edit.index + 1, 0)
    return None


class ColumnSchemaModel(SpecTreeModel):
    COLUMNS = ("Name", "Type", "Required")
    COLUMN_TIPS = (
        "Column name (blank: unnamed, positional columns)",
        "MLflow data type; array/object/map show their inner types as child rows",
        "Unchecked: the column may be missing or null (needs mlflow >= 2.10)",
    )
    FIELD_COLUMN = {"name": NAME, "type": TYPE, "required": REQUIRED, "dtype": TYPE, "shape": TYPE}

    def build_rows(self, value: Schema | None) -> list[Node]:
        if value is None:
            return []
        out = []
        for spec in value.specs:
            if isinstance(spec, ColSpec):
                node = Node(RowData("column", spec.name, spec.type, spec.is_required, spec))
                node.children = type_children(spec.type)
            else:
                node = Node(RowData("tensor", spec.name, None, None, spec))
            out.append(node)
        return out

    # -- display ------------------------------------------------------------------------------

    def cell(self, node: Node, column: int, role: int) -> Any:
        d = node.data
        assert d is not None
        display = role == Qt.ItemDataRole.DisplayRole
        if column == NAME:
            if d.kind in ("items", "values"):
                if display:
                    return "items" if d.kind == "items" else "values (keys are strings)"
                if role == Qt.ItemDataRole.ForegroundRole:
                    return muted_brush()
                if role == Qt.ItemDataRole.ToolTipRole:
                    return ("The type of every element of the array" if d.kind == "items"
                            else "The type of every value of the map (keys are always strings)")
                return None
            if display:
                return "(unnamed)" if d.name is None else str(d.name)
            if role == Qt.ItemDataRole.EditRole:
                return "" if d.name is None else str(d.name)
            if role == Qt.ItemDataRole.ForegroundRole and d.name is None:
                return muted_brush()
            if role == EDITOR_ROLE:
                return "text"
            if role == Qt.ItemDataRole.ToolTipRole and d.kind == "property":
                return "Object property (properties are kept sorted by name, as MLflow writes them)"
            return None
        if column == TYPE:
            if d.kind == "tensor":
                if display:
                    spec = d.spec
                    return f"tensor {spec.dtype} {list(spec.shape)}"
                return None
            if display:
                return short(d.vtype)
            if role == Qt.ItemDataRole.EditRole:
                return kind_of(d.vtype)
            if role == EDITOR_ROLE:
                return "type:column"
            if role == Qt.ItemDataRole.ToolTipRole:
                return KIND_TIPS.get(kind_of(d.vtype), str(d.vtype))
            return None
        if column == REQUIRED and d.kind in ("column", "property"):
            if role == Qt.ItemDataRole.CheckStateRole:
                return Qt.CheckState.Checked if d.required is not False else Qt.CheckState.Unchecked
            if display:
                return "required" if d.required is not False else "optional"
            if role == Qt.ItemDataRole.ForegroundRole and d.required is not False:
                return muted_brush()
            if role == Qt.ItemDataRole.ToolTipRole:
                return ("Required: MLflow rejects input without this column"
                        if d.required is not False else
                        "Optional: the column may be missing or null")
        return None

    def cell_flags(self, node: Node, column: int) -> Qt.ItemFlag:
        kind = node.data.kind if node.data else ""
        if column == NAME and kind in ("column", "tensor", "property"):
            return _EDITABLE
        if column == TYPE and kind in ("column", "items", "values", "property"):
            return _EDITABLE
        if column == REQUIRED and kind in ("column", "property"):
            return _CHECKABLE
        return Qt.ItemFlag.NoItemFlags

    # -- editing ------------------------------------------------------------------------------

    def edit_for(self, node: Node, column: int, value: Any, role: int) -> Edit | None | bool:
        d = node.data
        assert d is not None
        top = node.top()
        row = top.row()
        spec = top.data.spec
        if column == NAME and role == Qt.ItemDataRole.EditRole:
            if d.kind == "property":
                name = "" if value is None else str(value)
                if not name.strip():
                    raise ValueError("an object property needs a name")
                if name == d.name:
                    return None
                return SetColumnType(self.section, row, rename_property(spec.type, d.path, name))
            name = parse_name(value, d.name)
            if name == d.name and type(name) is type(d.name):
                return None
            return SetColumnName(self.section, row, name)
        if column == TYPE and role == Qt.ItemDataRole.EditRole:
            if not isinstance(spec, ColSpec):
                return False
            new_root = replace_at(spec.type, d.path, lambda old: _chosen_type(old, value))
            if new_root == spec.type:
                return None
            edit: Edit = SetColumnType(self.section, row, new_root)
            if isinstance(new_root, ScalarType) and spec.required is None:
                # MLflow writes "required": null only for composite columns
                edit = Compound((edit, SetRequired(self.section, row, True)), edit.describe())
            return edit
        if column == REQUIRED and role == Qt.ItemDataRole.CheckStateRole:
            want = checked(value)
            if d.kind == "property":
                if want == d.required:
                    return None
                return SetColumnType(self.section, row, set_property_required(spec.type, d.path, want))
            if want == spec.is_required and spec.required is not None:
                return None
            return SetRequired(self.section, row, want)
        return False

    def structural(self, edit: Edit) -> tuple[str, int, int] | None:
        return column_structural(self.section, edit, len(self.root.children))

    def move_edit(self, src: int, dst: int) -> Edit | None:
        return MoveColumn(self.section, src, dst)


def _chosen_type(old: Any, value: Any) -> Any:
    if isinstance(value, str):
        return coerce(old, value.strip().lower())
    if value is None or isinstance(value, (int, float)):
        raise ValueError(f"not a type: {value!r}")
    return value  # a ValueType
