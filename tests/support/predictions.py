"""Comparing predictions as JSON values: floats within a relative 1e-6, everything else equal."""

from __future__ import annotations

import math
from typing import Any


def same_predictions(a: Any, b: Any) -> bool:
    """Whether two JSON-shaped prediction values agree (lists, dicts, floats to 1e-6)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same_predictions(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same_predictions(x, y) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return isinstance(a, (int, float)) and isinstance(b, (int, float)) and math.isclose(
            a, b, rel_tol=1e-6, abs_tol=1e-9)
    return a == b
