"""A summary of the predictions: class counts or the distribution, with a small chart.

The chart uses pyqtgraph, imported lazily on a background thread (its import costs ~2 s,
mostly building Python enums, which would freeze the GUI). Until it is there, or when it is
not installed, the summary is text with small bars drawn from block characters.
"""

from __future__ import annotations

import math
import sys
import threading
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QVBoxLayout, QWidget

from mlmanager.ui import theme
from mlmanager.ui.pages.predict.input_model import format_value
from mlmanager.ui.widgets.common import SELECTABLE, monospace_font, muted_label

MAX_CLASSES = 20
BINS = 20
CHART_HEIGHT = 150


@dataclass
class Summary:
    """What one prediction column looks like."""

    column: str
    kind: str  # classes | distribution | empty | other
    count: int = 0
    missing: int = 0
    labels: list[str] = field(default_factory=list)  # classes, most frequent first
    counts: list[int] = field(default_factory=list)
    other: int = 0  # rows in classes beyond MAX_CLASSES
    edges: list[float] = field(default_factory=list)  # distribution
    hist: list[int] = field(default_factory=list)
    stats: dict[str, float] = field(default_factory=dict)

    def text(self, bars: bool = True) -> str:
        n = f"{self.count:,} prediction{'s' if self.count != 1 else ''}"
        lines: list[str] = []
        if self.kind == "classes":
            k = len(self.labels) + (1 if self.other else 0)
            lines.append(f"{k} class{'es' if k != 1 else ''} in {n}")
            top = max(self.counts, default=1) or 1
            width = max((len(lb) for lb in self.labels), default=0)
            for label, c in zip(self.labels, self.counts):
                pct = 100.0 * c / self.count if self.count else 0.0
                bar = ("  " + _bar(c / top)) if bars else ""
                lines.append(f"{label.ljust(width)}  {c:>9,}  {pct:5.1f} %{bar}")
            if self.other:
                lines.append(f"{'(others)'.ljust(width)}  {self.other:>9,}")
        elif self.kind == "distribution":
            s = self.stats
            lines.append(f"Distribution of {n}")
            lines.append(f"min {_num(s['min'])}   median {_num(s['median'])}   max {_num(s['max'])}")
            lines.append(f"mean {_num(s['mean'])}   std {_num(s['std'])}")
        elif self.kind == "empty":
            lines.append("No predictions")
        else:
            lines.append(f"{n} (values that cannot be counted or binned)")
        if self.missing:
            lines.append(f"missing (NaN/None): {self.missing:,}")
        return "\n".join(lines)


def _bar(fraction: float, width: int = 20) -> str:
    blocks = " ▏▎▍▌▋▊▉█"
    units = max(0.0, min(1.0, fraction)) * width * 8
    full, rest = divmod(int(round(units)), 8)
    return "█" * full + (blocks[rest] if rest else "")


def _num(v: float) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:.6g}"


def summarize(series: Any, max_classes: int = MAX_CLASSES) -> Summary:
    """Class counts for labels (and small sets of whole numbers), a histogram for numbers."""
    import numpy as np
    import pandas as pd

    name = str(series.name)
    n = int(len(series))
    if n == 0:
        return Summary(name, "empty")
    try:
        missing_mask = series.isna().to_numpy(dtype=bool)
    except (TypeError, ValueError):
        missing_mask = np.zeros(n, dtype=bool)
    missing = int(missing_mask.sum())
    present = series[~missing_mask]
    dtype = series.dtype
    numeric = pd.api.types.is_numeric_dtype(dtype) and not pd.api.types.is_bool_dtype(dtype)
    if numeric:
        values = present.to_numpy(dtype="float64")
        integral = bool(len(values)) and bool(np.all(np.isfinite(values))) and bool(np.all(values == np.round(values)))
        uniques = np.unique(values) if len(values) <= 5_000_000 else values[:0]
        if integral and 0 < len(uniques) <= max_classes or (0 < len(uniques) <= 2):
            return _classes(name, present, n, missing, max_classes)
        finite = values[np.isfinite(values)]
        if not len(finite):
            return Summary(name, "other", count=n, missing=missing)
        hist, edges = np.histogram(finite, bins=BINS)
        stats = {"min": float(finite.min()), "max": float(finite.max()), "mean": float(finite.mean()),
                 "median": float(np.median(finite)), "std": float(finite.std())}
        return Summary(name, "distribution", count=n, missing=missing, edges=edges.tolist(),
                       hist=hist.tolist(), stats=stats)
    try:
        return _classes(name, present, n, missing, max_classes)
    except TypeError:  # unhashable values (lists, dicts)
        return Summary(name, "other", count=n, missing=missing)


def _classes(name: str, present: Any, n: int, missing: int, max_classes: int) -> Summary:
    counts = present.value_counts(sort=True, dropna=True)
    top = counts.iloc[:max_classes]
    labels = [format_value(v.item() if hasattr(v, "item") else v, 60) for v in top.index]
    return Summary(name, "classes", count=n, missing=missing, labels=labels,
                   counts=[int(c) for c in top.to_numpy()],
                   other=int(counts.iloc[max_classes:].sum()) if len(counts) > max_classes else 0)


# ---------------------------------------------------------------------------------------------
# Lazy pyqtgraph


class _ChartLib(QObject):
    ready = Signal()

    def __init__(self) -> None:
        super().__init__()
        self.module: Any = None
        self.failed = False
        self._started = False
        self._lock = threading.Lock()

    def start(self) -> None:
        """Import pyqtgraph once, on the GUI thread, right after the current event.

        Not on a worker thread: pyqtgraph touches Qt while it is imported, and doing that off
        the GUI thread crashed the process (seen as a segfault in CI).
        """
        with self._lock:
            if self._started:
                return
            self._started = True
        if "pyqtgraph" in sys.modules:
            self.module = sys.modules["pyqtgraph"]
            return
        QTimer.singleShot(0, self._load)

    def _load(self) -> None:
        try:
            import pyqtgraph

            self.module = pyqtgraph
        except Exception:  # noqa: BLE001 - missing or broken: the text summary stays
            self.failed = True
            return
        self.ready.emit()


_LIB: _ChartLib | None = None


def chart_lib() -> _ChartLib:
    global _LIB
    if _LIB is None:
        _LIB = _ChartLib()
    return _LIB


class SummaryChart(QWidget):
    """Text summary of one prediction column plus a bar chart (when pyqtgraph is there)."""

    def __init__(self, parent: QWidget | None = None, *, use_chart: bool = True) -> None:
        super().__init__(parent)
        self._summaries: list[Summary] = []
        self._use_chart = use_chart
        self._plot: Any = None
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        row = QHBoxLayout()
        self.column_label = muted_label("Column")
        self.column_label.setWordWrap(False)
        self.column_combo = QComboBox()
        self.column_combo.currentIndexChanged.connect(self._show_current)
        row.addWidget(self.column_label)
        row.addWidget(self.column_combo, 1)
        lay.addLayout(row)
        self.text = QLabel()
        self.text.setTextInteractionFlags(SELECTABLE)
        self.text.setAlignment(Qt.AlignmentFlag.AlignTop | Qt.AlignmentFlag.AlignLeft)

        self.text.setFont(monospace_font())
        lay.addWidget(self.text)
        self.chart_box = QVBoxLayout()
        self.chart_box.setContentsMargins(0, 0, 0, 0)
        lay.addLayout(self.chart_box)
        lay.addStretch(1)
        self._set_combo_visible(False)
        if use_chart:
            lib = chart_lib()
            lib.ready.connect(self._on_lib_ready)
            lib.start()

    def _set_combo_visible(self, visible: bool) -> None:
        self.column_label.setVisible(visible)
        self.column_combo.setVisible(visible)

    @property
    def has_chart(self) -> bool:
        return self._plot is not None and self._plot.isVisible()

    def summaries(self) -> list[Summary]:
        return list(self._summaries)

    def current(self) -> Summary | None:
        i = self.column_combo.currentIndex()
        return self._summaries[i] if 0 <= i < len(self._summaries) else None

    def set_summaries(self, summaries: list[Summary]) -> None:
        self._summaries = list(summaries)
        self.column_combo.blockSignals(True)
        self.column_combo.clear()
        self.column_combo.addItems([s.column for s in summaries])
        self.column_combo.blockSignals(False)
        self._set_combo_visible(len(summaries) > 1)
        self._show_current()

    def clear(self) -> None:
        self.set_summaries([])

    def _on_lib_ready(self) -> None:
        if self._use_chart and chart_lib().module is not None:
            # built now, hidden, while the tab waits for input: building a PlotWidget costs
            # ~30 ms, which the first results would otherwise add to their own turn
            self._ensure_plot(chart_lib().module).hide()
        self._show_current()

    def _ensure_plot(self, pg: Any) -> Any:
        if self._plot is None:
            self._plot = pg.PlotWidget()
            self._plot.setFixedHeight(CHART_HEIGHT)
            self._plot.setMenuEnabled(False)
            self._plot.setMouseEnabled(x=False, y=False)
            self._plot.hideButtons()
            self._plot.setObjectName("summary-plot")
            self.chart_box.addWidget(self._plot)
        return self._plot

    def _show_current(self) -> None:
        s = self.current()
        lib = chart_lib()
        can_chart = self._use_chart and lib.module is not None
        if s is None:
            self.text.setText("")
            if self._plot is not None:
                self._plot.hide()
            return
        self.text.setText(s.text(bars=not can_chart))
        if can_chart and s.kind in ("classes", "distribution"):
            self._draw(s, lib.module)
        elif self._plot is not None:
            self._plot.hide()

    def _draw(self, s: Summary, pg: Any) -> None:
        c = theme.current_colors()
        plot = self._ensure_plot(pg)
        plot.setBackground(c.base)
        plot.clear()
        brush = pg.mkBrush(c.highlight)
        pen = pg.mkPen(c.highlight)
        for side in ("left", "bottom"):
            axis = plot.getAxis(side)
            axis.setPen(pg.mkPen(c.border))
            axis.setTextPen(pg.mkPen(c.muted))
        top = max(s.counts if s.kind == "classes" else s.hist, default=1)
        plot.getAxis("left").setTickSpacing(major=max(1, math.ceil(top / 4)), minor=max(1, math.ceil(top / 4)))
        if s.kind == "classes":
            xs = list(range(len(s.counts)))
            plot.addItem(pg.BarGraphItem(x=xs, height=s.counts, width=0.7, brush=brush, pen=pen))
            ticks = [(i, label if len(label) <= 12 else label[:11] + "…") for i, label in zip(xs, s.labels)]
            plot.getAxis("bottom").setTicks([ticks])
        else:
            edges = s.edges
            centers = [(a + b) / 2 for a, b in zip(edges[:-1], edges[1:])]
            width = (edges[1] - edges[0]) * 0.95 if len(edges) > 1 else 1.0
            plot.addItem(pg.BarGraphItem(x=centers, height=s.hist, width=width, brush=brush, pen=pen))
            plot.getAxis("bottom").setTicks(None)
        plot.show()
