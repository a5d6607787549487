"""The shared machinery of the three editable item models (columns, tensors, params).

Each model mirrors one section of the document's signature as a small tree of :class:`Node`
rows (top level: the specs; below: the inner types of array/object/map columns). The mirror
changes only between ``begin*``/``end*`` calls: on every atomic core edit the model builds
the new rows, applies the structural part the edit implies (insert/remove/move one top-level
row), then reconciles the rest (changed rows: ``dataChanged``; a changed number of children:
remove/insert at the end). Views therefore keep their selection across moves and undo, and
``QAbstractItemModelTester`` sees a consistent model at every step.

``setData`` never mutates: it turns the user's value into a core edit and pushes it on the
document's undo stack; the mirror follows from the document's ``atomic`` signal.
Internal drag-and-drop moves rows through ``moveRows`` (a ``MoveColumn``/``MoveParam`` edit).
"""

from __future__ import annotations

import itertools
import json
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QByteArray,
    QMimeData,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QBrush, QColor, QFont

from mlmanager.core.signature.edits import Edit
from mlmanager.core.signature.schema import Issue
from mlmanager.core.signature.type_paths import Path
from mlmanager.ui import icons, theme
from mlmanager.ui.pages.signature.document import SignatureDocument

ROW_MIME = "application/x-mlmanager-signature-rows"
EDITOR_ROLE = Qt.ItemDataRole.UserRole + 1  # what editor the delegate should make
ISSUE_ROLE = Qt.ItemDataRole.UserRole + 2  # the issues flagged on a cell (list[Issue])
KIND_ROLE = Qt.ItemDataRole.UserRole + 3  # the row kind (column, tensor, param, items, values, property)

_ids = itertools.count(1)
AnyIndex = QModelIndex | QPersistentModelIndex


@dataclass(frozen=True)
class RowData:
    """What one row shows. ``path``: steps from the top-level type to this row's type."""

    kind: str  # column | tensor | param | items | values | property
    name: Any = None
    vtype: Any = None
    required: bool | None = None
    spec: Any = None  # the top-level spec (ColSpec/TensorSpec/ParamSpec), top rows only
    path: Path = ()


class Node:
    __slots__ = ("uid", "parent", "children", "data")

    def __init__(self, data: RowData | None, parent: Node | None = None) -> None:
        self.uid = next(_ids)
        self.parent = parent
        self.children: list[Node] = []
        self.data = data

    def row(self) -> int:
        return self.parent.children.index(self) if self.parent is not None else 0

    def top(self) -> Node:
        node = self
        while node.parent is not None and node.parent.parent is not None:
            node = node.parent
        return node


class SpecTreeModel(QAbstractItemModel):
    """Base class; subclasses define ``COLUMNS``, ``FIELD_COLUMN``, ``build_rows``, ``cell`` and
    ``edit_for``."""

    COLUMNS: tuple[str, ...] = ()
    COLUMN_TIPS: tuple[str, ...] = ()
    FIELD_COLUMN: dict[str, int] = {}
    rejected = Signal(str)  # an edit was refused (bad value): message for the status bar

    def __init__(self, section: str, parent: Any = None) -> None:
        super().__init__(parent)
        self.section = section
        self.document: SignatureDocument | None = None
        self.root = Node(None)
        self._nodes: dict[int, Node] = {}
        self._issues: dict[tuple[int, int], list[Issue]] = {}
        self._row_issues: dict[int, list[Issue]] = {}

    # -- binding ----------------------------------------------------------------------------------

    def set_document(self, document: SignatureDocument | None) -> None:
        if self.document is document:
            return
        if self.document is not None:
            self.document.atomic.disconnect(self._on_atomic)
            self.document.reset.disconnect(self._on_reset)
        self.beginResetModel()
        self.document = document
        self._forget_children(self.root)
        if document is not None:
            for data_node in self._new_rows():
                self._adopt(data_node, self.root)
        self._issues, self._row_issues = {}, {}
        self.endResetModel()
        if document is not None:
            document.atomic.connect(self._on_atomic)
            document.reset.connect(self._on_reset)

    @property
    def present(self) -> bool:
        """Whether the section exists in the signature (an empty section exists)."""
        sig = self.document.sig if self.document is not None else None
        return sig is not None and getattr(sig, self.section) is not None

    def section_value(self) -> Any:
        sig = self.document.sig if self.document is not None else None
        return getattr(sig, self.section) if sig is not None else None

    # -- to override --------------------------------------------------------------------------

    def build_rows(self, value: Any) -> list[Node]:  # pragma: no cover - abstract
        """Detached nodes for the section value (None: no rows)."""
        raise NotImplementedError

    def cell(self, node: Node, column: int, role: int) -> Any:  # pragma: no cover - abstract
        raise NotImplementedError

    def cell_flags(self, node: Node, column: int) -> Qt.ItemFlag:
        return Qt.ItemFlag.NoItemFlags

    def edit_for(self, node: Node, column: int, value: Any, role: int) -> Edit | None | bool:
        """The core edit for a setData call; None: nothing to change; False: refused."""
        raise NotImplementedError  # pragma: no cover - abstract

    def structural(self, edit: Edit) -> tuple[str, int, int] | None:
        """``("insert", i, 0)``, ``("remove", i, 0)`` or ``("move", src, dst)`` for edits that
        add/remove/move one top-level row of this model's section."""
        return None

    def move_edit(self, src: int, dst: int) -> Edit | None:  # pragma: no cover - abstract
        return None

    # -- mirror maintenance -----------------------------------------------------------------------

    def _new_rows(self) -> list[Node]:
        return self.build_rows(self.section_value())

    def _adopt(self, detached: Node, parent: Node) -> Node:
        detached.parent = parent
        parent.children.append(detached)
        self._register(detached)
        return detached

    def _register(self, node: Node) -> None:
        self._nodes[node.uid] = node
        for child in node.children:
            child.parent = node
            self._register(child)

    def _forget_children(self, node: Node) -> None:
        for child in node.children:
            self._forget_children(child)
            self._nodes.pop(child.uid, None)
        node.children = []

    def _on_reset(self) -> None:
        self._sync(None)

    def _on_atomic(self, edit: Edit) -> None:
        self._sync(edit)

    def _sync(self, edit: Edit | None) -> None:
        new_rows = self._new_rows()
        op = self.structural(edit) if edit is not None else None
        rows = self.root.children
        if op is not None:
            kind, a, b = op
            if kind == "insert" and 0 <= a <= len(rows) and a < len(new_rows):
                self.beginInsertRows(QModelIndex(), a, a)
                node = new_rows[a]
                node.parent = self.root
                rows.insert(a, node)
                self._register(node)
                new_rows[a] = Node(node.data)  # the reconcile below compares against a copy
                new_rows[a].children = _clone_children(node)
                self.endInsertRows()
            elif kind == "remove" and 0 <= a < len(rows):
                self.beginRemoveRows(QModelIndex(), a, a)
                gone = rows.pop(a)
                self._forget_children(gone)
                self._nodes.pop(gone.uid, None)
                self.endRemoveRows()
            elif kind == "move" and a != b and 0 <= a < len(rows) and 0 <= b < len(rows):
                self.beginMoveRows(QModelIndex(), a, a, QModelIndex(), b + 1 if b > a else b)
                rows.insert(b, rows.pop(a))
                self.endMoveRows()
        self._reconcile(self.root, new_rows, QModelIndex())

    def _reconcile(self, node: Node, new_children: list[Node], parent_index: QModelIndex) -> None:
        old = node.children
        n_old, n_new = len(old), len(new_children)
        if n_new < n_old:
            self.beginRemoveRows(parent_index, n_new, n_old - 1)
            for gone in old[n_new:]:
                self._forget_children(gone)
                self._nodes.pop(gone.uid, None)
            del old[n_new:]
            self.endRemoveRows()
        last = len(self.COLUMNS) - 1
        for i in range(min(n_old, n_new)):
            current, new = old[i], new_children[i]
            changed = current.data != new.data
            current.data = new.data
            index = self.createIndex(i, 0, current.uid)
            self._reconcile(current, new.children, index)
            if changed:
                self.dataChanged.emit(index, self.createIndex(i, last, current.uid))
        if n_new > n_old:
            self.beginInsertRows(parent_index, n_old, n_new - 1)
            for new in new_children[n_old:]:
                self._adopt(new, node)
            self.endInsertRows()

    # -- Qt model API -----------------------------------------------------------------------------

    def node(self, index: AnyIndex) -> Node | None:
        if not index.isValid():
            return self.root
        return self._nodes.get(index.internalId())

    def index(self, row: int, column: int, parent: AnyIndex = QModelIndex()) -> QModelIndex:  # noqa: B008
        if column < 0 or column >= len(self.COLUMNS) or row < 0:
            return QModelIndex()
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        parent_node = self.node(parent)
        if parent_node is None or row >= len(parent_node.children):
            return QModelIndex()
        return self.createIndex(row, column, parent_node.children[row].uid)

    def parent(self, index: AnyIndex = QModelIndex()) -> QModelIndex:  # type: ignore[override]  # noqa: B008
        if not index.isValid():
            return QModelIndex()
        node = self._nodes.get(index.internalId())
        if node is None or node.parent is None or node.parent is self.root:
            return QModelIndex()
        parent = node.parent
        return self.createIndex(parent.row(), 0, parent.uid)

    def rowCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        if parent.isValid() and parent.column() != 0:
            return 0
        node = self.node(parent)
        return len(node.children) if node is not None else 0

    def columnCount(self, parent: AnyIndex = QModelIndex()) -> int:  # noqa: N802, B008
        return len(self.COLUMNS)

    def hasChildren(self, parent: AnyIndex = QModelIndex()) -> bool:  # noqa: N802, B008
        return self.rowCount(parent) > 0

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation != Qt.Orientation.Horizontal or not 0 <= section < len(self.COLUMNS):
            return None
        if role == Qt.ItemDataRole.DisplayRole:
            return self.COLUMNS[section]
        if role == Qt.ItemDataRole.ToolTipRole and section < len(self.COLUMN_TIPS):
            return self.COLUMN_TIPS[section]
        return None

    def data(self, index: AnyIndex, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self.node(index) if index.isValid() else None
        if node is None or node.data is None:
            return None
        column = index.column()
        if role == KIND_ROLE:
            return node.data.kind
        if node.parent is self.root:
            issues = self._issues.get((index.row(), column))
            if role == ISSUE_ROLE:
                return issues or []
            if issues:
                fatal = any(i.fatal for i in issues)
                c = theme.current_colors()
                if role == Qt.ItemDataRole.BackgroundRole:
                    return QBrush(QColor(c.error_bg if fatal else c.warning_bg))
                if role == Qt.ItemDataRole.DecorationRole:
                    return icons.icon("error" if fatal else "warning")
                if role == Qt.ItemDataRole.ToolTipRole:
                    return "\n".join(("✖ " if i.fatal else "⚠ ") + i.message for i in issues)
        if role == Qt.ItemDataRole.FontRole and node.data.kind in ("items", "values") and column == 0:
            font = QFont()
            font.setItalic(True)
            return font
        return self.cell(node, column, role)

    def flags(self, index: AnyIndex) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.ItemIsDropEnabled
        node = self.node(index)
        if node is None or node.data is None:
            return Qt.ItemFlag.NoItemFlags
        flags = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable | self.cell_flags(node, index.column())
        if node.parent is self.root:
            flags |= Qt.ItemFlag.ItemIsDragEnabled
        return flags

    def setData(self, index: AnyIndex, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        node = self.node(index) if index.isValid() else None
        if node is None or node.data is None or self.document is None:
            return False
        if not self.cell_flags(node, index.column()) & (Qt.ItemFlag.ItemIsEditable | Qt.ItemFlag.ItemIsUserCheckable):
            return False
        try:
            edit = self.edit_for(node, index.column(), value, role)
        except (ValueError, KeyError, TypeError) as exc:
            self.rejected.emit(str(exc))
            return False
        if edit is False:
            return False
        if edit is None:
            return True  # nothing changes (same value)
        assert isinstance(edit, Edit)
        return self.document.push(edit)

    # -- issues ------------------------------------------------------------------------------------

    def set_issues(self, issues: list[Issue]) -> None:
        """Flag the cells named by ``issues`` (this model's section only)."""
        cells: dict[tuple[int, int], list[Issue]] = {}
        rows: dict[int, list[Issue]] = {}
        for issue in issues:
            if issue.section != self.section or issue.index is None:
                continue
            column = self.FIELD_COLUMN.get(issue.field or "", 0)
            cells.setdefault((issue.index, column), []).append(issue)
            rows.setdefault(issue.index, []).append(issue)
        if cells == self._issues:
            return
        self._issues, self._row_issues = cells, rows
        n = len(self.root.children)
        if n:
            roles = [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.DecorationRole,
                     Qt.ItemDataRole.ToolTipRole, ISSUE_ROLE]
            self.dataChanged.emit(self.index(0, 0), self.index(n - 1, len(self.COLUMNS) - 1), roles)

    def issues_at(self, row: int) -> list[Issue]:
        return list(self._row_issues.get(row, []))

    def cell_for_issue(self, issue: Issue) -> QModelIndex:
        if issue.index is None or issue.section != self.section:
            return QModelIndex()
        return self.index(issue.index, self.FIELD_COLUMN.get(issue.field or "", 0))

    # -- drag and drop (internal moves only) -------------------------------------------------------

    def supportedDropActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.MoveAction

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return [ROW_MIME]

    def mimeData(self, indexes: list[QModelIndex]) -> QMimeData:  # noqa: N802
        rows = sorted({i.row() for i in indexes if i.isValid() and not i.parent().isValid()})
        mime = QMimeData()
        drag_data = {"model": id(self), "section": self.section, "rows": rows}
        mime.setData(ROW_MIME, QByteArray(json.dumps(drag_data).encode()))
        return mime

    def _dragged_rows(self, mime: QMimeData | None) -> list[int] | None:
        if mime is None or not mime.hasFormat(ROW_MIME):
            return None
        try:
            drag_data = json.loads(bytes(mime.data(ROW_MIME).data()).decode())
        except ValueError:
            return None
        if drag_data.get("model") != id(self) or drag_data.get("section") != self.section:
            return None
        rows = drag_data.get("rows")
        return [int(r) for r in rows] if isinstance(rows, list) and rows else None

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                        parent: AnyIndex) -> bool:
        return action == Qt.DropAction.MoveAction and self._dragged_rows(data) is not None

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,  # noqa: N802
                     parent: AnyIndex) -> bool:
        rows = self._dragged_rows(data)
        if rows is None or action != Qt.DropAction.MoveAction:
            return False
        if parent.isValid():  # dropped onto a row: insert before it (top-level rows only)
            node = self.node(parent)
            if node is None:
                return False
            top = node.top()
            row = top.row()
        if row < 0:
            row = len(self.root.children)
        if len(rows) != 1:
            return False
        return self.moveRows(QModelIndex(), rows[0], 1, QModelIndex(), row)

    def moveRows(self, sourceParent: AnyIndex, sourceRow: int, count: int,  # noqa: N802, N803
                 destinationParent: AnyIndex, destinationChild: int) -> bool:  # noqa: N803
        """Move one top-level row so that it lands before ``destinationChild`` (Qt's convention)."""
        if sourceParent.isValid() or destinationParent.isValid() or count != 1 or self.document is None:
            return False
        n = len(self.root.children)
        if not (0 <= sourceRow < n and 0 <= destinationChild <= n):
            return False
        dst = destinationChild - 1 if destinationChild > sourceRow else destinationChild
        if dst == sourceRow:
            return False
        edit = self.move_edit(sourceRow, dst)
        return edit is not None and self.document.push(edit)


def _clone_children(node: Node) -> list[Node]:
    out = []
    for child in node.children:
        copy = Node(child.data)
        copy.children = _clone_children(child)
        out.append(copy)
    return out


def muted_brush() -> QBrush:
    return QBrush(QColor(theme.current_colors().muted))
