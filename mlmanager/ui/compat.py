"""Work-arounds for bugs in the Qt bindings we run on.

PySide6 6.12.0 on Python < 3.12: every call of a ``void`` Qt method (``setText``,
``setObjectName``, ``setFormat``...) drops one reference to ``None`` it never took (the
bindings assume Python 3.12's immortal ``None``). After a few thousand calls ``None``'s
count reaches zero and the interpreter aborts with "none_dealloc: deallocating None".
``protect_none()`` detects the leak with a tiny self-test and, only if it is there, gives
``None`` a reference count large enough never to run out -- what Python 3.12 does anyway.
"""

from __future__ import annotations

import logging
import sys

log = logging.getLogger(__name__)

_BUFFER = 1 << 40  # decrefs of None we can absorb; Python 3.12+ treats None as immortal
_applied = False


def none_leak_per_call() -> int:
    """How many references to None one void Qt call loses (0 on sane bindings)."""
    from PySide6.QtCore import QObject

    probe = QObject()
    probe.setObjectName("probe")
    before = sys.getrefcount(None)
    for _ in range(8):
        probe.setObjectName("probe")
    return round((before - sys.getrefcount(None)) / 8)


def protect_none() -> bool:
    """Apply the work-around when this interpreter/binding pair needs it. Returns True if so."""
    global _applied
    if _applied or sys.version_info >= (3, 12):
        return _applied
    if none_leak_per_call() <= 0:
        return False
    if sys.implementation.name != "cpython":  # pragma: no cover - refcounts differ elsewhere
        return False
    # deferred for start-up: ctypes (and libffi) only for the bindings that need the cure
    import ctypes

    # True/False: a crash "bool_dealloc" was seen too (10,000-model scans), same cure
    for singleton in (None, True, False):
        ctypes.c_ssize_t.from_address(id(singleton)).value += _BUFFER
    _applied = True
    log.debug("PySide6 drops references to None on void calls; compensated (see ui/compat.py)")
    return True
