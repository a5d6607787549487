"""The safety panel: how the model file was classified, what it imports, and trust.

Trust means running the model's code with the user's permissions (inside the limited worker,
which is not a sandbox). It is remembered per file SHA-256 in ``trusted-models.json`` next
to the app's settings file (the QSettings INI, e.g. ``~/.config/mlmanager/``), so a replaced
file asks again; the "Trusted models" dialog lists the hashes and revokes them.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDialog,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.safety import TrustStore
from mlmanager.ui import icons
from mlmanager.ui.settings import Settings
from mlmanager.ui.widgets.common import SELECTABLE, Badge, monospace_font, muted_label

if TYPE_CHECKING:
    from mlmanager.core.safety import SafetyReport, TrustStore

TRUST_FILE = "trusted-models.json"
TRUST_EXPLANATION = (
    "Trusting runs the model's code with your permissions. The worker process limits memory "
    "and CPU time, but it is not a sandbox: the code can read your files and use the network. "
    "mlmanager remembers the trust for this exact file (by its SHA-256) until you revoke it; a "
    "changed file asks again."
)
LEVELS = {
    "SAFE-LISTED": ("ok", "Safe to load", "Every import is on mlmanager's allowlist: the file is "
                    "loaded by a restricted unpickler and runs no code of its own."),
    "CONTAINS-CODE": ("warning", "Contains code", "The file carries Python functions or classes "
                      "(cloudpickle). Loading it runs that code."),
    "UNTRUSTED-IMPORTS": ("warning", "Untrusted imports", "The file imports names outside the "
                          "allowlist. Loading it may run code from those modules."),
    "KNOWN-DANGEROUS": ("error", "Blocked", "The file imports a known code-execution gadget. "
                        "mlmanager never loads it."),
    "UNPARSEABLE": ("error", "Unreadable", "The file is not a valid model file (corrupt or "
                    "tampered). mlmanager never loads it."),
}


def short_reason(report: SafetyReport) -> str:
    """The verdict in one line; the names it lists are in the imports list."""
    text = report.summary
    head, sep, _names = text.partition(": ")
    if sep and report.classification in ("CONTAINS-CODE", "UNTRUSTED-IMPORTS") and "," in _names:
        return head
    return text


def trust_store_path() -> Path:
    """``trusted-models.json`` beside the app's QSettings INI file."""
    return Settings().folder / TRUST_FILE


def open_trust_store(path: Path | None = None) -> TrustStore:
    """The trust store (a corrupt file raises ModelReadError: the caller shows it)."""
    return TrustStore(path or trust_store_path())


def trust_question(report: SafetyReport, model_path: str) -> str:
    """The text of the trust prompt: what the file holds, and what trusting it means."""
    level = LEVELS.get(report.classification, ("warning", report.classification, ""))
    names = list(report.code) + list(report.untrusted)
    shown = "\n".join(f"  • {n}" for n in names[:15])
    more = f"\n  … and {len(names) - 15} more" if len(names) > 15 else ""
    return (
        f"{model_path}\n\n{level[1]}: {report.summary}\n\n"
        + (f"It imports or defines:\n{shown}{more}\n\n" if names else "")
        + f"SHA-256 {report.sha256}\n\n{TRUST_EXPLANATION}\n\nTrust this file and run it?"
    )


class TrustPanel(QFrame):
    """Classification badge, reason, imports, trust state and the environment check."""

    trust_requested = Signal()
    revoke_requested = Signal(str)  # sha256
    manage_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("trust-panel")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.report: SafetyReport | None = None
        self.trusted = False
        lay = QVBoxLayout(self)
        lay.setContentsMargins(10, 6, 10, 6)
        lay.setSpacing(4)
        row = QHBoxLayout()
        row.setSpacing(8)
        self.icon = QLabel()
        self.icon.setPixmap(icons.icon("shield").pixmap(18, 18))
        row.addWidget(self.icon)
        self.badge_box = QHBoxLayout()
        row.addLayout(self.badge_box)
        self.badge: Badge | None = None
        self.reason = QLabel("Checking the model file…")
        self.reason.setTextInteractionFlags(SELECTABLE)
        self.reason.setWordWrap(True)
        row.addWidget(self.reason, 1)
        self.imports_button = QToolButton()
        self.imports_button.setCheckable(True)
        self.imports_button.setAutoRaise(True)
        self.imports_button.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon)
        self.imports_button.setArrowType(Qt.ArrowType.RightArrow)
        self.imports_button.toggled.connect(self._toggle_imports)
        self.imports_button.hide()
        row.addWidget(self.imports_button)
        self.trust_button = QPushButton(icons.icon("unsafe"), "Trust and run…")
        self.trust_button.setObjectName("trust-button")
        self.trust_button.setToolTip(TRUST_EXPLANATION)
        self.trust_button.clicked.connect(self.trust_requested)
        self.trust_button.hide()
        row.addWidget(self.trust_button)
        self.revoke_button = QPushButton("Revoke trust")
        self.revoke_button.setObjectName("revoke-button")
        self.revoke_button.clicked.connect(self._revoke)
        self.revoke_button.hide()
        row.addWidget(self.revoke_button)
        self.manage_button = QToolButton()
        self.manage_button.setText("Trusted models…")
        self.manage_button.setAutoRaise(True)
        self.manage_button.clicked.connect(self.manage_requested)
        row.addWidget(self.manage_button)
        lay.addLayout(row)
        self.imports = QPlainTextEdit()
        self.imports.setReadOnly(True)
        self.imports.setFont(monospace_font())
        self.imports.setMaximumHeight(110)
        self.imports.setObjectName("imports-list")
        self.imports.hide()
        lay.addWidget(self.imports)
        self.env = muted_label("")
        self.env.setTextInteractionFlags(SELECTABLE)
        self.env.hide()
        lay.addWidget(self.env)

    # -- states ---------------------------------------------------------------------------
    def _set_badge(self, text: str, level: str, tip: str = "") -> None:
        if self.badge is None:
            self.badge = Badge(text, level, tip)
            self.badge.setObjectName("classification-badge")
            self.badge_box.addWidget(self.badge)
        elif (self.badge.text(), self.badge.level, self.badge.toolTip()) != (text, level, tip):
            self.badge.setText(text)  # updated in place: no re-layout of the tab
            self.badge.level = level
            self.badge.setToolTip(tip)
            self.badge.setAccessibleName(f"{level}: {text}")
            self.badge.update()

    def show_checking(self, text: str = "Checking the model file in the worker…") -> None:
        self.report = None
        self._set_badge("Checking", "info")
        self.reason.setText(text)
        self.imports_button.hide()
        self.imports.hide()
        self.trust_button.hide()
        self.revoke_button.hide()

    def show_unavailable(self, text: str) -> None:
        self.report = None
        self._set_badge("Not checked", "info")
        self.reason.setText(text)
        self.imports_button.hide()
        self.imports.hide()
        self.trust_button.hide()
        self.revoke_button.hide()

    def show_report(self, report: SafetyReport, trusted: bool, trusted_on: str | None = None) -> None:
        self.report = report
        self.trusted = trusted
        level, title, explain = LEVELS.get(report.classification, ("info", report.classification, ""))
        if trusted and report.needs_trust:
            level, title = "info", "Trusted"
        self._set_badge(title, level, f"{report.classification}: {explain}")
        sha = (report.sha256 or "")[:12]
        where = f"{report.file}" if report.file else ""
        text = short_reason(report)
        if trusted and report.needs_trust:
            when = f" on {trusted_on[:10]}" if trusted_on else ""
            text = f"You trusted this file{when} (SHA-256 {sha}…): {text}"
        elif report.needs_trust:
            text = f"{text}. It runs only if you trust this file."
        self.reason.setText(f"{where + ': ' if where else ''}{text}")
        self.reason.setToolTip(f"{report.summary}\n\n{explain}\n\nSHA-256 {report.sha256 or '?'}\n"
                               f"scanner: {report.scanner}")
        names = list(report.imports)
        self.imports_button.setText(f"{len(names)} import{'s' if len(names) != 1 else ''}")
        self.imports_button.setVisible(bool(names))
        flagged = set(report.untrusted) | set(report.dangerous) | set(report.code)
        lines = []
        for name in names:
            mark = "✗" if name in report.dangerous else "!" if name in flagged else " "
            lines.append(f"{mark} {name}")
        for w in report.warnings:
            lines.append(f"note: {w}")
        self.imports.setPlainText("\n".join(lines))
        self.trust_button.setVisible(report.needs_trust and not trusted)
        self.revoke_button.setVisible(report.needs_trust and trusted)

    def show_environment(self, lines: list[str]) -> None:
        """Version-skew warnings (Python, scikit-learn...), or nothing when all match."""
        if lines:
            self.env.setText("⚠ " + "\n⚠ ".join(lines))
        self.env.setVisible(bool(lines))

    def _toggle_imports(self, on: bool) -> None:
        self.imports.setVisible(on)
        self.imports_button.setArrowType(Qt.ArrowType.DownArrow if on else Qt.ArrowType.RightArrow)

    def _revoke(self) -> None:
        if self.report is not None and self.report.sha256:
            self.revoke_requested.emit(self.report.sha256)


def environment_lines(check: Any, limit: int = 4) -> list[str]:
    """Short version-skew warnings from a core ``EnvironmentCheck``."""
    lines: list[str] = []
    py = check.python
    if py.status == "mismatch":
        lines.append(f"Python {py.current} here, the model was saved with Python {py.required}")
    for r in check.mismatches[:limit]:
        if r.status == "missing":
            lines.append(f"{r.name} is not installed (the model needs {r.required})")
        else:
            lines.append(f"{r.name} {r.installed} installed, the model needs {r.required}: "
                         "predictions may differ")
    extra = len(check.mismatches) - limit
    if extra > 0:
        lines.append(f"… and {extra} more (see the Environment tab)")
    return lines


class TrustedModelsDialog(QDialog):
    """Every trusted file hash, with Revoke. Shown modeless (``show()``)."""

    revoked = Signal(str)

    def __init__(self, store: TrustStore, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.setWindowTitle("Trusted models")
        self.resize(760, 320)
        lay = QVBoxLayout(self)
        lay.addWidget(muted_label(
            "Model files you allowed to run their code, by SHA-256. Revoking makes mlmanager ask "
            f"again before it runs the file. Stored in {store.path}"))
        self.table = QTableWidget(0, 4)
        self.table.setObjectName("trusted-table")
        self.table.setHorizontalHeaderLabels(["SHA-256", "File", "Classification", "Trusted on"])
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.verticalHeader().hide()
        self.table.horizontalHeader().setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        lay.addWidget(self.table, 1)
        row = QHBoxLayout()
        row.addStretch(1)
        self.revoke_button = QPushButton("Revoke")
        self.revoke_button.setObjectName("dialog-revoke")
        self.revoke_button.clicked.connect(self.revoke_selected)
        close = QPushButton("Close")
        close.clicked.connect(self.close)
        row.addWidget(self.revoke_button)
        row.addWidget(close)
        lay.addLayout(row)
        self.refresh()

    def refresh(self) -> None:
        entries = self.store.entries()
        self.table.setRowCount(len(entries))
        mono = monospace_font()
        for i, (sha, info) in enumerate(sorted(entries.items(), key=lambda kv: kv[1].get("date", ""), reverse=True)):
            cells = [sha, info.get("path", ""), info.get("classification", ""), info.get("date", "")[:19]]
            for j, text in enumerate(cells):
                item = QTableWidgetItem(text)
                item.setToolTip(text)
                if j == 0:
                    item.setFont(mono)
                    item.setData(Qt.ItemDataRole.UserRole, sha)
                self.table.setItem(i, j, item)
        self.table.resizeColumnToContents(0)
        self.revoke_button.setEnabled(bool(entries))

    def shas(self) -> list[str]:
        return [self.table.item(i, 0).data(Qt.ItemDataRole.UserRole) for i in range(self.table.rowCount())]

    def revoke_selected(self) -> None:
        rows = sorted({i.row() for i in self.table.selectedIndexes()})
        if not rows and self.table.rowCount() == 1:
            rows = [0]
        for row in rows:
            sha = self.table.item(row, 0).data(Qt.ItemDataRole.UserRole)
            if self.store.revoke(sha):
                self.revoked.emit(sha)
        self.refresh()
