"""Dragging a registry version out of the library to another application, on a real X server:
``xdotool`` presses the mouse on the version's row and moves it onto a window of another process
(``xdnd_target.py``), so Qt's own XDND code hands over what the version's drag carries.

Runs only with ``QT_QPA_PLATFORM=xcb`` and an X display (``.ci/desktop-tests`` runs it under Xvfb).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from registry_support import open_local_store, registered, row_center

UI_DIR = Path(__file__).resolve().parent

pytestmark = [
    pytest.mark.skipif(
        os.environ.get("QT_QPA_PLATFORM") != "xcb" or not os.environ.get("DISPLAY"),
        reason="needs a real X server: QT_QPA_PLATFORM=xcb DISPLAY=:N (.ci/run runs it under Xvfb)"),
    pytest.mark.skipif(shutil.which("xdotool") is None,
                       reason="xdotool drives the drag (.ci/desktop-tests installs it)"),
]


def _drag_to_other_app(qtbot, window, node) -> list[dict]:
    """Press on ``node``'s row, drag onto xdnd_target.py's window; its events."""
    window.move(0, 0)
    window.resize(800, 600)
    qtbot.waitExposed(window)
    tree = window.library_panel.tree
    start = tree.viewport().mapToGlobal(row_center(window, node))
    target = subprocess.Popen([sys.executable, str(UI_DIR / "xdnd_target.py"), "900", "100"],
                              stdout=subprocess.PIPE, text=True)
    try:
        assert json.loads(target.stdout.readline()) == {"event": "ready"}
        x, y = start.x(), start.y()
        subprocess.run(["xdotool", "mousemove", str(x), str(y), "mousedown", "1",
                        "mousemove", str(x + 20), str(y + 4), "mousemove", str(x + 60), str(y + 8),
                        "mousemove", "1000", "200", "mousemove", "1010", "210"], check=True, timeout=30)
        # the drag runs in Qt's nested loop here; the target releases the button once it accepted
        qtbot.waitUntil(lambda: target.poll() is not None, timeout=120_000)
        return [json.loads(line) for line in target.stdout.read().splitlines()]
    finally:
        if target.poll() is None:
            target.kill()
        target.wait()


def test_drag_a_registry_version_out_to_another_application(qtbot, window, tmp_path: Path) -> None:
    branch = open_local_store(qtbot, window, tmp_path / "mlruns")
    houses = registered(window, branch)["house-prices"]
    v2 = next(c for c in houses.children if c.payload.version.version == "2")
    events = _drag_to_other_app(qtbot, window, v2)
    assert events[0]["event"] == "enter" and "text/uri-list" in events[0]["formats"]
    drop = events[-1]
    assert drop["event"] == "drop" and drop["action"] == "copy"
    (carried,) = [Path(p) for p in drop["paths"]]
    # the store keeps the version's files in a folder named "artifacts": the drop gets a zip
    # named after the version, holding that folder's files
    assert carried.name == "house-prices-v2.zip"
    with zipfile.ZipFile(carried) as zf:
        assert "house-prices-v2/MLmodel" in zf.namelist()


def test_drag_a_server_version_out_downloads_it_for_the_drop(qtbot, window, mlflow_server,
                                                            client_env) -> None:
    """A version still on the server: the drop asks for the files, the drag downloads them (the
    window keeps painting) and hands over the local copy's folder."""
    from registry_support import listed, prefix

    from mlmanager.core.remote.auth import ServerAuth
    from mlmanager.core.remote.registry import ServerRegistry

    model = Path(__file__).resolve().parents[1] / "corpus" / "mlflow-models" / "iris_logreg_colspec"
    name = f"{prefix()}iris"
    ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(model, name)
    window.open_paths([mlflow_server.url])
    branch = window.registry.branches.for_location(mlflow_server.url)
    window.library_panel.filter.setText(f"name = '{name}'")
    window.library_panel.apply_filter()
    listed(qtbot, window, branch)
    (version,) = registered(window, branch)[name].children
    assert version.payload.path is None
    events = _drag_to_other_app(qtbot, window, version)
    drop = events[-1]
    assert drop["event"] == "drop"
    (carried,) = [Path(p) for p in drop["paths"]]
    assert carried.is_relative_to(client_env.parent / "copies") and (carried / "MLmodel").is_file()
    assert sorted(p.name for p in carried.iterdir()) == sorted(p.name for p in model.iterdir())
