"""File sizes as people read them (binary units: 1 KiB = 1024 bytes)."""

from __future__ import annotations

from typing import Any


def format_size(n: Any) -> str:
    """``512 B``, ``1.5 KiB``, ``3.1 MiB``...; ``—`` for anything that is not a number."""
    if not isinstance(n, (int, float)) or isinstance(n, bool):
        return "—"
    if n < 1024:
        return f"{int(n)} B"
    value = float(n)
    for unit in ("KiB", "MiB", "GiB", "TiB"):
        value /= 1024
        if value < 1024 or unit == "TiB":
            return f"{value:.1f} {unit}"
    return f"{n} B"
