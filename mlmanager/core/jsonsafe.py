"""JSON text: readable JSON for request bodies and responses, and the fallback encoder.

``pretty_json``: readable JSON for request bodies and responses; rows of scalars stay on one line.

``json.dumps(indent=2)`` puts every number of every row on its own line, so a 3-row request
becomes 30 lines. Here a list of scalars that fits ``width`` is written inline; everything
else is indented as usual. ``json.loads(pretty_json(v)) == v`` for every strict-JSON ``v``.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
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


def json_default(o: Any) -> Any:
    """``json.dumps(default=...)``: bytes as base64 text, dates ISO text, numpy values as Python ones."""
    if isinstance(o, (bytes, bytearray)):
        return base64.b64encode(bytes(o)).decode("ascii")
    if isinstance(o, (dt.datetime, dt.date, dt.time)):
        return o.isoformat()
    if hasattr(o, "isoformat"):
        return o.isoformat()
    if hasattr(o, "tolist"):
        return o.tolist()
    if hasattr(o, "item"):
        return o.item()
    return str(o)
