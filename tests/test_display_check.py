"""The display check before Qt starts: a message instead of Qt's SIGABRT (issue 16, item 6).

Real files and processes: the PySide6 wheel's own xcb plugin, a copy of it whose ELF names a
library no system has, unreachable X displays, a Unix socket standing in for a compositor.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from mlmanager import display_check as dc

PLATFORMS = dc.plugin_dir({})
assert PLATFORMS is not None and (PLATFORMS / "libqxcb.so").is_file(), "the PySide6 wheel has its xcb plugin"
NO_DISPLAY = {"QT_QPA_PLATFORM": "xcb", "DISPLAY": ":987"}


def _app(env_changes: dict[str, str | None], tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "HOME": str(tmp_path)}
    env.pop("WAYLAND_DISPLAY", None)
    for key, value in env_changes.items():
        if value is None:
            env.pop(key, None)
        else:
            env[key] = value
    return subprocess.run([sys.executable, "-m", "mlmanager", "--demo"], capture_output=True,
                          text=True, env=env, timeout=120)


def _plugin_needing(tmp_path: Path, fake: bytes) -> Path:
    """A copy of the xcb plugin that needs ``fake`` instead of libxcb-icccm (same length);
    ``lib`` beside it points at the wheel's Qt libraries, as in the wheel."""
    original = b"libxcb-icccm.so.4"
    assert len(fake) == len(original)
    platforms = tmp_path / "plugins" / "platforms"
    platforms.mkdir(parents=True)
    data = (PLATFORMS / "libqxcb.so").read_bytes()
    assert data.count(original + b"\0") == 1
    (platforms / "libqxcb.so").write_bytes(data.replace(original + b"\0", fake + b"\0"))
    (tmp_path / "lib").symlink_to(PLATFORMS.parent.parent / "lib")
    return platforms


def test_elf_needed_reads_what_the_dynamic_loader_reads() -> None:
    needed = dc.elf_needed(PLATFORMS / "libqxcb.so")
    assert needed[0] == "libQt6XcbQpa.so.6" and "libxcb-cursor.so.0" in needed
    if shutil.which("readelf"):
        out = subprocess.run(["readelf", "-d", str(PLATFORMS / "libqxcb.so")], capture_output=True,
                             text=True, check=True).stdout
        listed = [line.split("[")[1].rstrip("]") for line in out.splitlines() if "(NEEDED)" in line]
        assert needed == listed


def test_every_library_the_xcb_plugin_needs_has_its_packages() -> None:
    qt_lib = PLATFORMS.parent.parent / "lib"
    system = dc.needed_system_libraries(PLATFORMS / "libqxcb.so", qt_lib)
    xcb = [s for s in system if s.startswith(("libxcb", "libX", "libxkb"))]
    assert "libxcb-cursor.so.0" in xcb and "libxcb-icccm.so.4" in xcb
    assert [s for s in xcb if s not in dc.PACKAGES] == []


def test_missing_libraries_are_named_with_their_packages() -> None:
    text = dc.missing_libraries_text(["libxcb-cursor.so.0", "libxcb-icccm.so.4", "libxcb-keysyms.so.1"])
    assert "Debian/Ubuntu: sudo apt install libxcb-cursor0 libxcb-icccm4 libxcb-keysyms1" in text
    assert "Fedora: sudo dnf install xcb-util-cursor xcb-util-wm xcb-util-keysyms" in text


def test_a_plugin_whose_library_is_missing_is_caught_before_qt(tmp_path: Path) -> None:
    platforms = _plugin_needing(tmp_path, b"libxcb-zzzzz.so.4")
    env = {**NO_DISPLAY, "QT_QPA_PLATFORM_PLUGIN_PATH": str(platforms)}
    assert "libxcb-zzzzz.so.4" in dc.missing_libraries(platforms, "xcb")
    proc = _app(env, tmp_path)  # Qt itself would abort: the plugin cannot be loaded
    assert proc.returncode == 2, proc.stderr
    assert "needs system libraries that are missing: libxcb-zzzzz.so.4" in proc.stderr
    assert "apt-file search" in proc.stderr and "Traceback" not in proc.stderr


def test_unreachable_display_exits_with_a_message_not_a_signal(tmp_path: Path) -> None:
    """What the lead's pre-stop hook runs: QT_QPA_PLATFORM=xcb DISPLAY=:987 mlmanager --demo."""
    proc = _app(NO_DISPLAY, tmp_path)
    assert proc.returncode == 2, (proc.returncode, proc.stderr)
    assert proc.stderr.startswith("mlmanager: the desktop app cannot open a window here.")
    assert "Cannot connect to the X display ':987'" in proc.stderr


def test_no_display_at_all(tmp_path: Path) -> None:
    proc = _app({"QT_QPA_PLATFORM": None, "DISPLAY": None, "XDG_SESSION_TYPE": None}, tmp_path)
    assert proc.returncode == 2, proc.stderr
    assert "DISPLAY is not set and there is no Wayland session" in proc.stderr


def test_wayland_without_a_compositor_falls_back_to_x(tmp_path: Path) -> None:
    env = {"DISPLAY": ":987", "WAYLAND_DISPLAY": "wayland-77", "XDG_RUNTIME_DIR": str(tmp_path)}
    assert dc.qt_platforms(env) == ["wayland", "xcb"]
    problem = dc.display_problem(env)
    assert problem is not None
    assert f"No Wayland compositor answers at {tmp_path / 'wayland-77'}" in problem
    assert "Cannot connect to the X display ':987'" in problem


def test_a_listening_wayland_socket_counts_as_a_compositor(tmp_path: Path) -> None:
    path = tmp_path / "wayland-1"
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
        server.bind(str(path))
        server.listen(1)
        env = {"WAYLAND_DISPLAY": "wayland-1", "XDG_RUNTIME_DIR": str(tmp_path), "DISPLAY": ":987"}
        problems = dc._wayland_problems(env, PLATFORMS)
    missing = dc.missing_libraries(PLATFORMS, "wayland")
    assert problems == ([dc.missing_libraries_text(missing, "Wayland")] if missing else [])


@pytest.mark.parametrize("value, expected", [
    ("offscreen", ["offscreen"]), ("xcb", ["xcb"]), ("wayland;xcb", ["wayland", "xcb"]),
    ("offscreen:fontengine=freetype", ["offscreen"]),
])
def test_qt_platforms(value: str, expected: list[str]) -> None:
    assert dc.qt_platforms({"QT_QPA_PLATFORM": value}) == expected


def test_other_platforms_and_the_skip_switch_are_not_checked() -> None:
    assert dc.display_problem({"QT_QPA_PLATFORM": "offscreen"}) is None
    assert dc.display_problem({"QT_QPA_PLATFORM": "xcb;offscreen", "DISPLAY": ":987"}) is None
    assert dc.display_problem({**NO_DISPLAY, dc.SKIP_ENV: "1"}) is None
