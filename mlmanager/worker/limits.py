"""Resource limits the worker applies to itself as its very first statements. Stdlib only.

Hard limit = soft limit, so model code cannot raise them again. Where the ``resource``
module is missing (Windows) the limits are skipped and reported as not enforced; the parent's
wall-clock timeout still applies. macOS reportedly ignores ``RLIMIT_AS``.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from typing import Any

GIB = 1 << 30
DEFAULT_CPU_SECONDS = 3600
DEFAULT_FILE_SIZE = 2 * GIB


def physical_memory() -> int | None:
    """Total RAM in bytes, when the platform tells."""
    try:
        return os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
    except (AttributeError, ValueError, OSError):
        return None


def default_address_space() -> int:
    """min(4 GiB, half the RAM)."""
    ram = physical_memory()
    return min(4 * GIB, ram // 2) if ram else 4 * GIB


@dataclass(frozen=True)
class Limits:
    """Worker limits. ``None`` means the default; ``0`` means no limit for that resource."""

    address_space: int | None = None
    cpu_seconds: int | None = DEFAULT_CPU_SECONDS
    file_size: int | None = DEFAULT_FILE_SIZE
    core: int = 0

    def resolved(self) -> Limits:
        return Limits(
            address_space=default_address_space() if self.address_space is None else self.address_space,
            cpu_seconds=DEFAULT_CPU_SECONDS if self.cpu_seconds is None else self.cpu_seconds,
            file_size=DEFAULT_FILE_SIZE if self.file_size is None else self.file_size,
            core=self.core,
        )

    def to_json(self) -> str:
        return json.dumps(asdict(self.resolved()))

    @classmethod
    def from_json(cls, text: str) -> Limits:
        data = json.loads(text)
        if not isinstance(data, dict):
            raise ValueError("limits must be a JSON object")
        values: dict[str, Any] = {}
        for key in ("address_space", "cpu_seconds", "file_size", "core"):
            value = data.get(key)
            if value is not None and (not isinstance(value, int) or isinstance(value, bool) or value < 0):
                raise ValueError(f"limit {key} must be a non-negative integer")
            values[key] = value
        values["core"] = values["core"] or 0
        return cls(**values)


def apply_limits(limits: Limits) -> dict[str, Any]:
    """Set the rlimits (hard = soft). Returns what was applied, for the hello message."""
    try:
        import resource
    except ImportError:
        return {"enforced": False, "reason": "the resource module is not available"}
    limits = limits.resolved()
    applied: dict[str, Any] = {"enforced": True}
    table = (
        ("address_space", getattr(resource, "RLIMIT_AS", None), limits.address_space),
        ("cpu_seconds", getattr(resource, "RLIMIT_CPU", None), limits.cpu_seconds),
        ("file_size", getattr(resource, "RLIMIT_FSIZE", None), limits.file_size),
        ("core", getattr(resource, "RLIMIT_CORE", None), limits.core),
    )
    for name, which, value in table:
        if which is None or (value == 0 and name != "core"):
            applied[name] = None
            continue
        try:
            _soft, hard = resource.getrlimit(which)
            if hard != resource.RLIM_INFINITY:
                value = min(value, hard)
            resource.setrlimit(which, (value, value))
            applied[name] = value
        except (ValueError, OSError) as exc:
            applied[name] = f"not applied: {exc}"
    return applied


def apply_limits_from_argv(argv: list[str]) -> dict[str, Any]:
    """Apply the ``--limits JSON`` argument (defaults when absent). Called before any import."""
    text = "{}"
    for i, arg in enumerate(argv):
        if arg == "--limits" and i + 1 < len(argv):
            text = argv[i + 1]
        elif arg.startswith("--limits="):
            text = arg.split("=", 1)[1]
    try:
        limits = Limits.from_json(text)
    except ValueError:
        limits = Limits()
    return apply_limits(limits)
