"""The collector around start-up: paused by the app module, frozen and resumed by the first window."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
import textwrap

from mlmanager.ui import start_up_heap


def test_a_window_resumes_collection_after_the_app_module_paused_it(tmp_path) -> None:
    # a fresh process: this one's collector state is pytest's
    code = textwrap.dedent("""
        import gc, json
        import mlmanager.ui.app  # pauses collection
        paused = not gc.isenabled()
        from PySide6.QtWidgets import QApplication
        from mlmanager.ui.main_window import MainWindow
        from mlmanager.ui.settings import Settings
        app = QApplication([])
        frozen_before = gc.get_freeze_count()
        window = MainWindow(Settings(read_only=True))
        print(json.dumps({"paused": paused, "enabled": gc.isenabled(),
                          "frozen": gc.get_freeze_count() - frozen_before}))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                         env={**os.environ, "QT_QPA_PLATFORM": "offscreen",
                              "XDG_CONFIG_HOME": str(tmp_path)}, check=True)
    got = json.loads(out.stdout.strip().splitlines()[-1])
    assert got["paused"] is True
    assert got["enabled"] is True
    assert got["frozen"] > 10_000  # start-up's container objects: classes, dicts, wrappers


def test_settle_resumes_only_what_pause_stopped(monkeypatch) -> None:
    monkeypatch.setattr(start_up_heap, "_paused", False)
    monkeypatch.setattr(start_up_heap, "_frozen", True)  # never freeze pytest's heap
    assert gc.isenabled()
    try:
        gc.disable()  # somebody else's choice: settle must not undo it
        start_up_heap.settle()
        assert not gc.isenabled()
    finally:
        gc.enable()
    start_up_heap.pause()  # after the freeze: start-up is over, nothing to pause
    assert gc.isenabled()
