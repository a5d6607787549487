"""The pane under the checklist: why the selected rule passed, warned or failed, how to fix it
(with a button that opens the editor that fixes it), and the document it comes from."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.deploy.rules import KIND_TITLES
from mlmanager.ui import icons
from mlmanager.ui.pages.deploy.checklist_model import (
    GROUP_TITLES,
    STATUS_ICONS,
    count_text,
    sentence_case,
    worst,
)
from mlmanager.ui.widgets.common import SELECTABLE, Badge, muted_label, style_role

if TYPE_CHECKING:
    from mlmanager.core.deploy.rules import Outcome

#: fix_target -> (model view page key, button text)
FIX_PAGES = {
    "signature": ("signature", "Open the signature editor"),
    "environment": ("environment", "Open the Environment tab"),
    "files": ("artifacts", "Show the model's files"),
}
STATUS_TEXT = {"pass": "Pass", "warn": "Warning", "fail": "Fails"}
STATUS_LEVEL = {"pass": "ok", "warn": "warning", "fail": "error"}
EMPTY_TEXT = "Select a check to see why it passed or failed, and how to fix it."


class RuleDetail(QScrollArea):
    """Details of one rule (or of one deployment group)."""

    fix_requested = Signal(str, object)  # fix_target, Outcome

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("rule-detail")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        body = QWidget()
        lay = QVBoxLayout(body)
        lay.setContentsMargins(10, 8, 10, 8)
        lay.setSpacing(6)
        head = QHBoxLayout()
        head.setSpacing(8)
        self.icon = QLabel()
        self.icon.setFixedSize(20, 20)
        head.addWidget(self.icon, 0, Qt.AlignmentFlag.AlignTop)
        self.title = QLabel()
        self.title.setObjectName("rule-title")
        style_role(self.title, "subheading")
        self.title.setWordWrap(True)
        self.title.setTextInteractionFlags(SELECTABLE)
        head.addWidget(self.title, 1)
        self.badge_box = QHBoxLayout()
        head.addLayout(self.badge_box)
        self.badge: Badge | None = None
        lay.addLayout(head)
        self.rule_id = muted_label()
        self.rule_id.setObjectName("rule-id")
        self.rule_id.setTextInteractionFlags(SELECTABLE)
        lay.addWidget(self.rule_id)
        self.reason = QLabel()
        self.reason.setObjectName("rule-reason")
        self.reason.setWordWrap(True)
        self.reason.setTextInteractionFlags(SELECTABLE)
        lay.addWidget(self.reason)

        self.fix_box = QFrame()
        self.fix_box.setObjectName("fix-box")
        self.fix_box.setFrameShape(QFrame.Shape.StyledPanel)
        fix_lay = QVBoxLayout(self.fix_box)
        fix_lay.setContentsMargins(10, 6, 10, 8)
        fix_lay.setSpacing(4)
        fix_head = QLabel("How to fix")
        style_role(fix_head, "subheading")
        fix_lay.addWidget(fix_head)
        self.fix = QLabel()
        self.fix.setObjectName("rule-fix")
        self.fix.setWordWrap(True)
        self.fix.setTextInteractionFlags(SELECTABLE)
        fix_lay.addWidget(self.fix)
        row = QHBoxLayout()
        self.fix_button = QPushButton()
        self.fix_button.setObjectName("fix-button")
        self.fix_button.clicked.connect(self._on_fix)
        row.addWidget(self.fix_button)
        row.addStretch(1)
        fix_lay.addLayout(row)
        lay.addWidget(self.fix_box)

        self.source = muted_label()
        self.source.setObjectName("rule-source")
        self.source.setTextInteractionFlags(SELECTABLE)
        lay.addWidget(self.source)
        lay.addStretch(1)
        self.setWidget(body)
        self.outcome: Outcome | None = None
        self.show_empty()

    # -- states ----------------------------------------------------------------------------------
    def _set_badge(self, status: str | None, text: str = "") -> None:
        if self.badge is not None:
            self.badge_box.removeWidget(self.badge)
            self.badge.deleteLater()
            self.badge = None
        if status is not None:
            self.badge = Badge(text or STATUS_TEXT[status], STATUS_LEVEL[status])
            self.badge_box.addWidget(self.badge)

    def show_empty(self, text: str = EMPTY_TEXT) -> None:
        self.outcome = None
        self.icon.clear()
        self.title.setText("")
        self.title.hide()
        self.rule_id.hide()
        self._set_badge(None)
        self.reason.setText(text)
        self.fix_box.hide()
        self.source.hide()

    def show_group(self, key: tuple[str, str], statuses: list[str], notes: list[tuple[str, str]]) -> None:
        self.outcome = None
        status = worst(statuses)
        self.icon.setPixmap(icons.icon(STATUS_ICONS[status]).pixmap(20, 20))
        self.title.setText(KIND_TITLES.get(key, GROUP_TITLES.get(key, "/".join(key))))
        self.title.show()
        self.rule_id.setText(f"target {key[0]} · {key[1]} · {len(statuses)} rules")
        self.rule_id.show()
        self._set_badge(status, {"pass": "Ready", "warn": "Warnings", "fail": "Not ready"}[status])
        text = f"Rules: {count_text(statuses)}."
        if notes:
            text += "\n\nGood to know:\n" + "\n".join(f"• {n}" for n, _src in notes)
        self.reason.setText(text)
        self.fix_box.hide()
        sources = sorted({src for _n, src in notes})
        self.source.setText("Sources: " + "; ".join(sources) if sources else "")
        self.source.setVisible(bool(sources))

    def show_outcome(self, o: Outcome) -> None:
        self.outcome = o
        r = o.result
        status = o.status
        self.icon.setPixmap(icons.icon(STATUS_ICONS[status] if r.applicable else "blank").pixmap(20, 20))
        self.title.setText(sentence_case(o.rule.title))
        self.title.show()
        verified = "verified against the target's documentation or source" if o.rule.verified else \
            "not verified against the target's documentation: a failure is reported as a warning"
        self.rule_id.setText(f"{o.rule.id} · {verified}")
        self.rule_id.show()
        self._set_badge(status, "Not applicable" if not r.applicable else "")
        self.reason.setText(r.reason)
        has_fix = bool(r.fix) and status != "pass"
        self.fix_box.setVisible(has_fix)
        if has_fix:
            self.fix.setText(r.fix or "")
            page = FIX_PAGES.get(r.fix_target or "")
            self.fix_button.setVisible(page is not None)
            if page is not None:
                self.fix_button.setText(page[1])
            else:
                self.fix.setText(f"{r.fix} (a deployment choice: nothing in the model folder to change)")
        self.source.setText(f"Source: {o.rule.source}")
        self.source.show()

    def _on_fix(self) -> None:
        o = self.outcome
        if o is not None and o.result.fix_target:
            self.fix_requested.emit(o.result.fix_target, o)
