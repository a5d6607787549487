"""Save preview: the signature before/after, the YAML diff of MLmodel, and the format choices.

Only the ``signature`` subtree (and the two type-hint flags) changes; every other byte of the
file is kept (``ModelDocument.with_signature``). The file's dialect is kept when it can be, so
an old model stays loadable by the MLflow that wrote it; when the edit needs the newer dialect
(optional columns, composite types) the choice is forced with a clear warning. Models whose
signature comes from type hints keep their flag unless the user changes it (spec §6.8).
"""

from __future__ import annotations

import difflib
from typing import Any

from PySide6.QtGui import QColor, QSyntaxHighlighter, QTextCharFormat
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QRadioButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.errors import MlmanagerError, SchemaError
from mlmanager.core.signature.diff import diff_signatures
from mlmanager.core.signature.plain_text import format_signature
from mlmanager.core.signature.schema import ColSpec, Signature
from mlmanager.ui import theme
from mlmanager.ui.pages.signature.infer_dialog import fill_changes
from mlmanager.ui.widgets.common import Banner, CodeView, muted_label, section_label

FORMAT_TEXT = {
    "required": "current format with “required” keys (mlflow ≥ 2.10)",
    "optional": "mlflow 2.5–2.9 format with “optional” keys (mlflow ≥ 2.19, including 3.x, cannot load it)",
    "none": "legacy format without “required” keys (every mlflow version loads it)",
}


def _has_columns(sig: Signature) -> bool:
    return any(isinstance(spec, ColSpec) for schema in (sig.inputs, sig.outputs)
               if schema is not None for spec in schema.specs)


def yaml_diff(before: str, after: str) -> str:
    lines = difflib.unified_diff(before.splitlines(), after.splitlines(), "MLmodel (on disk)",
                                 "MLmodel (after saving)", n=3, lineterm="")
    return "\n".join(lines)


class DiffHighlighter(QSyntaxHighlighter):
    """Green added lines, red removed lines, muted hunk headers."""

    def highlightBlock(self, text: str) -> None:  # noqa: N802
        c = theme.current_colors()
        fmt = QTextCharFormat()
        if text.startswith(("+++", "---")):
            fmt.setForeground(QColor(c.muted))
        elif text.startswith("+"):
            fmt.setForeground(QColor(c.ok))
            fmt.setBackground(QColor(c.ok_bg))
        elif text.startswith("-"):
            fmt.setForeground(QColor(c.error))
            fmt.setBackground(QColor(c.error_bg))
        elif text.startswith("@@"):
            fmt.setForeground(QColor(c.info))
        else:
            return
        self.setFormat(0, len(text), fmt)


class SaveDialog(QDialog):
    """Preview and options; after ``accept`` read :meth:`text` (the MLmodel to write)."""

    def __init__(self, doc: Any, sig: Signature | None, *, copy_to: str | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.doc = doc
        self.sig = sig
        self.setObjectName("save-dialog")
        self.setWindowTitle("Save a copy" if copy_to else "Save signature")
        self.resize(900, 640)
        self._text: str | None = None
        lay = QVBoxLayout(self)
        where = copy_to if copy_to else doc.mlmodel_location
        head = QLabel(("Write a copy of the model to " if copy_to else "Save the signature to ") + str(where))
        head.setProperty("role", "subheading")
        head.setWordWrap(True)
        lay.addWidget(head)
        note = ("The original model is not changed." if copy_to else
                "Only the signature (and the type-hint flags) change; the rest of MLmodel is kept "
                "byte for byte. The previous file is kept as MLmodel.bak.")
        lay.addWidget(muted_label(note))

        self.error = Banner()
        self.error.hide()
        lay.addWidget(self.error)

        self.tabs = QTabWidget()
        summary = QWidget()
        sl = QVBoxLayout(summary)
        sl.addWidget(section_label("Changes"))
        self.changes = QListWidget()
        self.changes.setMaximumHeight(140)
        sl.addWidget(self.changes)
        pair = QHBoxLayout()
        self.before = CodeView()
        self.after = CodeView()
        for title, view in (("Before (on disk)", self.before), ("After", self.after)):
            col = QVBoxLayout()
            col.addWidget(section_label(title))
            col.addWidget(view)
            pair.addLayout(col)
        sl.addLayout(pair, 1)
        self.tabs.addTab(summary, "Signature")
        self.diff = CodeView()
        self.diff.setAccessibleName("MLmodel diff")
        self._highlighter = DiffHighlighter(self.diff.document())
        self.tabs.addTab(self.diff, "MLmodel diff")
        lay.addWidget(self.tabs, 1)

        self._build_format_box(lay)
        self._build_flags_box(lay)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.save_button = self.buttons.addButton("Save copy" if copy_to else "Save",
                                                  QDialogButtonBox.ButtonRole.AcceptRole)
        self.save_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)

        old = doc.signature
        self.before.setPlainText(format_signature(old) if old is not None else
                                 "(no signature)" if not doc.signature_error else
                                 f"(unreadable signature: {doc.signature_error})")
        self.after.setPlainText(format_signature(sig) if sig is not None else "(no signature)")
        fill_changes(self.changes, diff_signatures(old, sig), "No change to the signature")
        self._recompute()

    # -- options -------------------------------------------------------------------------------

    def _build_format_box(self, lay: QVBoxLayout) -> None:
        doc, sig = self.doc, self.sig
        self.format_box = QGroupBox("Signature format")
        fl = QVBoxLayout(self.format_box)
        self.keep_radio = QRadioButton()
        self.current_radio = QRadioButton("Current format with “required” keys: mlflow ≥ 2.10 loads it, "
                                          "older versions no longer can")
        self._group = QButtonGroup(self)
        self._group.addButton(self.keep_radio)
        self._group.addButton(self.current_radio)
        self.format_warning = Banner()
        self.format_warning.hide()
        fl.addWidget(self.keep_radio)
        fl.addWidget(self.current_radio)
        fl.addWidget(self.format_warning)
        lay.addWidget(self.format_box)
        self.keep_error: str | None = None
        self.keep_target: str | None = None
        if sig is None or not _has_columns(sig):
            self.format_box.hide()  # tensors and params are written the same in every format
            return
        try:
            self.keep_target = doc.resolve_dialect(sig, "keep")
        except SchemaError as exc:
            self.keep_error = exc.message
        found = doc.signature_dialect or ("none" if self.keep_target == "legacy" else "required")
        if self.keep_target == "current":
            self.format_box.hide()  # already the current format: nothing to choose
            return
        writer = doc.mlflow_version or "an older mlflow"
        self.keep_radio.setText(f"Keep the file's format: {FORMAT_TEXT.get(found, found)}")
        if self.keep_error is not None:
            self.keep_radio.setEnabled(False)
            self.current_radio.setChecked(True)
            why = sig.needs_current_dialect() or self.keep_error
            self.format_warning.show_message(
                "warning", "This edit needs the newer format",
                f"The {why}. After saving, the MLflow that wrote this model ({writer}) can no longer "
                "load it; mlflow ≥ 2.10 can.")
        else:
            self.keep_radio.setChecked(True)
        self.keep_radio.toggled.connect(self._recompute)

    def _build_flags_box(self, lay: QVBoxLayout) -> None:
        doc = self.doc
        self.hint_flag = doc.is_signature_from_type_hint is True
        self.example_flag = doc.type_hint_from_example is True
        self.flags_box = QGroupBox("Type-hint signature")
        fl = QVBoxLayout(self.flags_box)
        self.keep_hint = QCheckBox("Keep is_signature_from_type_hint: true")
        self.keep_hint.setChecked(True)
        self.keep_hint.toggled.connect(self._recompute)
        self.hint_warning = Banner()
        fl.addWidget(self.keep_hint)
        fl.addWidget(self.hint_warning)
        lay.addWidget(self.flags_box)
        self.flags_box.setVisible(self.sig is not None and (self.hint_flag or self.example_flag))

    def dialect(self) -> str:
        if self.sig is None or self.format_box.isHidden():
            return "keep"
        return "keep" if self.keep_radio.isChecked() else "current"

    def flags(self) -> dict[str, bool] | None:
        """None keeps the flags as they are; else the new values (the user unchecked it)."""
        if self.flags_box.isHidden() or self.keep_hint.isChecked():
            return None
        return {"is_signature_from_type_hint": False, "type_hint_from_example": False}

    def text(self) -> str | None:
        return self._text

    def _recompute(self, *_args: object) -> None:
        if not self.flags_box.isHidden():
            if self.keep_hint.isChecked():
                self.hint_warning.show_message(
                    "warning", "The flag stays true",
                    "MLflow does not enforce this schema at predict time (the model checks its input "
                    "against its own type hints), so this edit changes only the metadata.")
            else:
                self.hint_warning.show_message(
                    "warning", "The flag becomes false",
                    "MLflow starts enforcing the edited schema at predict time instead of the "
                    "model's type hints (mlflow's set_signature does this too).")
        if not self.format_box.isHidden() and self.keep_error is None:
            if self.keep_radio.isChecked():
                self.format_warning.hide()
            else:
                writer = f" It was written by mlflow {self.doc.mlflow_version}." if self.doc.mlflow_version else ""
                self.format_warning.show_message(
                    "warning", "mlflow < 2.10 will no longer load this model", writer.strip())
        try:
            self._text = self.doc.with_signature(self.sig, dialect=self.dialect(), type_hint_flags=self.flags())
        except MlmanagerError as exc:
            self._text = None
            self.error.show_message("error", "This signature cannot be written", str(exc))
            self.diff.setPlainText("")
            self.save_button.setEnabled(False)
            return
        self.error.hide()
        diff = yaml_diff(self.doc.text, self._text)
        self.diff.setPlainText(diff or "(no change to the MLmodel file)")
        self.save_button.setEnabled(True)
