"""Try a request on a real local MLflow scoring server (``mlflow models serve``), on loopback only.

The server runs ``<python> -m mlflow models serve -m DIR --env-manager local -h 127.0.0.1 -p PORT``
with the interpreter the caller names (the prediction worker's), started like every helper of the
app (``core.child_process``): its own process group, a scrubbed environment, a throw-away HOME
and working folder, its output in a log file. It loads (unpickles) the model, so it runs only for a model
the user trusts: ``trusted=True`` must be passed explicitly. The server is always stopped
(SIGTERM to the group, then SIGKILL), and requests never go through a proxy.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.child_process import ChildProcess, ChildStartError, Session
from mlmanager.core.errors import InvalidError, MlmanagerError

LOOPBACK = "127.0.0.1"
LOG_TAIL_BYTES = 8000


class LocalServerError(MlmanagerError):
    """The local server could not be started or answered nothing; ``log_tail`` holds its output."""

    def __init__(self, message: str, log_tail: str = "") -> None:
        self.log_tail = log_tail
        super().__init__(message)


@dataclass
class ServeResult:
    """One request's answer. ``json`` is the decoded body when it is JSON."""

    status: int
    body: str
    json: Any = None
    content_type: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def predictions(self) -> Any:
        if isinstance(self.json, dict) and "predictions" in self.json:
            return self.json["predictions"]
        return self.json


@dataclass
class LocalServeOutcome:
    """What :func:`try_local_server` returns: the answer (or the error) and the server's log."""

    result: ServeResult | None
    log_tail: str
    port: int
    startup_seconds: float
    error: str | None = None
    command: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.result is not None and self.result.ok


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def mlflow_available(python: str, timeout: float = 60.0) -> bool:
    """Whether ``python`` can import mlflow (checked without importing it: ``find_spec``)."""
    code = "import importlib.util, sys; sys.exit(0 if importlib.util.find_spec('mlflow') else 3)"
    try:
        done = subprocess.run(
            [python, "-I", "-c", code], capture_output=True, timeout=timeout, check=False
        )
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def _opener() -> urllib.request.OpenerDirector:
    return urllib.request.build_opener(urllib.request.ProxyHandler({}))


class LocalServer:
    """A running ``mlflow models serve`` on 127.0.0.1; use as a context manager.

    ``python``: the interpreter (must have mlflow); ``trusted`` must be True (the model is
    loaded, which runs code from its files).
    """

    def __init__(
        self,
        model_dir: str | os.PathLike[str],
        *,
        python: str | None = None,
        trusted: bool = False,
        startup_timeout: float = 180.0,
        request_timeout: float = 60.0,
        check_mlflow: bool = True,
    ) -> None:
        if trusted is not True:
            raise InvalidError(
                "refusing to start a local MLflow server: it loads the model, which runs code from "
                "its files. Trust this model first (trusted=True / --trust)",
                str(model_dir),
            )
        self.model_dir = Path(model_dir).resolve()
        if not (self.model_dir / "MLmodel").is_file():
            raise InvalidError("not an MLflow model folder (MLmodel missing)", str(model_dir))
        self.python = python or sys.executable
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.check_mlflow = check_mlflow
        self.port = 0
        self.startup_seconds = 0.0
        self._proc: ChildProcess | None = None
        self._session: Session | None = None
        self._last_log = ""  # the log of a stopped server
        self.command: list[str] = []

    # -- life cycle -------------------------------------------------------------------------

    def start(self) -> LocalServer:
        if self.check_mlflow and not mlflow_available(self.python):
            raise LocalServerError(
                f"mlflow is not importable by {self.python}: install it there (pip install mlflow) "
                "or pick an interpreter that has it"
            )
        self._session = Session("mlmanager-serve-")
        self.port = free_port()
        self.command = [
            self.python, "-m", "mlflow", "models", "serve",
            "-m", str(self.model_dir),
            "--env-manager", "local",
            "-h", LOOPBACK,
            "-p", str(self.port),
        ]
        env = self._session.env(
            path_first=os.path.dirname(self.python),  # the env's uvicorn, not the caller's
            extra={"MLFLOW_SCORING_SERVER_REQUEST_TIMEOUT": str(int(self.request_timeout))},
            threads=None,
        )
        started = time.monotonic()
        try:
            self._proc = ChildProcess(self.command, cwd=self._session.root, env=env,
                                      log_path=self._session.root / "server.log", name="local server")
        except ChildStartError as exc:
            self.cleanup()
            raise LocalServerError(f"cannot run {self.python}: {exc.message}") from None
        try:
            self._wait_ready(started)
        except LocalServerError as exc:
            tail = self.log_tail()
            self.stop()
            raise LocalServerError(exc.message, tail) from None
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_ready(self, started: float) -> None:
        deadline = started + self.startup_timeout
        url = f"http://{LOOPBACK}:{self.port}/ping"
        opener = _opener()
        delay = 0.05
        while True:
            assert self._proc is not None
            code = self._proc.poll()
            if code is not None:
                raise LocalServerError(f"the server exited with code {code} before it was ready")
            try:
                with opener.open(url, timeout=2) as resp:
                    if resp.status == 200:
                        return
            except (urllib.error.URLError, OSError, ValueError):
                pass
            if time.monotonic() > deadline:
                raise LocalServerError(
                    f"the server did not answer /ping within {self.startup_timeout:.0f} s"
                )
            time.sleep(delay)
            delay = min(delay * 1.5, 0.5)

    def stop(self) -> None:
        """Stop the server (terminate the process group, then kill it) and clean up."""
        proc, self._proc = self._proc, None
        if proc is not None:
            proc.stop()
            self._last_log = proc.log_tail(LOG_TAIL_BYTES)
            proc.close()

    def cleanup(self) -> None:
        self.stop()
        if self._session is not None:
            self._session.remove()
            self._session = None

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.cleanup()

    @property
    def running(self) -> bool:
        return self._proc is not None and self._proc.alive

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc is not None else None

    # -- requests ---------------------------------------------------------------------------

    def post(
        self,
        body: str | bytes | dict | list,
        *,
        content_type: str = "application/json",
        path: str = "/invocations",
    ) -> ServeResult:
        """POST ``body`` to the local server (loopback only)."""
        if not self.running:
            raise LocalServerError("the server is not running", self.log_tail())
        if not path.startswith("/"):
            raise ValueError("path must start with '/'")
        if isinstance(body, (dict, list)):
            data = json.dumps(body).encode("utf-8")
        elif isinstance(body, str):
            data = body.encode("utf-8")
        else:
            data = bytes(body)
        url = f"http://{LOOPBACK}:{self.port}{path}"
        req = urllib.request.Request(url, data=data, method="POST", headers={"Content-Type": content_type})
        started = time.monotonic()
        try:
            with _opener().open(req, timeout=self.request_timeout + 10) as resp:
                status, body, ctype = resp.status, resp.read(), resp.headers.get("Content-Type")
        except urllib.error.HTTPError as exc:
            status, body, ctype = exc.code, exc.read(), exc.headers.get("Content-Type") if exc.headers else None
        except (urllib.error.URLError, OSError) as exc:
            raise LocalServerError(f"no answer from the local server: {exc}", self.log_tail()) from None
        text = body.decode("utf-8", "replace")
        try:
            decoded = json.loads(text)
        except ValueError:
            decoded = None
        return ServeResult(status, text, decoded, ctype, time.monotonic() - started)

    def log_tail(self, limit: int = LOG_TAIL_BYTES) -> str:
        return self._proc.log_tail(limit) if self._proc is not None else self._last_log

def try_local_server(
    model_dir: str | os.PathLike[str],
    body: str | bytes | dict | list,
    *,
    python: str | None = None,
    trusted: bool = False,
    content_type: str = "application/json",
    startup_timeout: float = 180.0,
    request_timeout: float = 60.0,
) -> LocalServeOutcome:
    """Start a local MLflow server for ``model_dir``, POST ``body``, stop the server.

    Raises InvalidError when ``trusted`` is not True or the folder is not a model; start-up and
    request failures are returned in ``error`` with the server's log tail.
    """
    server = LocalServer(
        model_dir, python=python, trusted=trusted,
        startup_timeout=startup_timeout, request_timeout=request_timeout,
    )
    try:
        server.start()
    except LocalServerError as exc:
        server.cleanup()
        return LocalServeOutcome(None, exc.log_tail, server.port, 0.0, exc.message, server.command)
    try:
        result = server.post(body, content_type=content_type)
        return LocalServeOutcome(result, server.log_tail(), server.port, server.startup_seconds, None, server.command)
    except LocalServerError as exc:
        return LocalServeOutcome(None, exc.log_tail or server.log_tail(), server.port,
                                 server.startup_seconds, exc.message, server.command)
    finally:
        server.cleanup()
