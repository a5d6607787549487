"""The Signature tab: edit inputs, outputs and params with undo/redo, infer, validate, save.

One :class:`SignatureDocument` (signature + QUndoStack) per open model, kept by entry key, so
switching models keeps each one's edits; a ``QUndoGroup`` follows the shown model, and its
undo/redo actions (``undo_action``/``redo_action``) are what the main window's Edit menu shows.
Dialogs go through the prompter (``dialogs.run_dialog``/``choose``); long work (reading data
with pandas, predicting in the worker, checking examples) runs on the task pool.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import (
    QAction,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
    QUndoGroup,
)
from PySide6.QtWidgets import (
    QApplication,
    QHBoxLayout,
    QMenu,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.signature.edits import (
    Edit,
    EditError,
    ReplaceSection,
    ReplaceSignature,
    convert_schema_kind,
)
from mlmanager.core.signature.example_check import ExampleReport
from mlmanager.core.signature.schema import ColSpec, Issue, Signature
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.ui.dnd import local_paths
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.signature import (
    SAVE_COPY_SHORTCUT,
    SAVE_COPY_TEXT,
    SAVE_TEXT,
    SAVE_VERSION_LABEL,
    SAVE_VERSION_TEXT,
)
from mlmanager.ui.pages.signature.document import SignatureDocument
from mlmanager.ui.pages.signature.inference import InferenceController
from mlmanager.ui.pages.signature.jobs import DATA_SUFFIXES
from mlmanager.ui.pages.signature.publishing import PublishController
from mlmanager.ui.pages.signature.saving import SaveController
from mlmanager.ui.pages.signature.section_panel import SectionPanel, icon_if
from mlmanager.ui.pages.signature.validation_view import IssuesPanel, section_issues
from mlmanager.ui.widgets.common import Badge, Banner, muted_label

SECTIONS = ("inputs", "outputs", "params")
DIALECT_BADGE = {
    "required": ("mlflow ≥ 2.10 format", "ok",
                 "The signature uses the current format (\"required\" keys): mlflow ≥ 2.10 loads it"),
    "none": ("legacy format", "info",
             "The signature has no \"required\" keys: every mlflow version loads it. Saving keeps this "
             "format when the edit allows it"),
    "optional": ("mlflow 2.5–2.9 format", "warning",
                 "The signature uses \"optional\" keys, which mlflow ≥ 2.19 (3.x included) cannot "
                 "load. Saving in the current format fixes that"),
}


def has_columns(sig: Signature | None) -> bool:
    return sig is not None and any(
        isinstance(spec, ColSpec) for schema in (sig.inputs, sig.outputs) if schema is not None
        for spec in schema.specs)


def default_worker_factory() -> Any:
    return WorkerClient()


class SignaturePage(ModelPage):
    """The signature editor tab (see the module docstring)."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        self.saving = SaveController(self)
        self.publishing = PublishController(self)
        self.inference = InferenceController(self)
        self.setAcceptDrops(True)
        self.worker_factory: Callable[[], Any] = default_worker_factory
        self._docs: dict[str, SignatureDocument] = {}
        self._owned: set[int] = set()  # ids of ModelDocuments we loaded (after saving) and close
        self.document: SignatureDocument | None = None
        self.last_message = ""
        self.example_reports: list[ExampleReport] = []
        self._banner_action: Callable[[], None] | None = None
        self._predict_tasks: list[Any] = []
        self._layout_key: tuple = ()

        self.undo_group = QUndoGroup(self)
        self.undo_action = self.undo_group.createUndoAction(self, "&Undo")
        self.redo_action = self.undo_group.createRedoAction(self, "&Redo")
        self.undo_action.setShortcut(QKeySequence.StandardKey.Undo)
        self.redo_action.setShortcut(QKeySequence.StandardKey.Redo)
        self.undo_action.setIcon(icon_if("undo"))
        self.redo_action.setIcon(icon_if("redo"))
        self.save_action = self._action(SAVE_TEXT, self.save, QKeySequence.StandardKey.Save)
        self.save_copy_action = self._action(SAVE_COPY_TEXT, self.save_as_copy, QKeySequence(SAVE_COPY_SHORTCUT))
        self.save_version_action = self._action(SAVE_VERSION_TEXT, self.save_as_new_version,
                                                QKeySequence())
        self.add_action = self._action("Add Row", lambda: self._panel().add_row(), QKeySequence(Qt.Key.Key_Insert))
        self.remove_action = self._action("Remove Rows", lambda: self._panel().remove_rows(),
                                          QKeySequence(QKeySequence.StandardKey.Delete))
        self.duplicate_action = self._action("Duplicate Row", lambda: self._panel().duplicate_row(), QKeySequence("Ctrl+D"))
        self.up_action = self._action("Move Row Up", lambda: self._panel().move_row(-1), QKeySequence("Ctrl+Up"))
        self.down_action = self._action("Move Row Down", lambda: self._panel().move_row(1), QKeySequence("Ctrl+Down"))
        for act in (self.undo_action, self.redo_action):
            act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
            self.addAction(act)

        self._build_ui()
        ctx.store.entry_changed.connect(self._on_store_changed)
        ctx.store.entry_removed.connect(self._on_store_removed)

    # ------------------------------------------------------------------------------------------
    # construction

    def _action(self, text: str, slot: Callable[[], None], shortcut: Any) -> QAction:
        act = QAction(text, self)
        act.setShortcut(shortcut)
        act.setShortcutContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        act.triggered.connect(lambda _c=False: slot())
        self.addAction(act)
        return act

    def _build_ui(self) -> None:
        lay = QVBoxLayout(self)
        lay.setContentsMargins(12, 8, 12, 8)
        lay.setSpacing(6)

        bar = QHBoxLayout()
        bar.setSpacing(4)
        self.undo_button = QToolButton()
        self.undo_button.setDefaultAction(self.undo_action)
        self.redo_button = QToolButton()
        self.redo_button.setDefaultAction(self.redo_action)
        for b in (self.undo_button, self.redo_button):
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
            b.setAutoRaise(True)
            bar.addWidget(b)
        bar.addSpacing(8)
        self.infer_button = QToolButton()
        self.infer_button.setText("Infer")
        self.infer_button.setIcon(icon_if("search"))
        self.infer_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.infer_button.setToolTip("Propose a signature from data, the input example or predictions "
                                     "(or drop a CSV/JSON/Parquet file on the editor)")
        self.infer_button.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        menu = QMenu(self)
        self.infer_file_action = menu.addAction("From a data file (CSV, JSON, Parquet)…", lambda: self.infer_from_file())
        self.infer_example_action = menu.addAction("From the model's input example", self.infer_from_example)
        self.infer_outputs_action = menu.addAction("Outputs from a predictions file…",
                                                   lambda: self.infer_from_file(section="outputs"))
        self.infer_button.setMenu(menu)
        bar.addWidget(self.infer_button)
        self.remove_sig_button = QToolButton()
        self.remove_sig_button.setText("Remove signature")
        self.remove_sig_button.setAutoRaise(True)
        self.remove_sig_button.setToolTip("Delete the whole signature (MLflow then checks nothing); undoable")
        self.remove_sig_button.clicked.connect(self.remove_signature)
        bar.addWidget(self.remove_sig_button)
        bar.addStretch(1)
        self.format_badge = Badge("", "info")
        bar.addWidget(self.format_badge)
        bar.addSpacing(8)
        self.save_version_button = QPushButton(icon_if("publish"), SAVE_VERSION_LABEL)
        self.save_version_button.clicked.connect(lambda _c=False: self.save_as_new_version())
        self.save_version_button.hide()  # only for versions opened from a writable registry
        bar.addWidget(self.save_version_button)
        self.save_copy_button = QPushButton("Save as copy…")
        self.save_copy_button.clicked.connect(lambda _c=False: self.save_as_copy())
        self.save_button = QPushButton("Save…")
        self.save_button.setDefault(True)
        self.save_button.clicked.connect(lambda _c=False: self.save())
        bar.addWidget(self.save_copy_button)
        bar.addWidget(self.save_button)
        lay.addLayout(bar)

        self.banner = Banner()
        self.banner.hide()
        self.banner.action_clicked.connect(self._on_banner_action)
        lay.addWidget(self.banner)

        self.stack = QStackedWidget()
        self.message_page = muted_label()
        self.message_page.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.stack.addWidget(self.message_page)
        self.splitter = QSplitter(Qt.Orientation.Vertical)
        self.splitter.setChildrenCollapsible(False)
        self.panels: dict[str, SectionPanel] = {}
        for section in SECTIONS:
            panel = SectionPanel(section)
            panel.edit_requested.connect(self._on_edit_requested)
            panel.convert_requested.connect(self.convert_section)
            panel.infer_requested.connect(lambda s: self.infer_from_file(section=s))
            panel.activated.connect(self._set_active)
            for model in panel.models.values():
                model.rejected.connect(self._on_rejected)
            self.panels[section] = panel
            self.splitter.addWidget(panel)
        self.issues = IssuesPanel()
        self.issues.activated.connect(self.reveal_issue)
        self.splitter.addWidget(self.issues)
        for i, stretch in enumerate((4, 2, 2, 1)):
            self.splitter.setStretchFactor(i, stretch)
        self.stack.addWidget(self.splitter)
        lay.addWidget(self.stack, 1)
        self.hint = muted_label("Double-click a cell to edit it. Drag rows to reorder them. Drop a data "
                                "file here to infer a signature.")
        lay.addWidget(self.hint)
        self._active = self.panels["inputs"]
        self._refresh()

    # ------------------------------------------------------------------------------------------
    # entries and documents

    def show_entry(self, entry: Any) -> None:
        self.entry = entry
        self._set_document(self._document_for(entry) if entry is not None else None)

    def _document_for(self, entry: Any) -> SignatureDocument | None:
        doc = self._docs.get(entry.key)
        if doc is not None:
            self._sync(entry, doc)
            return self._docs.get(entry.key)
        if entry.doc is None:
            return None
        doc = SignatureDocument(entry.key, entry.doc, self)
        doc.changed.connect(self._on_doc_changed)
        doc.failed.connect(self._on_rejected)
        doc.stack.cleanChanged.connect(self._on_clean_changed)
        self.undo_group.addStack(doc.stack)
        self._docs[entry.key] = doc
        return doc

    def _sync(self, entry: Any, doc: SignatureDocument) -> None:
        """The store re-read ``entry``: follow it unless that would lose unsaved edits."""
        if entry.doc is None:
            if not doc.dirty:
                self._drop(entry.key)
            else:
                doc.disk_changed = True
            return
        if entry.doc is doc.base_doc:
            return
        if entry.doc.raw_bytes == doc.base_doc.raw_bytes:
            old = doc.base_doc
            doc.rebase(entry.doc)
            self._close_owned(old)
        elif not doc.dirty:
            old = doc.base_doc
            doc.reload_from(entry.doc)
            self._close_owned(old)
        else:
            doc.disk_changed = True

    def _close_owned(self, model_doc: Any) -> None:
        if id(model_doc) in self._owned:
            self._owned.discard(id(model_doc))
            with contextlib.suppress(Exception):
                model_doc.close()

    def _drop(self, key: str) -> None:
        doc = self._docs.pop(key, None)
        if doc is None:
            return
        if doc is self.document:
            self._set_document(None)
        self.undo_group.removeStack(doc.stack)
        self._close_owned(doc.base_doc)
        doc.deleteLater()
        self._update_window_modified()

    def _on_store_changed(self, entry: Any) -> None:
        doc = self._docs.get(entry.key)
        if doc is not None:
            self._sync(entry, doc)
        if entry is self.entry and self.isVisible():
            self.show_entry(entry)
        elif doc is not None and doc is self.document:
            self._refresh()

    def _on_store_removed(self, entry: Any) -> None:
        if entry is self.entry:
            self.entry = None
        self._drop(entry.key)

    def _set_document(self, doc: SignatureDocument | None) -> None:
        self.document = doc
        if doc is not None:
            self.undo_group.setActiveStack(doc.stack)
        else:
            self.undo_group.setActiveStack(None)  # type: ignore[arg-type]
        for panel in self.panels.values():
            panel.set_document(doc)
        self._refresh()

    def document_for_key(self, key: str) -> SignatureDocument | None:
        return self._docs.get(key)

    # ------------------------------------------------------------------------------------------
    # unsaved state

    def has_unsaved_changes(self, entry: Any = None) -> bool:
        """Unsaved signature edits for ``entry`` (None: for any open model)."""
        if entry is not None:
            doc = self._docs.get(entry.key)
            return doc is not None and doc.dirty
        return any(d.dirty for d in self._docs.values())

    def discard_changes(self, entry: Any) -> None:
        """Forget the edits of ``entry`` (the user chose to lose them, e.g. to reload)."""
        doc = self._docs.get(entry.key)
        if doc is None:
            return
        if entry.doc is not None:
            doc.reload_from(entry.doc)
        else:
            self._drop(entry.key)

    def _update_window_modified(self) -> None:
        win = self.window()
        if win is self:
            return
        dirty = self.has_unsaved_changes()
        # Qt warns when the title has no [*] placeholder; the main window's titles carry one.
        if dirty and "[*]" not in win.windowTitle():
            return
        win.setWindowModified(dirty)

    # ------------------------------------------------------------------------------------------
    # refreshing

    def _on_doc_changed(self) -> None:
        if self.sender() is self.document:
            self._refresh()

    def _on_clean_changed(self, _clean: bool) -> None:
        # QUndoStack.push runs redo() (hence ``changed``) before it updates the clean state
        if self.sender() is (self.document.stack if self.document is not None else None):
            self._refresh()
        self._update_window_modified()

    def _refresh(self) -> None:
        entry, doc = self.entry, self.document
        if doc is None:
            if entry is None:
                text = "No model selected."
            elif entry.state.value == "loading":
                text = "Loading…"
            else:
                text = "The model could not be read, so its signature cannot be edited."
            self.message_page.setText(text)
            self.stack.setCurrentWidget(self.message_page)
            for w in (self.save_button, self.save_copy_button, self.infer_button, self.remove_sig_button):
                w.setEnabled(False)
            self.save_version_button.hide()
            self.save_version_action.setVisible(False)
            self.format_badge.hide()
            self.banner.hide()
            return
        self.stack.setCurrentWidget(self.splitter)
        issues = doc.issues()
        for section, panel in self.panels.items():
            panel.refresh()
            for model in panel.models.values():
                model.set_issues(issues)
            panel.set_section_problems([i.message for i in section_issues(issues, section)])
        self.issues.set_issues(issues, None if doc.sig is not None else
                               "No signature: MLflow passes any input to the model unchecked")
        self._fit_splitter(bool(issues))
        self._update_buttons(issues)
        self._update_badge()
        self._update_banner()

    def _fit_splitter(self, has_issues: bool) -> None:
        """Give each section the room its rows need when its shape changes (not on every edit)."""
        key = (self.document, *(p.kind() for p in self.panels.values()), has_issues)
        if key == self._layout_key:
            return
        self._layout_key = key
        wanted = [p.wanted_height() for p in self.panels.values()]
        for panel, height in zip(self.panels.values(), wanted):
            # a placeholder never grows; tables take the room
            panel.setMaximumHeight(height if panel.kind() == "placeholder" else 16777215)
        wanted.append(110 if has_issues else self.issues.label.sizeHint().height() + 8)
        total = max(self.splitter.height(), 400)
        spare = total - sum(wanted)
        tables = [i for i, p in enumerate(self.panels.values()) if p.kind() != "placeholder"]
        if spare > 0 and tables:
            for i in tables:
                wanted[i] += spare // len(tables)
        self.splitter.setSizes(wanted)

    def _update_buttons(self, issues: list[Issue]) -> None:
        doc = self.document
        assert doc is not None
        fatal = [i for i in issues if i.fatal]
        zip_model = doc.base_doc.root is None
        self.infer_button.setEnabled(True)
        self.infer_example_action.setEnabled(doc.base_doc.saved_input_example_info is not None)
        self.infer_example_action.setToolTip("" if doc.base_doc.saved_input_example_info is not None
                                             else "This model has no saved input example")
        self.remove_sig_button.setEnabled(doc.sig is not None)
        can_save = doc.dirty and not fatal and not zip_model
        self.save_button.setEnabled(can_save)
        self.save_action.setEnabled(can_save)
        if zip_model:
            tip = "A zip archive is read-only: use Save as copy"
        elif fatal:
            tip = f"Fix the {len(fatal)} problem{'s' if len(fatal) != 1 else ''} listed below first"
        elif not doc.dirty:
            tip = "No unsaved changes"
        else:
            tip = "Preview the change and write MLmodel (Ctrl+S); the previous file is kept as MLmodel.bak"
        self.save_button.setToolTip(tip)
        self.save_copy_button.setEnabled(not fatal)
        self.save_copy_action.setEnabled(not fatal)
        self.save_copy_button.setToolTip("Fix the problems listed below first" if fatal else
                                         "Write a new model folder with this signature; the original is untouched")
        self._update_publish()

    def _update_publish(self) -> None:
        shown, enabled, tip = self.publishing.state()
        self.save_version_button.setVisible(shown)
        self.save_version_action.setVisible(shown)
        for widget in (self.save_version_button, self.save_version_action):
            widget.setEnabled(enabled)
            widget.setToolTip(tip)

    def _update_badge(self) -> None:
        doc = self.document
        assert doc is not None
        dialect = doc.base_doc.signature_dialect
        if dialect is None or not has_columns(doc.base_doc.signature):
            self.format_badge.hide()  # the dialect only matters for column specs
            return
        text, level, tip = DIALECT_BADGE.get(dialect, (dialect, "info", ""))
        self.format_badge.setText(text)
        self.format_badge.setToolTip(tip)
        self.format_badge.setProperty("badge", level)
        self.format_badge.style().unpolish(self.format_badge)
        self.format_badge.style().polish(self.format_badge)
        self.format_badge.show()

    def _update_banner(self) -> None:
        doc = self.document
        assert doc is not None
        base = doc.base_doc
        self._banner_action = None
        if doc.disk_changed:
            self._banner_action = self.saving.discard_and_reload
            self.banner.show_message(
                "warning", "MLmodel changed on disk since you started editing",
                "Your edits are kept. Saving asks whether to overwrite the file or save a copy.",
                "Discard my edits and reload")
        elif base.root is None:
            self._banner_action = self.save_as_copy
            self.banner.show_message(
                "info", "This model is a zip archive (read-only)",
                "You can edit the signature and write the result with Save as copy; the archive "
                "itself is never changed.", "Save as copy…")
        elif doc.read_error:
            self.banner.show_message(
                "warning", "The signature in MLmodel cannot be read",
                f"{doc.read_error}. Build a new one here (or infer it); saving replaces the unreadable one.")
        elif base.is_signature_from_type_hint is True:
            self.banner.show_message(
                "info", "This signature comes from the model's type hints",
                "MLflow does not enforce it (the model checks its input against its own type hints): "
                "editing changes only the metadata unless you clear the flag when saving.")
        elif base.signature_dialect == "optional":
            self.banner.show_message(
                "warning", "mlflow ≥ 2.19 cannot load this signature",
                "It uses the 2.5–2.9 “optional” keys. Save it in the current format to fix that.")
        elif doc.sig is None:
            has_example = base.saved_input_example_info is not None
            self._banner_action = self.infer_from_example if has_example else lambda: self.infer_from_file()
            self.banner.show_message(
                "info", "This model has no signature",
                "MLflow checks nothing before predict. Infer one from the input example or from a "
                "data file (or drop a CSV here), or add columns by hand.",
                "Infer from the input example" if has_example else "Infer from a data file…")
        else:
            self.banner.hide()

    def _on_banner_action(self) -> None:
        if self._banner_action is not None:
            self._banner_action()

    # ------------------------------------------------------------------------------------------
    # editing

    def _panel(self) -> SectionPanel:
        w = QApplication.focusWidget()
        while w is not None:
            if isinstance(w, SectionPanel) and w in self.panels.values():
                return w
            w = w.parentWidget()
        return self._active

    def _set_active(self, panel: SectionPanel) -> None:
        self._active = panel

    def _on_edit_requested(self, edits: Edit | list[Edit], text: str) -> None:
        doc = self.document
        if doc is None:
            return
        items = list(edits) if isinstance(edits, list) else [edits]
        if not items:
            return
        if doc.sig is None:
            items.insert(0, ReplaceSignature(Signature(), keep_style=False))
        doc.push_all(items, text)

    def push(self, edit: Edit, text: str | None = None) -> bool:
        """Apply one edit to the shown model's signature as one undo step."""
        return self.document is not None and self.document.push(edit, text)

    def _on_rejected(self, message: str) -> None:
        self.last_message = message
        self.ctx.status(message)

    def remove_signature(self) -> None:
        if self.document is not None and self.document.sig is not None:
            self.document.push(ReplaceSignature(None), "Remove the signature")
            self.ctx.status("Signature removed (Undo brings it back)")

    def convert_section(self, section: str, to: str) -> None:
        doc = self.document
        schema = getattr(doc.sig, section) if doc is not None and doc.sig is not None else None
        if schema is None:
            return
        try:
            new, explanation = convert_schema_kind(schema, to)
        except EditError as exc:
            self.ctx.prompter.warning(self, "Cannot convert", exc.message)
            return
        what = "a tensor" if to == "tensor" else "columns"
        if not self.ctx.prompter.confirm(self, f"Convert {section} to {what}?",
                                         f"{explanation}\n\nConvert? (Undo reverts it.)"):
            return
        doc.push(ReplaceSection(section, new), f"Convert {section} to {what}")

    def reveal_issue(self, issue: Issue) -> None:
        """Select the cell an issue is about."""
        panel = self.panels.get(issue.section)
        if panel is None:
            return
        view, model = panel.view(), panel.model()
        if view is None or model is None:
            return
        index = model.cell_for_issue(issue)
        if index.isValid():
            view.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect | QItemSelectionModel.SelectionFlag.Rows)
            view.scrollTo(index)
            view.setFocus()
            self._active = panel

    # -- the controllers' actions, on the page (menus, tests and other tabs call them here) --

    def save(self) -> bool:
        return self.saving.save()

    def save_as_copy(self, text: str | None = None) -> bool:
        return self.saving.save_as_copy(text)

    def save_as_new_version(self) -> bool:
        return self.publishing.publish()

    def infer_from_file(self, path: str | Path | None = None, section: str = "inputs") -> Any:
        return self.inference.infer_from_file(path, section)

    def infer_from_example(self) -> Any:
        return self.inference.infer_from_example()

    @staticmethod
    def _data_path(mime: Any) -> Path | None:
        for p in local_paths(mime):
            if p.suffix.lower() in DATA_SUFFIXES and p.is_file():
                return p
        return None

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        if self.document is not None and self._data_path(event.mimeData()) is not None:
            event.acceptProposedAction()
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self.dragEnterEvent(event)  # type: ignore[arg-type]

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        path = self._data_path(event.mimeData())
        if self.document is None or path is None:
            event.ignore()
            return
        event.acceptProposedAction()
        outputs = self.panels["outputs"]
        pos = outputs.mapFrom(self, event.position().toPoint())
        section = "outputs" if outputs.isVisible() and outputs.rect().contains(pos) else "inputs"
        self.infer_from_file(path, section)
