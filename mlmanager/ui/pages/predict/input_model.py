"""A virtual table over a pandas DataFrame: 100,000+ rows scroll smoothly.

``data()`` formats one cell when the view asks for it; nothing per row is built up front
(numeric columns are read through their numpy array, others through the column's array).
Problems found by validation are painted on the table: the offending column header gets an
icon, a tint and the problem as tooltip; the offending cells a background.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QAbstractTableModel, QModelIndex, QObject, QPersistentModelIndex, Qt
from PySide6.QtGui import QColor, QFont

from mlmanager.core.inputs.problems import Problem
from mlmanager.ui import icons, theme

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()
RAW_ROLE = Qt.ItemDataRole.UserRole + 1  # the cell's Python value
MAX_CELL_CHARS = 200
MAX_TIP_CHARS = 2000
_RIGHT = int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
_LEFT = int(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter)
# A paint asks every visible cell for ~7 roles: enum lookups and arithmetic are done once here
_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_ALIGN = int(Qt.ItemDataRole.TextAlignmentRole)
_FOREGROUND = int(Qt.ItemDataRole.ForegroundRole)
_BACKGROUND = int(Qt.ItemDataRole.BackgroundRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_RAW = int(RAW_ROLE)
_CELL_FLAGS = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
_NO_FLAGS = Qt.ItemFlag.NoItemFlags
_COLORS: dict[str, QColor] = {}


def cached_color(name: str) -> QColor:
    """One QColor per colour string (parsing "#rrggbb" for every painted cell adds up)."""
    color = _COLORS.get(name)
    if color is None:
        color = _COLORS[name] = QColor(name)
    return color


def format_value(value: Any, limit: int = MAX_CELL_CHARS) -> str:
    """One cell as text: floats with up to 10 significant digits, containers as JSON."""
    if value is None:
        return "None"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        if math.isnan(value):
            return "NaN"
        return f"{value:.10g}"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        text = value
    elif isinstance(value, (bytes, bytearray)):
        text = repr(bytes(value))
    elif isinstance(value, (list, tuple, dict)):
        try:
            text = json.dumps(value, default=str, ensure_ascii=False)
        except (TypeError, ValueError):
            text = str(value)
    else:
        module = type(value).__module__.split(".")[0]
        if module == "numpy":
            if hasattr(value, "dtype") and getattr(value, "ndim", 0) == 0:
                kind = value.dtype.kind
                if kind == "f":
                    v = float(value)
                    return "NaN" if math.isnan(v) else (str(value) if value.dtype.itemsize < 8 else f"{v:.10g}")
                if kind == "b":
                    return "true" if bool(value) else "false"
                return format_value(value.item(), limit)
            if hasattr(value, "tolist"):
                return format_value(value.tolist(), limit)
        text = str(value)
    if len(text) > limit:
        text = text[: limit - 1] + "…"
    return text


def is_missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float):
        return math.isnan(value)
    name = type(value).__name__
    if name in ("NaTType", "NAType"):
        return True
    if name.startswith("float") and type(value).__module__ == "numpy":
        return bool(math.isnan(value))
    return False


class FrameModel(QAbstractTableModel):
    """Read-only table over a DataFrame, with problems painted on it."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._frame: Any = None
        self._nrows = 0
        self._ncols = 0
        self._labels: Any = None  # row labels (numbers in the file), or None for 0..n-1
        self._getters: dict[int, Any] = {}
        self._numeric: dict[int, bool] = {}
        self._col_problems: dict[int, list[Problem]] = {}
        self._cell_problems: dict[tuple[int, int], Problem] = {}
        self._header_types: dict[int, str] = {}
        self._cells: dict[tuple[int, int], tuple[str, bool]] = {}

    # -- content ------------------------------------------------------------------------
    def set_frame(self, frame: Any, row_labels: Sequence[int] | None = None,
                  column_types: dict[Any, str] | None = None) -> None:
        self.beginResetModel()
        self._frame = frame
        self._nrows = 0 if frame is None else int(frame.shape[0])
        self._ncols = 0 if frame is None else int(frame.shape[1])
        self._labels = list(row_labels) if row_labels is not None and len(row_labels) == self._nrows else None
        self._getters.clear()
        self._numeric.clear()
        self._cells.clear()
        self._col_problems.clear()
        self._cell_problems.clear()
        self._header_types = {}
        if frame is not None and column_types:
            for j, name in enumerate(frame.columns):
                if name in column_types:
                    self._header_types[j] = column_types[name]
        self._frame_set()
        self.endResetModel()

    def _frame_set(self) -> None:
        """Subclasses update their own state here, inside the model reset."""

    def clear(self) -> None:
        self.set_frame(None)

    @property
    def frame(self) -> Any:
        return self._frame

    def row_label(self, row: int) -> int:
        return self._labels[row] if self._labels is not None else row

    def frame_row(self, label: int) -> int | None:
        """The table row showing data row ``label`` of the file (None when left out)."""
        if self._labels is None:
            return label if 0 <= label < self._nrows else None
        try:
            return self._labels.index(label)
        except ValueError:
            return None

    def column_index(self, name: Any) -> int:
        if self._frame is None:
            return -1
        for j, col in enumerate(self._frame.columns):
            if col == name or str(col) == str(name):
                return j
        return -1

    def column_name(self, column: int) -> Any:
        return self._frame.columns[column] if self._frame is not None else None

    def value(self, row: int, column: int) -> Any:
        getter = self._getters.get(column)
        if getter is None:
            getter = self._make_getter(column)
        return getter(row)

    def _make_getter(self, column: int) -> Any:
        series = self._frame.iloc[:, column]
        dtype = series.dtype
        kind = getattr(dtype, "kind", "O")
        numeric = kind in "biuf" and type(dtype).__module__ == "numpy"
        self._numeric[column] = kind in "iuf"
        if numeric:
            arr = series.to_numpy()

            def getter(row: int, arr: Any = arr) -> Any:
                return arr[row]
        else:
            values = series.array

            def getter(row: int, values: Any = values) -> Any:
                return values[row]
        self._getters[column] = getter
        return getter

    # -- problems -----------------------------------------------------------------------
    def set_problems(self, problems: Sequence[Problem]) -> None:
        """Paint ``problems`` (errors before warnings) on headers and cells."""
        self._col_problems.clear()
        self._cell_problems.clear()
        for p in problems:
            if p.column is None or p.target not in ("column", "tensor"):
                continue
            j = self.column_index(p.column)
            if j < 0:
                continue
            self._col_problems.setdefault(j, []).append(p)
            for label in p.rows:
                row = self.frame_row(label)
                if row is not None and (row, j) not in self._cell_problems:
                    self._cell_problems[(row, j)] = p
        if self._ncols:
            self.headerDataChanged.emit(Qt.Orientation.Horizontal, 0, self._ncols - 1)
        if self._nrows and self._ncols:
            self.dataChanged.emit(self.index(0, 0), self.index(self._nrows - 1, self._ncols - 1),
                                  [Qt.ItemDataRole.BackgroundRole, Qt.ItemDataRole.ToolTipRole])

    def problem_columns(self) -> list[int]:
        return sorted(self._col_problems)

    def cell_problem(self, row: int, column: int) -> Problem | None:
        return self._cell_problems.get((row, column))

    def first_problem_cell(self, column: int) -> int | None:
        rows = [r for (r, c) in self._cell_problems if c == column]
        return min(rows) if rows else None

    # -- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._nrows

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else self._ncols

    def _cell(self, row: int, col: int) -> tuple[str, bool]:
        """(text, missing) of a cell; the last few thousand are cached (a paint asks each
        visible cell for five or six roles)."""
        key = (row, col)
        hit = self._cells.get(key)
        if hit is None:
            value = self.value(row, col)
            hit = (format_value(value), is_missing(value))
            if len(self._cells) > 20_000:
                self._cells.clear()
            self._cells[key] = hit
        return hit

    def cell_text(self, row: int, col: int) -> str:
        """What the cell shows (the DisplayRole), without going through a QModelIndex."""
        return self._cell(row, col)[0]

    def data(self, index: Index, role: int = _DISPLAY) -> Any:
        row, col = index.row(), index.column()
        if not (0 <= row < self._nrows and 0 <= col < self._ncols):  # also an invalid index
            return None
        if role == _DISPLAY:
            return self._cell(row, col)[0]
        if role == _ALIGN:
            numeric = self._numeric.get(col)
            if numeric is None:
                self._make_getter(col)
                numeric = self._numeric.get(col)
            return _RIGHT if numeric else _LEFT
        if role == _FOREGROUND:
            return cached_color(theme.current_colors().muted) if self._cell(row, col)[1] else None
        if role == _BACKGROUND:
            p = self._cell_problems.get((row, col)) if self._cell_problems else None
            if p is not None:
                c = theme.current_colors()
                return cached_color(c.error_bg if p.severity == "error" else c.warning_bg)
            return None
        if role == _TOOLTIP:
            p = self._cell_problems.get((row, col))
            text = format_value(self.value(row, col), MAX_TIP_CHARS)
            if p is not None:
                return f"{text}\n\n{p.message.splitlines()[0]}" + (f"\nFix: {p.fix}" if p.fix else "")
            return text if len(text) > 30 else None
        if role == _RAW:
            return self.value(row, col)
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            if role == Qt.ItemDataRole.DisplayRole and 0 <= section < self._nrows:
                return str(self._labels[section] if self._labels is not None else section)
            return _RIGHT if role == Qt.ItemDataRole.TextAlignmentRole else None
        if not 0 <= section < self._ncols:
            return None
        problems = self._col_problems.get(section)
        if role == Qt.ItemDataRole.DisplayRole:
            name = self.column_name(section)
            return str(name)
        if role == Qt.ItemDataRole.DecorationRole and problems:
            worst = "error" if any(p.severity == "error" for p in problems) else "warning"
            return icons.icon(worst)
        if role == Qt.ItemDataRole.ForegroundRole and problems:
            c = theme.current_colors()
            return QColor(c.error if any(p.severity == "error" for p in problems) else c.warning)
        if role == Qt.ItemDataRole.FontRole and problems:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.ItemDataRole.ToolTipRole:
            name = self.column_name(section)
            dtype = str(self._frame.iloc[:, section].dtype) if self._frame is not None else ""
            lines = [f"{name}  ({dtype})"]
            if section in self._header_types:
                lines[0] += f" — signature: {self._header_types[section]}"
            for p in problems or []:
                lines.append(f"• {p.message.splitlines()[0]}")
                if p.fix:
                    lines.append(f"  Fix: {p.fix}")
            return "\n".join(lines)
        return None

    def flags(self, index: Index) -> Qt.ItemFlag:
        return _CELL_FLAGS if index.isValid() else _NO_FLAGS


class InputModel(FrameModel):
    """The input table of the Predict tab."""
