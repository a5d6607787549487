"""Child processes from a frozen (PyInstaller) app, where there is no ``python`` to run them.

From a normal install the app starts its helpers as ``python -I -c BOOTSTRAP ...``. A frozen
app's ``sys.executable`` is the app itself, which has no ``-c``; instead it is started again
with a hidden first argument naming the child::

    <bundle>/mlmanager --mlmanager-worker --limits JSON --cache-dir DIR --fds R,W
    <bundle>/mlmanager --mlmanager-input-helper

The bundle's runtime hook (``packaging/pyi_rth_mlmanager.py``) calls :func:`run_child_if_requested`
before any other code, so the worker still applies its rlimits before it imports anything else,
and talks the same protocol on the same private fds. Parents build the command with
:func:`child_argv`; it returns None outside a frozen app (or for another interpreter chosen
with ``--python``), and the parent then uses its usual ``python -I -c`` bootstrap.

Stdlib only, and cheap to import: the worker imports it.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

WORKER = "mlmanager.worker"
INPUT_HELPER = "mlmanager.predict.input_helper_child"

#: hidden first argument -> the child module it runs
CHILD_FLAGS: dict[str, str] = {
    "--mlmanager-worker": WORKER,
    "--mlmanager-input-helper": INPUT_HELPER,
}
_FLAG_FOR = {module: flag for flag, module in CHILD_FLAGS.items()}


def is_frozen() -> bool:
    """True inside a PyInstaller (or similar) bundle."""
    return bool(getattr(sys, "frozen", False))


def _same_file(a: str, b: str) -> bool:
    try:
        return os.path.samefile(a, b)
    except OSError:
        return os.path.realpath(a) == os.path.realpath(b)


def child_argv(module: str, python: str | os.PathLike[str] | None = None) -> list[str] | None:
    """The command prefix that runs ``module`` (:data:`WORKER` or :data:`INPUT_HELPER`) from the bundle.

    ``python`` is the interpreter the parent would use (None: this one). Returns None when the
    app is not frozen or another interpreter was chosen: use ``[python, "-I", "-c", ...]``.
    Append the child's own arguments (``--limits``, ``--fds``...) to the list returned.
    """
    if module not in _FLAG_FOR:
        raise ValueError(f"no frozen entry for {module!r}; known: {', '.join(_FLAG_FOR)}")
    if not is_frozen():
        return None
    if python is not None and not _same_file(os.fspath(python), sys.executable):
        return None
    return [sys.executable, _FLAG_FOR[module]]


def requested_child(argv: Sequence[str]) -> str | None:
    """The child module named by ``argv[1]`` (a hidden flag), or None for a normal start."""
    return CHILD_FLAGS.get(argv[1]) if len(argv) > 1 else None


def run_child(module: str, args: Sequence[str]) -> int:
    """Run a child the way its ``python -I -c`` bootstrap would, with ``args`` as its argv."""
    if module == WORKER:
        import runpy

        # the worker's __main__ applies the rlimits from --limits first, then serves on --fds
        sys.argv = [sys.argv[0], *args]
        try:
            runpy.run_module(WORKER, run_name="__main__", alter_sys=True)
        except SystemExit as exc:
            return _exit_code(exc.code)
        return 0
    if module == INPUT_HELPER:
        import importlib

        sys.argv = [sys.argv[0], *args]
        # by name: the worker imports this module and must not depend on mlmanager.ui (the
        # input helper itself is Qt-free, and so is its package's __init__)
        return int(importlib.import_module(INPUT_HELPER).main())
    raise ValueError(f"unknown child {module!r}")


def run_child_if_requested(argv: Sequence[str] | None = None) -> None:
    """In a frozen app started with a hidden child flag: run that child, then exit the process.

    Does nothing otherwise (a normal start goes on to the CLI/GUI).
    """
    argv = list(sys.argv if argv is None else argv)
    module = requested_child(argv)
    if module is None or not is_frozen():
        return
    sys.exit(run_child(module, argv[2:]))


def _exit_code(code: object) -> int:
    if code is None:
        return 0
    if isinstance(code, int):
        return code
    sys.stderr.write(f"{code}\n")
    return 1
