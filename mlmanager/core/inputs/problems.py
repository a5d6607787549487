"""One problem found while reading or validating a model input (shared by reader/enforce/validation).

Kept free of pandas/numpy so the result objects can be built and serialised anywhere.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

MAX_ROWS = 5  # offending rows/values listed per problem
MAX_VALUE_CHARS = 80

# Where MLflow itself would stop: the scoring server's parser, the input schema enforcement, the
# params enforcement; "read" is ours (the file cannot be read as CSV/JSON at all).
STAGES = ("read", "parse", "schema", "params")


@dataclass
class Problem:
    """A problem with one column, tensor or param (or the input as a whole when ``column`` is None).

    ``kind`` is a stable machine name (missing_column, type_mismatch, nan_in_integer, ...);
    ``message`` is worded like MLflow's own error; ``fix`` says what to change.
    """

    kind: str
    message: str
    column: Any = None
    expected: str | None = None
    found: str | None = None
    rows: list[int] = field(default_factory=list)
    values: list[str] = field(default_factory=list)
    fix: str | None = None
    stage: str = "schema"
    target: str = "column"  # column | tensor | param | input
    line: int | None = None  # 1-based line in the input file, when known
    severity: str = "error"  # error | warning

    def to_json(self) -> dict[str, Any]:
        d: dict[str, Any] = {
            "column": _json_label(self.column),
            "kind": self.kind,
            "expected": self.expected,
            "found": self.found,
            "rows": [int(r) for r in self.rows],
            "values": list(self.values),
            "message": self.message,
            "fix": self.fix,
            "stage": self.stage,
            "target": self.target,
        }
        if self.severity != "error":
            d["severity"] = self.severity
        if self.line is not None:
            d["line"] = self.line
        return d

    def __str__(self) -> str:
        where = f"{self.target} {self.column!r}: " if self.column is not None else ""
        return f"{where}{self.message}"


def _json_label(label: Any) -> Any:
    if label is None or isinstance(label, (str, int)) and not isinstance(label, bool):
        return label
    return str(label)


def show_value(value: Any) -> str:
    """A short, JSON-safe text for an offending value (``'abc'``, ``2.5``, ``NaN``, ``None``)."""
    try:
        if value is None:
            return "None"
        if isinstance(value, float):
            if math.isnan(value):
                return "NaN"
            return repr(value)
        if isinstance(value, str):
            text = repr(value)
        elif isinstance(value, (bytes, bytearray)):
            text = repr(bytes(value))
        else:
            text = str(value)
            if text in ("nan", "NaT", "<NA>"):
                return text
    except Exception:  # a hostile __repr__/__str__ must not break the report
        text = f"<{type(value).__name__}>"
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text
