"""The problems validation found, each with its fix; one click applies the data-side fixes.

Data-side fixes change the input (rename a column whose name differs only in case or
spaces, drop a column the signature does not have, cast a column whose values convert
cleanly). Signature-side fixes ("declare the column as double") are offered in the signature
editor through ``signature_fix_requested``.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, QSize, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.inputs.fixes import CASTABLE, Fix
from mlmanager.core.inputs.problems import Problem
from mlmanager.ui import icons
from mlmanager.ui.widgets.common import muted_label

PROBLEM_ROLE = Qt.ItemDataRole.UserRole + 2
_NOT_CASTABLE = {"nan_in_integer", "null_in_nullable_column", "tz_aware_datetime", "missing_column",
                 "case_mismatch", "name_mismatch", "extra_column", "duplicate_column"}
_DECLARE = re.compile(r"declare (?:`([^`]+)`|it|the column) as (\w+)")


@dataclass(frozen=True)
class SignatureFixRequest:
    """Ask the signature editor to change ``column``: its type to ``to_type`` (or make it
    optional when ``make_optional``). ``reason`` is the problem's message."""

    column: Any
    to_type: str | None = None
    make_optional: bool = False
    reason: str = ""
    problem: Problem | None = None


def data_fixes_for(problems: Sequence[Problem], columns: Sequence[Any]) -> list[Fix]:
    """The data-side fixes for ``problems`` on an input with ``columns`` (one per column)."""
    present = {str(c): c for c in columns}
    fixes: list[Fix] = []
    seen: set[str] = set()
    for p in problems:
        if p.column is None or p.target not in ("column",):
            continue
        if p.kind in ("case_mismatch", "name_mismatch") and p.found is not None and str(p.found) in present:
            key = str(p.found)
            if key not in seen:
                seen.add(key)
                fixes.append(Fix("rename", present[key], p.column))
        elif p.kind == "extra_column" and str(p.column) in present:
            key = str(p.column)
            if key not in seen:
                seen.add(key)
                fixes.append(Fix("drop", present[key]))
    for p in problems:
        if (p.severity != "error" or p.column is None or p.kind in _NOT_CASTABLE
                or p.expected not in CASTABLE or p.values or str(p.column) not in present):
            continue
        key = str(p.column)
        if key not in seen:
            seen.add(key)
            fixes.append(Fix("cast", present[key], p.expected))
    return fixes


def signature_fix_for(p: Problem) -> SignatureFixRequest | None:
    """The signature change a problem's fix suggests, if any."""
    if p.column is None or p.target != "column":
        return None
    reason = p.message.splitlines()[0] if p.message else ""
    m = _DECLARE.search(p.fix or "")
    if m:
        column = m.group(1) if m.group(1) else p.column
        return SignatureFixRequest(column if str(column) == str(p.column) else p.column, m.group(2),
                                   reason=reason, problem=p)
    if p.kind == "nan_in_integer":
        return SignatureFixRequest(p.column, "double", reason=reason, problem=p)
    if p.kind == "missing_column":
        return SignatureFixRequest(p.column, make_optional=True, reason=reason, problem=p)
    return None


def _rows_text(p: Problem) -> str:
    bits = []
    if p.rows:
        bits.append("row" + ("s " if len(p.rows) > 1 else " ") + ", ".join(str(r) for r in p.rows))
    if p.values:
        bits.append("value" + ("s " if len(p.values) > 1 else " ") + ", ".join(p.values))
    return " · ".join(bits)


class WrapDelegate(QStyledItemDelegate):
    """Rows as tall as their wrapped text at the column's current width."""

    def __init__(self, tree: QTreeWidget) -> None:
        super().__init__(tree)
        self._tree = tree

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex | QPersistentModelIndex) -> QSize:  # noqa: N802
        base = super().sizeHint(option, index)
        text = str(index.data() or "")
        width = self._tree.header().sectionSize(index.column()) - 12
        if index.column() == 0:
            width -= 24  # the icon
        if width <= 20 or not text:
            return base
        rect = option.fontMetrics.boundingRect(QRect(0, 0, width, 100_000),
                                               int(Qt.TextFlag.TextWordWrap), text)
        return QSize(base.width(), max(base.height(), rect.height() + 6))


class ProblemsView(QWidget):
    """List of problems (errors first) with buttons for the fixes."""

    problem_activated = Signal(object)  # Problem
    apply_fixes_requested = Signal(list)  # list[Fix]
    signature_fix_requested = Signal(object)  # SignatureFixRequest
    revert_requested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._problems: list[Problem] = []
        self._fixes: list[Fix] = []
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        bar = QHBoxLayout()
        self.summary = muted_label("")
        self.summary.setWordWrap(True)
        bar.addWidget(self.summary, 1)
        self.revert_button = QPushButton(icons.icon("reload"), "Original input")
        self.revert_button.setToolTip("Go back to the input as it was loaded, before the fixes")
        self.revert_button.clicked.connect(self.revert_requested)
        self.revert_button.hide()
        self.signature_button = QPushButton(icons.icon("file-mlmodel"), "Fix in signature…")
        self.signature_button.setToolTip("Open the signature editor at the column of the selected problem")
        self.signature_button.clicked.connect(self._signature_fix)
        self.fix_button = QPushButton(icons.icon("ok"), "Apply data fixes")
        self.fix_button.setObjectName("apply-fixes")
        self.fix_button.clicked.connect(lambda: self.apply_fixes_requested.emit(list(self._fixes)))
        bar.addWidget(self.revert_button)
        bar.addWidget(self.signature_button)
        bar.addWidget(self.fix_button)
        lay.addLayout(bar)
        self.tree = QTreeWidget()
        self.tree.setObjectName("problems-tree")
        self.tree.setColumnCount(3)
        self.tree.setHeaderLabels(["Column", "Problem", "How to fix"])
        self.tree.setRootIsDecorated(False)
        self.tree.setWordWrap(True)
        self.tree.setUniformRowHeights(False)
        self.tree.setAlternatingRowColors(True)
        self.tree.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        header = self.tree.header()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.Interactive)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        header.setSectionResizeMode(2, QHeaderView.ResizeMode.Stretch)
        header.resizeSection(0, 150)
        header.setStretchLastSection(True)
        self.tree.setItemDelegate(WrapDelegate(self.tree))
        self.tree.setTextElideMode(Qt.TextElideMode.ElideNone)
        header.sectionResized.connect(lambda *_: self.tree.doItemsLayout())
        self.tree.itemActivated.connect(self._activated)
        self.tree.itemClicked.connect(self._activated)
        self.tree.currentItemChanged.connect(lambda *_: self._update_buttons())
        lay.addWidget(self.tree, 1)
        self._update_buttons()

    # -- content --------------------------------------------------------------------------
    def set_problems(self, errors: Sequence[Problem], warnings: Sequence[Problem],
                     columns: Sequence[Any] = (), summary: str = "") -> None:
        self._problems = [*errors, *warnings]
        self._fixes = data_fixes_for(self._problems, columns)
        self.tree.clear()
        for p in self._problems:
            where = str(p.column) if p.column is not None else {"param": "params", "tensor": "tensor"}.get(p.target, "input")
            message = p.message.splitlines()[0] if p.message else p.kind
            extra = _rows_text(p)
            text = f"{message}\n{extra}" if extra else message
            item = QTreeWidgetItem([where, text, p.fix or ""])
            item.setIcon(0, icons.icon("error" if p.severity == "error" else "warning"))
            tip = p.message + (f"\n\nFix: {p.fix}" if p.fix else "")
            for c in range(3):
                item.setToolTip(c, tip)
            item.setData(0, PROBLEM_ROLE, p)
            self.tree.addTopLevelItem(item)
        self.summary.setText(summary)
        self.tree.setVisible(bool(self._problems))
        self._update_buttons()

    def clear(self) -> None:
        self.set_problems([], [], (), "")

    def problems(self) -> list[Problem]:
        return list(self._problems)

    def fixes(self) -> list[Fix]:
        return list(self._fixes)

    def set_revert_visible(self, visible: bool) -> None:
        self.revert_button.setVisible(visible)

    def signature_fixes(self) -> list[SignatureFixRequest]:
        return [r for r in (signature_fix_for(p) for p in self._problems) if r is not None]

    # -- actions --------------------------------------------------------------------------
    def _selected(self) -> Problem | None:
        item = self.tree.currentItem()
        return item.data(0, PROBLEM_ROLE) if item is not None else None

    def _activated(self, item: QTreeWidgetItem, _column: int = 0) -> None:
        p = item.data(0, PROBLEM_ROLE)
        if p is not None:
            self.problem_activated.emit(p)

    def _signature_fix(self) -> None:
        p = self._selected()
        request = signature_fix_for(p) if p is not None else None
        if request is None:
            candidates = self.signature_fixes()
            request = candidates[0] if candidates else None
        if request is not None:
            self.signature_fix_requested.emit(request)

    def _update_buttons(self) -> None:
        n = len(self._fixes)
        self.fix_button.setText(f"Apply {n} data fix{'es' if n != 1 else ''}" if n else "Apply data fixes")
        self.fix_button.setEnabled(bool(n))
        self.fix_button.setToolTip("\n".join(f.describe() for f in self._fixes) or "No data-side fix applies")
        self.signature_button.setEnabled(bool(self.signature_fixes()))
