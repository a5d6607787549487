"""The library tree: open models, and tracking folders grouped experiment ▸ run ▸ model, beside
each source's "Registered models" branch (registered model ▸ version, see ``ui/registry``).

A thin ``QAbstractItemModel`` over plain ``Node`` objects. Scans add models in batches: one
``beginInsertRows`` per parent per batch, so 10,000 models arrive in a few dozen cheap updates.
Model nodes carry the model key; their icon and tooltip follow the ``ModelStore`` entry
(loading, error, missing) when one exists. Model nodes can be dragged out: ``mimeData`` carries
the models' folders (or zips) by URL, see :func:`mlmanager.ui.dnd.library_mime_data`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QAbstractItemModel,
    QMimeData,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QSortFilterProxyModel,
    Qt,
)
from PySide6.QtGui import QFont, QIcon

from mlmanager.core.library.paths import model_key
from mlmanager.ui import icons, theme
from mlmanager.ui.dnd import LIBRARY_MIME, DragFiles, library_mime_data

GROUP = "group"
SOURCE = "source"
EXPERIMENT = "experiment"
RUN = "run"
MODEL = "model"
PROBLEMS = "problems"
PROBLEM = "problem"
REGISTRY = "registry"  # a source's "Registered models" branch
REGISTERED = "registered-model"
VERSION = "model-version"
REGISTRY_KINDS = frozenset({REGISTRY, REGISTERED, VERSION})

NodeRole = Qt.ItemDataRole.UserRole + 1
KindRole = Qt.ItemDataRole.UserRole + 2
KeyRole = Qt.ItemDataRole.UserRole + 3
SearchRole = Qt.ItemDataRole.UserRole + 4
PathRole = Qt.ItemDataRole.UserRole + 5

# Qt calls flags()/hasChildren()/data() for every row it lays out (10,000s after a scan):
# enum arithmetic and attribute lookups are done once here, not per call.
_FLAGS_ROW = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_FLAGS_MODEL_ROW = _FLAGS_ROW | Qt.ItemFlag.ItemIsDragEnabled
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_DRAGGABLE = frozenset({MODEL, VERSION})
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()  # default parent (an invalid index is immutable)


@dataclass(frozen=True)
class ScanRecord:
    """One model found by a scan, in the shape the library needs."""

    path: str
    name: str
    experiment_id: str | None = None
    experiment_name: str | None = None
    run_id: str | None = None
    run_name: str | None = None
    model_id: str | None = None
    flavors: tuple[str, ...] = ()
    has_signature: bool | None = None
    error: str | None = None
    kind: str | None = None
    key: str | None = None  # model_key(path), computed off the GUI thread when possible


@dataclass(eq=False)
class Node:
    kind: str
    label: str
    parent: Node | None = None
    children: list[Node] = field(default_factory=list)
    key: str = ""  # model key, source root, experiment/run id
    tooltip: str = ""
    search: str = ""
    record: ScanRecord | None = None
    status: str = ""  # sources: "scanning…", counts
    row: int = 0  # position in parent.children (kept up to date by the model)
    payload: Any = None  # registry nodes: what ``ui/registry`` keeps for them
    _child_map: dict[str, Node] = field(default_factory=dict, repr=False)

    def child(self, key: str) -> Node | None:
        return self._child_map.get(key)


class LibraryModel(QAbstractItemModel):
    """Tree of ``Node``; row 0 is the "Open models" group, then one node per tracking folder."""

    def __init__(self, entry_lookup: Callable[[str], Any] | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._root = Node("root", "")
        self._lookup = entry_lookup or (lambda key: None)
        self._open = Node(GROUP, "Open models", self._root, tooltip="Models you opened")
        self._root.children.append(self._open)
        self._by_key: dict[str, list[Node]] = {}
        self.drag_files = DragFiles()  # zips made for drags; the window cleans up at quit
        #: the MIME data of a drag holding registry versions (``ui/registry`` sets it: versions
        #: on a server are downloaded when the drop asks for their files)
        self.version_mime: Callable[[list[Node]], QMimeData] | None = None
        #: how registry rows look (icon, tooltip, accessible text): ``ui/registry`` sets it
        self.registry_look: Any = None

    # --- Qt API ---------------------------------------------------------------------------------

    def index(self, row: int, column: int, parent: Index = _INVALID) -> QModelIndex:
        if column != 0 or row < 0:
            return QModelIndex()
        pnode = self.node(parent) if parent.isValid() else self._root
        if row >= len(pnode.children):
            return QModelIndex()
        return self.createIndex(row, 0, pnode.children[row])

    def parent(self, index: Index = _INVALID) -> QModelIndex:  # type: ignore[override]
        if not index.isValid():
            return QModelIndex()
        node: Node = index.internalPointer()
        p = node.parent
        if p is None or p is self._root:
            return QModelIndex()
        return self.createIndex(self._row_of(p), 0, p)

    @staticmethod
    def _row_of(node: Node) -> int:
        parent = node.parent
        if parent is None:
            return 0
        row = node.row
        if row < len(parent.children) and parent.children[row] is node:
            return row
        for i, child in enumerate(parent.children):  # after a removal: renumber once
            child.row = i
        return node.row

    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        if parent.isValid():
            if parent.column() != 0:
                return 0
            return len(self.node(parent).children)
        return len(self._root.children)

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 1

    def hasChildren(self, parent: Index = _INVALID) -> bool:  # noqa: N802
        if not parent.isValid():
            return bool(self._root.children)
        return parent.column() == 0 and bool(parent.internalPointer().children)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return _NO_FLAGS
        kind = index.internalPointer().kind
        return _FLAGS_MODEL_ROW if kind in _DRAGGABLE else _FLAGS_ROW

    # --- dragging models out ----------------------------------------------------------------------

    def mimeTypes(self) -> list[str]:  # noqa: N802
        return ["text/uri-list", LIBRARY_MIME]

    def supportedDragActions(self) -> Qt.DropAction:  # noqa: N802
        return Qt.DropAction.CopyAction  # a file manager must copy a model, never move it

    def mimeData(self, indexes: Sequence[QModelIndex]) -> QMimeData:  # noqa: N802
        nodes: list[Node] = []
        for idx in indexes:
            node = self.node(idx) if idx.isValid() else None
            if node is not None and node.kind in _DRAGGABLE and node not in nodes:
                nodes.append(node)
        if self.version_mime is not None and any(n.kind == VERSION for n in nodes):
            return self.version_mime(nodes)
        return library_mime_data(nodes, self.path_of, self.drag_files)

    def path_of(self, node: Node) -> Path | None:
        """The model's folder or zip: the open entry's path, else the scan record's (for a
        registry version: its local folder once known)."""
        if node.kind == VERSION:
            path = getattr(node.payload, "path", None)
            return Path(path) if path is not None else None
        if node.kind != MODEL:
            return None
        entry = self._lookup(node.key)
        if entry is not None and getattr(entry, "path", None) is not None:
            return Path(entry.path)
        if node.record is not None:
            return Path(node.record.path)
        return Path(node.key) if node.key else None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole and section == 0:
            return "Library"
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        node: Node = index.internalPointer()
        if node.payload is not None and self.registry_look is not None:
            looked = self.registry_look(node, role)
            if looked is not NotImplemented:
                return looked
        if role == _DISPLAY:
            if node.kind == SOURCE and node.status:
                return f"{node.label}  ({node.status})"
            if node.kind == GROUP:
                return f"{node.label} ({len(node.children)})" if node.children else node.label
            return node.label
        if role == _DECORATION:
            return self._icon(node)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._tooltip(node)
        if role == Qt.ItemDataRole.FontRole:
            if node.kind in (GROUP, SOURCE):
                font = QFont()
                font.setBold(True)
                return font
            if node.kind == MODEL:
                entry = self._lookup(node.key)
                if entry is not None and entry.state.value == "missing":
                    font = QFont()
                    font.setItalic(True)
                    font.setStrikeOut(True)
                    return font
            return None
        if role == Qt.ItemDataRole.ForegroundRole:
            if node.kind in (PROBLEM, PROBLEMS):
                from PySide6.QtGui import QColor

                return QColor(theme.current_colors().warning)
            return None
        if role == Qt.ItemDataRole.AccessibleTextRole:
            return f"{node.kind} {node.label}"
        if role == NodeRole:
            return node
        if role == KindRole:
            return node.kind
        if role == KeyRole:
            return node.key
        if role == PathRole:
            return node.record.path if node.record is not None else (node.key if node.kind in (MODEL, SOURCE) else None)
        if role == SearchRole:
            return node.search or node.label
        return None

    # --- presentation -------------------------------------------------------------------------------

    def _icon(self, node: Node) -> QIcon:
        if node.kind == MODEL:
            entry = self._lookup(node.key)
            state = entry.state.value if entry is not None else None
            if state == "error" or (entry is None and node.record is not None and node.record.error):
                return icons.icon("model-error")
            if state == "missing":
                return icons.icon("model-missing")
            if state == "loading":
                return icons.icon("model-loading")
            return icons.icon("model")
        return icons.icon({
            GROUP: "folder-open",
            SOURCE: "tracking",
            EXPERIMENT: "experiment",
            RUN: "run",
            PROBLEMS: "warning",
            PROBLEM: "warning",
        }.get(node.kind, "file"))

    def _tooltip(self, node: Node) -> str:
        if node.kind != MODEL:
            return node.tooltip
        lines = [node.tooltip] if node.tooltip else []
        entry = self._lookup(node.key)
        state = entry.state.value if entry is not None else None
        if state == "error" and entry.error is not None:
            lines.append(f"Cannot be read: {entry.error.message}")
        elif state == "missing":
            lines.append("The model folder no longer exists.")
        elif node.record is not None and node.record.error:
            lines.append(f"Problem: {node.record.error}")
        return "\n".join(lines)

    # --- lookups --------------------------------------------------------------------------------

    def node(self, index: Index) -> Node:
        return index.internalPointer() if index.isValid() else self._root

    def index_of(self, node: Node) -> QModelIndex:
        """The node's index; invalid for the root and for a node no longer in the tree (a
        rescan or a close removed it, and callers may still hold it)."""
        if node is self._root or node.parent is None or not self.is_attached(node):
            return QModelIndex()
        return self.createIndex(self._row_of(node), 0, node)

    def is_attached(self, node: Node) -> bool:
        """Whether ``node`` is still in the tree (each ancestor still lists it)."""
        while node.parent is not None:
            parent = node.parent
            if not (node.row < len(parent.children) and parent.children[node.row] is node):
                for i, child in enumerate(parent.children):  # rows shift after a removal
                    child.row = i
                if not (node.row < len(parent.children) and parent.children[node.row] is node):
                    return False
            node = parent
        return node is self._root

    def nodes_for_key(self, key: str) -> list[Node]:
        return list(self._by_key.get(key, ()))

    def index_for_key(self, key: str, prefer_open: bool = True) -> QModelIndex:
        nodes = self._by_key.get(key) or []
        if not nodes:
            return QModelIndex()
        if prefer_open:
            nodes = sorted(nodes, key=lambda n: n.parent is not self._open)
        return self.index_of(nodes[0])

    @property
    def root(self) -> Node:
        return self._root

    @property
    def open_group(self) -> Node:
        return self._open

    def sources(self) -> list[Node]:
        return [n for n in self._root.children if n.kind == SOURCE]

    def source_for(self, root_key: str) -> Node | None:
        return next((n for n in self.sources() if n.key == root_key), None)

    def source_of(self, node: Node) -> Node | None:
        while node is not None and node.kind != SOURCE:
            node = node.parent  # type: ignore[assignment]
        return node

    def model_count(self, node: Node | None = None) -> int:
        node = node or self._root
        if node.kind == MODEL:
            return 1
        return sum(self.model_count(c) for c in node.children)

    # --- changes --------------------------------------------------------------------------------

    def _insert(self, parent: Node, nodes: list[Node], register_models: bool = True) -> None:
        if not nodes:
            return
        first = len(parent.children)
        self.beginInsertRows(self.index_of(parent), first, first + len(nodes) - 1)
        for i, n in enumerate(nodes):
            n.parent = parent
            n.row = first + i
            parent.children.append(n)
            if n.kind in (EXPERIMENT, RUN, PROBLEMS):
                parent._child_map[n.key] = n
            if n.kind == MODEL and register_models:
                self._by_key.setdefault(n.key, []).append(n)
        self.endInsertRows()

    def _remove(self, node: Node) -> None:
        parent = node.parent
        if parent is None:
            return
        row = self._row_of(node)
        self.beginRemoveRows(self.index_of(parent), row, row)
        parent.children.pop(row)
        parent._child_map.pop(node.key, None)
        self._forget(node)
        for i, child in enumerate(parent.children):
            child.row = i
        self.endRemoveRows()

    def _forget(self, node: Node) -> None:
        if node.kind in (MODEL, VERSION):
            lst = self._by_key.get(node.key, [])
            if node in lst:
                lst.remove(node)
            if not lst:
                self._by_key.pop(node.key, None)
        for c in node.children:
            self._forget(c)

    def _changed(self, node: Node) -> None:
        idx = self.index_of(node)
        if idx.isValid():
            self.dataChanged.emit(idx, idx)

    # --- registry branches (``ui/registry`` builds the nodes, off the GUI thread) ------------

    def insert_nodes(self, parent: Node, nodes: list[Node], row: int | None = None) -> None:
        """Insert whole subtrees under ``parent`` at ``row`` (default: the end) in one step.
        Version nodes with a local folder are looked up by its key (they follow the store)."""
        if not nodes:
            return
        first = len(parent.children) if row is None else max(0, min(row, len(parent.children)))
        self.beginInsertRows(self.index_of(parent) if parent is not self._root else QModelIndex(),
                             first, first + len(nodes) - 1)
        parent.children[first:first] = nodes
        for i, child in enumerate(parent.children[first:], start=first):
            child.row = i
        for n in nodes:
            n.parent = parent
            self._remember(n)
        self.endInsertRows()

    def _remember(self, node: Node) -> None:
        stack = [node]
        while stack:
            n = stack.pop()
            if n.kind == VERSION and n.key:
                self._by_key.setdefault(n.key, []).append(n)
            stack.extend(n.children)

    def remove_node(self, node: Node) -> None:
        self._remove(node)

    def replace_children(self, parent: Node, nodes: list[Node]) -> None:
        """Swap ``parent``'s children for ``nodes`` (a refreshed listing)."""
        if not self.is_attached(parent):  # not shown: no rows to announce
            for child in parent.children:
                self._forget(child)
            parent.children = list(nodes)
            for i, n in enumerate(nodes):
                n.parent, n.row = parent, i
            return
        self.clear_source(parent)
        self.insert_nodes(parent, nodes)

    def set_version_key(self, node: Node, key: str) -> None:
        """A version's local folder became known: follow its store entry by ``key``."""
        if node.key == key:
            return
        if node.key:
            lst = self._by_key.get(node.key, [])
            if node in lst:
                lst.remove(node)
        node.key = key
        self._by_key.setdefault(key, []).append(node)
        self._changed(node)

    def node_changed(self, node: Node) -> None:
        self._changed(node)

    def add_open_model(self, key: str, label: str, path: str) -> QModelIndex:
        """Add a model under "Open models" (or return the node already there)."""
        for n in self._open.children:
            if n.key == key:
                return self.index_of(n)
        node = Node(MODEL, label, key=key, tooltip=path, search=f"{label} {path}")
        self._insert(self._open, [node])
        self._changed(self._open)
        return self.index_of(node)

    def remove_open_model(self, key: str) -> bool:
        for n in list(self._open.children):
            if n.key == key:
                self._remove(n)
                self._changed(self._open)
                return True
        return False

    def set_model_label(self, key: str, label: str, extra_search: str = "") -> None:
        for n in self._by_key.get(key, ()):
            if n.parent is self._open and (n.label != label or extra_search):
                n.label = label
                n.search = f"{label} {n.tooltip} {extra_search}"
                self._changed(n)

    def entry_changed(self, key: str) -> None:
        for n in self._by_key.get(key, ()):
            self._changed(n)

    def add_source(self, root: str, label: str) -> Node:
        existing = self.source_for(root)
        if existing is not None:
            return existing
        node = Node(SOURCE, label, key=root, tooltip=root, search=f"{label} {root}")
        self._insert(self._root, [node])
        return node

    def remove_source(self, node: Node) -> None:
        if node.kind == SOURCE:
            self._remove(node)

    def clear_source(self, node: Node) -> None:
        """Remove a source's children (before a rescan)."""
        if not node.children:
            return
        idx = self.index_of(node)
        self.beginRemoveRows(idx, 0, len(node.children) - 1)
        for c in node.children:
            self._forget(c)
        node.children.clear()
        node._child_map.clear()
        self.endRemoveRows()

    def set_source_status(self, node: Node, status: str) -> None:
        if node.status != status:
            node.status = status
            self._changed(node)

    def add_records(self, source: Node, records: Iterable[ScanRecord]) -> int:
        """Insert a batch of scan records under ``source``; returns how many were new.

        New experiments and runs are built complete (with their models) and inserted as whole
        subtrees, so a batch costs one ``beginInsertRows`` per existing parent that grows,
        not one per model: 10,000 models arrive without stalling the GUI.
        """
        pending: dict[int, tuple[Node, list[Node]]] = {}  # existing parent -> new children
        fresh: set[int] = set()  # ids of nodes created in this batch (not in the tree yet)
        added = 0

        def attach(parent: Node, child: Node) -> None:
            if id(parent) in fresh:  # a new subtree: just link it, it is inserted with its root
                child.parent = parent
                child.row = len(parent.children)
                parent.children.append(child)
                if child.kind != MODEL:
                    parent._child_map[child.key] = child
            else:
                bucket = pending.setdefault(id(parent), (parent, []))[1]
                bucket.append(child)
                child.parent = parent  # provisional (for lookups in this batch); set on insert
            fresh.add(id(child))

        def child_of(parent: Node, key: str) -> Node | None:
            found = parent.child(key)
            if found is None and id(parent) not in fresh and id(parent) in pending:
                found = next((c for c in pending[id(parent)][1] if c.key == key), None)
            return found

        for rec in records:
            key = rec.key or model_key(rec.path)
            if any(n.kind == MODEL and self.source_of(n) is source for n in self._by_key.get(key, ())):
                continue
            parent = source
            if rec.experiment_id is not None or rec.experiment_name:
                ekey = str(rec.experiment_id if rec.experiment_id is not None else rec.experiment_name)
                exp = child_of(source, ekey)
                if exp is None:
                    label = rec.experiment_name or f"Experiment {ekey}"
                    exp = Node(EXPERIMENT, label, key=ekey,
                               tooltip=f"Experiment {label} (id {ekey})", search=f"{label} {ekey}")
                    attach(source, exp)
                parent = exp
            if rec.run_id is not None:
                run = child_of(parent, rec.run_id)
                if run is None:
                    label = rec.run_name or rec.run_id[:12]
                    run = Node(RUN, label, key=rec.run_id,
                               tooltip=f"Run {label} (id {rec.run_id})", search=f"{label} {rec.run_id}")
                    attach(parent, run)
                parent = run
            tip = [rec.path]
            if rec.flavors:
                tip.append("Flavors: " + ", ".join(rec.flavors))
            if rec.model_id:
                tip.append(f"Logged model {rec.model_id}")
            if rec.has_signature is False:
                tip.append("No signature")
            node = Node(MODEL, rec.name, key=key, tooltip="\n".join(tip), record=rec,
                        search=" ".join(filter(None, [rec.name, rec.path, rec.model_id, " ".join(rec.flavors),
                                                      rec.run_name, rec.experiment_name])))
            attach(parent, node)
            self._by_key.setdefault(key, []).append(node)
            added += 1
        # existing parents only; parents first (a parent's index must be valid when it grows)
        for parent, children in sorted(pending.values(), key=lambda pc: _depth(pc[0])):
            self._insert(parent, children, register_models=False)
        return added

    def add_problems(self, source: Node, problems: Iterable[str]) -> None:
        problems = list(problems)
        if not problems:
            return
        group = source.child("__problems__")
        if group is None:
            group = Node(PROBLEMS, "Problems", key="__problems__", tooltip="What the scan could not read")
            self._insert(source, [group])
        self._insert(group, [Node(PROBLEM, p, key=p, tooltip=p, search=p) for p in problems])
        group.label = f"Problems ({len(group.children)})"
        self._changed(group)


def _depth(node: Node) -> int:
    d = 0
    while node.parent is not None:
        node = node.parent
        d += 1
    return d


class LibraryFilter(QSortFilterProxyModel):
    """Case-insensitive filter over names, paths, ids and flavors.

    The matching is done in plain Python over the ``Node`` tree (``set_text``): matches, their
    ancestors and their descendants are accepted. ``filterAcceptsRow`` then only looks the row
    up in that set, so the proxy never calls back into ``data()``/``index()`` for it: filtering
    10,000 models stays interactive.
    """

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._accepted: set[int] | None = None
        self._registry_only = False
        self.matches = 0

    def set_registry_only(self) -> None:
        """Show the registry branches only (a filter in MLflow's grammar re-lists them)."""
        changing = hasattr(self, "beginFilterChange")
        if changing:
            self.beginFilterChange()
        self._accepted = None
        self._registry_only = True
        self.matches = 0
        if changing:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.invalidateFilter()

    def set_text(self, text: str) -> int:
        """Filter by ``text`` (empty: show all); returns the number of matching models."""
        needle = text.strip().casefold()
        model = self.sourceModel()
        changing = hasattr(self, "beginFilterChange")  # Qt >= 6.9; invalidateFilter is deprecated
        if changing:
            self.beginFilterChange()
        self._registry_only = False
        if not needle or not isinstance(model, LibraryModel):
            self._accepted = None
            self.matches = 0
        else:
            accepted: set[int] = set()
            count = 0

            def walk(node: Node, inherited: bool) -> bool:
                nonlocal count
                hit = inherited or needle in (node.search or node.label).casefold()
                if hit and node.kind == MODEL:
                    count += 1
                below = False
                for child in node.children:
                    below = walk(child, hit) or below
                if hit or below:
                    accepted.add(id(node))
                return hit or below

            for top in model.root.children:
                walk(top, False)
            self._accepted = accepted
            self.matches = count
        if changing:
            self.endFilterChange(QSortFilterProxyModel.Direction.Rows)
        else:  # pragma: no cover - older Qt
            self.invalidateFilter()
        return self.matches

    def filterAcceptsRow(self, source_row: int, source_parent: Index) -> bool:  # noqa: N802
        accepted = self._accepted
        if accepted is None and not self._registry_only:
            return True
        pnode = source_parent.internalPointer() if source_parent.isValid() else self.sourceModel().root
        try:
            node = pnode.children[source_row]
        except IndexError:
            return False
        if self._registry_only:
            if node.kind == SOURCE:
                return node.payload is not None or any(c.kind == REGISTRY for c in node.children)
            return node.kind in REGISTRY_KINDS
        return id(node) in accepted or node.kind == GROUP
