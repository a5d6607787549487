"""Cell editors: the model says which one a cell needs (``EDITOR_ROLE``), the delegate makes it.

* ``text``: a line edit (names);
* ``type:column`` / ``type:param``: a combo with the 8 data types (+ array/object/map/any for
  columns; + object for params), each with a tooltip;
* ``dtype``: an editable combo of numpy dtype names; ``shape``: a line edit for ``[-1, 4]``;
* ``pshape``: scalar or list;
* ``default:<type>``: fit for the param type: a checkbox (boolean), spin boxes (integer,
  float, double), a line edit for long (64-bit), text, a date-time editor (datetime), and
  JSON text for lists and objects.

Choices made in a combo or checkbox are committed at once; the model validates every value
(MLflow's rules) and refuses what cannot be saved, with the reason on the status bar.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from typing import Any

from PySide6.QtCore import (
    QDateTime,
    QModelIndex,
    QPersistentModelIndex,
    QRegularExpression,
    QSize,
    Qt,
)
from PySide6.QtGui import QRegularExpressionValidator
from PySide6.QtWidgets import (
    QAbstractItemDelegate,
    QCheckBox,
    QComboBox,
    QDateTimeEdit,
    QDoubleSpinBox,
    QLineEdit,
    QSpinBox,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QWidget,
)

from mlmanager.core.signature.schema import TENSOR_DTYPES
from mlmanager.core.signature.type_paths import COLUMN_KINDS, KIND_TIPS, PARAM_KINDS
from mlmanager.ui.pages.signature.base_model import EDITOR_ROLE
from mlmanager.ui.pages.signature.params_model import format_default

INT32 = (-(2**31), 2**31 - 1)
DATETIME_FORMAT = "yyyy-MM-dd HH:mm:ss"
AnyIndex = QModelIndex | QPersistentModelIndex


class FloatSpinBox(QDoubleSpinBox):
    """A double spin box that shows ``0.5`` rather than ``0.500000000000``."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setDecimals(12)
        self.setRange(-1e300, 1e300)
        self.setSingleStep(0.1)

    def textFromValue(self, value: float) -> str:  # noqa: N802
        return f"{value:.12g}"

    def valueFromText(self, text: str) -> float:  # noqa: N802
        try:
            return float(text.replace(self.locale().groupSeparator(), ""))
        except ValueError:
            return self.value()

    def validate(self, text: str, pos: int) -> object:
        from PySide6.QtGui import QValidator

        stripped = text.strip()
        if stripped in ("", "-", "+", ".", "-.", "+."):
            return QValidator.State.Intermediate, text, pos
        try:
            float(stripped)
        except ValueError:
            if stripped.lower().endswith(("e", "e-", "e+")):
                return QValidator.State.Intermediate, text, pos
            return QValidator.State.Invalid, text, pos
        return QValidator.State.Acceptable, text, pos


def _combo(items: tuple[str, ...], current: str, tips: dict[str, str] | None = None,
           parent: QWidget | None = None) -> QComboBox:
    box = QComboBox(parent)
    for i, item in enumerate(items):
        box.addItem(item)
        if tips and item in tips:
            box.setItemData(i, tips[item], Qt.ItemDataRole.ToolTipRole)
    if current in items:
        box.setCurrentIndex(items.index(current))
    return box


class SignatureDelegate(QStyledItemDelegate):
    """One delegate for the three editors' views; see the module docstring."""

    ROW_PADDING = 10  # px over the text height: room for the combo box and spin box editors

    def sizeHint(self, option: QStyleOptionViewItem, index: AnyIndex) -> QSize:  # noqa: N802
        size = super().sizeHint(option, index)
        return QSize(size.width(), max(size.height(), option.fontMetrics.height() + self.ROW_PADDING))

    def createEditor(self, parent: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> QWidget:  # noqa: N802
        kind = index.data(EDITOR_ROLE) or "text"
        editor: QWidget
        if kind == "type:column":
            editor = _combo(COLUMN_KINDS, "", KIND_TIPS, parent)
            editor.insertSeparator(8)
        elif kind == "type:param":
            editor = _combo(PARAM_KINDS, "", KIND_TIPS, parent)
        elif kind == "pshape":
            editor = _combo(("scalar", "list"), "", None, parent)
            editor.setItemData(1, "A 1-D list of values (shape [-1])", Qt.ItemDataRole.ToolTipRole)
        elif kind == "dtype":
            editor = _combo(TENSOR_DTYPES, "", None, parent)
            editor.setEditable(True)
            editor.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        elif kind == "shape":
            editor = QLineEdit(parent)
            editor.setPlaceholderText("-1, 4")
            editor.setValidator(QRegularExpressionValidator(
                QRegularExpression(r"^\s*\[?[-\d\s,]*\]?\s*$"), editor))
        elif kind == "default:boolean":
            editor = QCheckBox("true", parent)
            editor.setAutoFillBackground(True)
            editor.toggled.connect(lambda on, e=editor: e.setText("true" if on else "false"))
        elif kind == "default:integer":
            editor = QSpinBox(parent)
            editor.setRange(*INT32)
        elif kind in ("default:float", "default:double"):
            editor = FloatSpinBox(parent)
        elif kind == "default:long":
            editor = QLineEdit(parent)
            editor.setValidator(QRegularExpressionValidator(QRegularExpression(r"^-?\d{0,19}$"), editor))
        elif kind == "default:datetime":
            editor = QDateTimeEdit(parent)
            editor.setDisplayFormat(DATETIME_FORMAT)
            editor.setCalendarPopup(True)
        elif kind == "default:json":
            editor = QLineEdit(parent)
            editor.setPlaceholderText('JSON, e.g. [1, 2] or {"k": "v"}')
        else:
            editor = QLineEdit(parent)
        if isinstance(editor, QComboBox) and not editor.isEditable():
            editor.activated.connect(lambda _i, e=editor: self._commit(e))
        if isinstance(editor, QCheckBox):
            editor.clicked.connect(lambda _c=False, e=editor: self._commit(e))
        editor.setProperty("editor_kind", kind)
        return editor

    def _commit(self, editor: QWidget) -> None:
        self.commitData.emit(editor)
        self.closeEditor.emit(editor, QAbstractItemDelegate.EndEditHint.NoHint)

    def setEditorData(self, editor: QWidget, index: AnyIndex) -> None:  # noqa: N802
        value = index.data(Qt.ItemDataRole.EditRole)
        kind = editor.property("editor_kind") or "text"
        if isinstance(editor, QComboBox):
            text = "" if value is None else str(value)
            i = editor.findText(text)
            if i >= 0:
                editor.setCurrentIndex(i)
            elif editor.isEditable():
                editor.setEditText(text)
        elif isinstance(editor, QCheckBox):
            editor.setChecked(bool(value))
            editor.setText("true" if value else "false")
        elif isinstance(editor, QSpinBox):
            editor.setValue(int(value) if isinstance(value, int) and INT32[0] <= value <= INT32[1] else 0)
        elif isinstance(editor, QDoubleSpinBox):
            editor.setValue(float(value) if isinstance(value, (int, float)) else 0.0)
        elif isinstance(editor, QDateTimeEdit):
            editor.setDateTime(_to_qdatetime(value))
        elif isinstance(editor, QLineEdit):
            if kind == "default:json":
                editor.setText(format_default(value) if value is not None else "null")
            else:
                editor.setText("" if value is None else str(value))

    def setModelData(self, editor: QWidget, model: Any, index: AnyIndex) -> None:  # noqa: N802
        kind = editor.property("editor_kind") or "text"
        value: Any
        if isinstance(editor, QComboBox):
            value = editor.currentText()
        elif isinstance(editor, QCheckBox):
            value = editor.isChecked()
        elif isinstance(editor, QSpinBox):
            value = editor.value()
        elif isinstance(editor, QDoubleSpinBox):
            value = float(editor.value())
        elif isinstance(editor, QDateTimeEdit):
            value = editor.dateTime().toString("yyyy-MM-ddTHH:mm:ss")
        elif isinstance(editor, QLineEdit):
            value = editor.text()
            if kind == "default:long":
                with contextlib.suppress(ValueError):  # else the model reports it
                    value = int(value)
        else:  # pragma: no cover - every editor is handled above
            return
        model.setData(index, value, Qt.ItemDataRole.EditRole)

    def updateEditorGeometry(self, editor: QWidget, option: QStyleOptionViewItem, index: AnyIndex) -> None:  # noqa: N802
        rect = option.rect
        hint = editor.sizeHint()
        if rect.height() < hint.height():
            rect.setHeight(hint.height())
        editor.setGeometry(rect)


def _to_qdatetime(value: Any) -> QDateTime:
    if isinstance(value, str) and value:
        text = value.strip()
        parsed = QDateTime.fromString(text, Qt.DateFormat.ISODate)
        if not parsed.isValid() and len(text) == 10:
            parsed = QDateTime.fromString(text + "T00:00:00", Qt.DateFormat.ISODate)
        if parsed.isValid():
            return parsed
    now = dt.datetime.now().replace(hour=0, minute=0, second=0, microsecond=0)
    return QDateTime.fromString(now.isoformat(), Qt.DateFormat.ISODate)
