"""The app's helper processes, started one way: isolated, in their own process group, with a
capped log, a kill that reaches the whole group, and cleanup even when ``close()`` is never called.

Three helpers use it: the prediction worker (``mlmanager.predict.worker_client``), the input
helper (``mlmanager.predict.input_helper``) and the local MLflow scoring server
(``mlmanager.core.deploy.local_server``). Each builds its own command (``mlmanager.frozen``
for a frozen app) and speaks its own protocol; this module owns what they share:

* a session folder (``home``, ``tmp``, the working folder) deleted with the process;
* a scrubbed environment: only :data:`KEEP_ENV` and ``LC_*`` survive, ``HOME``/``TMP*`` point
  into the session, ``*_NUM_THREADS=1``;
* the process in its own session/process group (posix) so a kill takes its children too;
* a channel: two private pipes passed as fds (posix) or stdin/stdout (``"stdio"``), or none;
* stdout/stderr (everything but the channel) in a capped in-memory log, or in a log file;
* :meth:`ChildProcess.kill` (SIGKILL to the group) and :meth:`ChildProcess.stop` (SIGTERM to
  the group, a grace period, then SIGKILL), and a line reader for JSON-lines protocols.
"""

from __future__ import annotations

import contextlib
import os
import queue
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import weakref
from collections.abc import Callable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from mlmanager.core.errors import MlmanagerError

KEEP_ENV = frozenset({"PATH", "LANG", "LANGUAGE", "TZ", "LD_LIBRARY_PATH", "SYSTEMROOT",
                      "SystemRoot", "WINDIR", "COMSPEC", "PATHEXT", "TERM"})
THREAD_VARS = ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS",
               "NUMEXPR_NUM_THREADS", "VECLIB_MAXIMUM_THREADS")
DEFAULT_LOG_LIMIT = 256 << 10
EOF = object()  # put on a line queue when the channel closed


class ChildStartError(MlmanagerError):
    """The process could not be started (interpreter missing, not executable...)."""


def isolated_env(home: Path, tmp: Path, *, extra: Mapping[str, str] | None = None,
                 path_first: str | None = None, threads: int | None = 1) -> dict[str, str]:
    """The child's environment: scrubbed, HOME and TMP in its session, one thread per library."""
    env = {k: v for k, v in os.environ.items() if k in KEEP_ENV or k.startswith("LC_")}
    env.update({"HOME": str(home), "USERPROFILE": str(home), "TMPDIR": str(tmp), "TEMP": str(tmp),
                "TMP": str(tmp), "PYTHONNOUSERSITE": "1"})
    if threads is not None:
        env.update({name: str(threads) for name in THREAD_VARS})
    if path_first:
        env["PATH"] = os.pathsep.join(p for p in (path_first, env.get("PATH", "")) if p)
    env.update(extra or {})
    return env


class Session:
    """A private folder for one helper: ``home``, ``tmp`` and working folders inside it."""

    def __init__(self, prefix: str) -> None:
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        for sub in ("home", "tmp"):
            (self.root / sub).mkdir(mode=0o700)
        self._finalizer = weakref.finalize(self, shutil.rmtree, str(self.root), True)

    @property
    def home(self) -> Path:
        return self.root / "home"

    @property
    def tmp(self) -> Path:
        return self.root / "tmp"

    def folder(self, prefix: str) -> Path:
        return Path(tempfile.mkdtemp(prefix=prefix, dir=self.root))

    def env(self, **kwargs: Any) -> dict[str, str]:
        return isolated_env(self.home, self.tmp, **kwargs)

    def remove(self) -> None:
        self._finalizer()


class ChildProcess:
    """One started helper process. ``channel``: ``"fds"`` (two private pipes on posix, stdin/
    stdout elsewhere; their numbers are appended to ``argv`` as ``--fds R,W`` or ``--stdio``),
    ``"stdio"`` (stdin/stdout are the channel) or ``None``; the rest of the output goes to the
    log (memory, capped at ``log_limit``, or ``log_path``)."""

    def __init__(self, argv: Sequence[str], *, cwd: Path, env: Mapping[str, str],
                 channel: str | None = None, log_limit: int = DEFAULT_LOG_LIMIT,
                 log_path: Path | None = None, name: str = "helper") -> None:
        self.name = name
        self.log_limit = log_limit
        self.log_path = log_path
        self._log = bytearray()
        self._log_lock = threading.Lock()
        self._log_file: BinaryIO | None = None
        self.commands: BinaryIO | None = None  # where the parent writes
        self.replies: BinaryIO | None = None  # where the parent reads
        self.killed = False
        argv = list(argv)
        posix = os.name == "posix"
        fds: list[int] = []
        kwargs: dict[str, Any] = {"cwd": str(cwd), "env": dict(env), "close_fds": True}
        if posix:
            kwargs["start_new_session"] = True  # its own process group: kill() reaches its children
        else:
            kwargs["creationflags"] = (getattr(subprocess, "CREATE_NO_WINDOW", 0)
                                       | getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0))
        if log_path is not None:
            self._log_file = open(log_path, "wb")  # noqa: SIM115 - closed in close()
            out: Any = self._log_file
        else:
            out = subprocess.PIPE
        try:
            if channel == "fds" and posix:
                cmd_r, cmd_w = os.pipe()
                evt_r, evt_w = os.pipe()
                fds = [cmd_r, cmd_w, evt_r, evt_w]
                argv += ["--fds", f"{cmd_r},{evt_w}"]
                self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                              stderr=subprocess.STDOUT, pass_fds=(cmd_r, evt_w), **kwargs)
                os.close(cmd_r)
                os.close(evt_w)
                self.commands = os.fdopen(cmd_w, "wb", buffering=0)
                self.replies = os.fdopen(evt_r, "rb", buffering=0)
                log_source = self.popen.stdout
            elif channel in ("fds", "stdio"):
                if channel == "fds":
                    argv += ["--stdio"]  # the child swaps its stdin/stdout for the channel itself
                self.popen = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                              stderr=out if log_path is not None else subprocess.PIPE,
                                              **kwargs)
                self.commands, self.replies = self.popen.stdin, self.popen.stdout
                log_source = self.popen.stderr
            else:
                self.popen = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                              stderr=subprocess.STDOUT, **kwargs)
                log_source = self.popen.stdout
        except OSError as exc:
            for fd in fds:
                with contextlib.suppress(OSError):
                    os.close(fd)
            self._close_log_file()
            raise ChildStartError(f"cannot start the {name} ({argv[0]}): {exc.strerror or exc}") from None
        self.argv = argv
        self._log_thread: threading.Thread | None = None
        if log_source is not None:
            self._log_thread = threading.Thread(target=self._read_log, args=(log_source,),
                                                name=f"mlmanager-{name}-log", daemon=True)
            self._log_thread.start()
        self._finalizer = weakref.finalize(self, kill_group, self.popen)

    # ------------------------------------------------------------------ state
    @property
    def pid(self) -> int:
        return self.popen.pid

    def poll(self) -> int | None:
        return self.popen.poll()

    @property
    def alive(self) -> bool:
        return self.popen.poll() is None

    def wait(self, timeout: float | None = None) -> int:
        """The exit code (negative: the signal); kills the group when ``timeout`` passes."""
        try:
            return self.popen.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill()
            return self.popen.wait()

    # ------------------------------------------------------------------ log
    def _read_log(self, stream: Any) -> None:
        for chunk in _chunks(stream):
            with self._log_lock:
                self._log += chunk
                if len(self._log) > self.log_limit:
                    del self._log[: len(self._log) - self.log_limit]

    def log_tail(self, limit: int = 8000) -> str:
        """The end of what the process printed (its stdout and stderr)."""
        if self.log_path is not None:
            with contextlib.suppress(OSError):
                if self._log_file is not None:
                    self._log_file.flush()
                with open(self.log_path, "rb") as fh:
                    size = fh.seek(0, os.SEEK_END)
                    fh.seek(max(0, size - limit))
                    return fh.read().decode("utf-8", "replace")
            return ""
        if self._log_thread is not None and not self.alive:
            self._log_thread.join(timeout=2)  # the last lines of a dead process
        with self._log_lock:
            return bytes(self._log[-limit:]).decode("utf-8", "replace")

    # ------------------------------------------------------------------ ending
    def kill(self) -> None:
        """SIGKILL the whole process group now (any thread)."""
        self.killed = True
        kill_group(self.popen)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM the group, wait up to ``grace`` for it to go, then SIGKILL what is left."""
        popen = self.popen
        if os.name == "posix":
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(popen.pid, signal.SIGTERM)
            deadline = time.monotonic() + grace
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=grace)
            while group_alive(popen.pid) and time.monotonic() < deadline:
                time.sleep(0.05)
        else:
            with contextlib.suppress(OSError):
                popen.terminate()
            with contextlib.suppress(subprocess.TimeoutExpired):
                popen.wait(timeout=grace)
        kill_group(popen, group=True)
        with contextlib.suppress(subprocess.TimeoutExpired):
            popen.wait(timeout=grace)

    def close(self) -> None:
        """Kill the process (if still running), wait for it and close the pipes and the log."""
        self.kill()
        with contextlib.suppress(Exception):
            self.popen.wait(timeout=5)
        for pipe in (self.commands, self.replies):
            with contextlib.suppress(Exception):
                if pipe is not None:
                    pipe.close()
        self._close_log_file()
        self._finalizer.detach()

    def _close_log_file(self) -> None:
        if self._log_file is not None:
            with contextlib.suppress(OSError):
                self._log_file.close()
            self._log_file = None


def kill_group(popen: subprocess.Popen[bytes], group: bool = False) -> None:
    """SIGKILL the process group the child leads (just the child elsewhere)."""
    if popen.poll() is not None and not group:
        return
    try:
        if os.name == "posix":
            os.killpg(popen.pid, signal.SIGKILL)
        else:
            popen.kill()
    except (ProcessLookupError, PermissionError, OSError):
        with contextlib.suppress(OSError):
            popen.kill()


def group_alive(pgid: int) -> bool:
    """Whether a process of group ``pgid`` is still running (zombies do not count)."""
    proc_dir = Path("/proc")
    if proc_dir.is_dir():
        for entry in proc_dir.iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            fields = stat[stat.rfind(")") + 2:].split()
            if len(fields) > 2 and fields[2] == str(pgid) and fields[0] not in ("Z", "X"):
                return True
        return False
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def _chunks(stream: Any) -> Iterator[bytes]:
    """What a pipe delivers, as it comes, until it closes (then the stream is closed)."""
    try:
        while True:
            try:
                chunk = stream.read1(1 << 16) if hasattr(stream, "read1") else stream.read(1 << 16)
            except (OSError, ValueError):
                return
            if not chunk:
                return
            yield chunk
    finally:
        with contextlib.suppress(Exception):
            stream.close()


class LineSplitter:
    """Split a byte stream into lines; lines longer than ``max_line`` are dropped whole.

    Both ends use it: the parent on a helper's replies, the worker on its requests (the
    worker carries this module: keep it stdlib-only and Python 3.7-compatible)."""

    def __init__(self, max_line: int = 4 << 20) -> None:
        self.max_line = max_line
        self._buf = bytearray()
        self._skipping = False
        self.dropped = 0  # number of oversize lines thrown away

    def feed(self, chunk: bytes) -> Iterator[bytes]:
        self._buf += chunk
        while True:
            nl = self._buf.find(b"\n")
            if nl < 0:
                if len(self._buf) > self.max_line:
                    self._buf.clear()
                    if not self._skipping:
                        self.dropped += 1
                    self._skipping = True
                return
            line = bytes(self._buf[:nl])
            del self._buf[: nl + 1]
            if self._skipping:
                self._skipping = False
                continue
            if len(line) > self.max_line:
                self.dropped += 1
                continue
            yield line


def read_lines(stream: BinaryIO, lines: queue.Queue[Any], decode: Callable[[bytes], Any],
               max_line: int = 4 << 20, name: str = "helper") -> threading.Thread:
    """Start a thread that splits ``stream`` into lines, puts ``decode(line)`` on ``lines``
    (a line ``decode`` rejects with ValueError is dropped, as is a line over ``max_line``) and
    :data:`EOF` when the stream ends."""

    def run() -> None:
        splitter = LineSplitter(max_line)
        try:
            for chunk in _chunks(stream):
                for line in splitter.feed(chunk):
                    with contextlib.suppress(ValueError):
                        lines.put(decode(line))
        finally:
            lines.put(EOF)

    thread = threading.Thread(target=run, name=f"mlmanager-{name}-lines", daemon=True)
    thread.start()
    return thread
