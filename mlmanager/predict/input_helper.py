"""Parent side of the input helper process (``input_helper_child``): blocking calls, no Qt.

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
import subprocess
import sys
import tempfile
import threading
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlmanager
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.inputs.validation import ValidationResult
from mlmanager.frozen import INPUT_HELPER, child_argv
from mlmanager.worker.frames import decode_value, encode_value, read_frames

START_TIMEOUT = 120.0
DEFAULT_TIMEOUT = 600.0
_LOG_LIMIT = 64 << 10
_EOF = object()

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
        self._proc: subprocess.Popen[bytes] | None = None
        self._events: queue.Queue[Any] | None = None
        self._log = bytearray()
        self._cancelled = False
        self._closed = False
        self._session = Path(tempfile.mkdtemp(prefix="mlmanager-input-helper-"))
        self._holder: list[subprocess.Popen[bytes] | None] = [None]
        # the helper must not outlive its owner, even when close() is never called
        self._finalizer = weakref.finalize(self, _cleanup, self._holder, self._session)

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
            if self._proc is not None and self._proc.poll() is None:
                with contextlib.suppress(InputHelperError):
                    self._call("drop", {"input": input_id}, 30)

    def cancel(self) -> None:
        """Kill the helper now (any thread); the running call raises InputHelperCancelled."""
        proc = self._proc
        if proc is not None and proc.poll() is None:
            self._cancelled = True
            with contextlib.suppress(OSError):
                proc.kill()

    @property
    def pid(self) -> int | None:
        proc = self._proc
        return proc.pid if proc is not None and proc.poll() is None else None

    def close(self) -> None:
        self._closed = True
        proc, self._proc = self._proc, None
        if proc is not None:
            with contextlib.suppress(Exception):
                if proc.stdin is not None:
                    proc.stdin.write(b'{"op": "shutdown"}\n')
                    proc.stdin.flush()
            with contextlib.suppress(Exception):
                proc.wait(timeout=2)
        self._finalizer()

    # ------------------------------------------------------------------ plumbing
    def _out_dir(self) -> Path:
        out = self._session / f"out-{next(self._ids)}"
        return out

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

    def _ensure(self) -> subprocess.Popen[bytes]:
        if self._closed:
            raise InputHelperError("the input helper is closed")
        proc = self._proc
        if proc is not None and proc.poll() is None:
            return proc
        pkg_parent = str(Path(mlmanager.__file__).resolve().parent.parent)
        env = dict(os.environ)
        for name in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
            env.setdefault(name, "1")
        argv = _frozen_argv(self.python) or [self.python, "-I", "-c", _BOOTSTRAP, pkg_parent]
        try:
            proc = subprocess.Popen(
                argv,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                env=env, cwd=str(self._session), close_fds=True,
                creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0),
            )
        except OSError as exc:
            raise InputHelperError(f"cannot start the input helper with {self.python}: {exc}") from None
        events: queue.Queue[Any] = queue.Queue()
        self._events = events
        self._log = bytearray()
        threading.Thread(target=_read_lines, args=(proc.stdout, events), daemon=True,
                         name="mlmanager-input-helper-out").start()
        threading.Thread(target=_read_log, args=(proc.stderr, self._log), daemon=True,
                         name="mlmanager-input-helper-log").start()
        self._proc = proc
        self._holder[0] = proc
        self._cancelled = False
        return proc

    def _call(self, op: str, args: dict[str, Any], timeout: float) -> dict[str, Any]:
        proc = self._ensure()
        events = self._events
        assert events is not None and proc.stdin is not None
        rid = next(self._ids)
        line = json.dumps({"id": rid, "op": op, "args": args}, allow_nan=False).encode("utf-8") + b"\n"
        try:
            proc.stdin.write(line)
            proc.stdin.flush()
        except (BrokenPipeError, OSError, ValueError):
            raise self._death(proc) from None
        while True:
            try:
                msg = events.get(timeout=timeout)
            except queue.Empty:
                self.cancel()
                self._cancelled = False
                raise InputHelperError(f"reading the input took longer than {timeout:g} s; stopped",
                                kind="timeout") from None
            if msg is _EOF:
                raise self._death(proc)
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

    def _death(self, proc: subprocess.Popen[bytes]) -> InputHelperError:
        with contextlib.suppress(Exception):
            proc.wait(timeout=5)
        tail = bytes(self._log[-4000:]).decode("utf-8", "replace")
        if self._proc is proc:
            self._proc = None
        if self._cancelled:
            self._cancelled = False
            return InputHelperCancelled("cancelled", kind="cancelled")
        return InputHelperError(f"the input helper stopped unexpectedly (exit code {proc.returncode})",
                         kind="crashed", details=tail, expected=False)


def _frozen_argv(python: str) -> list[str] | None:
    """In a frozen app (PyInstaller) the helper is the app started with a hidden flag."""
    return child_argv(INPUT_HELPER, python)


def _cleanup(holder: list[subprocess.Popen[bytes] | None], session: Path) -> None:
    proc = holder[0]
    if proc is not None and proc.poll() is None:
        with contextlib.suppress(OSError):
            proc.kill()
        with contextlib.suppress(Exception):
            proc.wait(timeout=5)
    shutil.rmtree(session, ignore_errors=True)


def _read_lines(stream: Any, events: queue.Queue[Any]) -> None:
    try:
        for raw in iter(stream.readline, b""):
            try:
                events.put(json.loads(raw))
            except ValueError:
                continue
    except (OSError, ValueError):
        pass
    finally:
        events.put(_EOF)


def _read_log(stream: Any, log: bytearray) -> None:
    try:
        while True:
            chunk = stream.read1(1 << 14) if hasattr(stream, "read1") else stream.read(1 << 14)
            if not chunk:
                break
            log += chunk
            if len(log) > _LOG_LIMIT:
                del log[: len(log) - _LOG_LIMIT]
    except (OSError, ValueError):
        pass
