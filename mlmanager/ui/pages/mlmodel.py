"""MLmodel tab: the file as a tree (key, value, type) with a detail pane, and the raw YAML."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, QPoint, Qt
from PySide6.QtGui import (
    QAction,
    QColor,
    QGuiApplication,
    QKeySequence,
    QSyntaxHighlighter,
    QTextCharFormat,
    QTextDocument,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QMenu,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons, theme
from mlmanager.ui.models.mlmodel_tree import MLmodelTreeModel, copy_text, expand_paths
from mlmanager.ui.models.tables import RowsModel
from mlmanager.ui.models.tree import TreeNode
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.widgets.common import CodeView, compact_rows, muted_label

if TYPE_CHECKING:
    from mlmanager.ui.store import ModelEntry


MAX_HIGHLIGHT_LINES = 3000


class YamlHighlighter(QSyntaxHighlighter):
    """Keys, comments, quoted strings and literals; colours from the current theme."""

    _KEY = re.compile(r"^(\s*(?:-\s+)?)([^\s#:'\"][^:#]*?|'[^']*'|\"[^\"]*\"):(?=\s|$)")
    _COMMENT = re.compile(r"(^|\s)#.*$")
    _STRING = re.compile(r"'(?:[^']|'')*'|\"(?:[^\"\\]|\\.)*\"")
    _LITERAL = re.compile(r"(?<=:\s)(null|true|false|~|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)\s*$")

    def __init__(self, document: QTextDocument) -> None:
        super().__init__(document)

    def _fmt(self, colour: str, bold: bool = False) -> QTextCharFormat:
        f = QTextCharFormat()
        f.setForeground(QColor(colour))
        if bold:
            f.setFontWeight(600)
        return f

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        c = theme.current_colors()
        m = self._KEY.match(text)
        if m:
            self.setFormat(m.start(2), len(m.group(2)), self._fmt(c.info, True))
        for s in self._STRING.finditer(text):
            self.setFormat(s.start(), s.end() - s.start(), self._fmt(c.ok))
        lit = self._LITERAL.search(text)
        if lit:
            self.setFormat(lit.start(1), len(lit.group(1)), self._fmt(c.warning))
        com = self._COMMENT.search(text)
        if com and not self._STRING.search(text[: com.start() + 1] + "'"):
            self.setFormat(com.start(), len(text) - com.start(), self._fmt(c.muted))


class MLmodelPage(ModelPage):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        self.tabs = QTabWidget()
        lay.addWidget(self.tabs)

        # tree + detail
        self.model = MLmodelTreeModel(self)
        self.tree = QTreeView()
        self.tree.setModel(self.model)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)  # every row has an icon (a blank one if need be)
        self.tree.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.tree.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        self.tree.customContextMenuRequested.connect(self._context_menu)
        self.tree.setAccessibleName("MLmodel keys")
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.selectionModel().currentChanged.connect(self._on_current)

        self.copy_value_action = QAction(icons.icon("copy"), "Copy value", self)
        self.copy_value_action.setShortcut(QKeySequence.StandardKey.Copy)
        self.copy_value_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_value_action.triggered.connect(self.copy_value)
        self.copy_path_action = QAction("Copy key path", self)
        self.copy_path_action.setShortcut(QKeySequence("Ctrl+Shift+C"))
        self.copy_path_action.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        self.copy_path_action.triggered.connect(self.copy_path)
        self.tree.addAction(self.copy_value_action)
        self.tree.addAction(self.copy_path_action)

        self.detail = QStackedWidget()
        self.detail_text = CodeView()
        self.detail_text.setAccessibleName("Selected value")
        self.detail_table_model = RowsModel()
        self.detail_table = QTableView()
        self.detail_table.setModel(self.detail_table_model)
        self.detail_table.verticalHeader().hide()
        self.detail_table.horizontalHeader().setStretchLastSection(True)
        self.detail_table.setAlternatingRowColors(True)
        self.detail_table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.detail_table.setAccessibleName("Decoded signature")
        compact_rows(self.detail_table)
        self.detail_hint = muted_label("Select a key to see its full value. Ctrl+C copies the value, "
                                       "Ctrl+Shift+C its key path.")
        self.detail_hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.detail.addWidget(self.detail_hint)
        self.detail.addWidget(self.detail_text)
        self.detail.addWidget(self.detail_table)

        split = QSplitter(Qt.Orientation.Vertical)
        split.addWidget(self.tree)
        split.addWidget(self.detail)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        split.setChildrenCollapsible(False)
        self.tabs.addTab(split, icons.icon("flavor"), "Tree")

        self.raw = CodeView()
        self.raw.setAccessibleName("MLmodel YAML text")
        self.highlighter = YamlHighlighter(self.raw.document())
        self.tabs.addTab(self.raw, icons.icon("file-yaml"), "YAML text")

        self.message = muted_label()
        lay.addWidget(self.message)
        self.message.hide()
        self._forced_raw = False

    # ------------------------------------------------------------------------------------------

    def show_entry(self, entry: ModelEntry | None) -> None:
        self.entry = entry
        if entry is None:
            self.model.clear()
            self.raw.clear()
            return
        doc = entry.doc
        if entry.state.value == "loading":
            self.model.clear()
            self.raw.clear()
            self.message.setText("Loading…")
            self.message.show()
            return
        expanded = self._expanded_paths() if self.model.root.children else None
        self.model.set_data(doc.data if doc is not None else None)
        text = doc.text if doc is not None else (entry.raw_text or "")
        # highlighting runs in Python per line: skip it for huge files
        self.highlighter.setDocument(self.raw.document() if text.count("\n") < MAX_HIGHLIGHT_LINES else None)
        self.raw.setPlainText(text)
        if doc is None:
            self.message.setText(
                "The MLmodel file could not be parsed, so there is no tree; its raw text is in the "
                "YAML text tab." if entry.raw_text is not None else "The MLmodel file could not be read.")
            self.message.show()
            self.tabs.setCurrentIndex(1)
        else:
            self.message.hide()
            if self.tabs.currentIndex() == 1 and self._forced_raw:
                self.tabs.setCurrentIndex(0)
        self._forced_raw = doc is None
        for path in expanded if expanded is not None else expand_paths(self.model.root):
            idx = self.model.find(path)
            if idx.isValid():
                self.tree.expand(idx)
        self.tree.resizeColumnToContents(0)
        self.tree.setColumnWidth(0, min(max(self.tree.columnWidth(0) + 16, 180), 360))
        self.detail.setCurrentWidget(self.detail_hint)

    def _expanded_paths(self) -> list[str]:
        out = []
        for node in self.model.root.walk():
            if node is self.model.root or not node.children:
                continue
            idx = self.model.index_of(node)
            if self.tree.isExpanded(idx):
                out.append(node.path)
        return out

    def _current_node(self) -> TreeNode | None:
        idx = self.tree.currentIndex()
        return self.model.node(idx) if idx.isValid() else None

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid():
            self.detail.setCurrentWidget(self.detail_hint)
            return
        node = self.model.node(current)
        if node.table is not None:
            headers, rows = node.table
            self.detail_table_model.set_rows(headers, rows)
            self.detail_table.resizeColumnsToContents()
            self.detail.setCurrentWidget(self.detail_table)
            return
        self.detail_text.setPlainText(f"{node.path}\n\n{copy_text(node.item)}")
        self.detail.setCurrentWidget(self.detail_text)

    def copy_value(self) -> None:
        node = self._current_node()
        if node is not None:
            value = node.item
            text = "\t".join(value) if isinstance(value, list) and node.path.endswith("]") and \
                node.path.startswith("signature.") else copy_text(value)
            QGuiApplication.clipboard().setText(text)
            self.ctx.status(f"Copied the value of {node.path}")

    def copy_path(self) -> None:
        node = self._current_node()
        if node is not None:
            QGuiApplication.clipboard().setText(node.path)
            self.ctx.status(f"Copied {node.path}")

    def _context_menu(self, pos: QPoint) -> None:
        if not self.tree.indexAt(pos).isValid():
            return
        menu = QMenu(self)
        menu.addAction(self.copy_value_action)
        menu.addAction(self.copy_path_action)
        menu.addSeparator()
        menu.addAction("Expand all", self.tree.expandAll)
        menu.addAction("Collapse all", self.tree.collapseAll)
        menu.exec(self.tree.viewport().mapToGlobal(pos))
