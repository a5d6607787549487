"""A thin table model over the cache's environments (``core.environments.cache.Environment``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QPersistentModelIndex, Qt

from mlmanager.core.environments.cache import Environment
from mlmanager.core.sizes import format_size

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()
COLUMNS = ("Environment", "Python", "Resolved", "Packages", "Size", "Last used (UTC)", "Models")
ENV_ROLE = Qt.ItemDataRole.UserRole + 1  # the Environment of a row


def _when(stamp: str) -> str:
    return stamp.replace("T", " ").rstrip("Z")[:16] if stamp else "—"


class EnvironmentsModel(QAbstractTableModel):
    """One row per environment; sorted as given (most recently used first)."""

    def __init__(self, parent: Any = None) -> None:
        super().__init__(parent)
        self._envs: list[Environment] = []

    def set_environments(self, envs: list[Environment]) -> None:
        self.beginResetModel()
        self._envs = list(envs)
        self.endResetModel()

    def environment(self, row: int) -> Environment:
        return self._envs[row]

    def environments(self) -> list[Environment]:
        return list(self._envs)

    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._envs)

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(COLUMNS)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._envs):
            return None
        env = self._envs[index.row()]
        col = index.column()
        if role == ENV_ROLE:
            return env
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(env, col)
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 6:
                return "\n".join(env.models) or "no model recorded"
            if col == 0:
                return str(env.path)
            if col == 2:
                return env.strategy_label
        if role == Qt.ItemDataRole.TextAlignmentRole and col in (3, 4):
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, env: Environment, col: int) -> str:
        if col == 0:
            return env.name
        if col == 1:
            return env.python_version
        if col == 2:
            as_of = env.resolution.get("exclude_newer")
            return f"{env.strategy}" + (f" ({str(as_of)[:10]})" if as_of else "")
        if col == 3:
            return str(len(env.packages))
        if col == 4:
            return format_size(env.size_bytes)
        if col == 5:
            return _when(env.last_used)
        models = env.models
        if not models:
            return "—"
        first = models[0].rstrip("/").rsplit("/", 2)
        short = "/".join(first[-2:]) if len(first) > 1 else models[0]
        return short + (f" (+{len(models) - 1})" if len(models) > 1 else "")

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal \
                and 0 <= section < len(COLUMNS):
            return COLUMNS[section]
        return None
