"""JSON-lines protocol between the app (parent) and the worker (child). Stdlib only.

One message per line, UTF-8 JSON, no NaN/Infinity, a hard line-length cap. Large data never
travels on this channel: frames go through ``.npy`` folders (see ``frames.py``). Every decoded
message is validated field by field and treated as untrusted text: once a worker has run
trusted model code it can write anything on its channel.

Parent -> child: ``{"v": 1, "id": N, "op": "scan"|"load"|"predict"|"ping"|"shutdown", "args": {}}``
Child -> parent: ``{"v": 1, "id": N, "type": "hello"|"result"|"error"|"progress", ...}``
"""

from __future__ import annotations

import json
from typing import Any

VERSION = 1
MAX_LINE = 4 << 20  # bytes; results are small, frames go through files
MAX_STR = 1 << 20
OPS = ("scan", "load", "predict", "prepare", "package", "ping", "shutdown")
TYPES = ("hello", "result", "error", "progress")


class ProtocolError(ValueError):
    """A line or message that breaks the protocol."""


def _reject_constant(name: str) -> Any:
    raise ProtocolError(f"{name} is not valid JSON here")


def encode(message: dict[str, Any]) -> bytes:
    """Serialize one message as a single line (raises ProtocolError if it cannot)."""
    try:
        text = json.dumps(message, allow_nan=False, ensure_ascii=True, separators=(",", ":"))
    except (TypeError, ValueError) as exc:
        raise ProtocolError(f"message cannot be encoded: {exc}") from None
    data = text.encode("ascii") + b"\n"
    if len(data) > MAX_LINE:
        raise ProtocolError(f"message of {len(data)} bytes exceeds the {MAX_LINE}-byte line cap")
    return data


def decode_line(line: bytes) -> dict[str, Any]:
    """Parse one line into a dict (no validation of its fields yet)."""
    if len(line) > MAX_LINE:
        raise ProtocolError("line too long")
    try:
        obj = json.loads(line.decode("utf-8"), parse_constant=_reject_constant)
    except ProtocolError:
        raise
    except (UnicodeDecodeError, ValueError, RecursionError) as exc:
        raise ProtocolError(f"invalid JSON line: {str(exc)[:200]}") from None
    if not isinstance(obj, dict):
        raise ProtocolError("a message must be a JSON object")
    return obj


def _check_str(value: Any, what: str, limit: int = MAX_STR) -> str:
    if not isinstance(value, str):
        raise ProtocolError(f"{what} must be a string")
    if len(value) > limit:
        raise ProtocolError(f"{what} is longer than {limit} characters")
    return value


def _check_id(value: Any) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < 2**53:
        raise ProtocolError("id must be a non-negative integer")
    return value


def _only_keys(obj: dict[str, Any], allowed: set[str], what: str) -> None:
    extra = set(obj) - allowed
    if extra:
        raise ProtocolError(f"{what} has unexpected fields: {sorted(extra)[:5]}")


def request(op: str, req_id: int, args: dict[str, Any] | None = None) -> dict[str, Any]:
    return {"v": VERSION, "id": req_id, "op": op, "args": args or {}}


def validate_request(obj: dict[str, Any]) -> dict[str, Any]:
    """Check a parent -> child message; returns it."""
    _only_keys(obj, {"v", "id", "op", "args"}, "request")
    if obj.get("v") != VERSION:
        raise ProtocolError("unsupported protocol version")
    _check_id(obj.get("id"))
    if obj.get("op") not in OPS:
        raise ProtocolError(f"unknown op {str(obj.get('op'))[:40]!r}")
    if not isinstance(obj.get("args", {}), dict):
        raise ProtocolError("args must be an object")
    obj.setdefault("args", {})
    return obj


def validate_response(obj: dict[str, Any]) -> dict[str, Any]:
    """Check a child -> parent message; returns it."""
    _only_keys(obj, {"v", "id", "type", "data", "error"}, "message")
    if obj.get("v") != VERSION:
        raise ProtocolError("unsupported protocol version")
    _check_id(obj.get("id"))
    kind = obj.get("type")
    if kind not in TYPES:
        raise ProtocolError(f"unknown message type {str(kind)[:40]!r}")
    if kind == "error":
        err = obj.get("error")
        if not isinstance(err, dict):
            raise ProtocolError("error must be an object")
        _only_keys(err, {"kind", "message", "details", "path", "report", "mismatch"}, "error")
        _check_str(err.get("kind"), "error.kind", 64)
        _check_str(err.get("message"), "error.message", 20_000)
        if "details" in err:
            _check_str(err["details"], "error.details", 200_000)
        if err.get("path") is not None:
            _check_str(err["path"], "error.path", 8192)
        if "mismatch" in err and not isinstance(err["mismatch"], bool):
            raise ProtocolError("error.mismatch must be a boolean")
        if err.get("report") is not None and not isinstance(err["report"], dict):
            raise ProtocolError("error.report must be an object")
    else:
        if not isinstance(obj.get("data", {}), dict):
            raise ProtocolError("data must be an object")
        obj.setdefault("data", {})
    if kind == "progress":
        data = obj["data"]
        _only_keys(data, {"fraction", "text"}, "progress")
        frac = data.get("fraction")
        if frac is not None and (
            not isinstance(frac, (int, float)) or isinstance(frac, bool) or not 0 <= frac <= 1
        ):
            raise ProtocolError("progress.fraction must be within [0, 1]")
        _check_str(data.get("text", ""), "progress.text", 1000)
    return obj


def check_fields(
    data: Any, spec: dict[str, tuple[type | tuple[type, ...], bool]], what: str
) -> dict[str, Any]:
    """Validate a flat object: each key's type, required keys, no unknown keys."""
    if not isinstance(data, dict):
        raise ProtocolError(f"{what} must be an object")
    _only_keys(data, set(spec), what)
    for key, (types, required) in spec.items():
        if key not in data or data[key] is None:
            if required:
                raise ProtocolError(f"{what}.{key} is missing")
            continue
        value = data[key]
        if isinstance(value, bool) and bool not in (types if isinstance(types, tuple) else (types,)):
            raise ProtocolError(f"{what}.{key} has the wrong type")
        if not isinstance(value, types):
            raise ProtocolError(f"{what}.{key} has the wrong type")
        if isinstance(value, str) and len(value) > MAX_STR:
            raise ProtocolError(f"{what}.{key} is too long")
    return data


def string_list(value: Any, what: str, limit: int = 10_000, item_limit: int = 20_000) -> list[str]:
    if not isinstance(value, list) or len(value) > limit:
        raise ProtocolError(f"{what} must be a list of at most {limit} strings")
    for item in value:
        _check_str(item, what, item_limit)
    return value
