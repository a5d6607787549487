"""Artifacts tab: the model folder as a tree (sizes, kinds) and a preview of the selected file."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QSortFilterProxyModel, Qt, QUrl
from PySide6.QtGui import QDesktopServices, QPixmap
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QListWidget,
    QPushButton,
    QScrollArea,
    QSplitter,
    QStackedWidget,
    QTableView,
    QTextBrowser,
    QTreeView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.library.paths import display_path
from mlmanager.core.model.artifact_preview import PreviewData, preview_kind
from mlmanager.core.model.files import FolderFiles, open_model_files
from mlmanager.core.sizes import format_size
from mlmanager.ui import icons
from mlmanager.ui.models.artifacts import ArtifactTreeModel
from mlmanager.ui.models.tables import RowsModel
from mlmanager.ui.models.tree import SortRole
from mlmanager.ui.pages.artifact_preview import load_preview
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.mlmodel import MAX_HIGHLIGHT_LINES, YamlHighlighter
from mlmanager.ui.widgets.common import (
    Badge,
    CodeView,
    compact_rows,
    muted_label,
    style_role,
)

if TYPE_CHECKING:
    from mlmanager.ui.store import ModelEntry
    from mlmanager.ui.tasks import Task, TaskError

SAFETY_LEVELS = {
    "SAFE-LISTED": ("ok", "Safe-listed", "Every import is on mlmanager's allowlist; it loads through a restricted unpickler."),
    "UNTRUSTED-IMPORTS": ("warning", "Untrusted imports", "It imports modules outside the allowlist: loading it runs code you must trust."),
    "CONTAINS-CODE": ("warning", "Contains code", "The file carries Python code (cloudpickle functions or classes): loading runs it."),
    "KNOWN-DANGEROUS": ("error", "Known dangerous", "It imports functions that can run commands or touch files. Do not load it."),
    "UNPARSEABLE": ("error", "Unparseable", "The file is not a valid pickle, or it is truncated or has a corrupt tail."),
}


class _MarkdownView(QTextBrowser):
    """Markdown without side effects: no links followed, no resources (images) loaded."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setOpenLinks(False)
        self.setOpenExternalLinks(False)

    def loadResource(self, _type: int, _name: QUrl) -> Any:  # noqa: N802
        return None


class _SafetyView(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        self.intro = muted_label()
        lay.addWidget(self.intro)
        row = QHBoxLayout()
        self.badge_holder = row
        lay.addLayout(row)
        self.badge: Badge | None = None
        self.explain = QLabel()
        self.explain.setWordWrap(True)
        lay.addWidget(self.explain)
        self.reasons = QLabel()
        self.reasons.setWordWrap(True)
        self.reasons.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.reasons)
        self.imports_label = QLabel("Imports found in the file:")
        lay.addWidget(self.imports_label)
        self.imports = QListWidget()
        self.imports.setAccessibleName("Imports found in the model file")
        lay.addWidget(self.imports, 1)
        self.meta = muted_label()
        lay.addWidget(self.meta)
        lay.addStretch(0)

    def show_report(self, intro: str, report: Any) -> None:
        self.intro.setText(intro)
        cls = getattr(report, "classification", "?")
        level, title, explain = SAFETY_LEVELS.get(cls, ("warning", cls, ""))
        if self.badge is not None:
            self.badge_holder.removeWidget(self.badge)
            self.badge.deleteLater()
        self.badge = Badge(title, level, explain)
        self.badge.setObjectName("safety-badge")
        self.badge_holder.insertWidget(0, self.badge)
        if self.badge_holder.count() == 1:
            self.badge_holder.addStretch(1)
        if getattr(report, "format", "") == "skops" and cls == "SAFE-LISTED":
            explain = "Every type in the file is trusted by skops: loading it runs no code from the file."
        self.explain.setText(explain)
        reasons = list(getattr(report, "reasons", ()) or ())
        warnings = list(getattr(report, "warnings", ()) or ())
        err = getattr(report, "scan_error", None)
        lines = [f"• {r}" for r in reasons + warnings]
        if err:
            lines.append(f"• scan error: {err}")
        self.reasons.setText("\n".join(lines))
        self.reasons.setVisible(bool(lines))
        self.imports.clear()
        dangerous = set(getattr(report, "dangerous", ()) or ())
        untrusted = set(getattr(report, "untrusted", ()) or ())
        for imp in getattr(report, "imports", ()) or ():
            tag = "  ⚠ dangerous" if imp in dangerous else ("  • not on the allowlist" if imp in untrusted else "")
            item_icon = icons.icon("error" if imp in dangerous else "warning" if imp in untrusted else "ok")
            self.imports.addItem(imp + tag)
            self.imports.item(self.imports.count() - 1).setIcon(item_icon)
        has_imports = self.imports.count() > 0
        self.imports.setVisible(has_imports)
        self.imports_label.setVisible(has_imports)
        bits = [f"file {getattr(report, 'file', None) or '?'}", f"format {getattr(report, 'format', '?')}"]
        if getattr(report, "sha256", None):
            bits.append(f"sha256 {report.sha256[:16]}…")
        if getattr(report, "scanner", ""):
            bits.append(f"scanned by {report.scanner}")
        self.meta.setText(" · ".join(bits))


class PreviewPane(QWidget):
    """Shows one PreviewData: text, formatted JSON, Markdown, a table, an image or a scan."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        self.title = QLabel()
        style_role(self.title, "subheading")
        self.note = muted_label()
        lay.addWidget(self.title)
        lay.addWidget(self.note)
        self.stack = QStackedWidget()
        lay.addWidget(self.stack, 1)
        self.message = muted_label()
        self.message.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.text = CodeView()
        self.text.setAccessibleName("File preview")
        self.highlighter = YamlHighlighter(self.text.document())
        self.markdown = _MarkdownView()
        self.table_model = RowsModel()
        self.table = QTableView()
        self.table.setModel(self.table_model)
        self.table.setAlternatingRowColors(True)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setAccessibleName("Table preview")
        compact_rows(self.table)
        self.image = QLabel()
        self.image.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.image_scroll = QScrollArea()
        self.image_scroll.setWidget(self.image)
        self.image_scroll.setWidgetResizable(True)
        self.safety = _SafetyView()
        for w in (self.message, self.text, self.markdown, self.table, self.image_scroll, self.safety):
            self.stack.addWidget(w)
        self.kind = "message"
        self.show_message("", "Select a file to preview it.")

    def show_message(self, title: str, text: str) -> None:
        self.kind = "message"
        self.title.setText(title)
        self.note.hide()
        self.message.setText(text)
        self.stack.setCurrentWidget(self.message)

    def show_data(self, title: str, data: PreviewData) -> None:
        self.kind = data.kind
        self.title.setText(title)
        self.note.setText(data.note)
        self.note.setVisible(bool(data.note))
        if data.kind in ("text", "json", "hex"):
            small = data.text.count("\n") < MAX_HIGHLIGHT_LINES
            self.highlighter.setDocument(self.text.document() if data.language == "yaml" and small else None)
            self.text.setPlainText(data.text)
            self.stack.setCurrentWidget(self.text)
        elif data.kind == "markdown":
            self.markdown.setMarkdown(data.text)
            self.stack.setCurrentWidget(self.markdown)
        elif data.kind == "table":
            self.table_model.set_rows(data.headers, data.rows)
            self.table.resizeColumnsToContents()
            self.stack.setCurrentWidget(self.table)
        elif data.kind == "image":
            pm = QPixmap.fromImage(data.image)
            self.image.setPixmap(pm)
            self.stack.setCurrentWidget(self.image_scroll)
        elif data.kind == "safety":
            self.safety.show_report(data.text, data.safety)
            self.stack.setCurrentWidget(self.safety)
        else:
            self.kind = "message"
            self.message.setText(data.text)
            self.stack.setCurrentWidget(self.message)


class ArtifactsPage(ModelPage):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(8, 8, 8, 8)
        top = QHBoxLayout()
        self.summary = muted_label()
        top.addWidget(self.summary, 1)
        self.open_button = QPushButton(icons.icon("external"), "Open folder")
        self.open_button.setToolTip("Show the model folder in the system file manager")
        self.open_button.clicked.connect(self.open_folder)
        top.addWidget(self.open_button)
        lay.addLayout(top)

        self.model = ArtifactTreeModel(self)
        self.proxy = QSortFilterProxyModel(self)
        self.proxy.setSourceModel(self.model)
        self.proxy.setSortRole(SortRole)
        self.tree = QTreeView()
        self.tree.setModel(self.proxy)
        self.tree.setSortingEnabled(True)
        self.tree.sortByColumn(0, Qt.SortOrder.AscendingOrder)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(True)
        self.tree.setAccessibleName("Model files")
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.ResizeToContents)
        header.setStretchLastSection(False)
        self.tree.selectionModel().currentChanged.connect(self._on_current)
        self.preview = PreviewPane()
        split = QSplitter(Qt.Orientation.Horizontal)
        split.addWidget(self.tree)
        split.addWidget(self.preview)
        split.setStretchFactor(0, 2)
        split.setStretchFactor(1, 3)
        split.setChildrenCollapsible(False)
        lay.addWidget(split, 1)
        self._task: Task | None = None
        self._selected: str | None = None

    def show_entry(self, entry: ModelEntry | None) -> None:
        same_model = entry is not None and self.entry is entry
        keep = self._selected if same_model else None
        self.entry = entry
        self._selected = None
        if self._task is not None:
            self._task.cancel()
            self._task = None
        arts = entry.artifacts if entry is not None else None
        if entry is not None and entry.artifact_tree is not None:
            self.model.set_root(entry.artifact_tree)  # built by the loader, off the GUI thread
        else:
            self.model.set_artifacts(arts)
        self.tree.expandToDepth(0)
        self.open_button.setEnabled(entry is not None and entry.folder.exists())
        if entry is None:
            self.summary.setText("")
            return
        if arts is None:
            why = entry.artifacts_error or ("the folder no longer exists" if entry.state.value == "missing"
                                            else "the model could not be opened")
            self.summary.setText(f"The files cannot be listed: {why}")
            self.preview.show_message("", "")
            return
        total = sum(a.size for a in arts)
        self.summary.setText(f"{len(arts)} file{'s' if len(arts) != 1 else ''}, {format_size(total)}"
                             f"  ·  {display_path(entry.path)}")
        idx = self.model.find(keep or "MLmodel")
        if idx.isValid():
            self.tree.setCurrentIndex(self.proxy.mapFromSource(idx))
            return
        self.preview.show_message("", "Select a file to preview it.")

    def select_path(self, rel: str) -> bool:
        idx = self.model.find(rel)
        if not idx.isValid():
            return False
        self.tree.setCurrentIndex(self.proxy.mapFromSource(idx))
        return True

    def open_folder(self) -> None:
        if self.entry is not None:
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(self.entry.folder)))

    def _on_current(self, current: QModelIndex, _previous: QModelIndex) -> None:
        if not current.isValid() or self.entry is None:
            return
        node = self.model.node(self.proxy.mapToSource(current))
        art = node.item
        if art is None:
            n = sum(1 for x in node.walk() if x.item is not None)
            self._selected = node.path
            self.preview.show_message(node.path + "/", f"Folder with {n} file{'s' if n != 1 else ''}.")
            return
        self._start_preview(art)

    def _start_preview(self, art: Any) -> None:
        entry = self.entry
        assert entry is not None
        self._selected = art.path
        if self._task is not None:
            self._task.cancel()
        kind = preview_kind(art.path, art.kind)
        if kind == "symlink":
            self.preview.show_message(art.path, f"Symbolic link to {art.target!r}. mlmanager does not "
                                                "follow links inside models.")
            return
        if kind == "special":
            self.preview.show_message(art.path, f"{art.detail or 'Not a regular file'}: never opened.")
            return
        cache_key = "safety" if kind == "safety" else None
        if cache_key and cache_key in entry.cache:
            self.preview.show_data(art.path, entry.cache[cache_key])
            return
        files = entry.doc.files if entry.doc is not None else None
        if files is None:
            try:
                files = open_model_files(entry.path)
            except MlmanagerError:
                files = FolderFiles(entry.path) if entry.path.is_dir() else None
        if files is None:
            self.preview.show_message(art.path, "The model's files cannot be read.")
            return
        model_dir = None if entry.is_zip else str(entry.path)
        waiting = "Scanning the model file's imports…" if kind == "safety" else "Loading preview…"
        self.preview.show_message(art.path, waiting)
        task = self.ctx.tasks.start(load_preview, files, art.path, art.kind, model_dir,
                                    name=f"preview {art.path}")
        self._task = task
        task.succeeded.connect(lambda data, t=task, e=entry, a=art, k=cache_key: self._shown(t, e, a, k, data))
        task.failed.connect(lambda err, t=task, a=art: self._failed(t, a, err))

    def _shown(self, task: Task, entry: ModelEntry, art: Any, cache_key: str | None, data: PreviewData) -> None:
        if cache_key:
            entry.cache[cache_key] = data
        if task is not self._task or entry is not self.entry:
            return
        self._task = None
        self.preview.show_data(art.path, data)

    def _failed(self, task: Task, art: Any, err: TaskError) -> None:
        err.handled = err.expected  # unexpected failures also reach the global error report
        if task is not self._task:
            return
        self._task = None
        self.preview.show_message(art.path, f"Cannot preview this file: {err.message}")
