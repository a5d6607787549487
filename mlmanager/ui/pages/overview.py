"""Overview: what the model is, where it came from, its signature at a glance, its problems."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from PySide6 import QtGui
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QTableView,
    QTextEdit,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.model import badges as model_badges
from mlmanager.core.sizes import format_size
from mlmanager.ui import theme
from mlmanager.ui.models.tables import RowsModel, params_rows, schema_rows
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.widgets.common import (
    Badge,
    CodeView,
    compact_rows,
    format_created,
    muted_label,
    section_label,
    style_role,
    value_label,
)

if TYPE_CHECKING:
    from mlmanager.ui.store import ModelEntry

MAX_TABLE_ROWS = 8
_LIBRARIES = {"sklearn": "scikit-learn", "xgb": "XGBoost", "lgb": "LightGBM", "keras": "Keras",
              "pytorch": "PyTorch", "onnx": "ONNX", "transformers": "Transformers",
              "cloudpickle": "cloudpickle", "tensorflow": "TensorFlow", "catboost": "CatBoost"}


def _error_line(message: str) -> int | None:
    """The 1-based line a YAML error names ("... line 5, column 12"), if any."""
    m = re.search(r"\bline (\d+)", message)
    return int(m.group(1)) if m else None


def mark_line(view: QPlainTextEdit, line: int) -> None:
    """Highlight one line of a read-only text view (the line an error points at) and show it."""
    block = view.document().findBlockByLineNumber(line - 1)
    if not block.isValid():
        return
    selection = QTextEdit.ExtraSelection()
    selection.format.setBackground(QColor(theme.current_colors().error_bg))
    # QtGui.X, not imported by name: naming a Qt class makes PySide build its enums, and
    # QTextFormat's and QTextCursor's (~10, one of ~100 members) are only needed here
    selection.format.setProperty(QtGui.QTextFormat.Property.FullWidthSelection, True)
    cursor = QtGui.QTextCursor(block)
    selection.cursor = cursor
    view.setExtraSelections([selection])
    view.setTextCursor(cursor)
    view.centerCursor()


def _version_label(key: str) -> str:
    lib = key[: -len("_version")]
    return _LIBRARIES.get(lib, lib.replace("_", " "))


class CompactTable(QTableView):
    """A small read-only table whose height follows its rows (up to ``MAX_TABLE_ROWS``)."""

    def __init__(self, model: RowsModel, stretch_column: int = 1, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stretch = stretch_column
        self.setModel(model)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setAlternatingRowColors(True)
        self.verticalHeader().hide()
        self.horizontalHeader().setStretchLastSection(True)
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        compact_rows(self)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAsNeeded)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setTabKeyNavigation(False)
        model.modelReset.connect(self._fit)
        self._fit()

    def _fit(self) -> None:
        header = self.horizontalHeader()
        for col in range(self.model().columnCount()):
            header.setSectionResizeMode(col, QHeaderView.ResizeMode.ResizeToContents)
        if self.model().columnCount() > self._stretch:
            header.setSectionResizeMode(self._stretch, QHeaderView.ResizeMode.Stretch)
        rows = min(self.model().rowCount(), MAX_TABLE_ROWS)
        h = self.horizontalHeader().sizeHint().height() + 2 * self.frameWidth()
        row_h = self.verticalHeader().defaultSectionSize()
        self.setFixedHeight(h + max(rows, 1) * row_h + 2)


class _SignatureBox(QWidget):
    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        grid.setHorizontalSpacing(10)
        self.inputs_title = QLabel()
        style_role(self.inputs_title, "subheading")
        self.outputs_title = QLabel()
        style_role(self.outputs_title, "subheading")
        self.inputs = RowsModel()
        self.outputs = RowsModel()
        self.params = RowsModel()
        self.inputs_view = CompactTable(self.inputs)
        self.inputs_view.setAccessibleName("Signature inputs")
        self.outputs_view = CompactTable(self.outputs)
        self.outputs_view.setAccessibleName("Signature outputs")
        arrow = QLabel("→")
        style_role(arrow, "heading")
        arrow.setAlignment(Qt.AlignmentFlag.AlignCenter)
        grid.addWidget(self.inputs_title, 0, 0)
        grid.addWidget(self.outputs_title, 0, 2)
        grid.addWidget(self.inputs_view, 1, 0, Qt.AlignmentFlag.AlignTop)
        grid.addWidget(arrow, 1, 1, Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(self.outputs_view, 1, 2, Qt.AlignmentFlag.AlignTop)
        grid.setColumnStretch(0, 3)
        grid.setColumnStretch(2, 2)
        self.params_title = QLabel("Params")
        style_role(self.params_title, "subheading")
        self.params_view = CompactTable(self.params, stretch_column=2)
        self.params_view.setAccessibleName("Signature params")
        grid.addWidget(self.params_title, 2, 0)
        grid.addWidget(self.params_view, 3, 0, 1, 3)

    def show_signature(self, sig: object) -> None:
        for title, model, schema, label in (
            (self.inputs_title, self.inputs, getattr(sig, "inputs", None), "Inputs"),
            (self.outputs_title, self.outputs, getattr(sig, "outputs", None), "Outputs"),
        ):
            headers, rows = schema_rows(schema)
            model.set_rows(headers, rows)
            if schema is None:
                title.setText(f"{label}: none")
            else:
                what = "tensor" if schema.is_tensor else "column"
                title.setText(f"{label}: {len(rows)} {what}{'s' if len(rows) != 1 else ''}")
        params = getattr(sig, "params", None)
        headers, rows = params_rows(params)
        self.params.set_rows(headers, rows)
        self.params_title.setVisible(bool(rows))
        self.params_view.setVisible(bool(rows))


class OverviewPage(ModelPage):
    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(ctx, parent)
        outer = QVBoxLayout(self)
        outer.setContentsMargins(0, 0, 0, 0)
        self.scroll = QScrollArea()
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QFrame.Shape.NoFrame)
        outer.addWidget(self.scroll)
        body = QWidget()
        self.scroll.setWidget(body)
        self.lay = QVBoxLayout(body)
        self.lay.setContentsMargins(16, 12, 16, 16)
        self.lay.setSpacing(10)

        self.badges_row = QHBoxLayout()
        self.badges_row.setSpacing(6)
        self.lay.addLayout(self.badges_row)
        self.badges: list[Badge] = []
        self.registry_section: QWidget | None = None  # an opened registry version's facts

        # error panel (broken models)
        self.error_box = QWidget()
        ebox = QVBoxLayout(self.error_box)
        ebox.setContentsMargins(0, 0, 0, 0)
        self.error_hint = muted_label()
        self.error_details_btn = QPushButton("Show technical details")
        self.error_details_btn.setCheckable(True)
        self.error_details = CodeView()
        self.error_details.setMaximumHeight(160)
        self.error_details.hide()
        self.error_details_btn.toggled.connect(self.error_details.setVisible)
        self.raw_title = section_label("What could still be read: MLmodel as text")
        self.raw_text = CodeView()
        self.raw_text.setAccessibleName("Raw MLmodel text")
        self.raw_text.setMinimumHeight(220)
        self.files_note = muted_label()
        ebox.addWidget(self.error_hint)
        ebox.addWidget(self.error_details_btn, 0, Qt.AlignmentFlag.AlignLeft)
        ebox.addWidget(self.error_details)
        ebox.addWidget(self.raw_title)
        ebox.addWidget(self.raw_text, 1)
        ebox.addWidget(self.files_note)
        self.lay.addWidget(self.error_box)

        # facts
        self.facts_box = QWidget()
        fl = QVBoxLayout(self.facts_box)
        fl.setContentsMargins(0, 0, 0, 0)
        fl.setSpacing(8)
        columns = QHBoxLayout()
        columns.setSpacing(28)
        self.model_form = QFormLayout()
        self.source_form = QFormLayout()
        for form in (self.model_form, self.source_form):
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setHorizontalSpacing(14)
            form.setVerticalSpacing(6)
        left = QVBoxLayout()
        left.setSpacing(6)
        left.addWidget(section_label("Model"))
        left.addLayout(self.model_form)
        left.addStretch(1)
        right = QVBoxLayout()
        right.setSpacing(6)
        right.addWidget(section_label("Where it came from"))
        right.addLayout(self.source_form)
        right.addStretch(1)
        columns.addLayout(left, 1)
        columns.addLayout(right, 1)
        fl.addLayout(columns)
        fl.addWidget(section_label("Signature"))
        self.no_signature = muted_label()
        fl.addWidget(self.no_signature)
        self.signature = _SignatureBox()
        fl.addWidget(self.signature)
        self.lay.addWidget(self.facts_box)
        self.lay.addStretch(1)

    # ------------------------------------------------------------------------------------------

    def _set_badges(self, infos: list[model_badges.BadgeInfo]) -> None:
        for b in self.badges:
            self.badges_row.removeWidget(b)
            b.hide()  # until deleteLater runs it would still paint, at a stale size
            b.deleteLater()
        while self.badges_row.count():
            self.badges_row.takeAt(0)
        self.badges = []
        for info in infos:
            badge = Badge(info.text, info.level, info.tooltip)
            badge.setObjectName(f"badge-{info.key}")
            self.badges.append(badge)
            self.badges_row.addWidget(badge)
        self.badges_row.addStretch(1)

    @staticmethod
    def _fill(form: QFormLayout, rows: list[tuple[str, str, str]]) -> None:
        while form.rowCount():
            form.removeRow(0)
        for label, value, tip in rows:
            name = QLabel(label)
            style_role(name, "muted")
            form.addRow(name, value_label(value, tip))

    def show_entry(self, entry: ModelEntry | None) -> None:
        self.entry = entry
        if entry is None:
            return
        self._show_registry(entry)
        doc = entry.doc
        if doc is None:
            self._show_broken(entry)
            return
        self.error_box.hide()
        self.facts_box.show()
        self._set_badges(model_badges.badges(doc))
        self._fill(self.model_form, self._model_rows(entry))
        self._fill(self.source_form, model_badges.source_facts(doc, entry.info))
        sig = doc.signature
        if sig is None:
            self.signature.hide()
            self.no_signature.show()
            self.no_signature.setText(
                f"The signature cannot be read: {doc.signature_error}" if doc.signature_error else
                "No signature. MLflow will not check inputs for this model.")
        else:
            self.no_signature.hide()
            self.signature.show()
            self.signature.show_signature(sig)

    def _show_registry(self, entry: ModelEntry) -> None:
        """A registry version (opened from the library) shows where it came from and its run."""
        registry = self.ctx.registry
        if entry.info.get("registry") is None or registry is None:
            if self.registry_section is not None:
                self.registry_section.hide()
            return
        if self.registry_section is None:
            self.registry_section = registry.overview_section(self)
            self.lay.insertWidget(1, self.registry_section)
            self.lay.insertWidget(self.lay.count() - 1, self.registry_section.run_view)
        self.registry_section.show()
        self.registry_section.show_entry(entry)

    def _model_rows(self, entry: ModelEntry) -> list[tuple[str, str, str]]:
        doc = entry.doc
        rows: list[tuple[str, str, str]] = []
        names = doc.flavor_names
        loader = doc.loader_module
        rows.append(("Flavors", " · ".join(names) if names else "none",
                     f"python_function loader: {loader}" if loader else "No python_function flavor"))
        created, tip = format_created(doc.utc_time_created)
        rows.append(("Created", created, tip))
        rows.append(("MLflow version", str(doc.mlflow_version or "unknown"),
                     "The MLflow version that wrote this MLmodel"))
        if doc.python_version:
            rows.append(("Python", str(doc.python_version), "Python version of the process that saved it"))
        for name in doc.flavor_names:
            cfg = doc.flavor(name) or {}
            for key, value in cfg.items():
                if key.endswith("_version") and key not in ("python_version",) and value:
                    rows.append((_version_label(key), str(value), f"flavors.{name}.{key}"))
        fmt, model_file = model_badges.serialization(doc)
        rows.append(("Serialization", f"{fmt or 'unknown'}" + (f"  ({model_file})" if model_file else ""),
                     "How the model object is stored on disk"))
        arts = entry.artifacts or []
        on_disk = sum(a.size for a in arts)
        size = format_size(on_disk) + f" in {len(arts)} file{'s' if len(arts) != 1 else ''}"
        if isinstance(doc.model_size_bytes, int):
            size += f"  (MLmodel says {format_size(doc.model_size_bytes)})"
        rows.append(("Size", size, "Total size of the files in the model folder"))
        info = doc.saved_input_example_info
        if info:
            rows.append(("Input example", f"{info.get('artifact_path')} ({info.get('type')})",
                         "saved_input_example_info"))
        meta = doc.metadata
        if isinstance(meta, dict) and meta:
            shown = ", ".join(f"{k}: {v}" for k, v in list(meta.items())[:4])
            if len(meta) > 4:
                shown += f", … ({len(meta) - 4} more)"
            rows.append(("Metadata", shown, "User metadata (see the MLmodel tab for all of it)"))
        if doc.model_uuid:
            rows.append(("Model UUID", str(doc.model_uuid), ""))
        return rows

    def _show_broken(self, entry: ModelEntry) -> None:
        self.facts_box.hide()
        self.error_box.show()
        err = entry.error
        if entry.state.value == "missing":
            self._set_badges([model_badges.BadgeInfo("missing", "warning", "Folder missing",
                                              f"{entry.path} no longer exists")])
            self.error_hint.setText("The folder was moved or deleted. mlmanager watches for it "
                                    "and reloads the model if it comes back.")
        elif err is not None:
            self._set_badges([model_badges.BadgeInfo("error", "error", err.title, err.message)])
            self.error_hint.setText(err.hint or err.message)
        else:
            self._set_badges([])
            self.error_hint.setText("Loading…")
        has_details = bool(err and err.details)
        self.error_details_btn.setVisible(has_details)
        self.error_details.setPlainText(err.details if err and err.details else "")
        if not has_details:
            self.error_details_btn.setChecked(False)
        raw = entry.raw_text
        self.raw_title.setVisible(raw is not None)
        self.raw_text.setVisible(raw is not None)
        if raw is not None:
            suffix = "\n… (truncated)" if entry.raw_truncated else ""
            self.raw_text.setPlainText(raw + suffix)
            line = _error_line(err.message if err is not None else "")
            if line is not None:
                mark_line(self.raw_text, line)
        if entry.artifacts is not None:
            n = len(entry.artifacts)
            self.files_note.setText(f"The folder holds {n} file{'s' if n != 1 else ''}: see the "
                                    "Artifacts tab.")
        elif entry.artifacts_error:
            self.files_note.setText(f"The files cannot be listed: {entry.artifacts_error}")
        else:
            self.files_note.setText("")
        self.files_note.setVisible(bool(self.files_note.text()))

