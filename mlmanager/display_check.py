"""Can the desktop app open a window here? Asked before Qt starts, because Qt cannot say it.

When no Qt platform plugin can start (the xcb plugin's system libraries are missing — Qt 6.5+
needs ``libxcb-cursor0`` and many fresh installs lack it — or there is no display at all, or
the X server cannot be reached), ``QApplication()`` prints "no Qt platform plugin could be
initialized" and aborts the process with SIGABRT. :func:`display_problem` finds those cases
first and returns a message naming what to install or set; the app prints it and exits.

Cheap on purpose (start-up is measured): on a working X11 desktop it loads the xcb plugin with
``ctypes`` (which Qt does a moment later anyway, so that time is moved, not added) and opens and
closes one connection to the X server with libxcb (well under a millisecond on a local display).
The ELF reading that lists *every* missing library runs only when the plugin does not load.
Only Linux is checked; other platforms and other Qt platforms (offscreen, vnc, eglfs...) pass.
Set ``MLMANAGER_SKIP_DISPLAY_CHECK=1`` to skip it. Stdlib only, no Qt.
"""

from __future__ import annotations

import os
import struct
import sys
from collections.abc import Mapping
from pathlib import Path

from mlmanager.core.errors import MlmanagerError

SKIP_ENV = "MLMANAGER_SKIP_DISPLAY_CHECK"

#: shared library -> (Debian/Ubuntu package, Fedora package)
PACKAGES: dict[str, tuple[str, str]] = {
    "libxcb-cursor.so.0": ("libxcb-cursor0", "xcb-util-cursor"),
    "libxcb-icccm.so.4": ("libxcb-icccm4", "xcb-util-wm"),
    "libxcb-keysyms.so.1": ("libxcb-keysyms1", "xcb-util-keysyms"),
    "libxcb-image.so.0": ("libxcb-image0", "xcb-util-image"),
    "libxcb-render-util.so.0": ("libxcb-render-util0", "xcb-util-renderutil"),
    "libxcb-util.so.1": ("libxcb-util1", "xcb-util"),
    "libxcb-randr.so.0": ("libxcb-randr0", "libxcb"),
    "libxcb-shape.so.0": ("libxcb-shape0", "libxcb"),
    "libxcb-shm.so.0": ("libxcb-shm0", "libxcb"),
    "libxcb-sync.so.1": ("libxcb-sync1", "libxcb"),
    "libxcb-xfixes.so.0": ("libxcb-xfixes0", "libxcb"),
    "libxcb-render.so.0": ("libxcb-render0", "libxcb"),
    "libxcb-xkb.so.1": ("libxcb-xkb1", "libxcb"),
    "libxcb-xinput.so.0": ("libxcb-xinput0", "libxcb"),
    "libxcb-glx.so.0": ("libxcb-glx0", "libxcb"),
    "libxcb.so.1": ("libxcb1", "libxcb"),
    "libX11-xcb.so.1": ("libx11-xcb1", "libX11-xcb"),
    "libX11.so.6": ("libx11-6", "libX11"),
    "libxkbcommon-x11.so.0": ("libxkbcommon-x11-0", "libxkbcommon-x11"),
    "libxkbcommon.so.0": ("libxkbcommon0", "libxkbcommon"),
    "libGL.so.1": ("libgl1", "libglvnd-glx"),
    "libEGL.so.1": ("libegl1", "libglvnd-egl"),
    "libOpenGL.so.0": ("libopengl0", "libglvnd-opengl"),
    "libfontconfig.so.1": ("libfontconfig1", "fontconfig"),
    "libfreetype.so.6": ("libfreetype6", "freetype"),
    "libglib-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libgthread-2.0.so.0": ("libglib2.0-0", "glib2"),
    "libdbus-1.so.3": ("libdbus-1-3", "dbus-libs"),
    "libwayland-client.so.0": ("libwayland-client0", "libwayland-client"),
    "libwayland-cursor.so.0": ("libwayland-cursor0", "libwayland-cursor"),
    "libwayland-egl.so.1": ("libwayland-egl1", "libwayland-egl"),
}
PLUGIN_FILES = {"xcb": "libqxcb.so", "wayland": "libqwayland.so"}
_XCB_ERRORS = {
    5: "is not a valid X display name",
    6: "names a screen the X server does not have",
}


class NoDisplayError(MlmanagerError):
    """The desktop app cannot open a window here (the message says what to install or set)."""


def require_display(environ: Mapping[str, str] | None = None) -> None:
    """Raise :class:`NoDisplayError` when :func:`display_problem` finds one."""
    problem = display_problem(environ)
    if problem:
        raise NoDisplayError(problem)


def display_problem(environ: Mapping[str, str] | None = None) -> str | None:
    """None when Qt can (as far as a cheap check can tell) open a window; else what to do."""
    env = os.environ if environ is None else environ
    if not sys.platform.startswith("linux") or env.get(SKIP_ENV):
        return None
    platforms = qt_platforms(env)
    if platforms[:1] and platforms[0] not in PLUGIN_FILES:
        return None  # offscreen, minimal, vnc, eglfs...: nothing this check knows of
    platforms_dir = plugin_dir(env)
    problems: list[str] = []
    for name in platforms:
        if name not in PLUGIN_FILES:
            return None
        if platforms_dir is None or not (platforms_dir / PLUGIN_FILES[name]).is_file():
            return None  # an unusual install: let Qt say what it finds
        found = _wayland_problems(env, platforms_dir) if name == "wayland" else _xcb_problems(env, platforms_dir)
        if not found:
            return None
        problems.extend(found)
    if not problems:
        return None
    return ("the desktop app cannot open a window here.\n" + "\n".join(f"- {p}" for p in problems)
            + "\nThe commands work without a display (`mlmanager --help`), and so does a picture "
            "of the window: `QT_QPA_PLATFORM=offscreen mlmanager MODEL --screenshot FILE.png`. "
            f"To skip this check: {SKIP_ENV}=1.")


def _xcb_problems(env: Mapping[str, str], platforms_dir: Path) -> list[str]:
    problems = []
    missing = missing_libraries(platforms_dir, "xcb")
    if missing:
        problems.append(missing_libraries_text(missing, "X11 (xcb)"))
    display = env.get("DISPLAY", "")
    if not display:
        problems.append("There is no X display: DISPLAY is not set"
                        + ("." if env.get("WAYLAND_DISPLAY") else " and there is no Wayland session.")
                        + " Start the app from a desktop session (or over `ssh -X`).")
    else:
        why = x_display_error(display)
        if why:
            problems.append(why)
    return problems


def _wayland_problems(env: Mapping[str, str], platforms_dir: Path) -> list[str]:
    socket_path = wayland_socket(env)
    if socket_path is None or not _unix_socket_answers(socket_path):
        where = socket_path or env.get("WAYLAND_DISPLAY") or "wayland-0"
        return [f"No Wayland compositor answers at {where} (WAYLAND_DISPLAY/XDG_RUNTIME_DIR)."]
    missing = missing_libraries(platforms_dir, "wayland")
    return [missing_libraries_text(missing, "Wayland")] if missing else []


def qt_platforms(env: Mapping[str, str]) -> list[str]:
    """The platform plugins Qt will try, in order (``QT_QPA_PLATFORM`` may list several;
    without it Qt tries Wayland first in a Wayland session, then xcb)."""
    explicit = env.get("QT_QPA_PLATFORM", "").strip()
    if explicit:
        return [part.split(":")[0].strip() for part in explicit.split(";") if part.strip()]
    if env.get("WAYLAND_DISPLAY") or env.get("XDG_SESSION_TYPE") == "wayland":
        return ["wayland", "xcb"]
    return ["xcb"]


def plugin_dir(env: Mapping[str, str]) -> Path | None:
    """The folder of Qt's platform plugins: ``QT_QPA_PLATFORM_PLUGIN_PATH``, else PySide6's
    own (found without importing PySide6)."""
    override = env.get("QT_QPA_PLATFORM_PLUGIN_PATH")
    if override:
        return Path(override)
    from importlib.util import find_spec

    try:
        spec = find_spec("PySide6")
    except (ImportError, ValueError):
        return None
    for base in (spec.submodule_search_locations or []) if spec is not None else []:
        candidate = Path(base) / "Qt" / "plugins" / "platforms"
        if candidate.is_dir():
            return candidate
    return None


def missing_libraries(platforms_dir: Path, name: str) -> list[str]:
    """The shared libraries the ``name`` plugin needs and this system lacks ([] when it loads)."""
    plugin = platforms_dir / PLUGIN_FILES[name]
    import ctypes  # the app imports it anyway (ui.compat); loading the plugin is Qt's next step

    try:
        ctypes.CDLL(str(plugin))
        return []
    except OSError as exc:
        first = _soname_in(str(exc))
    qt_lib = platforms_dir.parent.parent / "lib"
    try:
        needed = needed_system_libraries(plugin, qt_lib)
    except (OSError, ValueError, struct.error):
        needed = []
    missing = []
    for soname in needed:
        try:
            ctypes.CDLL(soname)
        except OSError as exc:
            missing.append(_soname_in(str(exc)) or soname)  # a library it needs may be the one missing
    if not missing and first:
        missing = [first]
    return list(dict.fromkeys(missing))


def needed_system_libraries(plugin: Path, qt_lib: Path) -> list[str]:
    """System libraries (not Qt's own, which the wheel carries) the plugin and its bundled
    platform library (``libQt6XcbQpa``/``libQt6WaylandClient``) need."""
    out: list[str] = []
    todo, seen = [plugin], set()
    while todo:
        path = todo.pop()
        if path in seen:
            continue
        seen.add(path)
        for soname in elf_needed(path):
            bundled = qt_lib / soname
            if bundled.exists():
                if "Xcb" in soname or "Wayland" in soname:
                    todo.append(bundled)
            elif soname not in out:
                out.append(soname)
    return out


def elf_needed(path: Path) -> list[str]:
    """The ``DT_NEEDED`` entries of an ELF shared object (what ``readelf -d`` lists)."""
    with open(path, "rb") as f:
        head = f.read(64)
        if head[:4] != b"\x7fELF":
            raise ValueError(f"{path} is not an ELF file")
        is64, order = head[4] == 2, "<" if head[5] == 1 else ">"
        if is64:
            (phoff,) = struct.unpack_from(order + "Q", head, 0x20)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 0x36)
        else:
            (phoff,) = struct.unpack_from(order + "I", head, 0x1C)
            phentsize, phnum = struct.unpack_from(order + "HH", head, 0x2A)
        f.seek(phoff)
        table = f.read(phentsize * phnum)
        loads: list[tuple[int, int, int]] = []
        dynamic = None
        for i in range(phnum):
            if is64:
                p_type, _, offset, vaddr, _, filesz = struct.unpack_from(order + "IIQQQQ", table, i * phentsize)
            else:
                p_type, offset, vaddr, _, filesz = struct.unpack_from(order + "IIIII", table, i * phentsize)
            if p_type == 1:  # PT_LOAD
                loads.append((vaddr, offset, filesz))
            elif p_type == 2:  # PT_DYNAMIC
                dynamic = (offset, filesz)
        if dynamic is None:
            return []
        f.seek(dynamic[0])
        entries = f.read(dynamic[1])
        size, fmt = (16, order + "qQ") if is64 else (8, order + "iI")
        needed, strtab, strsz = [], None, 0
        for off in range(0, len(entries) - size + 1, size):
            tag, value = struct.unpack_from(fmt, entries, off)
            if tag == 0:
                break
            if tag == 1:
                needed.append(value)
            elif tag == 5:
                strtab = value
            elif tag == 10:
                strsz = value
        file_offset = next((strtab - v + o for v, o, n in loads if strtab is not None and v <= strtab < v + n), None)
        if file_offset is None:
            return []
        f.seek(file_offset)
        strings = f.read(strsz)
    return [strings[i:strings.index(b"\0", i)].decode("utf-8", "replace") for i in needed]


def _soname_in(message: str) -> str | None:
    """``libxcb-icccm.so.4`` from dlopen's "libxcb-icccm.so.4: cannot open shared object file"."""
    head = message.split(":", 1)[0].strip()
    name = os.path.basename(head)
    return name if ".so" in name else None


def missing_libraries_text(missing: list[str], plugin: str = "X11 (xcb)") -> str:
    """The message naming the missing libraries and the packages that provide them."""
    debian = list(dict.fromkeys(PACKAGES[s][0] for s in missing if s in PACKAGES))
    fedora = list(dict.fromkeys(PACKAGES[s][1] for s in missing if s in PACKAGES))
    unknown = [s for s in missing if s not in PACKAGES]
    lines = [f"Qt's {plugin} platform plugin needs system libraries that are missing: "
             f"{', '.join(missing)}."]
    if debian:
        lines.append(f"  Debian/Ubuntu: sudo apt install {' '.join(debian)}")
        lines.append(f"  Fedora: sudo dnf install {' '.join(fedora)}")
    if unknown:
        lines.append("  Find the package that provides "
                     + ", ".join(unknown) + ": `apt-file search NAME` (Debian/Ubuntu) or "
                     "`dnf provides '*/NAME'` (Fedora).")
    return "\n".join(lines)


def x_display_error(display: str) -> str | None:
    """None when libxcb can connect to ``display`` (authentication included); else why not."""
    import ctypes

    try:
        xcb = ctypes.CDLL("libxcb.so.1")
    except OSError:
        return None  # reported as a missing library
    xcb.xcb_connect.restype = ctypes.c_void_p
    xcb.xcb_connect.argtypes = [ctypes.c_char_p, ctypes.c_void_p]
    xcb.xcb_connection_has_error.argtypes = [ctypes.c_void_p]
    xcb.xcb_disconnect.argtypes = [ctypes.c_void_p]
    conn = xcb.xcb_connect(display.encode(), None)
    try:
        code = xcb.xcb_connection_has_error(conn)
    finally:
        xcb.xcb_disconnect(conn)
    if code == 0:
        return None
    if code in _XCB_ERRORS:
        return f"DISPLAY={display} {_XCB_ERRORS[code]}."
    return (f"Cannot connect to the X display {display!r}: no X server answers there, or it "
            "refused this user. Check DISPLAY; with sudo or ssh, check XAUTHORITY/xauth "
            "(or use `ssh -X`).")


def wayland_socket(env: Mapping[str, str]) -> str | None:
    """The Wayland compositor's socket path, from ``WAYLAND_DISPLAY`` (default ``wayland-0``)."""
    name = env.get("WAYLAND_DISPLAY") or "wayland-0"
    if os.path.isabs(name):
        return name
    runtime = env.get("XDG_RUNTIME_DIR")
    return os.path.join(runtime, name) if runtime else None


def _unix_socket_answers(path: str) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(1.0)
            s.connect(path)
        return True
    except OSError:
        return False
