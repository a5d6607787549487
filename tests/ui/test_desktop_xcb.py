"""The app on a real X server (Xvfb), not offscreen: start-up, and a real drag out of the library.

Runs only with ``QT_QPA_PLATFORM=xcb`` and an X display: ``.ci/run`` starts Xvfb, installs what
it needs (xvfb, xdotool, the xcb libraries) and runs this file with the drag-and-drop tests::

    QT_QPA_PLATFORM=xcb DISPLAY=:N pytest tests/ui/test_dnd.py tests/ui/test_desktop_xcb.py

The drag out is driven through the X server: ``xdotool`` (XTEST) presses the mouse on the model
in the library and moves it onto a window of another process (``xdnd_target.py``), so Qt's own
XDND code carries the model's URL to another application, as a file manager would get it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from PySide6.QtGui import QGuiApplication, QImage

from mlmanager.display_check import display_problem

UI_DIR = Path(__file__).resolve().parent
REPO = UI_DIR.parents[1]

pytestmark = pytest.mark.skipif(
    os.environ.get("QT_QPA_PLATFORM") != "xcb" or not os.environ.get("DISPLAY"),
    reason="needs a real X server: QT_QPA_PLATFORM=xcb DISPLAY=:N (.ci/run runs it under Xvfb)",
)


def test_runs_on_xcb(qapp) -> None:
    assert QGuiApplication.platformName() == "xcb"
    assert display_problem() is None  # the check lets a working display through


def test_app_starts_on_x_and_renders(tmp_path: Path) -> None:
    """The whole app, as a user starts it (display check, window, demo model), on X11."""
    out = tmp_path / "window.png"
    env = {**os.environ, "HOME": str(tmp_path / "home"), "XDG_CONFIG_HOME": str(tmp_path / "config"),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CACHE_HOME": str(tmp_path / "cache")}
    proc = subprocess.run([sys.executable, "-m", "mlmanager", "--demo", "--screenshot", str(out)],
                          capture_output=True, text=True, env=env, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    image = QImage(str(out))
    assert not image.isNull() and image.width() >= 800 and image.height() >= 500


def test_unreachable_display_exits_with_a_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != "WAYLAND_DISPLAY"}
    env.update(QT_QPA_PLATFORM="xcb", DISPLAY=":987", HOME=str(tmp_path))
    proc = subprocess.run([sys.executable, "-m", "mlmanager", "--demo"], capture_output=True,
                          text=True, env=env, timeout=120)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert "Cannot connect to the X display ':987'" in proc.stderr


@pytest.mark.skipif(shutil.which("xdotool") is None, reason="xdotool drives the drag (.ci/run installs it)")
def test_drag_a_model_out_of_the_library_to_another_application(qtbot, window, tmp_model: Path) -> None:
    window.move(0, 0)
    window.resize(800, 600)
    window.open_paths([str(tmp_model)])
    qtbot.waitUntil(lambda: not window.is_busy() and window.view.entry is not None, timeout=30_000)
    qtbot.waitExposed(window)
    tree = window.library_panel.tree
    index = tree.model().index_for_key(window.view.entry.key)
    assert index.isValid()
    tree.scrollTo(index)
    start = tree.viewport().mapToGlobal(tree.visualRect(index).center())

    target = subprocess.Popen([sys.executable, str(UI_DIR / "xdnd_target.py"), "900", "100"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(target.stdout.readline()) == {"event": "ready"}
        x, y = start.x(), start.y()
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "mousedown", "1",
                        "mousemove", str(x + 20), str(y + 4), "mousemove", str(x + 60), str(y + 8),
                        "mousemove", "1000", "200", "mousemove", "1010", "210"], check=True, timeout=30)
        # the drag runs in Qt's nested loop here; the target releases the button once it accepted
        qtbot.waitUntil(lambda: target.poll() is not None, timeout=60_000)
        events = [json.loads(line) for line in target.stdout.read().splitlines()]
    finally:
        if target.poll() is None:
            target.kill()
        target.wait()
    assert events[0]["event"] == "enter" and "text/uri-list" in events[0]["formats"]
    assert events[-1] == {"event": "drop", "paths": [str(tmp_model)], "action": "copy"}
