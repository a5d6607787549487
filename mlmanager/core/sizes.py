"""File sizes as people read them (binary units: 1 KiB = 1024 bytes), and a folder's size."""

from __future__ import annotations

import os
import re
from pathlib import Path

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
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


_UNITS = {"": 1, "B": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}


def parse_size(text: str) -> int:
    """Bytes from ``500M``, ``2 GiB``, ``1.5G``, ``4096``: binary units, as :func:`format_size`
    prints them (K, KB and KiB all mean 1024 bytes). Raises ValueError on anything else."""
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([KMGT]?)(?:I?B)?\s*", text, re.IGNORECASE)
    if not match:
        raise ValueError(f"not a size: {text!r} (write e.g. 500M, 2G or 1.5GiB)")
    return int(float(match.group(1)) * _UNITS[match.group(2).upper()])


def tree_size(path: Path) -> int:
    """Bytes on disk under ``path``, each file counted once (hard links: uv links environments
    to its cache, a registry copy links to its download)."""
    seen: set[tuple[int, int]] = set()
    total = 0
    stack = [path]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError:
                continue
            if entry.is_dir(follow_symlinks=False):
                stack.append(Path(entry.path))
            elif (st.st_dev, st.st_ino) not in seen:
                seen.add((st.st_dev, st.st_ino))
                total += st.st_size
    return total
