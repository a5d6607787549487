"""JSON-safe values, one rule for all of mlmanager, and readable JSON text.

``to_jsonable(value)`` turns anything mlmanager writes as JSON (predictions, request bodies,
inspect/diff/validate output, params) into values ``json.dumps(..., allow_nan=False)`` accepts:

* **the NaN rule**: NaN, +/-Infinity, ``NaT`` and ``pd.NA`` become ``null``. JSON has no NaN;
  MLflow's scoring server reads ``null`` back as NaN (a missing value), and its own JSON output of
  predictions does the same. The one exception is ``non_finite_as_text=True``, used where the
  value is something a person wrote in a document (``MLmodel`` metadata shown by ``inspect`` and
  ``diff``): there a NaN is a value, not a missing one, and is written ``"NaN"``, ``"Infinity"``,
  ``"-Infinity"``;
* bytes become base64 text, dates/times/Timestamps ISO 8601 text, numpy scalars and arrays
  Python values, DataFrames a list of records, Series a list, sets a sorted list; dict keys are
  text; anything else its ``str()``.

``json_default`` is the same conversion for ``json.dumps(default=...)``. ``pretty_json`` writes
readable JSON for request bodies and responses: rows of scalars stay on one line
(``json.dumps(indent=2)`` puts every number of every row on its own line, so a 3-row request
becomes 30 lines); ``json.loads(pretty_json(v)) == v`` for every strict-JSON ``v``.

pandas and numpy are never imported here (types are recognised by name or duck typing).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import math

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

WIDTH = 96


def _scalar(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def pretty_json(value: Any, indent: int = 2, width: int = WIDTH) -> str:
    def enc(v: Any, level: int) -> str:
        pad = " " * (indent * level)
        inner = " " * (indent * (level + 1))
        if isinstance(v, dict):
            if not v:
                return "{}"
            items = [f"{inner}{_scalar(k if isinstance(k, str) else str(k))}: {enc(x, level + 1)}"
                     for k, x in v.items()]
            return "{\n" + ",\n".join(items) + "\n" + pad + "}"
        if isinstance(v, (list, tuple)):
            if not v:
                return "[]"
            if all(not isinstance(x, (dict, list, tuple)) for x in v):
                flat = "[" + ", ".join(_scalar(x) for x in v) + "]"
                if len(flat) + len(inner) <= width:
                    return flat
            return "[\n" + ",\n".join(inner + enc(x, level + 1) for x in v) + "\n" + pad + "]"
        return _scalar(v)

    return enc(value, 0)


_NON_FINITE_TEXT = {math.inf: "Infinity", -math.inf: "-Infinity"}


def to_jsonable(value: Any, *, non_finite_as_text: bool = False) -> Any:
    """``value`` as strict-JSON values (see the module docstring for the rules)."""
    if value is None or isinstance(value, (bool, int, str)):
        return value
    if isinstance(value, float):
        if math.isfinite(value):
            return value
        return (_NON_FINITE_TEXT.get(value, "NaN")) if non_finite_as_text else None
    if isinstance(value, dict):
        return {k if isinstance(k, str) else str(k): to_jsonable(v, non_finite_as_text=non_finite_as_text)
                for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [to_jsonable(v, non_finite_as_text=non_finite_as_text) for v in value]
    if isinstance(value, (set, frozenset)):
        return sorted((to_jsonable(v, non_finite_as_text=non_finite_as_text) for v in value), key=str)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return base64.b64encode(bytes(value)).decode("ascii")
    tname = type(value).__name__
    if tname in ("NaTType", "NAType"):
        return None
    if isinstance(value, (dt.datetime, dt.date, dt.time)) or tname == "Timestamp":
        return value.isoformat()
    if tname == "DataFrame":
        return [{str(k): to_jsonable(v, non_finite_as_text=non_finite_as_text) for k, v in row.items()}
                for row in value.to_dict(orient="records")]
    if tname == "Series":
        return to_jsonable(value.tolist(), non_finite_as_text=non_finite_as_text)
    if tname == "datetime64":
        text = str(value)
        return None if text == "NaT" else text
    if hasattr(value, "tolist"):  # numpy arrays and scalars
        return to_jsonable(value.tolist(), non_finite_as_text=non_finite_as_text)
    if hasattr(value, "item"):
        try:
            return to_jsonable(value.item(), non_finite_as_text=non_finite_as_text)
        except (TypeError, ValueError):
            pass
    return str(value)


def json_default(o: Any) -> Any:
    """``json.dumps(default=...)``: what ``json`` cannot write, converted by :func:`to_jsonable`."""
    return to_jsonable(o)
