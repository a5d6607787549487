"""The left side: a filter box over the library tree, and the scan progress with a Cancel button.

The tree allows extended selection (Ctrl/Shift-click: two models to compare) and drags models
out (the library model makes the data, see ``dnd.library_mime_data``). Per-model commands of the
context menu are sent as ``action_requested(action, nodes)`` with one of the ``ACTION_*`` names.
"""

from __future__ import annotations

from PySide6.QtCore import QModelIndex, QPoint, Qt, QTimer, Signal
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
from mlmanager.ui.models.library import (
    MODEL,
    SOURCE,
    KindRole,
    LibraryFilter,
    LibraryModel,
    Node,
    NodeRole,
)

FILTER_DELAY_MS = 120
EXPAND_ALL_BELOW = 300

ACTION_COMPARE = "compare"
ACTION_EXPORT_ZIP = "export-zip"
ACTION_EXPORT_FOLDER = "export-folder"
ACTION_COPY_TO = "copy-to"
ACTION_EXTRACT = "extract"


class LibraryPanel(QWidget):
    current_node_changed = Signal(object)  # Node | None
    close_requested = Signal(object)  # Node
    rescan_requested = Signal(object)  # Node (source)
    reveal_requested = Signal(object)  # Node
    cancel_scan_requested = Signal()
    action_requested = Signal(str, list)  # ACTION_*, [Node]

    def __init__(self, model: LibraryModel, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = model
        self.proxy = LibraryFilter(self)
        self.proxy.setSourceModel(model)

        lay = QVBoxLayout(self)
        lay.setContentsMargins(6, 6, 0, 6)
        lay.setSpacing(6)
        self.filter = QLineEdit()
        self.filter.setPlaceholderText("Filter models, runs, experiments…")
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

        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
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
        self.tree.selectionModel().currentChanged.connect(self._on_current)
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
        matches = self.proxy.set_text(text)
        if text:
            if matches <= EXPAND_ALL_BELOW:
                self.tree.expandAll()
            else:  # expanding thousands of rows costs more than it helps
                self.tree.expandToDepth(0)

    def _focus_first_match(self) -> None:
        self.apply_filter()
        idx = self._first_model(QModelIndex())
        if idx.isValid():
            self.tree.setCurrentIndex(idx)
        self.tree.setFocus()

    def _first_model(self, parent: QModelIndex) -> QModelIndex:
        for r in range(self.proxy.rowCount(parent)):
            idx = self.proxy.index(r, 0, parent)
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
        from PySide6.QtCore import QItemSelectionModel

        sel = self.tree.selectionModel()
        flag = QItemSelectionModel.SelectionFlag
        for i, src in enumerate(source_indexes):
            idx = self.proxy.mapFromSource(src)
            if not idx.isValid():
                continue
            if i == 0:
                sel.setCurrentIndex(idx, flag.ClearAndSelect | flag.Rows)
            else:
                sel.select(idx, flag.Select | flag.Rows)

    def select_source_index(self, source_index: QModelIndex) -> bool:
        idx = self.proxy.mapFromSource(source_index)
        if not idx.isValid():  # hidden by the filter: clear it
            self.filter.clear()
            self.apply_filter()
            idx = self.proxy.mapFromSource(source_index)
        if not idx.isValid():
            return False
        self.tree.setCurrentIndex(idx)
        self.tree.scrollTo(idx)
        return True

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.current_node_changed.emit(current.data(NodeRole) if current.isValid() else None)

    def _on_rows_inserted(self, parent: QModelIndex, _first: int, _last: int) -> None:
        node = self.model.node(parent)
        if parent.isValid() and node.kind in (SOURCE, "group"):
            self.tree.expand(self.proxy.mapFromSource(parent))
        elif not parent.isValid():
            for r in range(self.proxy.rowCount()):
                self.tree.expand(self.proxy.index(r, 0))

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


def _tree_order(idx: QModelIndex) -> list[int]:
    path = []
    while idx.isValid():
        path.append(idx.row())
        idx = idx.parent()
    return path[::-1]
