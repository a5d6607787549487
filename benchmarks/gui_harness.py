"""Runs the real desktop app in this process and reports one measurement as a JSON line.

Used by jobs 1, 6 and 7 (one fresh process per measurement)::

    python -m benchmarks.gui_harness startup MODEL      # exit once the window showing MODEL settled
    python -m benchmarks.gui_harness first-paint MODEL  # exit at the first paint with MODEL ready
    python -m benchmarks.gui_harness bare               # a minimal PySide6 window, same exit
    python -m benchmarks.gui_harness open-many LISTFILE # open every folder listed; peak RSS
    python -m benchmarks.gui_harness scan-stall ROOT    # 10 ms heartbeat: idle, then scanning ROOT

The app starts the way users start it (``mlmanager.cli.entry``, so ``run()`` in
``mlmanager/ui/app.py``); the harness only wraps ``app._make_app`` to install its event
filter or timer on the QApplication that ``run()`` creates. Measurements end with
``os._exit(0)`` right after the JSON line, for the bare window too, so neither side pays for
tear-down. Run it with ``QT_QPA_PLATFORM=offscreen`` and a throw-away ``XDG_CONFIG_HOME``.
"""

from __future__ import annotations

import time

T0 = time.perf_counter()

import json  # noqa: E402
import os  # noqa: E402
import resource  # noqa: E402
import statistics  # noqa: E402
import sys  # noqa: E402

HEAVY = ("pandas", "numpy", "sklearn", "scipy", "pyarrow", "mlflow", "requests", "keyring")
HEARTBEAT_MS = 10
TAIL_S = 0.5  # keep beating after the scan finished: the first model opens then
IDLE_S = 2.0  # beat this long with nothing to do first: the floor the machine's load adds
TIMEOUT_S = 300.0


def _peak_rss() -> int:
    """This process's peak RSS in bytes (VmHWM; ru_maxrss as a fallback)."""
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _finish(payload: dict) -> None:
    payload["peak_rss"] = _peak_rss()
    payload["heavy_imported"] = [m for m in HEAVY if m in sys.modules]
    sys.stdout.write(json.dumps(payload) + "\n")
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(0)


def _fail(message: str) -> None:
    sys.stderr.write(f"gui_harness: {message}\n")
    sys.stderr.flush()
    os._exit(3)


def _hook_app(on_app) -> None:
    """Call ``on_app(app)`` as soon as ``run()`` has created the QApplication."""
    from mlmanager.ui import app as app_mod

    original = app_mod._make_app

    def make(offscreen: bool):
        app = original(offscreen)
        on_app(app)
        return app

    app_mod._make_app = make


def _main_window(app):
    from mlmanager.ui.main_window import MainWindow

    for w in app.topLevelWidgets():
        if isinstance(w, MainWindow):
            return w
    return None


def _all_loaded(window) -> bool:
    entries = window.store.entries()
    return bool(entries) and all(e.state.value != "loading" for e in entries)


def _guard(app) -> None:
    from PySide6.QtCore import QTimer

    QTimer.singleShot(int(TIMEOUT_S * 1000), lambda: _fail(f"no result after {TIMEOUT_S:.0f} s"))


# ----------------------------------------------------------------------------------- modes


def startup(model: str) -> None:
    """Exit once the window showing the model has settled, as ``--screenshot`` waits for (the
    model loaded, no background task left, still so one event-loop turn later: the rule of
    ``ui/screenshot.py``), and the window has been painted in that state (``repaint()``, where
    ``--screenshot`` grabs it).

    No application-wide event filter: handing every event of the app to Python makes PySide6
    look up each new event class's type, which created ~150 Python enums and cost ~30 ms of
    CPU in the app's run (less in the bare window's), so it measured the harness."""
    from mlmanager.cli import main  # the command line first, as ``mlmanager MODEL`` runs

    state: dict = {}

    def check() -> None:
        window = state.get("window")
        if window is not None and _all_loaded(window) and not window.is_busy():
            QTimer.singleShot(0, confirm)

    def confirm() -> None:
        window = state["window"]
        if _all_loaded(window) and not window.is_busy():
            window.repaint()
            states = sorted({e.state.value for e in window.store.entries()})
            _finish({"t_in_process": time.perf_counter() - T0, "states": states})

    def attach() -> None:  # the first event-loop turn: run() has made the window and opened the model
        window = _main_window(state["app"])
        if window is None:
            _fail("no main window")
        state["window"] = window
        window.settled.connect(check)
        check()

    def on_app(app) -> None:
        state["app"] = app
        QTimer.singleShot(0, attach)
        _guard(app)

    _hook_app(on_app)  # imports the app's modules in their own order (PySide6 comes with them)
    from PySide6.QtCore import QTimer

    main([model])
    _fail("the app exited before it settled with the model loaded")


def first_paint(model: str) -> None:
    """Exit at the first paint of the window after the model is loaded (state READY)."""
    from PySide6.QtCore import QEvent, QObject

    class PaintWatch(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                top = obj.window() if hasattr(obj, "window") else None
                window = _main_window(self.parent())
                if window is not None and top is window and _all_loaded(window):
                    states = sorted({e.state.value for e in window.store.entries()})
                    _finish({"t_in_process": time.perf_counter() - T0, "states": states})
            return False

    def on_app(app) -> None:
        app.installEventFilter(PaintWatch(app))
        _guard(app)

    _hook_app(on_app)
    from mlmanager.cli import main

    main([model])
    _fail("the app exited before painting the loaded model")


def bare() -> None:
    """The lower bound: a minimal PySide6 window that shows and quits at its first paint."""
    from PySide6.QtCore import QEvent, QObject
    from PySide6.QtWidgets import QApplication, QLabel, QMainWindow

    class PaintWatch(QObject):
        def eventFilter(self, obj, event) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint:
                _finish({"t_in_process": time.perf_counter() - T0})
            return False

    app = QApplication([sys.argv[0]])
    window = QMainWindow()
    window.installEventFilter(PaintWatch(window))  # the window's own events only (see startup)
    window.setCentralWidget(QLabel("hello"))
    window.resize(1280, 800)
    window.show()
    app.exec()
    _fail("the bare window exited before painting")


def open_many(list_file: str) -> None:
    """Open every model folder listed (one a line); report peak RSS once all have loaded."""
    from PySide6.QtCore import QTimer

    with open(list_file, encoding="utf-8") as fh:
        paths = [ln.strip() for ln in fh if ln.strip()]
    state: dict = {}

    def poll() -> None:
        window = _main_window(state["app"])
        if window is None or not _all_loaded(window) or window.is_busy():
            return
        entries = window.store.entries()
        _finish({"t_in_process": time.perf_counter() - T0, "models": len(entries),
                 "ready": sum(e.state.value == "ready" for e in entries)})

    def on_app(app) -> None:
        state["app"] = app
        timer = QTimer(app)
        timer.timeout.connect(poll)
        timer.start(50)
        state["timer"] = timer
        _guard(app)

    _hook_app(on_app)
    from mlmanager.cli import main

    main(paths)
    _fail("the app exited before every model loaded")


def scan_stall(root: str) -> None:
    """Beat every 10 ms in the GUI thread while the library scans ``root``; report the gaps."""
    from PySide6.QtCore import Qt, QTimer

    st: dict = {"beats": [], "cpu": [], "idle_start": None, "scan_start": None, "scan_end": None, "models": None}

    def beat() -> None:
        now = time.perf_counter()
        st["beats"].append(now)
        st["cpu"].append(time.thread_time())
        if st["idle_start"] is None and len(st["beats"]) == 5:
            st["idle_start"] = now  # the idle baseline: the same heartbeat, nothing to do
        elif st["scan_start"] is None and st["idle_start"] is not None and now - st["idle_start"] >= IDLE_S:
            window = _main_window(st["app"])
            if window is None:
                _fail("no main window")
            window.scans.finished.connect(on_finished)
            st["window"] = window
            st["scan_start"] = time.perf_counter()
            window.open_tracking(root)
        elif st["scan_end"] is not None and now - st["scan_end"] >= TAIL_S:
            report()

    def on_finished(_root: str, outcome: object) -> None:
        st["scan_end"] = time.perf_counter()
        st["models"] = getattr(outcome, "models", None)

    def report() -> None:
        idle = [b for b in st["beats"] if st["idle_start"] <= b <= st["scan_start"]]
        idle_gaps = [b - a for a, b in zip(idle, idle[1:])]
        first = next(i for i, b in enumerate(st["beats"]) if b >= st["scan_start"])
        beats, cpu = st["beats"][first:], st["cpu"][first:]
        gaps = [b - a for a, b in zip(beats, beats[1:])]
        if not gaps:
            _fail("no heartbeat during the scan")
        q = statistics.quantiles(gaps, n=100) if len(gaps) >= 2 else gaps
        _finish({"scan_s": st["scan_end"] - st["scan_start"], "models": st["models"],
                 "beats": len(gaps), "max_gap": max(gaps), "p99_gap": q[98] if len(q) > 98 else max(gaps),
                 "median_gap": statistics.median(gaps),
                 "gaps_over_100ms": sum(g > 0.1 for g in gaps),
                 "idle_max_gap": max(idle_gaps, default=float("nan")),
                 # gaps over 50 ms: [end (s after the scan started), gap, GUI-thread CPU in
                 # the gap]; CPU well under the gap means the thread waited (GIL or the OS)
                 "long_gaps": [[round(beats[i + 1] - st["scan_start"], 3), round(g, 3),
                                round(cpu[i + 1] - cpu[i], 3)]
                               for i, g in enumerate(gaps) if g > 0.05]})

    def on_app(app) -> None:
        st["app"] = app
        timer = QTimer(app)
        timer.setTimerType(Qt.TimerType.PreciseTimer)
        timer.timeout.connect(beat)
        timer.start(HEARTBEAT_MS)
        st["timer"] = timer
        _guard(app)

    _hook_app(on_app)
    from mlmanager.cli import main

    main([])
    _fail("the app exited before the scan finished")


MODES = {"startup": startup, "first-paint": first_paint, "bare": bare, "open-many": open_many, "scan-stall": scan_stall}

if __name__ == "__main__":
    mode, *rest = sys.argv[1:] or ["?"]
    if mode not in MODES:
        _fail(f"usage: gui_harness {{{','.join(MODES)}}} [ARG]")
    MODES[mode](*rest)
