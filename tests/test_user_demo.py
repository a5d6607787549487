"""``--demo`` opens a per-user copy of the bundled demo, never the installed files (issue 16, item 6)."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from mlmanager.resources_path import demo_model_path
from mlmanager.user_demo import RECORD, data_home, fingerprint, user_demo


@pytest.fixture
def bundled(tmp_path: Path) -> Path:
    """A read-only installed demo, as in a system site-packages."""
    dest = tmp_path / "site-packages" / "iris-classifier"
    shutil.copytree(demo_model_path(), dest)
    for p in dest.rglob("*"):
        p.chmod(0o444)
    return dest


def _edit(model: Path) -> None:
    mlmodel = model / "MLmodel"
    mlmodel.write_text(mlmodel.read_text() + "# my edit\n")


def test_first_use_copies_into_the_data_folder(tmp_path: Path, bundled: Path) -> None:
    demo = user_demo(bundled, tmp_path / "data" / "demo")
    assert demo.path == tmp_path / "data" / "demo" / "iris-classifier" and demo.note is None
    assert fingerprint(demo.path) == fingerprint(bundled)
    assert all(p.stat().st_mode & stat.S_IWUSR for p in demo.path.rglob("*"))  # the user's own files
    record = json.loads((demo.path.parent / RECORD).read_text())
    assert record == {"bundled": fingerprint(bundled), "copied": fingerprint(demo.path)}
    assert sorted(p.name for p in demo.path.parent.iterdir()) == [RECORD, "iris-classifier"]  # no leftovers


def test_edits_are_kept_from_one_run_to_the_next(tmp_path: Path, bundled: Path) -> None:
    folder = tmp_path / "demo"
    first = user_demo(bundled, folder).path
    _edit(first)
    again = user_demo(bundled, folder)
    assert again.path == first and again.note is None
    assert (first / "MLmodel").read_text().endswith("# my edit\n")


def test_an_unedited_copy_follows_a_new_bundled_demo(tmp_path: Path, bundled: Path) -> None:
    folder = tmp_path / "demo"
    user_demo(bundled, folder)
    (bundled / "MLmodel").chmod(0o644)
    (bundled / "MLmodel").write_text((bundled / "MLmodel").read_text() + "# version 2\n")
    demo = user_demo(bundled, folder)
    assert demo.note is None and fingerprint(demo.path) == fingerprint(bundled)
    assert sorted(p.name for p in folder.iterdir()) == [RECORD, "iris-classifier"]


def test_an_edited_copy_is_moved_aside_never_overwritten(tmp_path: Path, bundled: Path) -> None:
    folder = tmp_path / "demo"
    copy = user_demo(bundled, folder).path
    _edit(copy)
    edited = fingerprint(copy)
    (bundled / "MLmodel").chmod(0o644)
    (bundled / "MLmodel").write_text((bundled / "MLmodel").read_text() + "# version 2\n")
    demo = user_demo(bundled, folder)
    assert demo.path == copy and fingerprint(copy) == fingerprint(bundled)
    (aside,) = [p for p in folder.iterdir() if p.name.startswith("iris-classifier.edited-")]
    assert fingerprint(aside) == edited
    assert demo.note is not None and str(aside) in demo.note
    assert user_demo(bundled, folder).note is None  # said once


def test_data_home_follows_xdg(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    if sys.platform != "linux":
        pytest.skip("XDG applies on Linux")
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert data_home() == tmp_path / "xdg" / "mlmanager"


def test_the_app_opens_the_copy_not_the_installed_demo(tmp_path: Path) -> None:
    """``mlmanager --demo`` end to end: the window's model is the copy under XDG_DATA_HOME."""
    code = (
        "import json, sys\n"
        "from mlmanager.ui.app import run\n"
        "import mlmanager.ui.main_window as mw\n"
        "seen = []\n"
        "original = mw.MainWindow.open_paths\n"
        "def spy(self, paths, *a, **k):\n"
        "    seen.extend(paths)\n"
        "    return original(self, paths, *a, **k)\n"
        "mw.MainWindow.open_paths = spy\n"
        f"rc = run([], demo=True, screenshot={str(tmp_path / 'o.png')!r})\n"
        "print(json.dumps({'rc': rc, 'opened': seen}))\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "HOME": str(tmp_path),
           "XDG_DATA_HOME": str(tmp_path / "data"), "XDG_CONFIG_HOME": str(tmp_path / "cfg")}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    copy = tmp_path / "data" / "mlmanager" / "demo" / "iris-classifier"
    assert result == {"rc": 0, "opened": [str(copy)]}
    assert fingerprint(copy) == fingerprint(demo_model_path())
