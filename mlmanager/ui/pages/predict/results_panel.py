"""The results half of the Predict tab: the joined table, its filter, the summary and warnings."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QSizePolicy,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons
from mlmanager.ui.pages.predict.input_panel import fit_columns, make_table_view
from mlmanager.ui.pages.predict.results_model import ALL_COLUMNS, ResultsModel
from mlmanager.ui.pages.predict.summary_chart import Summary, SummaryChart
from mlmanager.ui.widgets.common import muted_label, section_label, style_role

FILTER_DEBOUNCE_MS = 250


class ResultsPanel(QWidget):
    def __init__(self, parent: QWidget | None = None, *, use_chart: bool = True) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        head = QHBoxLayout()
        self.title = QLabel("Results")
        style_role(self.title, "subheading")
        self.header = QLabel("")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        # the "ran by" line can be long: it wraps instead of widening the window
        self.header.setWordWrap(True)
        self.header.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)
        head.addWidget(self.title)
        head.addWidget(self.header, 1)
        self.filter_column = QComboBox()
        self.filter_column.setToolTip("The column the filter looks at")
        self.filter_column.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.filter_edit = QLineEdit()
        self.filter_edit.setObjectName("results-filter")
        self.filter_edit.setPlaceholderText("Filter rows: text, or > 0.5")
        self.filter_edit.setClearButtonEnabled(True)
        self.filter_edit.addAction(icons.icon("search"), QLineEdit.ActionPosition.LeadingPosition)
        self.filter_edit.setMaximumWidth(260)
        head.addWidget(self.filter_column)
        head.addWidget(self.filter_edit)
        lay.addLayout(head)
        self.note = muted_label("")
        self.note.hide()
        lay.addWidget(self.note)
        self.split = QSplitter(Qt.Orientation.Horizontal)
        self.model = ResultsModel(self)
        self.view = make_table_view("results-view")
        self.view.setModel(self.model)  # no proxy: the model sorts and filters (numpy)
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.view.horizontalHeader().setSortIndicatorShown(True)
        self.view.setSortingEnabled(True)
        self.split.addWidget(self.view)
        side = QWidget()
        side_lay = QVBoxLayout(side)
        side_lay.setContentsMargins(6, 0, 0, 0)
        side_lay.setSpacing(4)
        side_lay.addWidget(section_label("Summary"))
        self.summary = SummaryChart(use_chart=use_chart)
        side_lay.addWidget(self.summary)
        self.warnings_title = section_label("Warnings from the model")
        side_lay.addWidget(self.warnings_title)
        self.warnings = QListWidget()
        self.warnings.setObjectName("model-warnings")
        self.warnings.setWordWrap(True)
        self.warnings.setMaximumHeight(120)
        side_lay.addWidget(self.warnings)
        side_lay.addStretch(1)
        self.split.addWidget(side)
        self.split.setStretchFactor(0, 3)
        self.split.setStretchFactor(1, 2)
        lay.addWidget(self.split, 1)
        self._filter_timer = QTimer(self)
        self._filter_timer.setSingleShot(True)
        self._filter_timer.setInterval(FILTER_DEBOUNCE_MS)
        self._filter_timer.timeout.connect(self.apply_filter)
        self.filter_edit.textChanged.connect(lambda _t: self._filter_timer.start())
        self.filter_column.currentIndexChanged.connect(lambda _i: self._filter_timer.start())
        self._set_warnings([])

    @property
    def is_stale(self) -> bool:
        return not self.view.isEnabled()

    def set_stale(self, text: str) -> None:
        """Keep the last results on screen, greyed, until new ones arrive."""
        self.view.setEnabled(False)
        self.summary.setEnabled(False)
        self.warnings.setEnabled(False)
        self.header.setText(text)

    def _set_fresh(self) -> None:
        self.view.setEnabled(True)
        self.summary.setEnabled(True)
        self.warnings.setEnabled(True)

    def clear(self, drop_table: bool = False) -> None:
        """Forget the shown results. The table model keeps its rows unless ``drop_table``:
        resetting a 100,000-row view to empty and back costs ~50 ms of GUI time each way,
        replacing it by the next results costs ~2 ms (the panel is hidden meanwhile)."""
        if drop_table:
            self.model.set_results(None)
        self._set_fresh()
        self.summary.clear()
        self._set_warnings([])
        self.header.setText("")
        self.note.hide()

    def show_table(self, table: Any, prediction_columns: list[Any], *, header: str,
                   note: str | None = None, row_labels: list[int] | None = None) -> None:
        """The joined table: the first of the slices that show results (then
        ``show_table_details`` and ``show_summary``, each on its own turn of the event loop, so
        that none holds the GUI thread long on a 100,000-row table)."""
        self.view.horizontalHeader().setSortIndicator(-1, Qt.SortOrder.AscendingOrder)
        self.model.set_results(table, prediction_columns, row_labels)
        self._set_fresh()
        self.header.setText(header)
        self.note.setText(note or "")
        self.note.setVisible(bool(note))

    def show_summary(self, summaries: list[Summary], warnings: list[str]) -> None:
        self.summary.set_summaries(summaries)
        self._set_warnings(warnings)

    def show_table_details(self) -> None:
        """Filter choices and column widths of the table just shown."""
        table = self.model.frame
        self.filter_column.blockSignals(True)
        self.filter_column.clear()
        self.filter_column.addItem("All columns", ALL_COLUMNS)
        for j, name in enumerate(table.columns if table is not None else []):
            self.filter_column.addItem(str(name), j)
        if self.model.prediction_columns:
            self.filter_column.setCurrentIndex(self.model.prediction_columns[0] + 1)
        self.filter_column.blockSignals(False)
        self.filter_edit.blockSignals(True)
        self.filter_edit.clear()
        self.filter_edit.blockSignals(False)
        fit_columns(self.view)
        if self.model.prediction_columns:
            self.view.scrollTo(self.model.index(0, self.model.prediction_columns[0]))

    def _set_warnings(self, warnings: list[str]) -> None:
        self.warnings.clear()
        for text in warnings:
            item = QListWidgetItem(icons.icon("warning"), text)
            item.setToolTip(text)
            self.warnings.addItem(item)
        self.warnings_title.setVisible(bool(warnings))
        self.warnings.setVisible(bool(warnings))

    def apply_filter(self) -> None:
        column = self.filter_column.currentData()
        shown = self.model.set_filter_text(self.filter_edit.text(), ALL_COLUMNS if column is None else int(column))
        total = self.model.total_rows
        if self.model.filter_error:
            self.filter_edit.setToolTip(self.model.filter_error)
        text = self.header.text().split("  ·  shown")[0]
        if self.filter_edit.text().strip():
            text += f"  ·  shown {shown:,} of {total:,}"
        self.header.setText(text)
