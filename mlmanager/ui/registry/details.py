"""What a registry version is, shown in the panel and on the Overview tab of an opened version:
its facts (registry, model, aliases, status, tags, description, source run or logged model) and
the run it came from (metrics, with a sparkline for metrics logged at several steps; params;
tags). The run is read in the background (:class:`RunContexts`, one request per version, kept).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRectF,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFormLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QSizePolicy,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from mlmanager.core.library.registry.entities import RunContext
from mlmanager.ui import theme
from mlmanager.ui.registry.nodes import VersionItem, format_stamp
from mlmanager.ui.tasks import TaskError, TaskManager, TaskState
from mlmanager.ui.widgets.common import Badge, compact_rows, muted_label, section_label, style_role

MAX_ROWS = 8
SPARK_WIDTH = 120
Index = QModelIndex | QPersistentModelIndex
_INVALID = QModelIndex()
SparkRole = Qt.ItemDataRole.UserRole + 40


def format_value(value: float) -> str:
    if math.isnan(value):
        return "NaN"
    if value == int(value) and abs(value) < 1e15:
        return f"{int(value)}"
    return f"{value:.6g}"


# --------------------------------------------------------------------------------------------
# the run, read in the background


def read_run_context(state: TaskState, item: VersionItem) -> RunContext | None:
    """Runs in a worker thread."""
    reader = getattr(item.branch.source, "run_context", None)
    if reader is None:
        return None
    return reader(item.version, cancel=state.is_cancelled)


def _ident(item: VersionItem) -> tuple[str, str, str]:
    return (item.branch.location, item.version.name, item.version.version)


class RunContexts(QObject):
    """Run contexts by version, read once each (a version's run does not change after it was
    registered, except for later-logged metrics: Refresh forgets them)."""

    def __init__(self, tasks: TaskManager, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._known: dict[tuple[str, str, str], tuple[RunContext | None, str | None]] = {}
        self._waiting: dict[tuple[str, str, str], list[Callable[[RunContext | None, str | None], None]]] = {}

    def forget(self, location: str | None = None) -> None:
        self._known = {k: v for k, v in self._known.items()
                       if location is not None and k[0] != location}

    def request(self, item: VersionItem,
                done: Callable[[RunContext | None, str | None], None]) -> None:
        """``done(context, error)`` now (known) or later (read in a task)."""
        ident = _ident(item)
        if ident in self._known:
            done(*self._known[ident])
            return
        waiting = self._waiting.get(ident)
        if waiting is not None:
            waiting.append(done)
            return
        self._waiting[ident] = [done]
        task = self._tasks.start(read_run_context, item, name=f"run of {item.version.name} "
                                                              f"v{item.version.version}")
        task.succeeded.connect(lambda ctx, i=ident: self._answer(i, ctx, None))
        task.failed.connect(lambda err, i=ident: self._failed(i, err))
        task.cancelled.connect(lambda i=ident: self._waiting.pop(i, None))

    def _failed(self, ident: tuple[str, str, str], err: TaskError) -> None:
        err.handled = True
        self._answer(ident, None, str(err), keep=False)

    def _answer(self, ident: tuple[str, str, str], ctx: RunContext | None, error: str | None,
                keep: bool = True) -> None:
        if keep:
            self._known[ident] = (ctx, error)
        for fn in self._waiting.pop(ident, []):
            fn(ctx, error)


# --------------------------------------------------------------------------------------------
# tables


class KeyValueModel(QAbstractTableModel):
    """Rows of (key, value[, points]) for metrics, params and tags."""

    def __init__(self, headers: tuple[str, ...], parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._headers = headers
        self._rows: list[tuple[str, str, list[tuple[int, float]] | None]] = []

    def set_rows(self, rows: list[tuple[str, str, list[tuple[int, float]] | None]]) -> None:
        self.beginResetModel()
        self._rows = rows
        self.endResetModel()

    def rowCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _INVALID) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._headers)

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if orientation == Qt.Orientation.Horizontal and role == Qt.ItemDataRole.DisplayRole:
            return self._headers[section]
        return None

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        key, value, points = self._rows[index.row()]
        col = index.column()
        if role == Qt.ItemDataRole.DisplayRole:
            if col == 0:
                return key
            if col == 1:
                return value
            return ""
        if role == Qt.ItemDataRole.ToolTipRole:
            if col == 2 and points:
                return (f"{key}: {len(points)} points, steps {points[0][0]}–{points[-1][0]}, "
                        f"min {format_value(min(p[1] for p in points))}, "
                        f"max {format_value(max(p[1] for p in points))}")
            text = key if col == 0 else value
            return text if len(text) > 30 else None
        if role == SparkRole and col == 2:
            return points
        return None


class SparklineDelegate(QStyledItemDelegate):
    """Draws a metric's history (points in ``SparkRole``) as a small line."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: Index) -> None:
        super().paint(painter, option, index)
        points = index.data(SparkRole)
        if not points or len(points) < 2:
            return
        values = [v for _s, v in points if not math.isnan(v)]
        if len(values) < 2:
            return
        lo, hi = min(values), max(values)
        span = (hi - lo) or 1.0
        rect = QRectF(option.rect).adjusted(6, 4, -6, -4)
        rect.setWidth(min(rect.width(), SPARK_WIDTH))  # a glance, not a chart
        steps = [s for s, _v in points]
        s0, s1 = min(steps), max(steps)
        width = (s1 - s0) or 1
        path = QPainterPath()
        first = True
        for step, value in points:
            if math.isnan(value):
                continue
            x = rect.left() + (step - s0) / width * rect.width()
            y = rect.bottom() - (value - lo) / span * rect.height()
            if first:
                path.moveTo(QPointF(x, y))
                first = False
            else:
                path.lineTo(QPointF(x, y))
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        painter.setPen(QPen(QColor(theme.current_colors().link), 1.4))
        painter.drawPath(path)
        painter.restore()


def make_table(model: QAbstractTableModel, name: str) -> QTableView:
    view = QTableView()
    view.setModel(model)
    view.setAccessibleName(name)
    view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
    view.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
    view.setAlternatingRowColors(True)
    view.setWordWrap(False)
    view.verticalHeader().hide()
    view.setTabKeyNavigation(False)
    compact_rows(view)
    header = view.horizontalHeader()
    header.setStretchLastSection(True)
    header.setSectionResizeMode(QHeaderView.ResizeMode.Interactive)
    view.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
    view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
    model.modelReset.connect(lambda v=view: fit_height(v))
    return view


def fit_height(view: QTableView) -> None:
    """Height for the rows (at most ``MAX_ROWS``; the rest scrolls); first column to content."""
    model = view.model()
    rows = min(model.rowCount(), MAX_ROWS)
    header = view.horizontalHeader()
    for col in range(max(1, model.columnCount() - 1)):  # the last column stretches
        view.resizeColumnToContents(col)
        header.resizeSection(col, min(max(header.sectionSize(col), 80 if col else 120), 320))
    h = header.sizeHint().height() + 2 * view.frameWidth()
    view.setFixedHeight(h + max(rows, 1) * view.verticalHeader().defaultSectionSize() + 2)


class RunContextView(QWidget):
    """The run a version came from: a title line and three small tables."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(6)
        self.title = section_label("The run it came from")
        lay.addWidget(self.title)
        self.note = muted_label()
        lay.addWidget(self.note)
        self.metrics = KeyValueModel(("Metric", "Value", "History"))
        self.params = KeyValueModel(("Param", "Value"))
        self.tags = KeyValueModel(("Tag", "Value"))
        self.metrics_view = make_table(self.metrics, "Run metrics")
        self.metrics_view.setItemDelegateForColumn(2, SparklineDelegate(self.metrics_view))
        self.params_view = make_table(self.params, "Run params")
        self.tags_view = make_table(self.tags, "Run tags")
        for view in (self.metrics_view, self.params_view, self.tags_view):
            lay.addWidget(view)
        self.show_waiting("")

    def show_waiting(self, text: str = "Reading the run…") -> None:
        self.title.setText("THE RUN IT CAME FROM")
        self.note.setText(text)
        self.note.setVisible(bool(text))
        for view in (self.metrics_view, self.params_view, self.tags_view):
            view.hide()

    def show_context(self, ctx: RunContext | None, error: str | None = None) -> None:
        if ctx is None:
            self.show_waiting(f"The run could not be read: {error}" if error else
                              "This version names no run (or its run is not in this store).")
            return
        name = ctx.name or ctx.run_id[:12]
        self.title.setText(f"THE RUN IT CAME FROM: {name.upper()}")
        status = f"{ctx.status.lower()}, " if ctx.status else ""
        self.note.setText(f"Run {ctx.run_id} ({status}experiment {ctx.experiment_id or '?'}): "
                          f"{len(ctx.metrics)} metrics, {len(ctx.params)} params, "
                          f"{len(ctx.tags)} tags")
        self.note.show()
        self.metrics.set_rows([(k, format_value(v), ctx.history.get(k))
                               for k, v in ctx.metrics.items()])
        self.params.set_rows([(k, v, None) for k, v in ctx.params.items()])
        user = [(k, v, None) for k, v in ctx.tags.items() if not k.startswith("mlflow.")]
        system = [(k, v, None) for k, v in ctx.tags.items() if k.startswith("mlflow.")]
        self.tags.set_rows(user + system)  # the user's own tags first
        for view, model in ((self.metrics_view, self.metrics), (self.params_view, self.params),
                            (self.tags_view, self.tags)):
            view.setVisible(model.rowCount() > 0)
            fit_height(view)
        if ctx.history:
            self.metrics_view.setColumnWidth(2, SPARK_WIDTH)


# --------------------------------------------------------------------------------------------
# the version's facts


class VersionDetails(QWidget):
    """Facts of a version and the run it came from (see the module docstring).

    ``link_activated(kind, value)``: ``run``/``model`` links (select it in the library) and
    ``browser`` (open the server's page)."""

    link_activated = Signal(str, str)

    def __init__(self, contexts: RunContexts, run_view: RunContextView | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.contexts = contexts
        self.item: VersionItem | None = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(8)
        self.badges_row = QHBoxLayout()
        self.badges_row.setSpacing(6)
        lay.addLayout(self.badges_row)
        self._badges: list[QWidget] = []
        columns = QHBoxLayout()
        columns.setSpacing(28)
        self.left, self.right = QFormLayout(), QFormLayout()
        for form in (self.left, self.right):
            form.setLabelAlignment(Qt.AlignmentFlag.AlignLeft)
            form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
            form.setHorizontalSpacing(14)
            form.setVerticalSpacing(5)
            columns.addLayout(form, 1)
        self.form = self.left
        lay.addLayout(columns)
        #: the run it came from: here, or where the caller put ``run_view``
        self.run = run_view if run_view is not None else RunContextView()
        if run_view is None:
            lay.addWidget(self.run)

    def _set_badges(self, badges: list[tuple[str, str, str]]) -> None:
        for b in self._badges:
            self.badges_row.removeWidget(b)
            b.hide()
            b.deleteLater()
        while self.badges_row.count():
            self.badges_row.takeAt(0)
        self._badges = []
        for text, level, tip in badges:
            badge = Badge(text, level, tip)
            self._badges.append(badge)
            self.badges_row.addWidget(badge)
        self.badges_row.addStretch(1)

    def _row(self, label: str, value: str, tip: str = "", link: bool = False) -> QLabel:
        name = QLabel(label)
        style_role(name, "muted")
        field = QLabel(value)
        field.setWordWrap(True)
        field.setToolTip(tip)
        field.setTextInteractionFlags(Qt.TextInteractionFlag.TextBrowserInteraction if link else
                                      Qt.TextInteractionFlag.TextSelectableByMouse)
        if link:
            field.setTextFormat(Qt.TextFormat.RichText)
            field.linkActivated.connect(self._on_link)
        else:
            field.setTextFormat(Qt.TextFormat.PlainText)
        self.form.addRow(name, field)
        return field

    def _on_link(self, href: str) -> None:
        kind, _, value = href.partition(":")
        self.link_activated.emit(kind, value)

    def show_item(self, item: VersionItem, *, read_run: bool = True) -> None:
        self.item = item
        v = item.version
        branch = item.branch
        badges = [(f"@{a}", "info", f"The alias @{a} points to this version") for a in v.aliases]
        if v.status != "READY":
            badges.append((v.status.replace("_", " ").lower(), "warning",
                           v.status_message or "The registry says this version is not ready"))
        if not branch.writable:
            badges.append(("read-only", "info", branch.read_only_reason))
        self._set_badges(badges)
        for form in (self.left, self.right):
            while form.rowCount():
                form.removeRow(0)
        self.form = self.left
        self._row("Registry", branch.label if branch.server else branch.location, branch.location)
        self._row("Registered model", v.name)
        self._row("Version", v.version)
        self._row("Status", v.status + (f": {v.status_message}" if v.status_message else ""))
        self._row("Registered", format_stamp(v.creation_timestamp),
                  f"Last updated {format_stamp(v.last_updated_timestamp)}")
        self.form = self.right
        self._row("Description", v.description or "—")
        self._row("Tags", ", ".join(f"{k} = {val}" for k, val in v.tags.items()) or "—")
        self._row("Source", v.source or "—", "Where the registry says the files are")
        if v.run_id:
            self._row("Run", f'<a href="run:{v.run_id}">{v.run_id}</a>',
                      "Select this run in the library (when its tracking folder is open)", link=True)
        if v.model_id:
            self._row("Logged model", f'<a href="model:{v.model_id}">{v.model_id}</a>',
                      "Select this logged model in the library (when it is listed)", link=True)
        if branch.server and (v.run_id or v.model_id):
            self._row("On the server", '<a href="browser:">Open in the MLflow web UI</a>',
                      branch.location, link=True)
        if read_run:
            self.run.show_waiting()
            self.contexts.request(item, lambda ctx, err, i=item: self._context(i, ctx, err))

    def _context(self, item: VersionItem, ctx: RunContext | None, error: str | None) -> None:
        if item is self.item:
            self.run.show_context(ctx, error)
