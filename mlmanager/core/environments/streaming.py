"""Run an installer command to its end: its output streamed line by line, cancellable.

The command leads its own process group (POSIX), so a cancel kills it and everything it
started (uv's build backends, pip's compilers) at once. The caller's thread runs the loop; a
small reader thread only moves lines from the pipe to a queue, so the cancel flag is polled
every ``POLL_SECONDS`` even while the installer prints nothing.

Being in its own group, the installer would outlive a caller that is killed (``kill -9``, a
crash) and go on writing into a build folder nobody owns. On Linux it gets SIGKILL when the
thread that started it dies (``PR_SET_PDEATHSIG``): that thread waits for it here, so this
happens only when the caller dies.
"""

from __future__ import annotations

import os
import queue
import subprocess
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from mlmanager.core.child_process import kill_group

LineFn = Callable[[str], None]
CancelledFn = Callable[[], bool]  # the caller's cancel flag (e.g. TaskState.is_cancelled)

POLL_SECONDS = 0.1
TAIL_LINES = 400


@dataclass
class CommandResult:
    returncode: int
    lines: list[str]  # the last TAIL_LINES lines of output (stdout and stderr merged)
    cancelled: bool = False

    @property
    def ok(self) -> bool:
        return self.returncode == 0 and not self.cancelled

    @property
    def text(self) -> str:
        return "\n".join(self.lines)


def _pump(stream: Any, lines: queue.Queue[str | None]) -> None:
    """Lines (a last one without a newline too) from ``stream`` to ``lines``; None at the end."""
    try:
        for raw in iter(stream.readline, b""):
            lines.put(raw.decode("utf-8", "replace").rstrip("\r\n"))
    except (OSError, ValueError):
        pass
    finally:
        lines.put(None)


_PDEATHSIG: list[Callable[[], None] | None] = []


def _parent_death_signal() -> Callable[[], None] | None:
    """A ``preexec_fn`` asking Linux to SIGKILL the child when its parent thread dies. The
    libc function is looked up here, before any fork: the child only calls it."""
    if _PDEATHSIG:
        return _PDEATHSIG[0]
    fn = None
    if sys.platform.startswith("linux"):
        try:
            import ctypes  # lazily: only builds need it

            prctl = ctypes.CDLL(None, use_errno=True).prctl
        except (OSError, AttributeError):
            prctl = None
        if prctl is not None:
            def fn() -> None:
                prctl(1, 9)  # PR_SET_PDEATHSIG, SIGKILL
    _PDEATHSIG.append(fn)
    return fn


def run_command(
    argv: Sequence[str],
    *,
    env: Mapping[str, str] | None = None,
    cwd: str | None = None,
    on_line: LineFn | None = None,
    cancelled: CancelledFn | None = None,
) -> CommandResult:
    """Run ``argv``; every output line goes to ``on_line``. A cancel kills the process group
    and returns ``cancelled=True``. An executable that cannot start raises OSError."""
    popen = subprocess.Popen(  # noqa: S603 - the installer we located, with our arguments
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        close_fds=True,
        start_new_session=(os.name == "posix"),
        preexec_fn=_parent_death_signal(),  # noqa: PLW1509 - one libc call, looked up before
        creationflags=getattr(subprocess, "CREATE_NO_WINDOW", 0) if os.name == "nt" else 0,
    )
    pending: queue.Queue[str | None] = queue.Queue()
    reader = threading.Thread(target=_pump, args=(popen.stdout, pending), daemon=True,
                              name="mlmanager-installer-lines")
    reader.start()
    tail: list[str] = []
    was_cancelled = False
    try:
        while True:
            if cancelled is not None and cancelled():
                was_cancelled = True
                kill_group(popen)
                break
            try:
                line = pending.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue
            if line is None:
                break
            tail.append(line)
            if len(tail) > TAIL_LINES:
                del tail[: len(tail) - TAIL_LINES]
            if on_line is not None:
                on_line(line)
    except BaseException:
        kill_group(popen)
        raise
    finally:
        returncode = popen.wait()
        reader.join(timeout=5)
        if popen.stdout is not None:
            popen.stdout.close()
    return CommandResult(returncode, tail, was_cancelled)
