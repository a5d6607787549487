"""A real ``mlflow server`` for tests and benchmarks: loopback, free port, own process group.

SQLite backend and ``--artifacts-destination`` in a folder of the caller's, ``--serve-artifacts``;
``/health`` is polled until it answers (start-up takes several seconds, more on a busy machine);
:meth:`MlflowServer.stop` ends the whole process group (uvicorn workers included), also when
start-up failed. ``python`` selects the interpreter: :func:`mlflow2_python` gives an MLflow 2.x
server's, from an environment the model factory's helper builds with uv and caches
(``support.author_env.ensure_env``: content-addressed, built once, atomic, file-locked).
Prebuild it (CI does, beside the model factory's step) with::

    PYTHONPATH=tests python -m mlflow_server --build-envs
"""

from __future__ import annotations

import argparse
import contextlib
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path

from support.author_env import ensure_env
from support.model_recipes import EnvSpec

START_TIMEOUT = 240.0

# The last MLflow 2 line, resolved as of a day in its era (scikit-learn 1.7, pandas 2.3): the
# server, and the same environment's MlflowClient and pyfunc as the oracle of the 2.x tests.
MLFLOW2_ENV = EnvSpec("mlflow2-server", "3.11", ("mlflow==2.22.2",), "2025-10-01")


def mlflow2_python() -> Path:
    """The MLflow 2.x environment's interpreter, built with uv on first use (then cached).

    Raises ``support.author_env.RecipeBuildError`` (naming the step and uv's output) when it
    cannot be built.
    """
    return ensure_env(MLFLOW2_ENV).python

# Kills the server's process group once the test process is gone: a test run killed from
# outside (a timeout, Ctrl-C twice) never runs its fixtures' teardown, and an orphaned server
# with its uvicorn workers would keep a port and CPU until the machine reboots.
_WATCHDOG = """
import os, signal, sys, time
owner, group = int(sys.argv[1]), int(sys.argv[2])
while True:
    try:
        os.kill(owner, 0)
        os.killpg(group, 0)
    except ProcessLookupError:
        break
    time.sleep(1.0)
try:
    os.killpg(group, signal.SIGKILL)
except (ProcessLookupError, PermissionError):
    pass
"""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class MlflowServer:
    def __init__(self, folder: Path, *, python: str = sys.executable,
                 app_name: str | None = None, env: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)
        self.python = python
        self.app_name = app_name
        self.env = env or {}
        self.port = port or free_port()
        self.proc: subprocess.Popen | None = None
        self.log_path = self.folder / "server.log"

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def db_uri(self) -> str:
        return f"sqlite:///{self.folder / 'mlflow.db'}"

    def command(self) -> list[str]:
        cmd = [self.python, "-m", "mlflow", "server", "--host", "127.0.0.1",
               "--port", str(self.port), "--backend-store-uri", self.db_uri,
               "--artifacts-destination", str(self.folder / "artifacts"),
               "--serve-artifacts", "--workers", "1"]
        if self.app_name:
            cmd += ["--app-name", self.app_name]
        return cmd

    def start(self, timeout: float = START_TIMEOUT) -> MlflowServer:
        env = {k: v for k, v in os.environ.items() if not k.startswith("MLFLOW_TRACKING_")}
        env.update(self.env)
        env.setdefault("MLFLOW_ALLOW_PICKLE_DESERIALIZATION", "true")
        # MLflow 3's server otherwise starts a job runner with seven huey consumer processes
        # per server: nothing we test uses server-side jobs, and they cost a busy CI its CPU
        env.setdefault("MLFLOW_SERVER_ENABLE_JOB_EXECUTION", "false")
        log = open(self.log_path, "ab")  # noqa: SIM115 - closed in stop()
        self._log = log
        self.proc = subprocess.Popen(self.command(), cwd=self.folder, env=env, stdout=log,
                                     stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                     start_new_session=True)
        subprocess.Popen([sys.executable, "-c", _WATCHDOG, str(os.getpid()), str(self.proc.pid)],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL, start_new_session=True)
        try:
            self._wait_healthy(timeout)
        except BaseException:
            self.stop()
            raise
        return self

    def _wait_healthy(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        pause = threading.Event()
        while time.monotonic() < deadline:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise RuntimeError(f"mlflow server exited with {self.proc.returncode}:\n"
                                   + self.log_tail())
            try:
                with urllib.request.urlopen(self.url + "/health", timeout=2) as r:
                    if r.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            pause.wait(0.25)  # polling a starting server, not timing a test
        raise RuntimeError(f"mlflow server not healthy after {timeout:.0f} s:\n" + self.log_tail())

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def kill(self) -> None:
        """SIGKILL the whole process group at once (a crash, not a shutdown)."""
        if self.proc is not None and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(30)

    def stop(self) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(15)
        else:  # the leader is gone; its workers may not be
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(self.proc.pid, signal.SIGKILL)
        with contextlib.suppress(AttributeError, OSError):
            self._log.close()

    def __enter__(self) -> MlflowServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m mlflow_server",
                                     description="Build the environments of the test servers.")
    parser.add_argument("--build-envs", action="store_true",
                        help="build (or find in the cache) the MLflow 2.x server's environment")
    args = parser.parse_args(argv)
    if not args.build_envs:
        parser.error("nothing to do: pass --build-envs")
    started = time.monotonic()
    python = mlflow2_python()
    print(f"{MLFLOW2_ENV.name}: {python} ({time.monotonic() - started:.1f} s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
