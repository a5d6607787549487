"""The restricted unpickler: default-deny ``find_class`` against the allowlist.

This is the authoritative control for SAFE-LISTED files ("Restricting Globals" in the pickle
docs): every ``GLOBAL``/``INST``/``STACK_GLOBAL``/``EXT*`` goes through ``find_class``, so a
global off the list stops the load before any ``REDUCE`` can call it, whatever a scanner said.
It loads the exact bytes that were hashed and scanned (no re-reading of the file: TOCTOU).
"""

from __future__ import annotations

import _compat_pickle
import importlib
import io
import pickle
from collections.abc import Container
from typing import Any


class BlockedGlobalError(pickle.UnpicklingError):
    """The pickle asked for a global that is not on the allowlist."""

    def __init__(self, module: str, name: str) -> None:
        self.module = module
        self.name = name
        super().__init__(f"global '{module}.{name}' is not on the allowlist")


class RestrictedUnpickler(pickle.Unpickler):
    """``pickle.Unpickler`` that only resolves allowlisted globals."""

    def __init__(self, file: Any, allowlist: Container[tuple[str, str]]) -> None:
        super().__init__(file, fix_imports=True, encoding="ASCII", errors="strict")
        self._allowlist = allowlist
        self.blocked: list[tuple[str, str]] = []

    def find_class(self, module: str, name: str) -> Any:
        # The default find_class maps Python 2 names (protocol < 3) itself. The C unpickler
        # does not expose the protocol, so map always (Python 3 has none of those modules):
        # the check and the import below then see the very same names.
        if (module, name) in _compat_pickle.NAME_MAPPING:
            module, name = _compat_pickle.NAME_MAPPING[(module, name)]
        elif module in _compat_pickle.IMPORT_MAPPING:
            module = _compat_pickle.IMPORT_MAPPING[module]
        if (module, name) not in self._allowlist:
            self.blocked.append((module, name))
            raise BlockedGlobalError(module, name)
        obj: Any = importlib.import_module(module)
        for part in name.split("."):
            obj = getattr(obj, part)
        return obj

    def persistent_load(self, pid: Any) -> Any:
        raise pickle.UnpicklingError("persistent IDs are not allowed in model files")


def restricted_loads(data: bytes, allowlist: Container[tuple[str, str]]) -> Any:
    """Unpickle ``data`` allowing only allowlisted globals."""
    return RestrictedUnpickler(io.BytesIO(data), allowlist).load()
