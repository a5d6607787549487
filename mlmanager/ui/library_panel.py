"""The left side: a filter box over the library tree, and the scan progress with a Cancel button.

The tree allows extended selection (Ctrl/Shift-click: two models to compare) and drags models
out (the library model makes the data, see ``dnd.library_mime_data``). Per-model commands of the
context menu are sent as ``action_requested(action, nodes)`` with one of the ``ACTION_*`` names;
registry rows get their menu from ``extra_menu`` (the registry controller).

The filter box takes plain words (rows whose names, paths, ids or flavors hold them) or MLflow's
search grammar for registries (``name LIKE 'churn%'``, ``tags.team = 'risk'``): an expression is
sent as ``registry_filter_changed`` (every registry is listed again with it) and the tree then
shows the registries only. Files dropped on the tree: a model folder dropped on a registered
model (``drop_target_for`` says which rows take one) is sent as ``folders_dropped``; any other
drop as ``plain_drop`` (the window opens what was dropped).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import (
    QEvent,
    QItemSelectionModel,
    QModelIndex,
    QPoint,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QDragEnterEvent, QDragLeaveEvent, QDragMoveEvent, QDropEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMenu,
    QProgressBar,
    QToolButton,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons
from mlmanager.ui.dnd import accepts, from_library, local_paths
from mlmanager.ui.models.library import (
    MODEL,
    REGISTRY,
    SOURCE,
    KindRole,
    LibraryFilter,
    LibraryModel,
    Node,
    NodeRole,
)
from mlmanager.ui.widgets.common import muted_label

FILTER_DELAY_MS = 120
EXPAND_ALL_BELOW = 300

ACTION_COMPARE = "compare"
ACTION_EXPORT_ZIP = "export-zip"
ACTION_EXPORT_FOLDER = "export-folder"
ACTION_COPY_TO = "copy-to"
ACTION_EXTRACT = "extract"


class LibraryTree(QTreeView):
    """The library's tree view; file drags over it go to ``on_drag(event) -> handled``.

    Handling drags here rather than with an event filter on the viewport keeps start-up from
    asking for the viewport (PySide then loads every widget class to type it: ~10 ms) and keeps
    every later viewport event (paints, mouse moves) from passing through Python."""

    def __init__(self, on_drag: Callable[[QDragEnterEvent | QDragMoveEvent | QDropEvent], bool],
                 on_drag_leave: Callable[[], None]) -> None:
        super().__init__()
        self._on_drag = on_drag
        self._on_drag_leave = on_drag_leave

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if not self._on_drag(event):
            super().dragEnterEvent(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        if not self._on_drag(event):
            super().dragMoveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        if not self._on_drag(event):
            super().dropEvent(event)

    def dragLeaveEvent(self, event: QDragLeaveEvent) -> None:  # noqa: N802
        self._on_drag_leave()
        super().dragLeaveEvent(event)


class LibraryPanel(QWidget):
    current_node_changed = Signal(object)  # Node | None
    close_requested = Signal(object)  # Node
    rescan_requested = Signal(object)  # Node (source)
    reveal_requested = Signal(object)  # Node
    cancel_scan_requested = Signal()
    action_requested = Signal(str, list)  # ACTION_*, [Node]
    activated_node = Signal(object)  # Node: Enter or double-click
    registry_filter_changed = Signal(object)  # str (MLflow's search grammar) | None
    folders_dropped = Signal(object, list)  # Node (a registered model), [Path]
    plain_drop = Signal(object)  # QDropEvent that no row took

    def __init__(self, model: LibraryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        # The tree shows the library model itself, and the filter proxy only while a filter is
        # typed: through a QSortFilterProxyModel every row Qt lays out costs ~9 Python calls
        # instead of 2, and expanding an experiment of 1,000 runs stalled the GUI (job 7).
        self.proxy = LibraryFilter(self)
        self._expanded_before_filter: list[Node] | None = None
        self._quiet = False  # select_source_index(notify=False) in progress
        self.extra_menu: Callable[[Node, QWidget], QMenu | None] | None = None
        self.drop_target_for: Callable[[Node | None], Node | None] | None = None
        self._registry_filter: str | None = None

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 0, 6)
        lay.setSpacing(6)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter, or name LIKE 'churn%'")
        self.filter.setToolTip(
            "Plain words show the models, runs, experiments and registered models whose names, "
            "paths, ids, flavors, aliases or tags hold them.\n"
            "MLflow's search grammar filters registered models (the server evaluates it):\n"
            "  name LIKE 'churn%'      name ILIKE '%fraud%'      name = 'churn'\n"
            "  tags.team = 'risk'      tags.`data version` != 'v1'\n"
            "Join clauses with AND (MLflow has no OR); quote values.")
        self.filter.setClearButtonEnabled(True)
        self.filter.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter.setAccessibleName("Filter the library")
        self.filter.setAcceptDrops(False)  # a dropped folder opens it (the window handles drops)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DELAY_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter.returnPressed.connect(self._focus_first_match)
        lay.addWidget(self.filter)
        self.filter_note = muted_label()
        self.filter_note.setObjectName("filter-note")
        self.filter_note.hide()
        lay.addWidget(self.filter_note)

        self.tree = LibraryTree(self._drag_event, lambda: self._set_drop_target(None))
        self.tree.setModel(model)
        self.tree.setHeaderHidden(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.tree.setDragEnabled(True)
        self.tree.setDragDropMode(QAbstractItemView.DragDropMode.DragOnly)
        self.tree.setDefaultDropAction(Qt.DropAction.CopyAction)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.setAccessibleName("Library")
        self.tree.setExpandsOnDoubleClick(True)
        #: the rows' delegate when not Qt's own: the registry's (badges, the drop highlight),
        #: installed with the registry controller (``set_row_delegate``)
        self.delegate: Any = None
        self.tree.activated.connect(lambda idx: self.activated_node.emit(idx.data(NodeRole)))
        self.tree.setAcceptDrops(True)  # after DragOnly, which turned it off; the viewport follows
        self._connect_selection()
        lay.addWidget(self.tree, 1)

        self.scan_row = QWidget()
        row = QHBoxLayout(self.scan_row)
        row.setContentsMargins(0, 0, 0, 0)
        self.scan_label = QLabel()
        self.scan_bar = QProgressBar()
        self.scan_bar.setRange(0, 0)  # busy: the total is unknown until the walk ends
        self.scan_bar.setMaximumHeight(10)
        self.scan_bar.setTextVisible(False)
        self.cancel_button = QToolButton()
        self.cancel_button.setIcon(icons.icon("cancel"))
        self.cancel_button.setText("Cancel")
        self.cancel_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.cancel_button.setToolTip("Stop scanning (models found so far stay listed)")
        self.cancel_button.clicked.connect(self.cancel_scan_requested)
        col = QVBoxLayout()
        col.setSpacing(2)
        col.addWidget(self.scan_label)
        col.addWidget(self.scan_bar)
        row.addLayout(col, 1)
        row.addWidget(self.cancel_button)
        self.scan_row.hide()
        lay.addWidget(self.scan_row)

        model.rowsInserted.connect(self._on_rows_inserted)

    # filter ------------------------------------------------------------------------------------

    def apply_filter(self) -> None:
        self._filter_timer.stop()
        text = self.filter.text().strip()
        expression = text if _looks_like_filter(text) else None
        if expression != self._registry_filter:
            self._registry_filter = expression
            self.registry_filter_changed.emit(expression)
        self.show_filter_note("")
        if not text:
            self._show_model(filtered=False)
            return
        self._show_model(filtered=True)
        if expression is not None:
            self.proxy.set_registry_only()
            self.tree.expandToDepth(1)
            return
        matches = self.proxy.set_text(text)
        if matches <= EXPAND_ALL_BELOW:
            self.tree.expandAll()
        else:  # expanding thousands of rows costs more than it helps
            self.tree.expandToDepth(0)

    def show_filter_note(self, text: str) -> None:
        """A line under the filter box (what the registry filter matched, or why it failed)."""
        self.filter_note.setText(text)
        self.filter_note.setVisible(bool(text))

    def registry_filter(self) -> str | None:
        return self._registry_filter

    def is_filtered(self) -> bool:
        return self.tree.model() is self.proxy

    def _show_model(self, filtered: bool) -> None:
        """Put the proxy between the tree and the library (filtered) or take it out, keeping
        the current node and, after a filter is cleared, what was expanded before it."""
        if filtered == self.is_filtered():
            return
        current = self.current_node()
        old_selection = self.tree.selectionModel()
        if filtered:
            self._expanded_before_filter = self._expanded_nodes()
            self.proxy.setSourceModel(self.model)
            self.tree.setModel(self.proxy)
        else:
            self.tree.setModel(self.model)
            self.proxy.set_text("")
            self.proxy.setSourceModel(None)  # detached: it no longer follows every insert
            for node in self._expanded_before_filter or ():  # index_of: invalid once removed
                self.tree.expand(self.model.index_of(node))
            self._expanded_before_filter = None
        old_selection.deleteLater()
        self._connect_selection()
        if current is not None:
            idx = self.view_index(self.model.index_of(current))
            if idx.isValid():
                self.tree.selectionModel().setCurrentIndex(
                    idx, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
                self.tree.scrollTo(idx)

    def _expanded_nodes(self) -> list[Node]:
        out: list[Node] = []

        def walk(node: Node) -> None:
            for child in node.children:
                if child.children and self.tree.isExpanded(self.view_index(self.model.index_of(child))):
                    out.append(child)
                    walk(child)

        walk(self.model.root)
        return out

    def view_index(self, source_index: QModelIndex) -> QModelIndex:
        """The tree's index of a library index (through the filter when one is typed)."""
        if not source_index.isValid():
            return QModelIndex()
        return self.proxy.mapFromSource(source_index) if self.is_filtered() else source_index

    def _connect_selection(self) -> None:
        self.tree.selectionModel().currentChanged.connect(self._on_current)

    def _focus_first_match(self) -> None:
        self.apply_filter()
        idx = self._first_model(QModelIndex())
        if idx.isValid():
            self.tree.setCurrentIndex(idx)
        self.tree.setFocus()

    def _first_model(self, parent: QModelIndex) -> QModelIndex:
        view_model = self.tree.model()
        for r in range(view_model.rowCount(parent)):
            idx = view_model.index(r, 0, parent)
            if idx.data(KindRole) == MODEL:
                return idx
            found = self._first_model(idx)
            if found.isValid():
                return found
        return QModelIndex()

    def focus_filter(self) -> None:
        self.filter.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.filter.selectAll()

    # selection -----------------------------------------------------------------------------------

    def current_node(self) -> Node | None:
        idx = self.tree.currentIndex()
        return idx.data(NodeRole) if idx.isValid() else None

    def selected_model_nodes(self) -> list[Node]:
        """The selected model nodes, in the order the tree shows them."""
        rows = sorted(self.tree.selectionModel().selectedRows(), key=_tree_order)
        out: list[Node] = []
        for idx in rows:
            node = idx.data(NodeRole)
            if node is not None and node.kind == MODEL and node not in out:
                out.append(node)
        return out

    def select_source_indexes(self, source_indexes: list[QModelIndex]) -> None:
        """Select several rows (the first becomes current)."""
        sel = self.tree.selectionModel()
        flag = QItemSelectionModel.SelectionFlag
        for i, src in enumerate(source_indexes):
            idx = self.view_index(src)
            if not idx.isValid():
                continue
            if i == 0:
                sel.setCurrentIndex(idx, flag.ClearAndSelect | flag.Rows)
            else:
                sel.select(idx, flag.Select | flag.Rows)

    def select_source_index(self, source_index: QModelIndex, notify: bool = True) -> bool:
        """Make a library row current (clearing a filter that hides it). ``notify=False``
        selects without emitting ``current_node_changed``: the caller opens the node itself,
        on a later turn of the event loop."""
        idx = self.view_index(source_index)
        if not idx.isValid():  # hidden by the filter: clear it
            self.filter.clear()
            self.apply_filter()
            idx = self.view_index(source_index)
        if not idx.isValid():
            return False
        self._quiet = not notify
        try:
            self.tree.setCurrentIndex(idx)
            self.tree.scrollTo(idx)
        finally:
            self._quiet = False
        return True

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._quiet:
            self.current_node_changed.emit(current.data(NodeRole) if current.isValid() else None)

    def _on_rows_inserted(self, parent: QModelIndex, _first: int, _last: int) -> None:
        node = self.model.node(parent)
        if parent.isValid() and node.kind in (SOURCE, "group", REGISTRY):
            self.tree.expand(self.view_index(parent))
        elif not parent.isValid():
            view_model = self.tree.model()
            for r in range(view_model.rowCount()):
                self.tree.expand(view_model.index(r, 0))

    # scan progress -----------------------------------------------------------------------------

    def show_scan(self, text: str) -> None:
        self.scan_label.setText(text)
        self.scan_row.show()

    def hide_scan(self) -> None:
        self.scan_row.hide()

    # context menu -----------------------------------------------------------------------------

    def _context_menu(self, pos: QPoint) -> None:
        idx = self.tree.indexAt(pos)
        if not idx.isValid():
            return
        node: Node = idx.data(NodeRole)
        menu = self.context_menu_for(node)
        if menu is not None:
            menu.exec(self.tree.viewport().mapToGlobal(pos))
            menu.deleteLater()

    def context_menu_for(self, node: Node) -> QMenu | None:
        """The context menu of ``node`` (built, not shown: tests inspect it)."""
        if self.extra_menu is not None:
            extra = self.extra_menu(node, self)
            if extra is not None:
                return extra
        menu = QMenu(self)
        if node.kind == MODEL:
            selected = self.selected_model_nodes()
            if node not in selected:
                selected = [node]
            emit = self.action_requested.emit
            if len(selected) == 2:
                menu.addAction(icons.icon("search"), "Compare the Two Models…",
                               lambda: emit(ACTION_COMPARE, selected))
            else:
                menu.addAction(icons.icon("search"), "Compare with…", lambda: emit(ACTION_COMPARE, [node]))
            menu.addSeparator()
            path = self.model.path_of(node)
            is_zip = path is not None and path.suffix.lower() == ".zip" and not path.is_dir()
            if is_zip:
                menu.addAction(icons.icon("folder-open"), "Import (Extract) to a Folder…",
                               lambda: emit(ACTION_EXTRACT, [node]))
            else:
                menu.addAction(icons.icon("package"), "Export as Zip…", lambda: emit(ACTION_EXPORT_ZIP, [node]))
                menu.addAction(icons.icon("folder"), "Export as Folder…",
                               lambda: emit(ACTION_EXPORT_FOLDER, [node]))
                menu.addAction(icons.icon("copy"), "Copy to…", lambda: emit(ACTION_COPY_TO, [node]))
            menu.addSeparator()
            menu.addAction(icons.icon("external"), "Show in file manager", lambda: self.reveal_requested.emit(node))
            if node.parent is self.model.open_group:
                menu.addAction(icons.icon("close"), "Close", lambda: self.close_requested.emit(node))
        elif node.kind == SOURCE:
            menu.addAction(icons.icon("reload"), "Scan again", lambda: self.rescan_requested.emit(node))
            menu.addAction(icons.icon("external"), "Show in file manager", lambda: self.reveal_requested.emit(node))
            menu.addAction(icons.icon("close"), "Remove from library", lambda: self.close_requested.emit(node))
        else:
            menu.deleteLater()
            return None
        return menu


    # drops on the tree ------------------------------------------------------------------------

    def _target_at(self, event: QDragMoveEvent | QDropEvent) -> Node | None:
        if self.drop_target_for is None or not local_paths(event.mimeData()):
            return None
        idx = self.tree.indexAt(event.position().toPoint())
        return self.drop_target_for(idx.data(NodeRole) if idx.isValid() else None)

    def _drag_event(self, event: QDragEnterEvent | QDragMoveEvent | QDropEvent) -> bool:
        mime = event.mimeData()
        if from_library(mime) or not accepts(mime):
            event.ignore()
            return True
        target = self._target_at(event)
        if event.type() == QEvent.Type.Drop:
            self._set_drop_target(None)
            if target is not None:
                event.acceptProposedAction()
                self.folders_dropped.emit(target, [Path(p) for p in local_paths(mime)])
            else:
                self.plain_drop.emit(event)
            return True
        self._set_drop_target(target)
        event.acceptProposedAction()
        return True

    def set_row_delegate(self, delegate: Any) -> None:
        """Paint the rows with ``delegate`` (a ``QStyledItemDelegate`` with a ``drop_target``)."""
        self.delegate = delegate
        self.tree.setItemDelegate(delegate)

    def _set_drop_target(self, node: Node | None) -> None:
        if self.delegate is not None and self.delegate.drop_target is not node:
            self.delegate.drop_target = node
            self.tree.viewport().update()


def _looks_like_filter(text: str) -> bool:
    """Whether the filter box holds MLflow's search grammar rather than words to look for."""
    # deferred for start-up: the registry's search grammar and entities, on the first filter
    from mlmanager.core.library.registry.search import looks_like_filter

    return looks_like_filter(text)


def _tree_order(idx: QModelIndex) -> list[int]:
    path = []
    while idx.isValid():
        path.append(idx.row())
        idx = idx.parent()
    return path[::-1]
