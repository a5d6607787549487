"""The readiness checklist as a tree: deployment (target ▸ kind) ▸ rules, with pass/warn/fail icons.

A thin adapter over a core :class:`~mlmanager.core.deploy.targets.DeployReport`: one group row
per deployment kind (MLflow scoring server, Azure ML online, ...), one child row per rule.
Column 0 is the check, column 1 its result; tooltips carry the reason, the fix and the source.
Replacing the report (or the "only problems" filter) is a model reset.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QAbstractItemModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from mlmanager.core.deploy.rules import KIND_TITLES
from mlmanager.core.deploy.targets import NOTES
from mlmanager.ui import icons, theme

if TYPE_CHECKING:
    from mlmanager.core.deploy.rules import Outcome
    from mlmanager.core.deploy.targets import DeployReport

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()

StatusRole = Qt.ItemDataRole.UserRole + 1  # "pass" | "warn" | "fail"
OutcomeRole = Qt.ItemDataRole.UserRole + 2  # core Outcome (rule rows)
FixTargetRole = Qt.ItemDataRole.UserRole + 3  # "signature" | "environment" | "files" | None
RuleIdRole = Qt.ItemDataRole.UserRole + 4  # "mlflow.signature" (rule rows)
GroupRole = Qt.ItemDataRole.UserRole + 5  # (target, kind) (group rows)

HEADERS = ("Check", "Result")
STATUS_ICONS = {"pass": "ok", "warn": "warning", "fail": "error"}
STATUS_WORDS = {"pass": "passes", "warn": "warning", "fail": "fails"}
#: short group titles; the full ones (core KIND_TITLES) are in the tooltips
GROUP_TITLES = {
    ("mlflow", "serving"): "MLflow scoring server",
    ("azureml", "online"): "Azure ML online endpoint",
    ("azureml", "batch"): "Azure ML batch endpoint",
    ("databricks", "uc"): "Databricks Unity Catalog",
    ("databricks", "serving"): "Databricks Model Serving",
}
TARGET_TITLES = {"mlflow": "MLflow", "azureml": "Azure ML", "databricks": "Databricks"}
FIX_PLACES = {"signature": "the signature editor", "environment": "the environment files",
              "files": "the model's files"}


_IDENTIFIERS = {"mlflow", "pyfunc", "conda", "databricks", "python_function"}


def sentence_case(title: str) -> str:
    """'the input example ...' -> 'The input example ...'; identifiers ('mlflow pinned',
    'conda.yaml present', 'serving_input_example.json ...') keep their spelling."""
    word = title.split(" ", 1)[0]
    if not word or not re.fullmatch(r"[a-z][a-z-]*", word) or word in _IDENTIFIERS:
        return title
    return title[:1].upper() + title[1:]


def worst(statuses: list[str]) -> str:
    return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"


def count_text(statuses: list[str]) -> str:
    """'1 failing, 2 warnings' / 'all 14 pass'."""
    fails, warns = statuses.count("fail"), statuses.count("warn")
    bits = []
    if fails:
        bits.append(f"{fails} failing")
    if warns:
        bits.append(f"{warns} warning{'s' if warns != 1 else ''}")
    if not bits:
        return f"all {len(statuses)} pass" if len(statuses) != 1 else "passes"
    return ", ".join(bits)


def outcome_tooltip(o: Outcome) -> str:
    r = o.result
    lines = [f"{o.rule.title} — {o.status.upper()}", "", r.reason]
    if r.fix and o.status != "pass":
        where = FIX_PLACES.get(r.fix_target or "", "a deployment choice")
        lines += ["", f"Fix ({where}): {r.fix}"]
    lines += ["", f"Source: {o.rule.source}"]
    lines.append(f"Rule {o.rule.id}" + ("" if o.rule.verified else
                                        " · not verified against the target's documentation: "
                                        "a failure is reported as a warning"))
    return "\n".join(lines)


@dataclass(eq=False)
class _Node:
    kind: str  # "group" | "rule"
    key: tuple[str, str]  # (target, kind)
    outcome: Outcome | None = None
    children: list[_Node] = field(default_factory=list)
    parent: _Node | None = field(default=None, repr=False)
    row: int = 0
    statuses: list[str] = field(default_factory=list)  # group: every rule's status (unfiltered)
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def status(self) -> str:
        if self.outcome is not None:
            return self.outcome.status
        return worst(self.statuses)


class ChecklistModel(QAbstractItemModel):
    """Read-only tree over a DeployReport (``set_report``), optionally problems only."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._report: DeployReport | None = None
        self._only_problems = False
        self._groups: list[_Node] = []

    # -- content ---------------------------------------------------------------------------
    @property
    def report(self) -> DeployReport | None:
        return self._report

    @property
    def only_problems(self) -> bool:
        return self._only_problems

    def set_report(self, report: DeployReport | None) -> None:
        self.beginResetModel()
        self._report = report
        self._groups = self._build()
        self.endResetModel()

    def set_only_problems(self, on: bool) -> None:
        if on == self._only_problems:
            return
        self.beginResetModel()
        self._only_problems = on
        self._groups = self._build()
        self.endResetModel()

    def clear(self) -> None:
        self.set_report(None)

    def _build(self) -> list[_Node]:
        report = self._report
        if report is None:
            return []
        groups: list[_Node] = []
        for t in report.targets:
            for kind in t.kinds:
                outcomes = [o for o in t.outcomes if o.rule.kind == kind]
                group = _Node("group", (t.target, kind), row=len(groups),
                              statuses=[o.status for o in outcomes],
                              notes=list(NOTES.get((t.target, kind), [])))
                for o in outcomes:
                    if self._only_problems and o.status == "pass":
                        continue
                    group.children.append(_Node("rule", (t.target, kind), o, parent=group,
                                                row=len(group.children)))
                if self._only_problems and not group.children:
                    continue
                group.row = len(groups)
                groups.append(group)
        return groups

    # -- lookups ---------------------------------------------------------------------------
    def group_index(self, target: str, kind: str | None = None) -> QModelIndex:
        for g in self._groups:
            if g.key[0] == target and (kind is None or g.key[1] == kind):
                return self.createIndex(g.row, 0, g)
        return QModelIndex()

    def rule_index(self, rule_id: str) -> QModelIndex:
        for g in self._groups:
            for c in g.children:
                if c.outcome is not None and c.outcome.rule.id == rule_id:
                    return self.createIndex(c.row, 0, c)
        return QModelIndex()

    def group_keys(self) -> list[tuple[str, str]]:
        return [g.key for g in self._groups]

    def problem_groups(self) -> list[QModelIndex]:
        return [self.createIndex(g.row, 0, g) for g in self._groups if g.status != "pass"]

    def notes(self, index: Index) -> list[tuple[str, str]]:
        node = self._node(index)
        return list(node.notes) if node is not None and node.kind == "group" else []

    # -- QAbstractItemModel ------------------------------------------------------------------
    def _node(self, index: Index) -> _Node | None:
        return index.internalPointer() if index.isValid() else None

    def index(self, row: int, column: int, parent: Index = _INVALID) -> QModelIndex:
        if column < 0 or column >= len(HEADERS) or row < 0:
            return QModelIndex()
        if not parent.isValid():
            if row < len(self._groups):
                return self.createIndex(row, column, self._groups[row])
            return QModelIndex()
        node = self._node(parent)
        if node is None or parent.column() != 0 or row >= len(node.children):
            return QModelIndex()
        return self.createIndex(row, column, node.children[row])

    def parent(self, index: Index = _INVALID) -> QModelIndex:  # type: ignore[override]
        node = self._node(index)
        if node is None or node.parent is None:
            return QModelIndex()
        return self.createIndex(node.parent.row, 0, node.parent)

    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        if not parent.isValid():
            return len(self._groups)
        if parent.column() != 0:
            return 0
        node = self._node(parent)
        return len(node.children) if node is not None else 0

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return len(HEADERS)

    def hasChildren(self, parent: Index = _INVALID) -> bool:  # noqa: N802
        return self.rowCount(parent) > 0

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        return Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole \
                and 0 <= section < len(HEADERS):
            return HEADERS[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        node = self._node(index)
        if node is None:
            return None
        col = index.column()
        if node.kind == "group":
            return self._group_data(node, col, role)
        return self._rule_data(node, col, role)

    def _group_data(self, node: _Node, col: int, role: int) -> Any:
        status = node.status
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col == 0:
                return GROUP_TITLES.get(node.key, KIND_TITLES.get(node.key, "/".join(node.key)))
            return count_text(node.statuses)
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return icons.icon(STATUS_ICONS[status])
        if role == Qt.ItemDataRole.ToolTipRole:
            lines = [KIND_TITLES.get(node.key, "/".join(node.key)), count_text(node.statuses)]
            lines += [f"• {text}" for text, _src in node.notes]
            return "\n".join(lines)
        if role == Qt.ItemDataRole.FontRole:
            font = QFont()
            font.setWeight(QFont.Weight.DemiBold)
            return font
        if role == Qt.ItemDataRole.ForegroundRole and col == 1 and status != "pass":
            c = theme.current_colors()
            return QColor(c.error if status == "fail" else c.warning)
        if role == StatusRole:
            return status
        if role == GroupRole:
            return node.key
        return None

    def _rule_data(self, node: _Node, col: int, role: int) -> Any:
        o = node.outcome
        assert o is not None
        status = o.status
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.AccessibleTextRole):
            if col == 0:
                return sentence_case(o.rule.title)
            reason = o.result.reason.splitlines()[0] if o.result.reason else ""
            return reason if o.result.applicable else f"not applicable: {reason}"
        if role == Qt.ItemDataRole.DecorationRole and col == 0:
            return icons.icon(STATUS_ICONS[status] if o.result.applicable else "blank")
        if role == Qt.ItemDataRole.ToolTipRole:
            return outcome_tooltip(o)
        if role == Qt.ItemDataRole.ForegroundRole:
            c = theme.current_colors()
            if not o.result.applicable:
                return QColor(c.muted)
            if col == 1 and status != "pass":
                return QColor(c.error if status == "fail" else c.warning)
            return None
        if role == StatusRole:
            return status
        if role == OutcomeRole:
            return o
        if role == FixTargetRole:
            return o.result.fix_target if status != "pass" else None
        if role == RuleIdRole:
            return o.rule.id
        if role == GroupRole:
            return node.key
        return None
