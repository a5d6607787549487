"""Parent side of the input helper process (``input_helper_child``): blocking calls, no Qt.

Started like every helper (``mlmanager.core.child_process``): its own process group, a scrubbed
environment with a private home and temp folder, stdin/stdout as the JSON-lines channel and
stderr in a capped log.

Drive it from a background task; ``cancel()`` may be called from any thread and kills the
child (the next call starts a fresh one). One call at a time.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import queue
import shutil
import sys
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlmanager
from mlmanager.core.child_process import EOF, ChildProcess, ChildStartError, Session, read_lines
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.inputs.validation import ValidationResult
from mlmanager.frozen import INPUT_HELPER, child_argv
from mlmanager.worker.frames import decode_value, encode_value, read_frames

START_TIMEOUT = 120.0
DEFAULT_TIMEOUT = 600.0
_LOG_LIMIT = 64 << 10

_BOOTSTRAP = (
    "import sys\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "from mlmanager.predict.input_helper_child import main\n"
    "sys.exit(main())\n"
)


class InputHelperError(MlmanagerError):
    """The helper reported a failure (unreadable input, no example...) or died."""

    def __init__(self, message: str, *, kind: str = "error", line: int | None = None,
                 retry_encoding: str | None = None, details: str = "", expected: bool = True) -> None:
        self.kind = kind
        self.line = line
        self.retry_encoding = retry_encoding
        self.details = details
        self.expected = expected
        super().__init__(message)


class InputHelperCancelled(InputHelperError):
    """``cancel()`` killed the helper while it worked."""


@dataclass
class OpenedInput:
    """An input the helper holds, and its table."""

    input_id: int
    label: str
    origin: str  # file | example | rows | fixed
    source: str  # csv | parquet | json:... | object
    kind: str  # dataframe | tensor | tensors | object
    rows: int
    columns: int
    display: Any  # DataFrame
    row_labels: list[int] | None = None
    params: dict[str, Any] | None = None
    notes: list[str] = field(default_factory=list)
    path: str | None = None
    checked: CheckOutcome | None = None  # when opened with ``check=``


@dataclass(frozen=True)
class CheckArgs:
    """How to check an input: against which model, in which semantics, with which params."""

    model_dir: str
    mode: str = "serving"
    params: dict[str, Any] | None = None
    ignore_signature: bool = False  # the user chose to go on without an unreadable signature

    def to_json(self) -> dict[str, Any]:
        return {"model_dir": self.model_dir, "mode": self.mode,
                "params": encode_value(self.params) if self.params is not None else None,
                "ignore_signature": self.ignore_signature}


@dataclass
class CheckOutcome:
    result: ValidationResult
    data: Any = None  # what the model receives (None when invalid)


def problem_from_json(d: dict[str, Any]) -> Problem:
    return Problem(
        kind=str(d.get("kind") or "problem"),
        message=str(d.get("message") or ""),
        column=d.get("column"),
        expected=d.get("expected"),
        found=d.get("found"),
        rows=[int(r) for r in d.get("rows") or [] if isinstance(r, int)],
        values=[str(v) for v in d.get("values") or []],
        fix=d.get("fix"),
        stage=str(d.get("stage") or "schema"),
        target=str(d.get("target") or "column"),
        line=d.get("line") if isinstance(d.get("line"), int) else None,
        severity=str(d.get("severity") or "error"),
    )


def result_from_json(d: dict[str, Any]) -> ValidationResult:
    params = d.get("params_encoded")
    return ValidationResult(
        valid=bool(d.get("valid")),
        mode=str(d.get("mode") or "serving"),
        errors=[problem_from_json(p) for p in d.get("errors") or []],
        warnings=[_as_warning(problem_from_json(p)) for p in d.get("warnings") or []],
        params=decode_value(params) if params is not None else None,
        source=d.get("source"),
        signature_kind=str(d.get("signature") or "none"),
        parsed_dtypes=d.get("parsed_dtypes"),
    )


def _as_warning(p: Problem) -> Problem:
    p.severity = "warning"
    return p


class InputHelper:
    """One helper process, started on first use and kept warm."""

    def __init__(self, python: str | None = None, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.python = python or sys.executable
        self.timeout = timeout
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        self._child: ChildProcess | None = None
        self._events: queue.Queue[Any] | None = None
        self._cancelled = False
        self._closed = False
        # a private home/tmp/working folder, deleted with the helper (even without close())
        self._session = Session("mlmanager-input-helper-")

    # ------------------------------------------------------------------ public API
    def start(self) -> None:
        """Start the helper and let it import pandas (call from a background thread)."""
        with self._lock:
            self._call("ping", {}, START_TIMEOUT)

    # Every ``open_*`` takes an optional ``check=CheckArgs(...)``: the input is then validated
    # in the same round trip and the outcome is in ``OpenedInput.checked``.
    def open_file(self, path: str | os.PathLike[str], *, fmt: str | None = None,
                  encoding: str = "utf-8", check: CheckArgs | None = None) -> OpenedInput:
        src = {"kind": "file", "path": os.fspath(path), "fmt": fmt, "encoding": encoding}
        opened = self._open(src, check)
        opened.path = os.fspath(path)
        return opened

    def open_example(self, model_dir: str | os.PathLike[str], *, check: CheckArgs | None = None) -> OpenedInput:
        return self._open({"kind": "example", "model_dir": os.fspath(model_dir)}, check)

    def open_rows(self, columns: list[Any], types: list[str | None], rows: list[list[Any]],
                  *, tensor_dtype: str | None = None, check: CheckArgs | None = None) -> OpenedInput:
        src: dict[str, Any] = {"kind": "rows", "columns": columns, "types": types, "rows": rows}
        if tensor_dtype:
            src.update(tensor=True, dtype=tensor_dtype)
        return self._open(src, check)

    def open_fixed(self, base: int, fixes: list[dict[str, Any]], *,
                   check: CheckArgs | None = None) -> OpenedInput:
        return self._open({"kind": "fixed", "base": base, "fixes": fixes}, check)

    def check(self, input_id: int, model_dir: str | os.PathLike[str], mode: str,
              params: dict[str, Any] | None = None, *, want_data: bool = True,
              ignore_signature: bool = False) -> CheckOutcome:
        with self._lock:
            out = self._out_dir()
            try:
                check = CheckArgs(os.fspath(model_dir), mode, params, ignore_signature)
                args = {**check.to_json(), "input": input_id,
                        "out": str(out), "want_data": want_data}
                data = self._call("check", args, self.timeout)
                result = result_from_json(data)
                value = read_frames(out / "data") if data.get("has_data") else None
            finally:
                shutil.rmtree(out, ignore_errors=True)
        result.data = value
        return CheckOutcome(result, value)

    def request_body_text(self, input_id: int, params: dict[str, Any] | None = None) -> str:
        """The input as a scoring-server JSON request (``dataframe_split``/``inputs`` + params)."""
        with self._lock:
            out = self._out_dir()
            try:
                args = {"input": input_id, "out": str(out),
                        "params": encode_value(params) if params is not None else None}
                data = self._call("request_body", args, self.timeout)
                return Path(data["path"]).read_text(encoding="utf-8")
            finally:
                shutil.rmtree(out, ignore_errors=True)

    def drop(self, input_id: int) -> None:
        with self._lock:
            if self._child is not None and self._child.alive:
                with contextlib.suppress(InputHelperError):
                    self._call("drop", {"input": input_id}, 30)

    def cancel(self) -> None:
        """Kill the helper now (any thread); the running call raises InputHelperCancelled."""
        child = self._child
        if child is not None and child.alive:
            self._cancelled = True
            child.kill()

    @property
    def pid(self) -> int | None:
        child = self._child
        return child.pid if child is not None and child.alive else None

    def close(self) -> None:
        self._closed = True
        child, self._child = self._child, None
        if child is not None:
            with contextlib.suppress(Exception):
                if child.commands is not None:
                    child.commands.write(b'{"op": "shutdown"}\n')
                    child.commands.flush()
            child.wait(timeout=2)  # kills the group if it does not go by itself
            child.close()
        self._session.remove()

    # ------------------------------------------------------------------ plumbing
    def _out_dir(self) -> Path:
        return self._session.root / f"out-{next(self._ids)}"

    def _open(self, source: dict[str, Any], check: CheckArgs | None = None) -> OpenedInput:
        checked = None
        with self._lock:
            out = self._out_dir()
            try:
                args: dict[str, Any] = {"source": source, "out": str(out)}
                if check is not None:
                    args["check"] = check.to_json()
                data = self._call("open", args, self.timeout)
                display = read_frames(out / "display")
                result = data.get("checked")
                if isinstance(result, dict):
                    value = read_frames(out / "data") if result.get("has_data") else None
                    checked = CheckOutcome(result_from_json(result), value)
                    checked.result.data = value
            finally:
                shutil.rmtree(out, ignore_errors=True)
        params = decode_value(data["params"]) if data.get("params") is not None else None
        labels = data.get("row_labels")
        return OpenedInput(
            input_id=int(data["input"]), label=str(data.get("label") or ""),
            origin=str(data.get("origin") or ""), source=str(data.get("source") or ""),
            kind=str(data.get("kind") or ""), rows=int(data.get("rows") or 0),
            columns=int(data.get("columns") or 0), display=display,
            row_labels=[int(x) for x in labels] if isinstance(labels, list) else None,
            params=params if isinstance(params, dict) else None,
            notes=[str(n) for n in data.get("notes") or []],
            checked=checked,
        )

    def _ensure(self) -> ChildProcess:
        if self._closed:
            raise InputHelperError("the input helper is closed")
        child = self._child
        if child is not None and child.alive and not child.killed:
            return child
        if child is not None:  # died, or cancelled between calls: start a fresh one
            child.close()
        pkg_parent = str(Path(mlmanager.__file__).resolve().parent.parent)
        argv = child_argv(INPUT_HELPER, self.python) or [self.python, "-I", "-c", _BOOTSTRAP, pkg_parent]
        try:
            child = ChildProcess(argv, cwd=self._session.root, env=self._session.env(),
                                 channel="stdio", log_limit=_LOG_LIMIT, name="input helper")
        except ChildStartError as exc:
            raise InputHelperError(f"cannot start the input helper with {self.python}: {exc}") from None
        assert child.replies is not None
        events: queue.Queue[Any] = queue.Queue()
        read_lines(child.replies, events, json.loads, name="input-helper")
        self._events = events
        self._child = child
        self._cancelled = False
        return child

    def _call(self, op: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
        child = self._ensure()
        events = self._events
        assert events is not None and child.commands is not None
        rid = next(self._ids)
        line = json.dumps({"id": rid, "op": op, "args": args}, allow_nan=False).encode("utf-8") + b"\n"
        try:
            child.commands.write(line)
            child.commands.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._death(child) from None
        while True:
            try:
                msg = events.get(timeout=timeout)
            except queue.Empty:
                self.cancel()
                self._cancelled = False
                raise InputHelperError(f"reading the input took longer than {timeout:g} s; stopped",
                                       kind="timeout") from None
            if msg is EOF:
                raise self._death(child)
            if not isinstance(msg, dict) or msg.get("id") != rid:
                continue
            if msg.get("ok"):
                data = msg.get("data")
                return data if isinstance(data, dict) else {}
            err = msg.get("error") or {}
            raise InputHelperError(
                str(err.get("message") or "the input helper failed"),
                kind=str(err.get("kind") or "error"),
                line=err.get("line") if isinstance(err.get("line"), int) else None,
                retry_encoding=err.get("retry_encoding") if isinstance(err.get("retry_encoding"), str) else None,
                details=str(err.get("details") or ""), expected=bool(err.get("expected", True)),
            )

    def _death(self, child: ChildProcess) -> InputHelperError:
        rc = child.wait(timeout=5)
        tail = child.log_tail(4000)
        if self._child is child:
            self._child = None
        child.close()
        if self._cancelled:
            self._cancelled = False
            return InputHelperCancelled("cancelled", kind="cancelled")
        return InputHelperError(f"the input helper stopped unexpectedly (exit code {rc})",
                                kind="crashed", details=tail, expected=False)
