"""The input half of the Predict tab: drop area, the input table, the row grid, the params form."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from PySide6.QtCore import QMimeData, Qt, Signal
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QStackedWidget,
    QTableView,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.inputs.problems import Problem
from mlmanager.ui import icons
from mlmanager.ui.pages.predict.grid_editor import GridEditor
from mlmanager.ui.pages.predict.input_model import InputModel
from mlmanager.ui.pages.predict.params_form import ParamsForm
from mlmanager.ui.turns import later
from mlmanager.ui.widgets.common import compact_rows, muted_label, style_role

INPUT_SUFFIXES = (".csv", ".json", ".parquet", ".pq")
INPUT_FILTER = "Model inputs (*.csv *.json *.parquet *.pq);;All files (*)"
SAMPLE_ROWS = 40
MAX_COLUMN_WIDTH = 260
HEADER_PRECISION = 16


def input_paths(mime: QMimeData | None) -> list[Path]:
    """Local regular files with an input suffix (CSV, JSON, Parquet) in ``mime``."""
    if mime is None or not mime.hasUrls():
        return []
    out = []
    for url in mime.urls():
        if not url.isLocalFile():
            continue
        path = Path(url.toLocalFile())
        if path.suffix.lower() in INPUT_SUFFIXES and path.is_file():
            out.append(path)
    return out


def fit_columns(view: QTableView, sample: int = SAMPLE_ROWS) -> None:
    """Column widths from the header and the first rows only (never every row)."""
    model = view.model()
    if model is None:
        return
    fm = view.fontMetrics()
    header = view.horizontalHeader()
    rows = min(sample, model.rowCount())
    # a FrameModel gives its cell text directly (no QModelIndex round trip per cell)
    cell_text = getattr(model, "cell_text", None) or (lambda r, c: model.index(r, c).data())
    for c in range(model.columnCount()):
        title = str(model.headerData(c, Qt.Orientation.Horizontal) or "")
        width = max(fm.horizontalAdvance(line) for line in title.split("\n")) + 36
        texts = {str(t) for t in (cell_text(r, c) for r in range(rows)) if t}
        if texts:  # the widest of the distinct texts (the font measures each one once)
            width = max(width, max(fm.horizontalAdvance(t) for t in texts) + 16)
        header.resizeSection(c, min(width, MAX_COLUMN_WIDTH))


def make_table_view(name: str) -> QTableView:
    view = QTableView()
    view.setObjectName(name)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.setHorizontalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
    view.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
    # size the row-number header from a few sections, not the first 1000 (Qt's default)
    view.verticalHeader().setResizeContentsPrecision(HEADER_PRECISION)
    view.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.horizontalHeader().setHighlightSections(False)
    compact_rows(view)
    return view


class DropArea(QFrame):
    """What the table area shows before there is an input."""

    open_clicked = Signal()
    example_clicked = Signal()
    rows_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("drop-area")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setFrameShadow(QFrame.Shadow.Sunken)
        lay = QVBoxLayout(self)
        lay.addStretch(1)
        title = QLabel("Drop a CSV, JSON or Parquet file here")
        style_role(title, "subheading")
        title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(title)
        hint = muted_label("It is checked against the model's signature at once; valid input is predicted "
                           "in an isolated worker process.")
        hint.setAlignment(Qt.AlignmentFlag.AlignCenter)
        lay.addWidget(hint)
        row = QHBoxLayout()
        row.addStretch(1)
        self.open_button = QPushButton(icons.icon("open"), "Open an input file…")
        self.open_button.clicked.connect(self.open_clicked)
        self.example_button = QPushButton(icons.icon("file-json"), "Use the model's input example")
        self.example_button.clicked.connect(self.example_clicked)
        self.rows_button = QPushButton(icons.icon("file-table"), "Type rows")
        self.rows_button.clicked.connect(self.rows_clicked)
        for b in (self.open_button, self.example_button, self.rows_button):
            row.addWidget(b)
        row.addStretch(1)
        lay.addLayout(row)
        lay.addStretch(1)


class InputPanel(QWidget):
    """Header line, then tabs: Table (drop area / virtual table), Edit rows, Params."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        head = QHBoxLayout()
        self.title = QLabel("Input")
        style_role(self.title, "subheading")
        self.status_icon = QLabel()
        self.status_icon.setFixedSize(16, 16)
        self.header = QLabel("")
        self.header.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        head.addWidget(self.title)
        head.addWidget(self.status_icon)
        head.addWidget(self.header, 1)
        lay.addLayout(head)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        self.stack = QStackedWidget()
        self.drop_area = DropArea()
        self.model = InputModel(self)
        self.view = make_table_view("input-view")
        self.view.setModel(self.model)
        self.stack.addWidget(self.drop_area)
        self.stack.addWidget(self.view)
        self.grid = GridEditor()
        self.params = ParamsForm()
        self.tabs.addTab(self.stack, icons.icon("file-table"), "Table")
        self.tabs.addTab(self.grid, icons.icon("file-text"), "Edit rows")
        self.params_index = self.tabs.addTab(self.params, icons.icon("flavor"), "Params")
        lay.addWidget(self.tabs, 1)
        self.set_params_visible(False)

    def set_params_visible(self, visible: bool, count: int = 0) -> None:
        self.tabs.setTabVisible(self.params_index, visible)
        self.tabs.setTabText(self.params_index, f"Params ({count})" if count else "Params")

    def show_placeholder(self, has_example: bool) -> None:
        self.model.clear()
        self.drop_area.example_button.setEnabled(has_example)
        self.drop_area.example_button.setToolTip("" if has_example else "This model has no input example")
        self.stack.setCurrentWidget(self.drop_area)
        self.header.setText("")
        self.status_icon.clear()

    def show_frame(self, frame: Any, row_labels: list[int] | None, column_types: dict[Any, str]) -> None:
        self.model.set_frame(frame, row_labels, column_types)
        self.stack.setCurrentWidget(self.view)
        self.tabs.setCurrentWidget(self.stack)
        later(lambda: fit_columns(self.view))  # after the first paint

    def set_status(self, level: str | None, text: str) -> None:
        if level is None:
            self.status_icon.clear()
        else:
            self.status_icon.setPixmap(icons.icon(level).pixmap(16, 16))
        self.header.setText(text)

    def highlight(self, problems: list[Problem]) -> None:
        self.model.set_problems(problems)

    def focus_problem(self, problem: Problem) -> bool:
        """Scroll to the problem's column (and its first offending cell); False if not shown."""
        column = self.model.column_index(problem.column) if problem.column is not None else -1
        if column < 0:
            return False
        self.tabs.setCurrentWidget(self.stack)
        row = None
        for label in problem.rows:
            row = self.model.frame_row(label)
            if row is not None:
                break
        if row is None:
            row = self.model.first_problem_cell(column) or 0
        if self.model.rowCount():
            index = self.model.index(row, column)
            self.view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
            self.view.setCurrentIndex(index)
        return True
