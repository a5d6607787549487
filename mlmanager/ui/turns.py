"""Run GUI work on a later turn of the event loop, one slice at a time.

``QTimer.singleShot(0, fn)`` is a posted event: Qt delivers it together with the other posted
events of the same turn (paints, layout requests, other zero-timers), so two 40 ms slices
queued that way still hold the GUI thread for 80 ms. A 1 ms timer goes through the timer
queue instead: overdue timers, input and paint are served between the slices. The benchmarks'
stall job (``benchmarks/bench_gui.py``) measures the difference.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QTimer

LATER_MS = 1


def later(fn: Callable[[], object], ms: int = LATER_MS) -> None:
    """Call ``fn`` on a later turn of the event loop (after pending input and paints)."""
    QTimer.singleShot(ms, fn)
