"""The editable params schema: name, type, shape (scalar or 1-D list), default.

Defaults are checked with MLflow's own rules (``schema.check_param_value``, spec §6.7) in
``setData``: a value MLflow would refuse when loading the model is rejected before it becomes
an edit. Changing the type or shape converts the default when MLflow would (``1`` -> ``1.0``
for double) and otherwise replaces it with a fresh valid one, in the same undo step.
Object params show their properties as child rows (name, type, required).
"""

from __future__ import annotations

import json
from typing import Any

from PySide6.QtCore import Qt

from mlmanager.core.signature.edits import AddParam, Edit, MoveParam, RemoveParam, SetParam
from mlmanager.core.signature.schema import (
    ObjectType,
    ParamSchema,
    ParamSpec,
    ScalarType,
    ValueType,
    check_param_value,
)
from mlmanager.core.signature.type_paths import (
    KIND_TIPS,
    PARAM_KINDS,
    coerce,
    kind_of,
    rename_property,
    replace_at,
    sample_value,
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
from mlmanager.ui.pages.signature.schema_model import checked, type_children

NAME, TYPE, SHAPE, DEFAULT, REQUIRED = range(5)
SHAPE_CHOICES = ("scalar", "list")
_EDITABLE = Qt.ItemFlag.ItemIsEditable


def format_default(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, str):
        return value if value else '""'
    return json.dumps(value, ensure_ascii=False, default=str)


def fresh_default(ptype: Any, shape: tuple[int, ...] | None) -> Any:
    return [] if shape is not None else sample_value(ptype)


def fit_default(default: Any, ptype: Any, shape: tuple[int, ...] | None) -> Any:
    """``default`` converted to the type/shape as MLflow would, else a fresh valid value."""
    if shape is not None and not isinstance(default, list):
        default = [] if default is None else [default]
    elif shape is None and isinstance(default, list) and not isinstance(ptype, ObjectType):
        default = default[0] if default else None
    converted, problem = check_param_value(default, ptype, shape)
    if problem is None and converted is not None:
        return converted
    return fresh_default(ptype, shape)


def parse_default_text(text: str, ptype: Any, shape: tuple[int, ...] | None) -> Any:
    """Text typed for a default -> a JSON-like value (then checked with MLflow's rules)."""
    stripped = text.strip()
    if shape is not None or isinstance(ptype, ObjectType):
        try:
            return json.loads(stripped)
        except ValueError as exc:
            raise ValueError(f"not valid JSON: {exc}") from None
    name = ptype.name if isinstance(ptype, ScalarType) else ""
    if name == "boolean":
        if stripped.lower() in ("true", "false"):
            return stripped.lower() == "true"
        raise ValueError(f"a boolean default is true or false, not {text!r}")
    if name in ("integer", "long"):
        try:
            return int(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a whole number") from None
    if name in ("float", "double"):
        try:
            return float(stripped)
        except ValueError:
            raise ValueError(f"{text!r} is not a number") from None
    return text


class ParamsModel(SpecTreeModel):
    COLUMNS = ("Name", "Type", "Shape", "Default", "Required")
    COLUMN_TIPS = (
        "Param name (unique)",
        "Param type (binary is not allowed; object needs mlflow >= 2.20)",
        "scalar, or list: a 1-D list of values (shape [-1])",
        "Used when the caller does not pass the param; MLflow refuses to load a model whose "
        "default does not match the type",
        "Object properties only: unchecked = the property may be missing",
    )
    FIELD_COLUMN = {"name": NAME, "type": TYPE, "shape": SHAPE, "default": DEFAULT, "properties": TYPE}

    def __init__(self, parent: Any = None) -> None:
        super().__init__("params", parent)

    def build_rows(self, value: ParamSchema | None) -> list[Node]:
        if value is None:
            return []
        out = []
        for p in value.params:
            node = Node(RowData("param", p.name, p.type, None, p))
            node.children = type_children(p.type)
            out.append(node)
        return out

    def has_object_params(self) -> bool:
        return any(isinstance(n.data.spec.type, ObjectType) for n in self.root.children)

    # -- display ------------------------------------------------------------------------------

    def cell(self, node: Node, column: int, role: int) -> Any:
        d = node.data
        assert d is not None
        display = role == Qt.ItemDataRole.DisplayRole
        top = d.kind == "param"
        if column == NAME:
            if d.kind in ("items", "values"):
                if display:
                    return "items" if d.kind == "items" else "values (keys are strings)"
                if role == Qt.ItemDataRole.ForegroundRole:
                    return muted_brush()
                return None
            if display or role == Qt.ItemDataRole.EditRole:
                return str(d.name)
            if role == EDITOR_ROLE:
                return "text"
            return None
        if column == TYPE:
            if display:
                return d.vtype.name if top and isinstance(d.vtype, ScalarType) else short(d.vtype)
            if role == Qt.ItemDataRole.EditRole:
                return kind_of(d.vtype)
            if role == EDITOR_ROLE:
                return "type:param" if top else "type:column"
            if role == Qt.ItemDataRole.ToolTipRole:
                return KIND_TIPS.get(kind_of(d.vtype), str(d.vtype))
            return None
        if not top:
            if column == REQUIRED and d.kind == "property":
                if role == Qt.ItemDataRole.CheckStateRole:
                    return Qt.CheckState.Checked if d.required else Qt.CheckState.Unchecked
                if display:
                    return "required" if d.required else "optional"
            return None
        spec: ParamSpec = d.spec
        if column == SHAPE:
            if display:
                if spec.shape is None:
                    return "scalar"
                return "list [-1]" if tuple(spec.shape) == (-1,) else str(list(spec.shape))
            if role == Qt.ItemDataRole.EditRole:
                return "scalar" if spec.shape is None else "list"
            if role == EDITOR_ROLE:
                return "pshape"
            return None
        if column == DEFAULT:
            if display:
                return format_default(spec.default)
            if role == Qt.ItemDataRole.EditRole:
                return spec.default
            if role == Qt.ItemDataRole.ForegroundRole and spec.default in (None, ""):
                return muted_brush()
            if role == EDITOR_ROLE:
                if spec.shape is not None or isinstance(spec.type, ObjectType):
                    return "default:json"
                return f"default:{spec.type.name}"
            if role == Qt.ItemDataRole.ToolTipRole:
                return "Checked with MLflow's rules: a default MLflow would refuse cannot be entered"
        return None

    def cell_flags(self, node: Node, column: int) -> Qt.ItemFlag:
        kind = node.data.kind if node.data else ""
        if kind == "param":
            return _EDITABLE if column in (NAME, TYPE, SHAPE, DEFAULT) else Qt.ItemFlag.NoItemFlags
        if column == NAME and kind == "property":
            return _EDITABLE
        if column == TYPE and kind in ("property", "items", "values"):
            return _EDITABLE
        if column == REQUIRED and kind == "property":
            return Qt.ItemFlag.ItemIsUserCheckable
        return Qt.ItemFlag.NoItemFlags

    # -- editing ------------------------------------------------------------------------------

    def edit_for(self, node: Node, column: int, value: Any, role: int) -> Edit | None | bool:
        d = node.data
        assert d is not None
        top = node.top()
        row = top.row()
        spec: ParamSpec = top.data.spec
        if d.kind == "param":
            if role != Qt.ItemDataRole.EditRole:
                return False
            if column == NAME:
                name = "" if value is None else str(value)
                return None if name == spec.name else SetParam(row, name=name)
            if column == TYPE:
                kind = value.strip().lower() if isinstance(value, str) else kind_of(value)
                if kind not in PARAM_KINDS:
                    raise ValueError(f"params cannot have type {kind!r} (allowed: {', '.join(PARAM_KINDS)})")
                new_type = coerce(spec.type, kind)
                if new_type == spec.type:
                    return None
                return SetParam(row, type=new_type, default=fit_default(spec.default, new_type, spec.shape))
            if column == SHAPE:
                text = str(value).strip().lower()
                if text not in SHAPE_CHOICES and text not in ("[-1]", "list [-1]", "none", "null"):
                    raise ValueError("shape is scalar or list ([-1])")
                shape = None if text in ("scalar", "none", "null") else (-1,)
                if shape == (tuple(spec.shape) if spec.shape is not None else None):
                    return None
                return SetParam(row, shape=shape, default=fit_default(spec.default, spec.type, shape))
            if column == DEFAULT:
                if isinstance(value, str) and not (isinstance(spec.type, ScalarType)
                                                   and spec.type.name in ("string", "datetime")
                                                   and spec.shape is None):
                    value = parse_default_text(value, spec.type, spec.shape)
                converted, problem = check_param_value(value, spec.type, spec.shape)
                if problem:
                    raise ValueError(f"invalid default for {spec.type}: {problem}")
                if converted == spec.default and type(converted) is type(spec.default):
                    return None
                return SetParam(row, default=converted)
            return False
        # rows inside an object param's type
        if column == NAME and role == Qt.ItemDataRole.EditRole and d.kind == "property":
            name = "" if value is None else str(value)
            if not name.strip():
                raise ValueError("an object property needs a name")
            if name == d.name:
                return None
            return self._set_type(row, spec, rename_property(spec.type, d.path, name))
        if column == TYPE and role == Qt.ItemDataRole.EditRole:
            def choose(old: ValueType) -> ValueType:
                return coerce(old, value.strip().lower()) if isinstance(value, str) else value

            new_root = replace_at(spec.type, d.path, choose)
            return None if new_root == spec.type else self._set_type(row, spec, new_root)
        if column == REQUIRED and role == Qt.ItemDataRole.CheckStateRole and d.kind == "property":
            want = checked(value)
            if want == d.required:
                return None
            return self._set_type(row, spec, set_property_required(spec.type, d.path, want))
        return False

    @staticmethod
    def _set_type(row: int, spec: ParamSpec, new_type: Any) -> Edit:
        return SetParam(row, type=new_type, default=fit_default(spec.default, new_type, spec.shape))

    def structural(self, edit: Edit) -> tuple[str, int, int] | None:
        if isinstance(edit, AddParam):
            return ("insert", len(self.root.children) if edit.index is None else edit.index, 0)
        if isinstance(edit, RemoveParam):
            return ("remove", edit.index, 0)
        if isinstance(edit, MoveParam):
            return ("move", edit.src, edit.dst)
        return None

    def move_edit(self, src: int, dst: int) -> Edit | None:
        return MoveParam(src, dst)
