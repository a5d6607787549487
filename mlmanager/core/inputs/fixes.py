"""Data-side fixes of an input table: rename, drop or cast a column (never silently lossy)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from mlmanager.core.inputs.tables import GRID_DTYPES

CASTABLE = ("boolean", "integer", "long", "float", "double", "string", "datetime")


@dataclass(frozen=True)
class Fix:
    """One data-side change: ``rename`` column -> to, ``drop`` column, ``cast`` column -> type."""

    op: str
    column: Any
    to: Any = None

    def describe(self) -> str:
        if self.op == "rename":
            return f"rename column {self.column!r} to {self.to!r}"
        if self.op == "drop":
            return f"drop the extra column {self.column!r}"
        return f"cast column {self.column!r} to {self.to}"

    def to_json(self) -> dict[str, Any]:
        return {"op": self.op, "column": self.column, "to": self.to}

    @classmethod
    def from_json(cls, data: Any) -> Fix:
        if not isinstance(data, dict) or data.get("op") not in ("rename", "drop", "cast"):
            raise ValueError("invalid fix")
        return cls(data["op"], data.get("column"), data.get("to"))


def apply_fixes(frame: Any, fixes: list[Fix]) -> tuple[Any, list[str]]:
    """Apply ``fixes`` to a copy of ``frame``; returns it and one note per fix that failed."""
    notes: list[str] = []
    out = frame.copy()
    for fix in fixes:
        if fix.column not in out.columns:
            notes.append(f"could not {fix.describe()}: there is no such column")
            continue
        try:
            if fix.op == "rename":
                out = out.rename(columns={fix.column: fix.to})
            elif fix.op == "drop":
                out = out.drop(columns=[fix.column])
            elif fix.op == "cast":
                out[fix.column] = cast_series(out[fix.column], str(fix.to))
        except (TypeError, ValueError, OverflowError) as exc:
            notes.append(f"could not {fix.describe()}: {str(exc).splitlines()[0] if str(exc) else type(exc).__name__}")
    return out, notes


def cast_series(series: Any, t: str) -> Any:
    """Cast a column to an MLflow type without silently losing information."""
    import numpy as np
    import pandas as pd

    if t not in CASTABLE:
        raise ValueError(f"{t} columns cannot be cast automatically")
    if t == "string":
        return series.map(lambda v: v if v is None or isinstance(v, str) or _is_nan(v) else str(v)).astype(object)
    if t == "datetime":
        return pd.to_datetime(series, format="ISO8601").astype("datetime64[ns]")
    if t == "boolean":
        if series.dtype == bool:
            return series
        mapping = {"true": True, "false": False, "1": True, "0": False, "yes": True, "no": False}

        def to_bool(v: Any) -> Any:
            if isinstance(v, (bool, np.bool_)):
                return bool(v)
            if isinstance(v, (int, np.integer)) and v in (0, 1):
                return bool(v)
            if isinstance(v, str) and v.strip().lower() in mapping:
                return mapping[v.strip().lower()]
            raise ValueError(f"{v!r} is not true/false")

        return series.map(to_bool).astype(bool)
    numeric = pd.to_numeric(series, errors="raise") if series.dtype.kind not in "biuf" else series
    target = np.dtype(GRID_DTYPES[t])
    if target.kind in "iu":
        values = numeric.to_numpy(dtype="float64", na_value=np.nan) if numeric.dtype.kind == "f" else None
        if values is not None:
            if np.isnan(values).any():
                raise ValueError("the column has missing values, which an integer column cannot hold")
            if (values != np.round(values)).any():
                raise ValueError("the column has non-integral numbers")
        info = np.iinfo(target)
        if len(numeric) and (numeric.min() < info.min or numeric.max() > info.max):
            raise ValueError(f"values are outside the {target} range")
    return numeric.astype(target)


def _is_nan(v: Any) -> bool:
    return isinstance(v, float) and math.isnan(v)
