"""The garbage collector around start-up: paused while the app's modules and its first window
are made, then everything made so far frozen and collection resumed.

Start-up makes a few hundred thousand objects that live as long as the app (modules, classes,
Qt enums, the window's wrappers). Collecting while they are made finds almost nothing and cost
~2% of start-up (measured in instructions: ``benchmarks/README.md``, job 1). Once the first
window is built they move to the permanent generation (``gc.freeze``): a later full
collection walked all of them, holding the GIL 50-100 ms, and stalled the GUI thread when a
registry listing (thousands of new objects in a task thread) set one off.
"""

from __future__ import annotations

import gc

_paused = False
_frozen = False


def pause() -> None:
    """Stop automatic collection until :func:`settle` (if it is on; explicit collects still work)."""
    global _paused
    if gc.isenabled() and not _frozen:
        gc.disable()
        _paused = True


def settle() -> None:
    """Once per process, when the first window is built: freeze what start-up made, and resume
    collection if :func:`pause` stopped it."""
    global _paused, _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()
    if _paused:
        _paused = False
        gc.enable()
