"""Tools ▸ Compare…: two models side by side, from ``core.compare.Comparison``.

A verdict first (identical / B accepts what A accepts / what B rejects), then one tree with a
group per area: what breaks (and what B accepts but drops or ignores), the signature column by
column, flavors, environment, metadata, files. Each row reads "where — change — A — B". "Copy as Text" copies ``Comparison.format()``
(the same text as ``mlmanager diff``). The dialog is not modal: several can stay open.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QGridLayout,
    QHeaderView,
    QLabel,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons
from mlmanager.ui.widgets.common import Badge, Banner, ElidedLabel, style_role

NONE = "—"
_CHANGE_WORDS = {
    "signature_added": "signature added", "signature_removed": "signature removed",
    "section_added": "section added", "section_removed": "section removed",
    "section_kind_changed": "kind changed", "added": "added", "removed": "removed",
    "renamed": "renamed", "moved": "moved", "type_changed": "type changed",
    "required_changed": "required changed", "dtype_changed": "dtype changed",
    "shape_changed": "shape changed", "default_changed": "default changed",
}


def _text(value: Any) -> str:
    if value is None:
        return NONE
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    return repr(value) if not isinstance(value, (int, float)) else str(value)


def signature_row(change: Any) -> tuple[str, str, str, str]:
    """(where, change, A, B) for one ``sigdiff.Change``."""
    k, sec, lbl, before, after = change.kind, change.section, change.label, change.before, change.after
    what = "param" if sec == "params" else "column"
    where = sec or "signature"
    if lbl:
        where = f"{where} ▸ {what} {lbl}"
    word = _CHANGE_WORDS.get(k, k.replace("_", " "))
    if k == "signature_added":
        return where, word, NONE, "a signature"
    if k == "signature_removed":
        return where, word, "a signature", NONE
    if k == "section_added":
        return where, word, NONE, _text(after)
    if k == "section_removed":
        return where, word, _text(before), NONE
    if k == "added":
        pos = "" if before is None else f" at position {before + 1}"
        return where, word, NONE, f"{_text(after)}{pos}"
    if k == "removed":
        pos = "" if before is None else f" (position {before + 1})"
        return where, word, f"{_text(after)}{pos}", NONE
    if k == "moved":
        return where, word, f"position {before + 1}", f"position {after + 1}"
    if k == "required_changed":
        return where, word, "optional" if after else "required", "required" if after else "optional"
    return where, word, _text(before), _text(after)


def difference_row(diff: Any) -> tuple[str, str, str, str]:
    """(where, change, A, B) for one ``compare.Difference``."""
    return diff.key, diff.kind, NONE if diff.kind == "added" else _text(diff.a), \
        NONE if diff.kind == "removed" else _text(diff.b)


class CompareDialog(QDialog):
    """Shows one :class:`~mlmanager.core.model.compare.Comparison` of model A with model B."""

    def __init__(self, comparison: Any, name_a: str, name_b: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.comparison = comparison
        self.setWindowTitle(f"Compare {name_a} with {name_b}")
        self.resize(980, 640)
        self.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        lay = QVBoxLayout(self)

        head = QGridLayout()
        head.setHorizontalSpacing(10)
        for row, (tag, name, path) in enumerate((("A", name_a, comparison.a), ("B", name_b, comparison.b))):
            badge = Badge(tag, "info")
            title = QLabel(name)
            style_role(title, "subheading")
            where = ElidedLabel(path)
            where.setToolTip(path)
            style_role(where, "muted")
            head.addWidget(badge, row, 0)
            head.addWidget(title, row, 1)
            head.addWidget(where, row, 2)
        head.setColumnStretch(2, 1)
        lay.addLayout(head)

        self.verdict = Banner()
        lay.addWidget(self.verdict)
        self._show_verdict()

        self.tree = QTreeWidget()
        self.tree.setColumnCount(4)
        self.tree.setHeaderLabels(["Where", "Change", "A", "B"])
        self.tree.setRootIsDecorated(True)
        self.tree.setAlternatingRowColors(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setWordWrap(True)
        self.tree.setAccessibleName("Differences")
        self.groups: dict[str, QTreeWidgetItem] = {}
        self._fill()
        header = self.tree.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        self.tree.expandAll()
        for col in (0, 1):
            self.tree.resizeColumnToContents(col)
        self.tree.setColumnWidth(0, min(self.tree.columnWidth(0), 380))
        self.tree.setColumnWidth(2, 220)
        lay.addWidget(self.tree, 1)

        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.copy_button = buttons.addButton("Copy as Text", QDialogButtonBox.ButtonRole.ActionRole)
        self.copy_button.setToolTip("Copy the comparison as text (what `mlmanager diff` prints)")
        self.copy_button.clicked.connect(self.copy_text)
        buttons.rejected.connect(self.close)
        lay.addWidget(buttons)

    # ------------------------------------------------------------------------------------------

    def _show_verdict(self) -> None:
        c = self.comparison
        errors = c.breaking
        n = len(c.signature) + len(c.flavors) + len(c.environment) + len(c.metadata) + len(c.files)
        if c.identical:
            self.verdict.show_message("ok", "The models are identical",
                                      "Same MLmodel, same signature, same files.")
        elif errors:
            self.verdict.show_message(
                "error", f"B rejects inputs that A accepts ({len(errors)} problem{'s' if len(errors) != 1 else ''})",
                f"{n} difference{'s' if n != 1 else ''} in all. Under MLflow's schema enforcement, "
                "a request that is valid for A fails for B: see “What breaks”.")
        elif c.signature:
            self.verdict.show_message(
                "info", "B accepts every input that A accepts",
                f"{n} difference{'s' if n != 1 else ''}, {len(c.signature)} in the signature.")
        else:
            self.verdict.show_message(
                "info", f"Same signature, {n} other difference{'s' if n != 1 else ''}", "")

    def _group(self, key: str, title: str, count: int, icon: str | None = None) -> QTreeWidgetItem:
        item = QTreeWidgetItem(self.tree, [f"{title} ({count})"])
        item.setFirstColumnSpanned(True)
        font = QFont(self.tree.font())
        font.setBold(True)
        item.setFont(0, font)
        if icon:
            item.setIcon(0, icons.icon(icon))
        item.setFlags(Qt.ItemFlag.ItemIsEnabled)
        self.groups[key] = item
        return item

    @staticmethod
    def _row(parent: QTreeWidgetItem, cells: tuple[str, str, str, str], tip: str = "") -> QTreeWidgetItem:
        item = QTreeWidgetItem(parent, list(cells))
        for col in range(4):
            item.setToolTip(col, tip or cells[col])
        return item

    def _fill(self) -> None:
        c = self.comparison
        errors = [b for b in c.breaks if b.severity == "error"]
        warnings = [b for b in c.breaks if b.severity != "error"]
        for key, title, items, icon in (
                ("breaks", "What breaks: inputs valid for A that B rejects", errors, "error"),
                ("warnings", "Accepted by B, but handled differently", warnings, "warning")):
            if not items:
                continue
            g = self._group(key, title, len(items), icon)
            for b in items:
                item = QTreeWidgetItem(g, [b.message])
                item.setFirstColumnSpanned(True)
                item.setIcon(0, icons.icon(icon))
                item.setToolTip(0, b.message)
        if c.signature:
            g = self._group("signature", "Signature", len(c.signature))
            for change in c.signature:
                self._row(g, signature_row(change), change.describe())
        for key, title, diffs in (("flavors", "Flavors", c.flavors), ("environment", "Environment", c.environment),
                                  ("metadata", "Metadata", c.metadata), ("files", "Files", c.files)):
            if diffs:
                g = self._group(key, title, len(diffs))
                for d in diffs:
                    self._row(g, difference_row(d), d.describe())
        if c.notes:
            g = self._group("notes", "Notes", len(c.notes), "info")
            for note in c.notes:
                item = QTreeWidgetItem(g, [note])
                item.setFirstColumnSpanned(True)
        if c.identical and not c.notes:
            item = QTreeWidgetItem(self.tree, ["No differences."])
            item.setFirstColumnSpanned(True)

    def rows(self, group: str) -> list[list[str]]:
        """The rows of one group as text (for tests and for reading back)."""
        g = self.groups.get(group)
        if g is None:
            return []
        return [[g.child(i).text(c) for c in range(4)] for i in range(g.childCount())]

    def copy_text(self) -> None:
        QGuiApplication.clipboard().setText(self.comparison.format())
