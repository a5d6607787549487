"""Live validation: the list of problems under the editor, and where each one is flagged.

``Signature.validate()`` (every rule of spec §4.5 and §4.8, plus ours) gives issues with a
section, a row and a field; the item models paint the offending cell (background, icon,
tooltip with the reason) and this panel lists them all. Activating an item selects the cell.
Section-wide problems (an empty schema, an empty signature) appear here and in the section's
header.
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.signature.schema import Issue
from mlmanager.ui import icons

ISSUE_DATA = Qt.ItemDataRole.UserRole + 10


def describe_issue(issue: Issue) -> str:
    """``Inputs · row 2 “age” · duplicate name ...``"""
    parts = [issue.section.capitalize()]
    if issue.index is not None:
        row = f"row {issue.index + 1}"
        if issue.column is not None:
            row += f" “{issue.column}”"
        parts.append(row)
    note = "" if issue.mlflow_fatal or not issue.fatal else " (MLflow would load it, but mlmanager does not write it)"
    parts.append(issue.message + note)
    return " · ".join(parts)


def summary_text(issues: list[Issue]) -> tuple[str, str]:
    """(level, text) for the status line above the list."""
    fatal = [i for i in issues if i.fatal]
    warn = [i for i in issues if not i.fatal]
    if fatal:
        n = len(fatal)
        return "error", (f"{n} problem{'s' if n != 1 else ''}: Save is disabled until "
                         f"{'it is' if n == 1 else 'they are'} fixed")
    if warn:
        n = len(warn)
        return "warning", f"Valid, with {n} warning{'s' if n != 1 else ''}"
    return "ok", "Valid signature: MLflow will load it"


class IssuesPanel(QWidget):
    """A one-line verdict and the list of issues; ``activated(issue)`` to jump to the cell."""

    activated = Signal(object)

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        head = QHBoxLayout()
        head.setSpacing(6)
        self.icon = QLabel()
        self.icon.setFixedSize(16, 16)
        self.label = QLabel()
        self.label.setProperty("role", "subheading")
        head.addWidget(self.icon)
        head.addWidget(self.label, 1)
        lay.addLayout(head)
        self.list = QListWidget()
        self.list.setAccessibleName("Signature problems")
        self.list.setWordWrap(True)
        self.list.setIconSize(QSize(16, 16))
        self.list.itemActivated.connect(self._on_item)
        self.list.itemClicked.connect(self._on_item)
        lay.addWidget(self.list, 1)
        lay.addStretch(0)  # keeps the verdict at the top when the list is hidden
        self.issues: list[Issue] = []
        self.set_issues([])

    def set_issues(self, issues: list[Issue], note: str | None = None) -> None:
        self.issues = list(issues)
        level, text = summary_text(self.issues)
        if note and not self.issues:
            level, text = "info", note
        self.icon.setPixmap(icons.icon({"ok": "ok", "info": "info"}.get(level, level)).pixmap(16, 16))
        self.label.setText(text)
        self.list.clear()
        for issue in sorted(self.issues, key=lambda i: (not i.fatal, _order(i))):
            item = QListWidgetItem(icons.icon("error" if issue.fatal else "warning"), describe_issue(issue))
            item.setData(ISSUE_DATA, issue)
            item.setToolTip(issue.message)
            self.list.addItem(item)
        self.list.setVisible(bool(self.issues))

    def _on_item(self, item: QListWidgetItem) -> None:
        issue = item.data(ISSUE_DATA)
        if issue is not None:
            self.activated.emit(issue)


def _order(issue: Issue) -> tuple[int, int]:
    sections = {"inputs": 0, "outputs": 1, "params": 2}
    return sections.get(issue.section, 3), -1 if issue.index is None else issue.index


def section_issues(issues: list[Issue], section: str) -> list[Issue]:
    """Issues about a whole section (no row), shown in the section header."""
    return [i for i in issues if i.section == section and i.index is None]
