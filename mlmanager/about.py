"""Versions for Help ▸ About and bug reports: mlmanager, Python, Qt, the data libraries and
the interpreter that runs predictions. ``python -m mlmanager.about [--json]`` prints them.

Pure Python and cheap: versions come from ``*.dist-info`` names
(:func:`mlmanager.core.environments.requirements.installed_version`), never by importing pandas or
scikit-learn; Qt's version is read only when Qt is already loaded (the GUI). Asking another
worker interpreter starts it (up to ``timeout`` seconds): call that off the GUI thread.
"""

from __future__ import annotations

import json
import os
import platform
import sys
from typing import Any

from mlmanager import __version__
from mlmanager.core.environments.requirements import installed_version, query_interpreter
from mlmanager.frozen import is_frozen

DESCRIPTION = "Open, inspect, fix and test-predict MLflow models on your desktop, offline."
#: distributions whose versions matter for reading, checking and predicting models
PACKAGES = ("pandas", "numpy", "scikit-learn", "scipy", "skops", "cloudpickle", "pyarrow", "mlflow")


def _qt_versions() -> tuple[str | None, str | None]:
    """(Qt, PySide6): Qt only when QtCore is already imported; PySide6 from its dist-info."""
    qtcore = sys.modules.get("PySide6.QtCore")
    qt = str(qtcore.qVersion()) if qtcore is not None and hasattr(qtcore, "qVersion") else None
    pyside = sys.modules.get("PySide6")
    version = getattr(pyside, "__version__", None) if pyside is not None else None
    version = version or installed_version("PySide6-Essentials") or installed_version("PySide6")
    return qt, version


def _same_interpreter(python: str) -> bool:
    try:
        return os.path.samefile(python, sys.executable)
    except OSError:
        return False


def worker_info(worker_python: str | os.PathLike[str] | None = None, *, timeout: float = 10.0) -> dict[str, Any]:
    """Where predictions run: this interpreter (or the app's bundled worker), or another one.

    Another interpreter is asked for its Python and package versions; a failure is reported
    in ``error`` instead of raised.
    """
    python = os.fspath(worker_python) if worker_python else sys.executable
    info: dict[str, Any] = {"executable": python, "this_interpreter": True, "bundled": False,
                            "python": platform.python_version(), "packages": {}, "error": None}
    if not worker_python or _same_interpreter(python):
        info["bundled"] = is_frozen()
        info["packages"] = {name: installed_version(name) for name in PACKAGES}
        return info
    info.update(this_interpreter=False, python=None)
    try:
        other = query_interpreter(python, timeout=timeout)
    except Exception as exc:  # noqa: BLE001 - ModelReadError and friends: report, never raise
        info["error"] = str(exc)
        return info
    info["executable"] = other.executable
    info["python"] = other.python
    info["packages"] = {name: other.lookup(name) for name in PACKAGES}
    return info


def about_info(worker_python: str | os.PathLike[str] | None = None, *, timeout: float = 10.0) -> dict[str, Any]:
    """Every version, as a JSON-ready dict (keys: mlmanager, python, implementation, executable,
    platform, frozen, qt, pyside6, packages, worker)."""
    qt, pyside = _qt_versions()
    return {
        "mlmanager": __version__,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "executable": sys.executable,
        "platform": platform.platform(terse=True),
        "frozen": is_frozen(),
        "qt": qt,
        "pyside6": pyside,
        "packages": {name: installed_version(name) for name in PACKAGES},
        "worker": worker_info(worker_python, timeout=timeout),
    }


def _packages_line(packages: dict[str, str | None]) -> str:
    shown = [f"{name} {version}" for name, version in packages.items() if version]
    missing = [name for name, version in packages.items() if not version]
    if not shown:
        return f"none of {', '.join(missing)} installed"
    return ", ".join(shown) + (f" (not installed: {', '.join(missing)})" if missing else "")


def format_about(info: dict[str, Any]) -> str:
    """The text of Help ▸ About (plain text, one fact per line)."""
    lines = [f"mlmanager {info['mlmanager']}", DESCRIPTION, ""]
    build = "app bundle" if info["frozen"] else info["executable"]
    lines.append(f"Python {info['python']} ({info['implementation']}, {build}) on {info['platform']}")
    if info["qt"] or info["pyside6"]:
        qt = f"Qt {info['qt']}, " if info["qt"] else ""
        lines.append(f"{qt}PySide6 {info['pyside6'] or 'unknown'}")
    lines.append(_packages_line(info["packages"]))
    lines.append("")
    worker = info["worker"]
    if worker["this_interpreter"]:
        where = "the app's bundled worker" if worker["bundled"] else "this interpreter"
        lines.append(f"Predictions run in {where}, in a separate limited process")
    else:
        lines.append(f"Predictions run in {worker['executable']}")
        if worker["error"]:
            lines.append(f"  (could not ask it: {worker['error']})")
        else:
            lines.append(f"  Python {worker['python']}; {_packages_line(worker['packages'])}")
    return "\n".join(lines)


def about_text(worker_python: str | os.PathLike[str] | None = None, *, timeout: float = 10.0) -> str:
    """:func:`format_about` of :func:`about_info`: what Help ▸ About shows."""
    return format_about(about_info(worker_python, timeout=timeout))


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m mlmanager.about", description=__doc__.splitlines()[0])
    parser.add_argument("--python", help="the worker's interpreter, when not this one")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    info = about_info(args.python)
    sys.stdout.write((json.dumps(info, indent=2) if args.json else format_about(info)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
