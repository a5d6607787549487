"""Type input rows into a grid generated from the model's signature.

One column per input column (or per tensor element), with an editor per type: validated
line edits for numbers, a checkbox for booleans, a date-time editor, plain text, JSON for
arrays/objects/maps, base64 text for binary. A cell that does not parse keeps its text, turns
red and says why; "Use these rows" hands the rows to the tab, which validates them like any
other input.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDateTime,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRegularExpression,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemView,
    QDateTimeEdit,
    QHBoxLayout,
    QHeaderView,
    QLineEdit,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons, theme
from mlmanager.ui.widgets.common import compact_rows, muted_label

Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()
MAX_TENSOR_COLUMNS = 64
DATETIME_FORMAT = "yyyy-MM-dd HH:mm:ss"

_INT_RE = r"^\s*[-+]?\d+\s*$"
_FLOAT_RE = r"^\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|infinity)|nan)\s*$"
_INT_RANGES = {
    "integer": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1),
    "int8": (-(2**7), 2**7 - 1), "int16": (-(2**15), 2**15 - 1), "int32": (-(2**31), 2**31 - 1),
    "int64": (-(2**63), 2**63 - 1), "uint8": (0, 2**8 - 1), "uint16": (0, 2**16 - 1),
    "uint32": (0, 2**32 - 1), "uint64": (0, 2**64 - 1),
}
_FLOAT_TYPES = {"float", "double", "float16", "float32", "float64"}
_COMPOSITE = {"array", "object", "map", "any", "json"}


@dataclass(frozen=True)
class GridColumn:
    """One grid column: its name, the editor ``kind`` and the signature type it stands for."""

    name: Any
    kind: str  # integer | long | float | double | boolean | string | binary | datetime | json |
    #            a numpy dtype name for tensor elements (int32, float64, ...)
    type_text: str  # as shown in the header
    required: bool = True

    @property
    def signature_type(self) -> str | None:
        """The MLflow DataType for the frame builder (None: keep the values as typed)."""
        if self.kind in ("integer", "long", "float", "double", "boolean", "string", "binary", "datetime"):
            return self.kind
        return None


@dataclass(frozen=True)
class GridLayout:
    columns: list[GridColumn]
    tensor_dtype: str | None = None  # rows form one tensor of this dtype
    tensor_shape: tuple[int, ...] | None = None
    note: str = ""


def layout_for(signature: Any) -> GridLayout:
    """The grid for a signature's inputs (an empty layout with a note when there are none)."""
    if signature is None or signature.inputs is None or not len(signature.inputs):
        return GridLayout([], note="The model has no input signature, so there is no grid to type "
                                   "into. Load a file or the input example instead.")
    schema = signature.inputs
    if schema.is_tensor:
        specs = list(schema.specs)
        if len(specs) == 1:
            spec = specs[0]
            shape = tuple(spec.shape)
            dtype = spec.dtype
            element = dtype if (dtype in _INT_RANGES or dtype in _FLOAT_TYPES or dtype == "bool") else "json"
            if len(shape) == 2 and 0 < shape[1] <= MAX_TENSOR_COLUMNS:
                cols = [GridColumn(str(i), element, dtype) for i in range(shape[1])]
                return GridLayout(cols, tensor_dtype=dtype, tensor_shape=shape)
            if len(shape) == 1:
                return GridLayout([GridColumn("value", element, dtype)], tensor_dtype=dtype, tensor_shape=shape)
            return GridLayout([GridColumn("row", "json", f"{dtype} {list(shape[1:])}")],
                              tensor_dtype=dtype, tensor_shape=shape,
                              note="Each row is one tensor element of shape "
                                   f"{list(shape[1:])}, written as a JSON list.")
        return GridLayout([], note="Named tensors cannot be typed row by row; load a JSON file "
                                   "with an \"inputs\" object instead.")
    cols = []
    for i, spec in enumerate(schema.specs):
        name = spec.name if spec.name is not None else i
        t = str(spec.type)
        kind = t if t in ("integer", "long", "float", "double", "boolean", "string", "binary", "datetime") else "json"
        cols.append(GridColumn(name, kind, t, spec.is_required))
    return GridLayout(cols)


def parse_cell(text: Any, kind: str) -> tuple[Any, str | None]:
    """``(value, error)`` for what was typed into a cell of ``kind``; empty text is None."""
    if text is None:
        return None, None
    if not isinstance(text, str):
        return text, None
    s = text.strip()
    if s == "":
        return None, None
    if kind in _INT_RANGES or kind in ("integer", "long"):
        if not re.match(_INT_RE, s):
            return text, f"{s!r} is not a whole number"
        value = int(s)
        lo, hi = _INT_RANGES.get(kind, _INT_RANGES["long"])
        if not lo <= value <= hi:
            return text, f"{value} is outside the {kind} range ({lo} … {hi})"
        return value, None
    if kind in _FLOAT_TYPES:
        if not re.match(_FLOAT_RE, s, re.IGNORECASE):
            return text, f"{s!r} is not a number"
        return float(s), None
    if kind in ("boolean", "bool"):
        low = s.lower()
        if low in ("true", "1", "yes"):
            return True, None
        if low in ("false", "0", "no"):
            return False, None
        return text, f"{s!r} is not true/false"
    if kind == "datetime":
        try:
            return dt.datetime.fromisoformat(s.replace("Z", "+00:00")), None
        except ValueError:
            return text, f"{s!r} is not a date/time (write 2024-03-05 14:00:00)"
    if kind == "binary":
        import base64
        import binascii

        try:
            base64.b64decode(s, validate=True)
        except (binascii.Error, ValueError):
            return text, "binary cells take base64 text"
        return s, None
    if kind in _COMPOSITE:
        try:
            return json.loads(s), None
        except ValueError as exc:
            return text, f"not valid JSON: {exc.msg} (column {exc.colno})"
    return text, None


def cell_text(value: Any, kind: str) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return "NaN" if math.isnan(value) else repr(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if kind in _COMPOSITE and not isinstance(value, str):
        return json.dumps(value, default=str)
    return str(value)


def _json_cell(value: Any) -> Any:
    """A cell value as JSON for the input helper (datetimes as ISO text, NaN as null)."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dt.datetime):
        return value.isoformat()
    return value


class GridModel(QAbstractTableModel):
    """Editable rows of Python values, one editor kind per column."""

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.layout_info = GridLayout([])
        self._rows: list[list[Any]] = []
        self._errors: dict[tuple[int, int], str] = {}

    @property
    def columns(self) -> list[GridColumn]:
        return self.layout_info.columns

    def set_layout(self, layout: GridLayout, rows: int = 1) -> None:
        self.beginResetModel()
        self.layout_info = layout
        self._rows = [[None] * len(layout.columns) for _ in range(rows if layout.columns else 0)]
        self._errors = {}
        self.endResetModel()

    def set_rows(self, rows: list[list[Any]]) -> None:
        """Fill the grid with values (from a loaded input); each is re-checked as typed text."""
        self.beginResetModel()
        self._rows = []
        self._errors = {}
        n = len(self.columns)
        for r, row in enumerate(rows):
            cells = []
            for c in range(n):
                raw = row[c] if c < len(row) else None
                value, error = self._coerce(raw, self.columns[c].kind)
                cells.append(value)
                if error:
                    self._errors[(r, c)] = error
            self._rows.append(cells)
        self.endResetModel()

    def _coerce(self, raw: Any, kind: str) -> tuple[Any, str | None]:
        if raw is None or (isinstance(raw, float) and math.isnan(raw)):
            return None, None
        if hasattr(raw, "item") and not isinstance(raw, (list, dict)):
            with contextlib.suppress(ValueError, TypeError):
                raw = raw.item()
        if hasattr(raw, "to_pydatetime"):
            raw = raw.to_pydatetime()
        if isinstance(raw, str):
            return parse_cell(raw, kind)
        if kind in _COMPOSITE and hasattr(raw, "tolist"):
            return raw.tolist(), None
        if kind in ("boolean", "bool") and not isinstance(raw, bool):
            return parse_cell(str(raw), kind)
        if (kind in _INT_RANGES or kind in ("integer", "long")) and isinstance(raw, float):
            return parse_cell(repr(raw) if raw != int(raw) else str(int(raw)), kind)
        return raw, None

    def add_row(self) -> int:
        row = len(self._rows)
        self.beginInsertRows(QModelIndex(), row, row)
        self._rows.append([None] * len(self.columns))
        self.endInsertRows()
        return row

    def remove_rows(self, rows: list[int]) -> None:
        for row in sorted(set(rows), reverse=True):
            if 0 <= row < len(self._rows):
                self.beginRemoveRows(QModelIndex(), row, row)
                del self._rows[row]
                self._errors = {(r - (r > row), c): e for (r, c), e in self._errors.items() if r != row}
                self.endRemoveRows()

    def errors(self) -> dict[tuple[int, int], str]:
        return dict(self._errors)

    def value(self, row: int, column: int) -> Any:
        return self._rows[row][column]

    def rows_json(self) -> list[list[Any]]:
        """The rows for the input helper: JSON values (tensor rows of one JSON column unwrapped)."""
        out = []
        for row in self._rows:
            cells = [_json_cell(v) for v in row]
            if self.layout_info.tensor_dtype is not None and len(self.columns) == 1:
                out.append(cells[0])
            else:
                out.append(cells)
        return out

    # -- Qt model API -------------------------------------------------------------------
    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self.columns)

    def flags(self, index: Index) -> Qt.ItemFlag:
        if not index.isValid():
            return Qt.ItemFlag.NoItemFlags
        base = Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
        if self.columns[index.column()].kind in ("boolean", "bool"):
            return base | Qt.ItemFlag.ItemIsUserCheckable
        return base | Qt.ItemFlag.ItemIsEditable

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        r, c = index.row(), index.column()
        if not (0 <= r < len(self._rows) and 0 <= c < len(self.columns)):
            return None
        col = self.columns[c]
        value = self._rows[r][c]
        is_bool = col.kind in ("boolean", "bool")
        if role == Qt.ItemDataRole.CheckStateRole and is_bool:
            return Qt.CheckState.Checked if value is True else Qt.CheckState.Unchecked
        if role == Qt.ItemDataRole.DisplayRole:
            if is_bool:
                return "" if value is None else ("true" if value else "false")
            return cell_text(value, col.kind)
        if role == Qt.ItemDataRole.EditRole:
            return value if col.kind == "datetime" and isinstance(value, dt.datetime) else cell_text(value, col.kind)
        if role == Qt.ItemDataRole.ToolTipRole:
            return self._errors.get((r, c)) or f"{col.name}: {col.type_text}"
        if role == Qt.ItemDataRole.BackgroundRole and (r, c) in self._errors:
            return QColor(theme.current_colors().error_bg)
        if role == Qt.ItemDataRole.ForegroundRole and value is None:
            return QColor(theme.current_colors().muted)
        return None

    def setData(self, index: Index, value: Any, role: int = Qt.ItemDataRole.EditRole) -> bool:  # noqa: N802
        if not index.isValid():
            return False
        r, c = index.row(), index.column()
        col = self.columns[c]
        if role == Qt.ItemDataRole.CheckStateRole:
            state = value.value if hasattr(value, "value") else value
            self._rows[r][c] = state == Qt.CheckState.Checked.value or value == Qt.CheckState.Checked
            self._errors.pop((r, c), None)
        elif role == Qt.ItemDataRole.EditRole:
            if isinstance(value, QDateTime):
                parsed: Any = value.toPython() if value.isValid() else None
                error = None
            else:
                parsed, error = parse_cell(value, col.kind)
            self._rows[r][c] = parsed
            if error:
                self._errors[(r, c)] = error
            else:
                self._errors.pop((r, c), None)
        else:
            return False
        self.dataChanged.emit(index, index, [role, Qt.ItemDataRole.DisplayRole])
        return True

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Vertical:
            return str(section) if role == Qt.ItemDataRole.DisplayRole else None
        if not 0 <= section < len(self.columns):
            return None
        col = self.columns[section]
        if role == Qt.ItemDataRole.DisplayRole:
            flag = "" if col.required else "?"
            return f"{col.name}{flag}\n{col.type_text}"
        if role == Qt.ItemDataRole.ToolTipRole:
            req = "required" if col.required else "optional (leave empty to send nothing)"
            return f"{col.name}: {col.type_text}, {req}"
        return None


class GridDelegate(QStyledItemDelegate):
    """An editor per column kind."""

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: Index) -> QWidget:  # noqa: N802
        model = index.model()
        kind = model.columns[index.column()].kind if isinstance(model, GridModel) else "string"
        if kind == "datetime":
            editor = QDateTimeEdit(parent)
            editor.setDisplayFormat(DATETIME_FORMAT)
            editor.setCalendarPopup(True)
            editor.setObjectName("grid-datetime-editor")
            return editor
        editor = QLineEdit(parent)
        editor.setObjectName(f"grid-{kind}-editor")
        if kind in _INT_RANGES or kind in ("integer", "long"):
            editor.setValidator(QRegularExpressionValidator(QRegularExpression(r"^\s*[-+]?\d*\s*$"), editor))
            editor.setPlaceholderText("whole number")
        elif kind in _FLOAT_TYPES:
            editor.setValidator(QRegularExpressionValidator(QRegularExpression(
                r"^\s*$|^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$|^\s*[-+]?(inf|infinity|nan)\s*$",
                QRegularExpression.PatternOption.CaseInsensitiveOption), editor))
            editor.setPlaceholderText("number")
        elif kind in _COMPOSITE:
            editor.setPlaceholderText('JSON, e.g. [1, 2] or {"a": 1}')
        elif kind == "binary":
            editor.setPlaceholderText("base64")
        return editor

    def setEditorData(self, editor: QWidget, index: Index) -> None:  # noqa: N802
        value = index.data(Qt.ItemDataRole.EditRole)
        if isinstance(editor, QDateTimeEdit):
            if isinstance(value, dt.datetime):
                editor.setDateTime(QDateTime(value))
            else:
                editor.setDateTime(QDateTime.currentDateTime())
            return
        if isinstance(editor, QLineEdit):
            editor.setText("" if value is None else str(value))
            return
        super().setEditorData(editor, index)

    def setModelData(self, editor: QWidget, model: QAbstractTableModel, index: Index) -> None:  # noqa: N802
        if isinstance(editor, QDateTimeEdit):
            model.setData(index, editor.dateTime(), Qt.ItemDataRole.EditRole)
        elif isinstance(editor, QLineEdit):
            model.setData(index, editor.text(), Qt.ItemDataRole.EditRole)
        else:
            super().setModelData(editor, model, index)


class GridEditor(QWidget):
    """The grid plus its buttons. ``rows_ready`` carries the rows to validate."""

    rows_ready = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.model = GridModel(self)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        bar = QHBoxLayout()
        self.add_button = QPushButton(icons.icon("open"), "Add row")
        self.add_button.clicked.connect(self._add_row)
        self.remove_button = QPushButton(icons.icon("close"), "Remove rows")
        self.remove_button.clicked.connect(self._remove_rows)
        self.use_button = QPushButton(icons.icon("ok"), "Use these rows")
        self.use_button.setToolTip("Check these rows against the signature (and predict them)")
        self.use_button.clicked.connect(self._use)
        self.note = muted_label("")
        bar.addWidget(self.add_button)
        bar.addWidget(self.remove_button)
        bar.addWidget(self.note, 1)
        bar.addWidget(self.use_button)
        lay.addLayout(bar)
        self.view = QTableView()
        self.view.setObjectName("grid-view")
        self.view.setModel(self.model)
        self.view.setItemDelegate(GridDelegate(self.view))
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.AllEditTriggers)
        self.view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
        self.view.horizontalHeader().setDefaultSectionSize(120)
        self.view.horizontalHeader().setStretchLastSection(False)
        compact_rows(self.view)
        lay.addWidget(self.view, 1)
        self.model.modelReset.connect(self._update)
        self.model.rowsInserted.connect(self._update)
        self.model.rowsRemoved.connect(self._update)

    def set_signature(self, signature: Any) -> None:
        self.model.set_layout(layout_for(signature))
        self._update()

    def set_rows(self, rows: list[list[Any]]) -> None:
        self.model.set_rows(rows)

    def _add_row(self) -> None:
        row = self.model.add_row()
        self.view.setCurrentIndex(self.model.index(row, 0))

    def _remove_rows(self) -> None:
        rows = {i.row() for i in self.view.selectionModel().selectedIndexes()}
        if not rows and self.view.currentIndex().isValid():
            rows = {self.view.currentIndex().row()}
        self.model.remove_rows(sorted(rows))

    def _use(self) -> None:
        if self.view.state() == QAbstractItemView.State.EditingState:
            self.view.setCurrentIndex(self.view.currentIndex())  # commit the open editor
        self.rows_ready.emit()

    def _update(self, *_args: Any) -> None:
        info = self.model.layout_info
        has_cols = bool(info.columns)
        self.add_button.setEnabled(has_cols)
        self.remove_button.setEnabled(has_cols and self.model.rowCount() > 0)
        self.use_button.setEnabled(has_cols and self.model.rowCount() > 0)
        self.note.setText(info.note)
        self.note.setVisible(bool(info.note))
