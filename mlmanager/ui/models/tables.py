"""Read-only table models: a signature schema, params, and plain rows (previews, environment)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QIcon

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()  # default parent (an invalid index is immutable)


class RowsModel(QAbstractTableModel):
    """Rows of display strings with headers; optional per-row icon, tooltip and colour."""

    def __init__(self, headers: Sequence[str] = (), rows: Sequence[Sequence[Any]] = (), parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self._icons: dict[int, QIcon] = {}
        self._tips: dict[int, str] = {}
        self._colours: dict[int, QColor] = {}
        self._icon_column = 0

    def set_rows(self, headers: Sequence[str], rows: Sequence[Sequence[Any]], *, icons: dict[int, QIcon] | None = None,
                 tips: dict[int, str] | None = None, colours: dict[int, QColor] | None = None,
                 icon_column: int = 0) -> None:
        self.beginResetModel()
        self._headers = list(headers)
        self._rows = [list(r) for r in rows]
        self._icons = dict(icons or {})
        self._tips = dict(tips or {})
        self._colours = dict(colours or {})
        self._icon_column = icon_column
        self.endResetModel()

    def append_rows(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(rows) - 1)
        self._rows.extend(list(r) for r in rows)
        self.endInsertRows()

    def clear(self) -> None:
        """Remove the rows; the headers stay (views keep their column sizing)."""
        self.set_rows(self._headers, [])

    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._headers)

    def row_values(self, row: int) -> list[Any]:
        return list(self._rows[row])

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row, col = index.row(), index.column()
        values = self._rows[row]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.EditRole):
            value = values[col] if col < len(values) else ""
            return "" if value is None else str(value)
        if role == Qt.ItemDataRole.DecorationRole and col == self._icon_column:
            return self._icons.get(row)
        if role == Qt.ItemDataRole.ToolTipRole:
            tip = self._tips.get(row)
            if tip:
                return tip
            value = values[col] if col < len(values) else ""
            text = "" if value is None else str(value)
            return text if len(text) > 40 else None
        if role == Qt.ItemDataRole.ForegroundRole and col == len(self._headers) - 1:
            return self._colours.get(row)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.ItemDataRole.DisplayRole) -> Any:  # noqa: N802
        if role != Qt.ItemDataRole.DisplayRole:
            return None
        if orientation == Qt.Orientation.Horizontal:
            return self._headers[section] if 0 <= section < len(self._headers) else None
        return str(section + 1)


def schema_rows(schema: Any) -> tuple[list[str], list[list[str]]]:
    """Headers and rows for a ``core.schema.Schema`` (columns or tensors)."""
    if schema is None or not len(schema):
        return ["Name", "Type"], []
    if schema.is_tensor:
        rows = [[("" if s.name is None else str(s.name)) or f"#{i}", s.dtype, str(list(s.shape))]
                for i, s in enumerate(schema.specs)]
        return ["Name", "dtype", "Shape"], rows
    rows = []
    for i, s in enumerate(schema.specs):
        name = f"#{i}" if s.name is None else str(s.name)
        rows.append([name, str(s.type), "required" if s.is_required else "optional"])
    return ["Name", "Type", "Required"], rows


def params_rows(params: Any) -> tuple[list[str], list[list[str]]]:
    import json

    if params is None:
        return ["Name", "Type", "Default"], []
    rows = []
    for p in params:
        shape = "list" if p.shape is not None else ""
        default = json.dumps(p.default, default=str)
        rows.append([p.name, f"{p.type}{'[]' if shape else ''}", default])
    return ["Name", "Type", "Default"], rows
