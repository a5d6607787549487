"""A small read-only tree model over ``TreeNode`` objects (MLmodel keys, artifact files).

Thin on purpose: builders turn core objects into nodes, the model only shows them. Replacing
the tree is a model reset; appending children (``append``) is an insert.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QIcon

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()  # default parent (an invalid index is immutable)
NodeRole = Qt.ItemDataRole.UserRole + 1
PathRole = Qt.ItemDataRole.UserRole + 2
SortRole = Qt.ItemDataRole.UserRole + 3


@dataclass(eq=False)
class TreeNode:
    values: list[str]
    path: str = ""  # dotted key path, or the file's relative path
    icon: QIcon | None = None
    tooltip: str = ""
    item: Any = None
    sort_keys: list[Any] | None = None
    table: tuple[list[str], list[list[str]]] | None = None  # decoded content shown as a table
    children: list[TreeNode] = field(default_factory=list)
    parent: TreeNode | None = field(default=None, repr=False)
    row: int = 0

    def add(self, child: TreeNode) -> TreeNode:
        child.parent = self
        child.row = len(self.children)
        self.children.append(child)
        return child

    def walk(self):
        yield self
        for c in self.children:
            yield from c.walk()


class TreeModel(QAbstractItemModel):
    def __init__(self, headers: list[str], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._root = TreeNode([])

    @property
    def root(self) -> TreeNode:
        return self._root

    def set_root(self, root: TreeNode) -> None:
        self.beginResetModel()
        self._root = root
        root.parent = None
        self.endResetModel()

    def clear(self) -> None:
        self.set_root(TreeNode([]))

    def append(self, parent: TreeNode, nodes: list[TreeNode]) -> None:
        if not nodes:
            return
        first = len(parent.children)
        self.beginInsertRows(self.index_of(parent), first, first + len(nodes) - 1)
        for n in nodes:
            parent.add(n)
        self.endInsertRows()

    def node(self, index: Index) -> TreeNode:
        return index.internalPointer() if index.isValid() else self._root

    def index_of(self, node: TreeNode, column: int = 0) -> QModelIndex:
        if node is self._root or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.row, column, node)

    def find(self, path: str) -> QModelIndex:
        for n in self._root.walk():
            if n is not self._root and n.path == path:
                return self.index_of(n)
        return QModelIndex()

    # Qt API --------------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = _INVALID) -> QModelIndex:
        if row < 0 or column < 0 or column >= len(self._headers):
            return QModelIndex()
        p = self.node(parent) if parent.isValid() else self._root
        if parent.isValid() and parent.column() != 0:
            return QModelIndex()
        if row >= len(p.children):
            return QModelIndex()
        return self.createIndex(row, column, p.children[row])

    def parent(self, index: Index = _INVALID) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        p = index.internalPointer().parent
        if p is None or p is self._root:
            return QModelIndex()
        return self.createIndex(p.row, 0, p)

    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        if parent.isValid():
            return 0 if parent.column() != 0 else len(self.node(parent).children)
        return len(self._root.children)

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return len(self._headers)

    def hasChildren(self, parent: Index = _INVALID) -> bool:  # noqa: N802
        return self.rowCount(parent) > 0

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: TreeNode = index.internalPointer()
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            return node.values[col] if col < len(node.values) else ""
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return node.icon
        if role == Qt.ItemDataRole.ToolTipRole:
            if node.tooltip:
                return node.tooltip
            text = node.values[col] if col < len(node.values) else ""
            return text if len(text) > 50 else None
        if role == Qt.ItemDataRole.TextAlignmentRole and self._headers[col] in ("Size",):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        if role == NodeRole:
            return node
        if role == PathRole:
            return node.path
        if role == SortRole:
            if node.sort_keys is not None and col < len(node.sort_keys):
                return node.sort_keys[col]
            return node.values[col] if col < len(node.values) else ""
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return None
