"""One section of the editor (inputs, outputs or params): a header with its row actions, and
the table that fits the section (columns, tensors, params) or a placeholder when it is absent.

The panel only builds edits; the page pushes them (one undo step each).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import QItemSelectionModel, QModelIndex, QPoint, Qt, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.signature.edits import (
    AddColumn,
    AddParam,
    DuplicateColumn,
    Edit,
    MoveColumn,
    MoveParam,
    RemoveColumn,
    RemoveParam,
    ReplaceSection,
    SetColumnType,
    SetParam,
    SetTensorDtype,
    SetTypes,
    unique_name,
)
from mlmanager.core.signature.schema import (
    TENSOR_DTYPES,
    ColSpec,
    ParamSpec,
    ScalarType,
    Schema,
    TensorSpec,
)
from mlmanager.core.signature.type_paths import (
    COLUMN_KINDS,
    KIND_TIPS,
    PARAM_KINDS,
    add_property,
    coerce,
    object_path_for,
    remove_property,
)
from mlmanager.ui import icons
from mlmanager.ui.pages.signature.base_model import SpecTreeModel
from mlmanager.ui.pages.signature.delegates import SignatureDelegate
from mlmanager.ui.pages.signature.infer_dialog import section_summary
from mlmanager.ui.pages.signature.params_model import ParamsModel, fit_default
from mlmanager.ui.pages.signature.schema_model import ColumnSchemaModel
from mlmanager.ui.pages.signature.tensor_model import TensorSchemaModel
from mlmanager.ui.widgets.common import compact_rows, muted_label

TITLES = {"inputs": "Inputs", "outputs": "Outputs", "params": "Params"}
EMPTY_TEXT = {
    "inputs": "No input schema: MLflow passes any input to the model unchecked.",
    "outputs": "No output schema. It is optional: MLflow never checks outputs, but it documents them.",
    "params": "No params: the model takes no inference parameters.",
}


def icon_if(name: str) -> Any:
    """The named icon when the app ships it (add/remove/... may come later), else none."""
    from PySide6.QtGui import QIcon

    return icons.icon(name) if name in icons.available() else QIcon()


class RowView(QTreeView):
    """A tree view whose drags move rows inside the model (never remove them afterwards)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAlternatingRowColors(True)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.DoubleClicked
                             | QAbstractItemView.EditTrigger.EditKeyPressed
                             | QAbstractItemView.EditTrigger.SelectedClicked)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.setDropIndicatorShown(True)
        self.setDragDropMode(QAbstractItemView.DragDropMode.DragDrop)
        self.setDefaultDropAction(Qt.DropAction.MoveAction)
        self.setDragDropOverwriteMode(False)
        self.setUniformRowHeights(True)
        self.setAllColumnsShowFocus(True)
        self.setItemDelegate(SignatureDelegate(self))
        self.header().setStretchLastSection(False)
        self.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        compact_rows(self)

    def startDrag(self, supportedActions: Qt.DropAction) -> None:  # noqa: N802, N803
        rows = [i for i in self.selectionModel().selectedRows() if not i.parent().isValid()]
        if len(rows) != 1:
            return
        drag = QDrag(self)
        drag.setMimeData(self.model().mimeData(rows))
        drag.exec(Qt.DropAction.MoveAction)  # the model moved the row in dropMimeData


class SectionPanel(QFrame):
    """Header + stacked (placeholder | columns | tensors | params) view for one section."""

    edit_requested = Signal(object, str)  # (Edit | list[Edit], undo text)
    convert_requested = Signal(str, str)  # (section, "tensor" | "columns")
    infer_requested = Signal(str)  # section
    activated = Signal(object)  # this panel became the active one

    def __init__(self, section: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.section = section
        self.setObjectName(f"section-{section}")
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.document: Any = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)

        head = QHBoxLayout()
        head.setSpacing(4)
        self.title = QLabel(TITLES[section].upper())
        self.title.setProperty("role", "section")
        self.summary = muted_label()
        self.summary.setWordWrap(False)
        self.problem = QLabel()
        self.problem.setProperty("badge", "error")
        self.problem.hide()
        head.addWidget(self.title)
        head.addWidget(self.summary)
        head.addWidget(self.problem)
        head.addStretch(1)
        self.add_button = self._tool("Add", "add", "Add a row after the current one (Insert)", self.add_row)
        self.dup_button = self._tool("Duplicate", "", "Duplicate the current row (Ctrl+D)", self.duplicate_row)
        self.remove_button = self._tool("Remove", "remove", "Remove the selected rows (Delete)", self.remove_rows)
        self.up_button = self._tool("▲", "up", "Move the current row up (Ctrl+Up)", lambda: self.move_row(-1))
        self.down_button = self._tool("▼", "down", "Move the current row down (Ctrl+Down)", lambda: self.move_row(1))
        self.type_button = self._tool("Set type", "", "Set the type of every selected row", None)
        self.type_menu = QMenu(self)
        self.type_button.setMenu(self.type_menu)
        self.type_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.more_button = self._tool("⋯", "", "More: convert, add a property, remove the section", None)
        self.more_menu = QMenu(self)
        self.more_menu.aboutToShow.connect(self._fill_more_menu)
        self.more_button.setMenu(self.more_menu)
        self.more_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        for b in (self.add_button, self.dup_button, self.remove_button, self.up_button,
                  self.down_button, self.type_button, self.more_button):
            head.addWidget(b)
        lay.addLayout(head)

        self.stack = QStackedWidget()
        self.placeholder = self._build_placeholder()
        self.stack.addWidget(self.placeholder)
        self.models: dict[str, SpecTreeModel] = {}
        self.views: dict[str, RowView] = {}
        kinds: dict[str, SpecTreeModel] = (
            {"params": ParamsModel(self)} if section == "params" else
            {"columns": ColumnSchemaModel(section, self), "tensors": TensorSchemaModel(section, self)}
        )
        for kind, model in kinds.items():
            view = RowView()
            view.setObjectName(f"{section}-{kind}-view")
            view.setAccessibleName(f"{TITLES[section]} ({kind})")
            view.setModel(model)
            header = view.header()
            header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
            view.setColumnWidth(0, 260)
            if kind == "params":
                view.setColumnWidth(1, 150)
                view.setColumnWidth(2, 90)
                header.setSectionResizeMode(3, QHeaderView.ResizeMode.Stretch)
                view.setColumnWidth(4, 110)
            elif kind == "tensors":
                view.setColumnWidth(1, 200)
                header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
            else:
                header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
                view.setColumnWidth(2, 130)
            view.selectionModel().selectionChanged.connect(lambda *_a: self.update_actions())
            view.selectionModel().currentChanged.connect(lambda *_a: self.update_actions())
            view.customContextMenuRequested.connect(lambda pos, v=view: self._context_menu(v, pos))
            view.installEventFilter(self)
            view.viewport().installEventFilter(self)
            self.models[kind] = model
            self.views[kind] = view
            self.stack.addWidget(view)
        lay.addWidget(self.stack, 1)
        self._fill_type_menu()
        self.update_actions()

    # -- building ------------------------------------------------------------------------------

    def _tool(self, text: str, icon: str, tip: str, slot: Callable[[], None] | None) -> QToolButton:
        b = QToolButton()
        b.setText(text)
        ic = icon_if(icon) if icon else None
        if ic is not None and not ic.isNull():
            b.setIcon(ic)
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        b.setToolTip(tip)
        b.setAutoRaise(True)
        if slot is not None:
            b.clicked.connect(lambda _c=False: slot())
        return b

    def _build_placeholder(self) -> QWidget:
        w = QFrame()
        w.setObjectName(f"{self.section}-placeholder")
        w.setFrameShape(QFrame.Shape.StyledPanel)
        lay = QVBoxLayout(w)
        lay.setContentsMargins(12, 10, 12, 10)
        lay.addWidget(muted_label(EMPTY_TEXT[self.section]))
        row = QHBoxLayout()
        self.placeholder_buttons: dict[str, QPushButton] = {}
        if self.section == "params":
            specs = [("params", "Add a param", lambda: self.add_row())]
        else:
            specs = [
                ("columns", "Add columns", lambda: self.add_row("columns")),
                ("tensor", "Add a tensor", lambda: self.add_row("tensors")),
                ("infer", "Infer from data…" if self.section == "inputs" else "Infer from predictions…",
                 lambda: self.infer_requested.emit(self.section)),
            ]
        for key, text, slot in specs:
            b = QPushButton(text)
            b.clicked.connect(lambda _c=False, s=slot: s())
            self.placeholder_buttons[key] = b
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)
        return w

    def _fill_type_menu(self) -> None:
        self.type_menu.clear()
        kind = self.kind()
        if kind == "tensors":
            for dtype in TENSOR_DTYPES:
                self.type_menu.addAction(dtype, lambda d=dtype: self.set_type(d))
            return
        kinds = PARAM_KINDS if self.section == "params" else COLUMN_KINDS
        for k in kinds:
            if k == "array":
                self.type_menu.addSeparator()
            act = self.type_menu.addAction(k, lambda k=k: self.set_type(k))
            act.setToolTip(KIND_TIPS.get(k, ""))

    def _fill_more_menu(self) -> None:
        m = self.more_menu
        m.clear()
        value = self.value()
        prop = m.addAction("Add property", self.add_property)
        prop.setEnabled(self._object_target() is not None)
        if self.section != "params":
            m.addSeparator()
            to_tensor = m.addAction("Convert to a tensor schema…", lambda: self.convert_requested.emit(self.section, "tensor"))
            to_cols = m.addAction("Convert to a column schema…", lambda: self.convert_requested.emit(self.section, "columns"))
            present = isinstance(value, Schema) and bool(value.specs)
            to_tensor.setEnabled(present and not value.is_tensor)
            to_cols.setEnabled(present and value.is_tensor)
        m.addSeparator()
        remove = m.addAction(f"Remove {self.section}", self.remove_section)
        remove.setEnabled(value is not None)

    def _context_menu(self, view: RowView, pos: QPoint) -> None:
        menu = QMenu(self)
        for text, slot, button in (
            ("Add", self.add_row, self.add_button),
            ("Duplicate", self.duplicate_row, self.dup_button),
            ("Remove", self.remove_rows, self.remove_button),
            ("Move up", lambda: self.move_row(-1), self.up_button),
            ("Move down", lambda: self.move_row(1), self.down_button),
        ):
            act = menu.addAction(text, slot)
            act.setEnabled(button.isEnabled())
        menu.addSeparator()
        act = menu.addAction("Add property", self.add_property)
        act.setEnabled(self._object_target() is not None)
        menu.exec(view.viewport().mapToGlobal(pos))

    # -- state ----------------------------------------------------------------------------------

    def set_document(self, document: Any) -> None:
        self.document = document
        for model in self.models.values():
            model.set_document(document)
        self.refresh()

    def value(self) -> Any:
        sig = self.document.sig if self.document is not None else None
        return getattr(sig, self.section) if sig is not None else None

    def kind(self) -> str:
        """Which page shows: placeholder | columns | tensors | params."""
        value = self.value()
        if value is None:
            return "placeholder"
        if self.section == "params":
            return "params"
        if isinstance(value, Schema) and value.specs and value.is_tensor and all(
                isinstance(s, TensorSpec) for s in value.specs):
            return "tensors"
        return "columns"

    def view(self) -> RowView | None:
        return self.views.get(self.kind())

    def model(self) -> SpecTreeModel | None:
        return self.models.get(self.kind())

    def refresh(self) -> None:
        kind = self.kind()
        previous = self.stack.currentWidget()
        self.stack.setCurrentWidget(self.views.get(kind, self.placeholder))
        if self.section == "params":
            view = self.views["params"]
            view.setColumnHidden(4, not self.models["params"].has_object_params())  # type: ignore[attr-defined]
        value = self.value()
        text = section_summary(value) if value is not None else "not specified"
        if isinstance(value, Schema) and value.specs:
            text += " · names are matched" if value.has_names else " · matched by position"
        self.summary.setText(text)
        if previous is not self.stack.currentWidget():
            self._fill_type_menu()
        if kind in self.views:
            view = self.views[kind]
            nested = any(n.children for n in self.models[kind].root.children)
            view.setRootIsDecorated(nested)
            view.expandAll()
        self.update_actions()

    def wanted_height(self) -> int:
        """A height that shows the section's rows (for the page's splitter)."""
        kind = self.kind()
        head = self.title.sizeHint().height() + 10
        if kind not in self.views:
            return head + self.placeholder.sizeHint().height()
        view = self.views[kind]
        rows = max(self._visible_rows(), 2)
        row_h = view.sizeHintForRow(0) if view.model().rowCount() else view.fontMetrics().height() + 8
        return head + view.header().sizeHint().height() + rows * max(row_h, 1) + 12

    def _visible_rows(self) -> int:
        model = self.models.get(self.kind())
        if model is None:
            return 0
        count = 0
        stack = list(model.root.children)
        while stack:
            node = stack.pop()
            count += 1
            stack.extend(node.children)
        return count

    def set_section_problems(self, messages: list[str]) -> None:
        self.problem.setVisible(bool(messages))
        self.problem.setText(messages[0] if messages else "")
        self.problem.setToolTip("\n".join(messages))

    def selected_rows(self) -> list[int]:
        view = self.view()
        if view is None:
            return []
        rows = {i.row() for i in view.selectionModel().selectedRows() if not i.parent().isValid()}
        return sorted(rows)

    def current_index(self) -> QModelIndex:
        view = self.view()
        return view.currentIndex() if view is not None else QModelIndex()

    def current_row(self) -> int | None:
        index = self.current_index()
        if not index.isValid():
            rows = self.selected_rows()
            return rows[0] if rows else None
        while index.parent().isValid():
            index = index.parent()
        return index.row()

    def update_actions(self) -> None:
        kind = self.kind()
        has_doc = self.document is not None
        value = self.value()
        n = len(value.specs) if isinstance(value, Schema) else len(value) if value is not None else 0
        row = self.current_row()
        rows = self.selected_rows()
        for b in (self.add_button, self.dup_button, self.remove_button, self.up_button,
                  self.down_button, self.type_button):
            b.setVisible(kind != "placeholder")  # the placeholder has its own buttons
        self.add_button.setEnabled(has_doc)
        self.add_button.setText({"tensors": "Add tensor", "params": "Add param"}.get(kind, "Add column"))
        self.dup_button.setEnabled(has_doc and row is not None and kind != "placeholder")
        property_selected = self._selected_property() is not None
        self.remove_button.setEnabled(has_doc and (bool(rows) or property_selected) and kind != "placeholder")
        self.up_button.setEnabled(has_doc and row is not None and row > 0)
        self.down_button.setEnabled(has_doc and row is not None and row < n - 1)
        self.type_button.setEnabled(has_doc and bool(rows) and kind != "placeholder")
        self.type_button.setText("Set dtype" if kind == "tensors" else "Set type")
        self.more_button.setEnabled(has_doc)
        for b in self.placeholder_buttons.values():
            b.setEnabled(has_doc)

    # -- actions -> edits --------------------------------------------------------------------------

    def _emit(self, edits: Edit | list[Edit], text: str) -> None:
        self.edit_requested.emit(edits, text)

    def add_row(self, as_kind: str | None = None) -> None:
        """Add a row after the current one (creates the section when it is absent)."""
        value = self.value()
        kind = as_kind or self.kind()
        row = self.current_row()
        index = None if row is None else row + 1
        if self.section == "params":
            names = [p.name for p in value] if value is not None else []
            spec = ParamSpec(_fresh(names, "param"), ScalarType("string"), "", None)
            self._emit(AddParam(index, spec), "Add param")
        else:
            specs = list(value.specs) if isinstance(value, Schema) else []
            names = [s.name for s in specs]
            named = not specs or any(n is not None for n in names)
            if kind == "tensors":
                name = _fresh(names, "tensor") if specs else None
                new: Any = TensorSpec("float64", (-1,), name)
                text = f"Add {self.section} tensor"
            else:
                new = ColSpec(ScalarType("double"), _fresh(names, "column") if named else None, True)
                text = f"Add {self.section} column"
            self._emit(AddColumn(self.section, index, new), text)
        self._after_insert(0 if index is None and value is None else index)

    def _after_insert(self, row: int | None) -> None:
        view = self.view()
        if view is None:
            return
        model = view.model()
        target = model.index(model.rowCount() - 1 if row is None else row, 0)
        if target.isValid():
            flags = QItemSelectionModel.SelectionFlag
            view.selectionModel().setCurrentIndex(target, flags.ClearAndSelect | flags.Rows)
            view.setFocus()

    def duplicate_row(self) -> None:
        row = self.current_row()
        value = self.value()
        if row is None or value is None:
            return
        if self.section == "params":
            p = value.params[row]
            copy = dataclasses.replace(p, name=unique_name(f"{p.name}_copy", [q.name for q in value]))
            self._emit(AddParam(row + 1, copy), f"Duplicate param {p.name!r}")
        else:
            self._emit(DuplicateColumn(self.section, row), f"Duplicate {self.section} row {row + 1}")
        self._after_insert(row + 1)

    def remove_rows(self) -> None:
        value = self.value()
        rows = self.selected_rows()
        prop = self._selected_property()
        if not rows and prop is not None:
            top_row, path, spec = prop
            new_type = remove_property(spec.type, path)
            if self.section == "params":
                edit: Edit = SetParam(top_row, type=new_type, default=fit_default(spec.default, new_type, spec.shape))
            else:
                edit = SetColumnType(self.section, top_row, new_type)
            self._emit(edit, "Remove property")
            return
        if value is None or not rows:
            return
        total = len(value.specs) if isinstance(value, Schema) else len(value)
        if len(rows) >= total:
            self._emit(ReplaceSection(self.section, None), f"Remove {self.section}")
            return
        cls = (lambda i: RemoveParam(i)) if self.section == "params" else (lambda i: RemoveColumn(self.section, i))
        edits = [cls(i) for i in sorted(rows, reverse=True)]
        self._emit(edits, f"Remove {len(rows)} {self.section} row{'s' if len(rows) != 1 else ''}")

    def move_row(self, step: int) -> None:
        row = self.current_row()
        value = self.value()
        if row is None or value is None:
            return
        n = len(value.specs) if isinstance(value, Schema) else len(value)
        dst = row + step
        if not 0 <= dst < n:
            return
        edit = MoveParam(row, dst) if self.section == "params" else MoveColumn(self.section, row, dst)
        self._emit(edit, f"Move {self.section} row {row + 1} {'up' if step < 0 else 'down'}")

    def set_type(self, kind: str) -> None:
        rows = self.selected_rows()
        value = self.value()
        if not rows or value is None:
            return
        text = f"Set type of {len(rows)} {self.section} row{'s' if len(rows) != 1 else ''} to {kind}"
        if self.section == "params":
            edits: list[Edit] = []
            for r in rows:
                p = value.params[r]
                new_type = coerce(p.type, kind)
                if new_type != p.type:
                    edits.append(SetParam(r, type=new_type, default=fit_default(p.default, new_type, p.shape)))
            self._emit(edits, text)
            return
        if self.kind() == "tensors":
            self._emit([SetTensorDtype(self.section, r, kind) for r in rows
                        if value.specs[r].dtype != kind], f"Set dtype of {len(rows)} tensors to {kind}")
            return
        cols = [r for r in rows if isinstance(value.specs[r], ColSpec)]
        types = [coerce(value.specs[r].type, kind) for r in cols]
        if not cols:
            return
        if all(t == types[0] for t in types):
            self._emit(SetTypes(self.section, tuple(cols), types[0]), text)
        else:
            self._emit([SetColumnType(self.section, r, t) for r, t in zip(cols, types)], text)

    def remove_section(self) -> None:
        if self.value() is not None:
            self._emit(ReplaceSection(self.section, None), f"Remove {self.section}")

    # -- object properties ---------------------------------------------------------------------

    def _node_at_current(self) -> Any:
        view = self.view()
        model = self.model()
        if view is None or model is None:
            return None
        index = view.currentIndex()
        return model.node(index) if index.isValid() else None

    def _selected_property(self) -> tuple[int, Any, Any] | None:
        node = self._node_at_current()
        if node is None or node.data is None or node.data.kind != "property":
            return None
        top = node.top()
        return top.row(), node.data.path, top.data.spec

    def _object_target(self) -> tuple[int, Any, Any] | None:
        """(row, path of the object, top spec) a new property goes into, for the current row."""
        node = self._node_at_current()
        if node is None or node.data is None:
            return None
        top = node.top()
        spec = top.data.spec
        if isinstance(spec, TensorSpec) or getattr(spec, "type", None) is None:
            return None
        path = object_path_for(spec.type, node.data.path)
        return None if path is None else (top.row(), path, spec)

    def add_property(self) -> None:
        target = self._object_target()
        if target is None:
            return
        row, path, spec = target
        new_type = add_property(spec.type, path)
        if self.section == "params":
            edit: Edit = SetParam(row, type=new_type, default=fit_default(spec.default, new_type, spec.shape))
        else:
            edit = SetColumnType(self.section, row, new_type)
        self._emit(edit, "Add property")

    # -- focus tracking --------------------------------------------------------------------------

    def eventFilter(self, watched: Any, event: Any) -> bool:  # noqa: N802
        from PySide6.QtCore import QEvent

        if event.type() in (QEvent.Type.FocusIn, QEvent.Type.MouseButtonPress):
            self.activated.emit(self)
        return False


def _fresh(names: list[Any], base: str) -> str:
    taken = {str(n) for n in names}
    k = len(names) + 1
    while f"{base}_{k}" in taken:
        k += 1
    return f"{base}_{k}"

