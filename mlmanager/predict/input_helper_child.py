"""The input helper process: reads inputs, applies fixes and validates them. No Qt, no model code.

Why a process: pandas and the input reader hold the GIL for 100-200 ms at a time on a
100,000-row file (decoding, splitting and copying the text), which would freeze the GUI even
from a thread. Here they run in parallel with the GUI; results come back as ``.npy`` frames
folders (``mlmanager.worker.frames``, pickle-free) and one JSON line per request.

Protocol (stdin/stdout, one JSON object per line)::

    -> {"id": 1, "op": "open", "args": {"source": {...}, "out": DIR}}
    <- {"id": 1, "ok": true, "data": {...}}   or   {"id": 1, "ok": false, "error": {...}}

Ops: ``open`` (a file, the model's input example, typed rows, or fixes applied to an input
already open), ``check`` (validate an open input against a model), ``request_body`` (the input as
a scoring-server request), ``drop``, ``ping``.
"""

from __future__ import annotations

import json
import os
import sys
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.deploy.serving_body import serving_body_text
from mlmanager.core.errors import InputReadError, MlmanagerError, UnreadableSignatureError
from mlmanager.core.inputs import fixes as input_fixes
from mlmanager.core.inputs import tables
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.inputs.reader import read_input, read_json_input
from mlmanager.core.inputs.tables import to_display_frame
from mlmanager.core.inputs.validation import ValidationResult, validate_input
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.examples import load_input_example
from mlmanager.worker.frames import decode_value, encode_value, write_frames

MAX_INPUTS = 8  # open inputs kept (an input and its fixed versions)
UNREADABLE_SIGNATURE = "unreadable_signature"  # the check's problem kind: MLflow cannot load the model
IGNORE_SIGNATURE_FIX = ("fix the signature in the Signature tab, or choose “Ignore the signature” "
                        "to predict without it (MLflow itself cannot load this model)")


@dataclass
class Held:
    """One open input: a raw input read from a file or an in-memory value (example, rows, fixed)."""

    label: str
    raw_input: Any = None  # core RawInput, for files
    value: Any = None  # in-memory input (DataFrame / ndarray / dict / JSON value)
    display: Any = None  # the table shown
    row_labels: list[int] | None = None
    params: Any = None
    origin: str = "file"  # file | example | rows | fixed
    serving_cache: dict[str, Any] = field(default_factory=dict)


class Child:
    def __init__(self) -> None:
        self.inputs: dict[int, Held] = {}
        self.next_id = 1
        self.docs: dict[str, tuple[tuple[int, int], Any]] = {}

    # -- helpers --------------------------------------------------------------------------
    def _doc(self, model_dir: str) -> Any:
        path = Path(model_dir)
        mlmodel = path / "MLmodel" if path.is_dir() else path
        try:
            st = mlmodel.stat()
            stamp = (st.st_mtime_ns, st.st_size)
        except OSError:
            stamp = (0, 0)
        cached = self.docs.get(model_dir)
        if cached is not None and cached[0] == stamp and stamp != (0, 0):
            return cached[1]
        doc = load_model(model_dir)
        _ = doc.signature
        self.docs[model_dir] = (stamp, doc)
        return doc

    def _keep(self, held: Held) -> int:
        iid = self.next_id
        self.next_id += 1
        self.inputs[iid] = held
        while len(self.inputs) > MAX_INPUTS:
            self.inputs.pop(next(iter(self.inputs)))
        return iid

    def _held(self, iid: Any) -> Held:
        held = self.inputs.get(iid)
        if held is None:
            raise LookupError("that input is no longer open; load it again")
        return held

    # -- ops ------------------------------------------------------------------------------
    def op_ping(self, args: dict[str, Any]) -> dict[str, Any]:
        import pandas  # noqa: F401 - warm the imports while the user picks a file

        import mlmanager.core.inputs.enforce  # noqa: F401
        import mlmanager.core.inputs.enforce_columns  # noqa: F401
        import mlmanager.core.inputs.enforce_params  # noqa: F401
        import mlmanager.core.inputs.serving  # noqa: F401

        return {"pid": os.getpid()}

    def op_open(self, args: dict[str, Any]) -> dict[str, Any]:
        source = args["source"]
        kind = source.get("kind")
        if kind == "file":
            held = self._open_file(source)
        elif kind == "example":
            held = self._open_example(source)
        elif kind == "rows":
            held = self._open_rows(source)
        elif kind == "fixed":
            base = self._held(source.get("base"))
            fixes = [input_fixes.Fix.from_json(f) for f in source.get("fixes", [])]
            frame, notes = input_fixes.apply_fixes(base.display, fixes)
            held = Held(label=base.label, value=frame, display=frame, row_labels=base.row_labels,
                        params=base.params, origin="fixed")
            held.serving_cache["notes"] = notes
        else:
            raise ValueError(f"unknown input source {kind!r}")
        iid = self._keep(held)
        out = Path(args["out"])

        display = held.display
        write_frames(display, out / "display")
        raw_input = held.raw_input
        checked = None
        if args.get("check") is not None:  # open and check in one round trip
            checked = self.op_check({**args["check"], "input": iid, "out": str(out)})
        return {
            "checked": checked,
            "input": iid,
            "label": held.label,
            "origin": held.origin,
            "source": raw_input.source if raw_input is not None else "object",
            "kind": raw_input.kind if raw_input is not None else _value_kind(held.value),
            "rows": int(display.shape[0]),
            "columns": int(display.shape[1]),
            "row_labels": held.row_labels,
            "params": encode_value(held.params) if isinstance(held.params, dict) else None,
            "notes": held.serving_cache.get("notes", []),
        }

    def _open_file(self, source: dict[str, Any]) -> Held:
        path = source["path"]
        raw_input = read_input(path, fmt=source.get("fmt"), encoding=source.get("encoding") or "utf-8")
        display = _display_of_input(raw_input)
        return Held(label=Path(path).name, raw_input=raw_input, display=display,
                    row_labels=raw_input.kept_rows, params=raw_input.params, origin="file")

    def _open_example(self, source: dict[str, Any]) -> Held:
        doc = self._doc(source["model_dir"])
        ex = load_input_example(doc)
        if ex is None:
            raise LookupError("the model has no input example")
        value = ex.to_model_input()
        label = ex.path or "input_example.json"
        return Held(label=f"{label} (the model's input example)", value=value,
                    display=to_display_frame(value), params=ex.params, origin="example")

    def _open_rows(self, source: dict[str, Any]) -> Held:
        rows = source.get("rows") or []
        if source.get("tensor"):
            value = tables.tensor_from_rows(rows, source.get("dtype") or "float64")
        else:
            value = tables.frame_from_rows(source.get("columns") or [], source.get("types") or [], rows)
        return Held(label="typed rows", value=value, display=tables.to_display_frame(value),
                    params=None, origin="rows")

    def op_check(self, args: dict[str, Any]) -> dict[str, Any]:
        held = self._held(args["input"])
        mode = args.get("mode") or "serving"
        params = decode_value(args["params"]) if args.get("params") is not None else None
        doc = self._doc(args["model_dir"])
        ignored = None
        try:
            sig = doc.readable_signature()
        except UnreadableSignatureError as exc:
            if not args.get("ignore_signature"):  # refused, as `validate` and `predict` do
                problem = Problem(kind=UNREADABLE_SIGNATURE, message=exc.message, target="input",
                                  fix=IGNORE_SIGNATURE_FIX)
                return {**ValidationResult(valid=False, mode=mode, errors=[problem]).to_json(),
                        "params_encoded": None, "has_data": False}
            sig, ignored = None, exc.message
        type_hint = bool(doc.is_signature_from_type_hint)
        if held.raw_input is not None:
            result = validate_input(sig, held.raw_input, mode, type_hint, params=params,
                                    ignored_signature=ignored)
        elif mode == "python":
            own = held.params if isinstance(held.params, dict) else None
            result = validate_input(sig, held.value, "python", type_hint,
                                    params=params if params is not None else own,
                                    ignored_signature=ignored)
        else:
            key = "serving"
            if key not in held.serving_cache:
                text = serving_body_text(held.value, held.params if isinstance(held.params, dict) else None)
                held.serving_cache[key] = read_json_input(text)
            result = validate_input(sig, held.serving_cache[key], "serving", type_hint, params=params,
                                    ignored_signature=ignored)
        out = Path(args["out"])
        wrote = False
        if result.valid and args.get("want_data", True):
            write_frames(result.data, out / "data")
            wrote = True
        data = result.to_json()
        data["params_encoded"] = encode_value(result.params) if result.params is not None else None
        data["has_data"] = wrote
        return data

    def op_request_body(self, args: dict[str, Any]) -> dict[str, Any]:
        # deferred for start-up: imports numpy, pandas
        from mlmanager.core.inputs.serving import schemaless_value

        held = self._held(args["input"])
        params = decode_value(args["params"]) if args.get("params") is not None else held.params
        value = held.value if held.value is not None else held.display
        if held.raw_input is not None and held.raw_input.kind != "dataframe":
            value = schemaless_value(held.raw_input)
        text = serving_body_text(value, params if isinstance(params, dict) and params else None)
        out = Path(args["out"])
        out.mkdir(parents=True, exist_ok=True)
        (out / "request_body.json").write_text(text, encoding="utf-8")
        return {"path": str(out / "request_body.json"), "bytes": len(text)}

    def op_drop(self, args: dict[str, Any]) -> dict[str, Any]:
        self.inputs.pop(args.get("input"), None)
        return {}


def _value_kind(value: Any) -> str:
    name = type(value).__name__
    if name in ("DataFrame", "Series"):
        return "dataframe"
    if name == "ndarray":
        return "tensor"
    if isinstance(value, dict):
        return "tensors" if value and all(type(v).__name__ == "ndarray" for v in value.values()) else "object"
    return "object"


def _display_of_input(raw_input: Any) -> Any:
    """How the input reads without a schema; text columns when pandas cannot read it at all."""
    # deferred for start-up: imports numpy, pandas
    from mlmanager.core.inputs.serving import schemaless_value

    if raw_input.source == "csv":
        try:
            return raw_input.read_csv()
        except Exception:  # noqa: BLE001 - pandas raises many types; show the text instead
            return raw_input.read_csv(dtype=str, keep_default_na=False)
    try:
        return to_display_frame(schemaless_value(raw_input))
    except Exception:  # noqa: BLE001 - a form the plain reader does not handle
        return to_display_frame(raw_input.document)


def _error(exc: BaseException) -> dict[str, Any]:
    err: dict[str, Any] = {"type": type(exc).__name__}
    if isinstance(exc, InputReadError):
        err.update(kind=exc.kind, message=exc.message, line=exc.line,
                   retry_encoding=exc.retry_encoding, expected=True)
    elif isinstance(exc, MlmanagerError):
        err.update(kind="mlmanager", message=str(exc), expected=True)
    elif isinstance(exc, (LookupError, ValueError)):
        err.update(kind="input", message=str(exc).splitlines()[0] if str(exc) else type(exc).__name__,
                   expected=True)
    else:
        err.update(kind="internal", message=f"{type(exc).__name__}: {exc}",
                   details="".join(traceback.format_exception(type(exc), exc, exc.__traceback__))[-8000:],
                   expected=False)
    return err


def main() -> int:
    proto = os.fdopen(os.dup(1), "wb", buffering=0)
    os.dup2(2, 1)  # anything printed goes to stderr, never onto the protocol channel
    sys.stdout = sys.stderr
    child = Child()
    for raw in sys.stdin.buffer:
        if not raw.strip():
            continue
        try:
            req = json.loads(raw)
            rid = req.get("id")
            op = req.get("op")
        except ValueError:
            continue
        if op == "shutdown":
            break
        handler = getattr(child, f"op_{op}", None)
        try:
            if handler is None:
                raise ValueError(f"unknown op {op!r}")
            reply = {"id": rid, "ok": True, "data": handler(req.get("args") or {})}
        except BaseException as exc:  # noqa: BLE001 - every failure is a reply, never a crash
            if isinstance(exc, (KeyboardInterrupt, SystemExit)):
                raise
            reply = {"id": rid, "ok": False, "error": _error(exc)}
        try:
            line = json.dumps(reply, allow_nan=False, default=str)
        except ValueError:
            line = json.dumps({"id": rid, "ok": False, "error": {
                "kind": "internal", "message": "the reply could not be encoded", "expected": False}})
        proto.write(line.encode("utf-8") + b"\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
