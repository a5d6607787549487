"""Python interpreters on this machine: pyenv's, uv's, the system's and the ones the user names.

``uv python find`` alone is not enough: uv does not look into pyenv's versions folder, and a
pyenv shim on PATH (``~/.pyenv/shims/python3.10``) fails when that version is not the active
one. So pyenv's ``versions/*/bin/python`` are read directly, shims are skipped, and every
interpreter is asked for its own version (except pyenv's, whose folder names it).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

PROBE_TIMEOUT = 15.0
MINORS = range(6, 16)  # python3.6 ... python3.15 on PATH
_VERSION_RE = re.compile(r"^(\d+)\.(\d+)\.(\d+)$")
_PROBE = "import sys; print('%d.%d.%d %s' % (sys.version_info[:3] + (sys.implementation.name,)))"


@dataclass(frozen=True)
class Interpreter:
    """A Python interpreter: its executable, full version and where it was found."""

    executable: str
    version: str  # "3.10.13"
    source: str  # "pyenv", "uv", "system", "given", "uv-installed"
    implementation: str = "cpython"

    @property
    def minor(self) -> tuple[int, int]:
        major, minor = self.version.split(".")[:2]
        return int(major), int(minor)

    @property
    def minor_text(self) -> str:
        return f"{self.minor[0]}.{self.minor[1]}"

    def to_dict(self) -> dict[str, str]:
        return {"executable": self.executable, "version": self.version, "source": self.source,
                "implementation": self.implementation}


def version_tuple(version: str) -> tuple[int, ...]:
    """``"3.10.12"`` -> ``(3, 10, 12)``; text after the numbers is ignored (``3.13.0rc1``)."""
    out = []
    for part in version.split("."):
        m = re.match(r"\d+", part)
        if not m:
            break
        out.append(int(m.group(0)))
    return tuple(out)


def _is_shim(path: str) -> bool:
    return os.path.basename(os.path.dirname(path)) == "shims"


def probe_interpreters(executables: Iterable[str], source: str) -> list[Interpreter]:
    """Ask each executable for its version (in parallel); the ones that do not answer are left out."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTHON")}
    running: list[tuple[str, subprocess.Popen[bytes]]] = []
    for exe in executables:
        try:
            running.append((exe, subprocess.Popen(  # noqa: S603 - an interpreter, -I, our probe
                [exe, "-I", "-c", _PROBE], stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                stderr=subprocess.DEVNULL, env=env)))
        except OSError:
            continue
    found = []
    for exe, popen in running:
        try:
            out, _ = popen.communicate(timeout=PROBE_TIMEOUT)
        except subprocess.TimeoutExpired:
            popen.kill()
            popen.communicate()
            continue
        parts = out.decode("utf-8", "replace").split()
        if popen.returncode == 0 and len(parts) == 2 and _VERSION_RE.match(parts[0]):
            found.append(Interpreter(exe, parts[0], source, parts[1]))
    return found


def _pyenv_interpreters() -> list[Interpreter]:
    root = Path(os.environ.get("PYENV_ROOT") or Path.home() / ".pyenv")
    versions = root / "versions"
    if not versions.is_dir():
        return []
    named: list[Interpreter] = []
    unnamed: list[str] = []
    for entry in sorted(versions.iterdir()):
        exe = entry / "bin" / "python"
        if not exe.exists():
            exe = entry / "bin" / "python3"
        if not exe.exists() or entry.is_symlink():  # pyenv-virtualenv links its envs here
            continue
        if _VERSION_RE.match(entry.name):
            named.append(Interpreter(str(exe), entry.name, "pyenv"))
        else:
            unnamed.append(str(exe))
    return named + probe_interpreters(unnamed, "pyenv")


def _uv_interpreters(uv: str | None) -> list[Interpreter]:
    if not uv:
        return []
    # without pyenv's shims on PATH: uv would run each (slow, and failing for inactive versions)
    env = dict(os.environ, PATH=os.pathsep.join(_path_folders()))
    try:
        proc = subprocess.run(  # noqa: S603 - uv, listing only installed interpreters
            [uv, "python", "list", "--only-installed", "--output-format", "json",
             "--no-python-downloads"],
            capture_output=True, timeout=PROBE_TIMEOUT, stdin=subprocess.DEVNULL, check=False,
            env=env)
        items = json.loads(proc.stdout.decode("utf-8", "replace") or "[]")
    except (OSError, subprocess.TimeoutExpired, ValueError):
        return []
    found = []
    for item in items if isinstance(items, list) else []:
        try:
            path, version = str(item["path"]), str(item["version"])
            impl = str(item.get("implementation") or "cpython")
        except (KeyError, TypeError):
            continue
        if _is_shim(path) or not _VERSION_RE.match(version) or not os.path.exists(path):
            continue
        found.append(Interpreter(path, version, "uv", impl))
    return found


def _path_folders() -> list[str]:
    """PATH without pyenv's shim folders."""
    return [f for f in os.environ.get("PATH", "").split(os.pathsep)
            if f and os.path.basename(f.rstrip("/")) != "shims"]


def _path_executables() -> list[str]:
    names = ["python3"] + [f"python3.{m}" for m in MINORS]
    found = []
    for folder in _path_folders():
        for name in names:
            path = os.path.join(folder, name)
            if os.path.isfile(path) and os.access(path, os.X_OK):
                found.append(path)
    return found


_LOCK = threading.Lock()
_FOUND: dict[tuple[str | None, str, str], list[Interpreter]] = {}


def find_interpreters(
    uv: str | None = None, extra: Sequence[str] = (), *, refresh: bool = False
) -> list[Interpreter]:
    """Every CPython 3 interpreter found (one per real executable), newest first.

    ``extra``: executables the user named (they come first and keep source "given"). Results
    are remembered for this process; ``refresh`` looks again.
    """
    cache_key = (uv, os.environ.get("PATH", ""), os.environ.get("PYENV_ROOT", ""))
    with _LOCK:
        if refresh or cache_key not in _FOUND:
            found = _pyenv_interpreters() + _uv_interpreters(uv)
            found += probe_interpreters(_path_executables(), "system")
            _FOUND[cache_key] = found
        found = list(_FOUND[cache_key])
    given = probe_interpreters([os.path.abspath(e) for e in extra], "given")
    seen: set[str] = set()
    out: list[Interpreter] = []
    for interp in given + sorted(found, key=lambda i: version_tuple(i.version), reverse=True):
        real = os.path.realpath(interp.executable)
        if real in seen or interp.implementation != "cpython" or interp.minor[0] != 3:
            continue
        seen.add(real)
        out.append(interp)
    return out
