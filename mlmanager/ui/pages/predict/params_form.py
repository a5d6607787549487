"""A form for the inference params, built from the signature's ParamSpec, defaults filled in.

Each field keeps what was typed: a value that parses as the param's type is sent as that type,
anything else is sent as the text, so validation reports it exactly as MLflow would (``"high"``
for a double param). Params an input file carries that the signature does not declare are
kept and sent too (MLflow drops them with a warning), and listed under the form.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui.widgets.common import muted_label

DEBOUNCE_MS = 300
_INT = re.compile(r"^\s*[-+]?\d+\s*$")
_FLOAT = re.compile(r"^\s*([-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?|[-+]?(inf|infinity)|nan)\s*$", re.IGNORECASE)


def param_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and math.isfinite(value) and value == int(value) and abs(value) < 1e15:
        return repr(value)
    if isinstance(value, (list, dict)):
        return json.dumps(value)
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def parse_param(text: str, type_name: str, is_list: bool) -> tuple[Any, str | None]:
    """``(value, problem)``: the typed value, or the text itself with a note when it does not parse."""
    s = text.strip()
    if s == "":
        return None, None
    if is_list or type_name == "object":
        try:
            return json.loads(s), None
        except ValueError as exc:
            return text, f"not valid JSON ({exc.msg})"
    if type_name in ("integer", "long"):
        return (int(s), None) if _INT.match(s) else (text, "not a whole number")
    if type_name in ("float", "double"):
        return (float(s), None) if _FLOAT.match(s) else (text, "not a number")
    if type_name == "boolean":
        low = s.lower()
        if low in ("true", "false"):
            return low == "true", None
        return text, "not true/false"
    return text, None


class ParamsForm(QWidget):
    """One field per param; ``changed`` fires (debounced) when a value changes."""

    changed = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._specs: list[Any] = []
        self._fields: dict[str, QWidget] = {}
        self._notes: dict[str, QLabel] = {}
        self._extra: dict[str, Any] = {}
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.form = QFormLayout()
        self.form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        self.form.setLabelAlignment(Qt.AlignmentFlag.AlignRight)
        lay.addLayout(self.form)
        self.extra_label = muted_label("")
        self.extra_label.hide()
        lay.addWidget(self.extra_label)
        row = QHBoxLayout()
        row.addStretch(1)
        self.reset_button = QPushButton("Reset to defaults")
        self.reset_button.clicked.connect(self.reset)
        row.addWidget(self.reset_button)
        lay.addLayout(row)
        lay.addStretch(1)
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(DEBOUNCE_MS)
        self._timer.timeout.connect(self.changed)

    # -- building -------------------------------------------------------------------------
    def set_schema(self, params_schema: Any) -> None:
        """Build the fields for a ``ParamSchema`` (None: no params)."""
        while self.form.rowCount():
            self.form.removeRow(0)
        self._fields.clear()
        self._notes.clear()
        self._extra = {}
        self._specs = list(params_schema) if params_schema is not None else []
        for spec in self._specs:
            type_name = str(spec.type) if spec.type.__class__.__name__ == "ScalarType" else "object"
            is_list = spec.shape is not None
            shown_type = f"{type_name}[]" if is_list else type_name
            label = QLabel(f"{spec.name}")
            label.setToolTip(f"{spec.name}: {shown_type}, default {param_text(spec.default) or 'none'}")
            if type_name == "boolean" and not is_list:
                field: QWidget = QCheckBox(shown_type)
                field.setChecked(bool(spec.default))
                field.toggled.connect(self._edited)
            else:
                field = QLineEdit(param_text(spec.default))
                field.setPlaceholderText(f"{shown_type} (default: {param_text(spec.default) or 'none'})")
                field.textChanged.connect(self._edited)
            field.setObjectName(f"param-{spec.name}")
            field.setToolTip(label.toolTip())
            note = muted_label("")
            note.hide()
            box = QWidget()
            col = QVBoxLayout(box)
            col.setContentsMargins(0, 0, 0, 0)
            col.setSpacing(0)
            col.addWidget(field)
            col.addWidget(note)
            self.form.addRow(label, box)
            self._fields[spec.name] = field
            self._notes[spec.name] = note
        self._show_extra()
        self.reset_button.setVisible(bool(self._specs))

    @property
    def has_params(self) -> bool:
        return bool(self._specs)

    def field(self, name: str) -> QWidget | None:
        return self._fields.get(name)

    # -- values ---------------------------------------------------------------------------
    def values(self) -> dict[str, Any]:
        """Every declared param with its current value (plus undeclared ones from the input)."""
        out: dict[str, Any] = {}
        for spec in self._specs:
            field = self._fields[spec.name]
            if isinstance(field, QCheckBox):
                out[spec.name] = field.isChecked()
                continue
            type_name = str(spec.type) if spec.type.__class__.__name__ == "ScalarType" else "object"
            value, note = parse_param(field.text(), type_name, spec.shape is not None)
            if value is None and field.text().strip() == "":
                value = spec.default
            out[spec.name] = value
            label = self._notes[spec.name]
            label.setText(f"{note}: sent as text, validation will report it" if note else "")
            label.setVisible(bool(note))
        out.update({k: v for k, v in self._extra.items() if k not in out})
        return out

    def set_values(self, params: dict[str, Any] | None) -> None:
        """Show the params an input carries (missing ones go back to their defaults)."""
        params = dict(params or {})
        names = {s.name for s in self._specs}
        for spec in self._specs:
            field = self._fields[spec.name]
            value = params.get(spec.name, spec.default)
            field.blockSignals(True)
            if isinstance(field, QCheckBox):
                field.setChecked(bool(value))
            else:
                field.setText(param_text(value))
            field.blockSignals(False)
        self._extra = {k: v for k, v in params.items() if k not in names}
        self._show_extra()
        self.values()  # refresh the notes

    def reset(self) -> None:
        self.set_values({})
        self.changed.emit()

    def _show_extra(self) -> None:
        if self._extra:
            names = ", ".join(sorted(self._extra))
            self.extra_label.setText(f"Also sent, from the input: {names} (not in the signature; "
                                     "MLflow ignores them)")
        self.extra_label.setVisible(bool(self._extra))

    def _edited(self, *_args: Any) -> None:
        self.values()
        self._timer.start()
