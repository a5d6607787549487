"""The inference proposal: what was inferred, what it changes, and which sections to take.

Nothing is applied until the user accepts; the page then applies the merged signature as ONE
undoable step. Outputs can be added by predicting with the model in the isolated worker (the
page runs it and calls :meth:`InferDialog.set_outputs`).
"""

from __future__ import annotations

import dataclasses

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.signature.diff import Change, diff_signatures
from mlmanager.core.signature.plain_text import format_signature
from mlmanager.core.signature.schema import Schema, Signature
from mlmanager.ui import icons
from mlmanager.ui.pages.signature.jobs import Proposal
from mlmanager.ui.widgets.common import CodeView, muted_label, section_label

SECTION_TITLES = {"inputs": "Inputs", "outputs": "Outputs", "params": "Params"}


def section_summary(value: object) -> str:
    if value is None:
        return "not specified"
    if isinstance(value, Schema):
        n = len(value.specs)
        kind = "tensor" if value.is_tensor else "column"
        named = "named " if value.has_names else "unnamed " if n else ""
        return f"{n} {named}{kind}{'s' if n != 1 else ''}"
    n = len(value)  # type: ignore[arg-type]
    return f"{n} param{'s' if n != 1 else ''}"


def change_icon(change: Change) -> str:
    if change.kind in ("added", "section_added", "signature_added"):
        return "ok"
    if change.kind in ("removed", "section_removed", "signature_removed"):
        return "error"
    return "info"


def fill_changes(widget: QListWidget, changes: list[Change], empty: str = "No change") -> None:
    widget.setIconSize(QSize(16, 16))
    widget.clear()
    if not changes:
        item = QListWidgetItem(empty)
        item.setFlags(Qt.ItemFlag.NoItemFlags)
        widget.addItem(item)
        return
    for change in changes:
        widget.addItem(QListWidgetItem(icons.icon(change_icon(change)), change.describe()))


class InferDialog(QDialog):
    predict_requested = Signal()

    def __init__(self, current: Signature | None, proposal: Proposal, predict_unavailable: str | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle("Inferred signature")
        self.setObjectName("infer-dialog")
        self.resize(860, 560)
        self.current = current
        self.proposal = proposal
        self.sig = proposal.signature
        lay = QVBoxLayout(self)
        self.title = QLabel(f"Signature inferred from {proposal.source}")
        self.title.setProperty("role", "subheading")
        self.title.setWordWrap(True)
        lay.addWidget(self.title)
        lay.addWidget(muted_label(
            "Inferred with MLflow's rules (infer_signature). Choose the sections to use; the "
            "change is applied as one step you can undo."))

        row = QHBoxLayout()
        self.take: dict[str, QCheckBox] = {}
        for section in ("inputs", "outputs", "params"):
            box = QCheckBox()
            box.toggled.connect(self._refresh)
            self.take[section] = box
            row.addWidget(box)
        row.addStretch(1)
        lay.addLayout(row)

        split = QSplitter(Qt.Orientation.Horizontal)
        left = QWidget()
        ll = QVBoxLayout(left)
        ll.setContentsMargins(0, 0, 0, 0)
        ll.addWidget(section_label("Proposal"))
        self.text = CodeView()
        self.text.setAccessibleName("Inferred signature")
        ll.addWidget(self.text)
        right = QWidget()
        rl = QVBoxLayout(right)
        rl.setContentsMargins(0, 0, 0, 0)
        rl.addWidget(section_label("Changes to the current signature"))
        self.changes_list = QListWidget()
        self.changes_list.setAccessibleName("Changes")
        rl.addWidget(self.changes_list)
        split.addWidget(left)
        split.addWidget(right)
        split.setSizes([430, 430])
        lay.addWidget(split, 1)

        self.warnings = muted_label()
        self.warnings.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        lay.addWidget(self.warnings)

        predict_row = QHBoxLayout()
        self.predict_button = QPushButton(icons.icon("run"), "Infer outputs by predicting…")
        self.predict_button.setToolTip(
            "Run the model on the first rows of the data in the isolated worker process and infer "
            "the output schema from its predictions" if predict_unavailable is None else predict_unavailable)
        self.predict_button.setEnabled(predict_unavailable is None and proposal.data is not None)
        if predict_unavailable is None and proposal.data is None:
            self.predict_button.setToolTip("There is no input data to predict from")
        self.predict_button.clicked.connect(self.predict_requested)
        self.predict_status = muted_label()
        predict_row.addWidget(self.predict_button)
        predict_row.addWidget(self.predict_status, 1)
        lay.addLayout(predict_row)

        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.apply_button = self.buttons.addButton("Apply", QDialogButtonBox.ButtonRole.AcceptRole)
        self.apply_button.setDefault(True)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        lay.addWidget(self.buttons)
        self._sync_boxes(initial=True)
        self._refresh()

    # -- state ------------------------------------------------------------------------------

    def _sync_boxes(self, initial: bool = False) -> None:
        for section, box in self.take.items():
            value = getattr(self.sig, section)
            box.setText(f"Use {section} ({section_summary(value)})")
            box.setEnabled(value is not None)
            if value is None:
                box.setChecked(False)
            elif initial or not box.isChecked():
                box.setChecked(True)

    def set_outputs(self, schema: Schema, warnings: list[str], source: str) -> None:
        """Add outputs inferred from predictions to the proposal (and select them)."""
        self.sig = dataclasses.replace(self.sig, outputs=schema)
        self.proposal.output_source = source
        self.proposal.warnings.extend(warnings)
        box = self.take["outputs"]
        box.setEnabled(True)
        box.setChecked(True)
        box.setText(f"Use outputs ({section_summary(schema)})")
        self.set_predict_status(f"Outputs inferred from {source}", busy=False)
        self._refresh()

    def set_predict_status(self, text: str, busy: bool) -> None:
        self.predict_status.setText(text)
        self.predict_button.setEnabled(not busy and self.proposal.data is not None)

    def merged(self) -> Signature | None:
        """The current signature with the chosen sections replaced (None if nothing is chosen)."""
        chosen = {s: getattr(self.sig, s) for s, box in self.take.items() if box.isChecked()}
        if not chosen:
            return None
        base = self.current if self.current is not None else Signature()
        return dataclasses.replace(base, **chosen)

    def changes(self) -> list[Change]:
        merged = self.merged()
        return diff_signatures(self.current, merged) if merged is not None else []

    def _refresh(self) -> None:
        shown = dataclasses.replace(self.sig)
        self.text.setPlainText(format_signature(shown))
        merged = self.merged()
        fill_changes(self.changes_list, self.changes() if merged is not None else [],
                     "Nothing selected" if merged is None else "Same as the current signature")
        self.apply_button.setEnabled(merged is not None and bool(self.changes()))
        warn = self.proposal.warnings
        self.warnings.setText("\n".join(f"⚠ {w}" for w in warn))
        self.warnings.setVisible(bool(warn))
