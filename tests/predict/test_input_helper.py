"""The input helper process on the shared child-process base: isolated, its own process group,
cancel and timeout kill it and the next call starts a fresh one, a crash is reported in words,
and nothing (process, session folder) outlives ``close()``."""

from __future__ import annotations

import fcntl
import os
import signal
import struct
import termios
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from mlmanager.predict.input_helper import InputHelper, InputHelperCancelled, InputHelperError

pytestmark = pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="reads /proc (Linux)")
WAIT = 120.0  # generous: the machine may be loaded


@pytest.fixture
def helper() -> Iterator[InputHelper]:
    h = InputHelper(timeout=WAIT)
    yield h
    h.close()


@pytest.fixture
def csv_input(tmp_path: Path) -> Path:
    path = tmp_path / "rows.csv"
    path.write_text("a,b\n1,x\n2,y\n3,z\n")
    return path


def _environ(pid: int) -> dict[str, str]:
    raw = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(item.decode().split("=", 1) for item in raw if b"=" in item)


def _state(pid: int) -> str:
    """The process state letter from /proc (R, S, T, Z...), "X" once it is gone."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "X"


def _gone(pid: int) -> bool:
    return _state(pid) in ("Z", "X")


def _wait_for(condition, what: str) -> None:
    deadline = time.monotonic() + WAIT
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"gave up waiting for {what}")
        time.sleep(0.01)


def _pending_request_bytes(pid: int) -> int:
    """Bytes written to the helper's stdin that it has not read (a second read end via /proc)."""
    fd = os.open(f"/proc/{pid}/fd/0", os.O_RDONLY | os.O_NONBLOCK)
    try:
        return struct.unpack("i", fcntl.ioctl(fd, termios.FIONREAD, b"\0\0\0\0"))[0]
    finally:
        os.close(fd)


def _call_while_stopped(helper: InputHelper, csv_input: Path) -> tuple[int, threading.Thread, list]:
    """Freeze the helper, start an open in a thread, return once the request is in its pipe."""
    helper.start()
    pid = helper.pid
    assert pid is not None
    os.kill(pid, signal.SIGSTOP)
    # stopped for real before the request goes out (else it may read it on its way to stopping)
    _wait_for(lambda: _state(pid) == "T", "the helper to stop")
    outcome: list = []

    def call() -> None:
        try:
            outcome.append(helper.open_file(csv_input))
        except InputHelperError as exc:
            outcome.append(exc)

    thread = threading.Thread(target=call, daemon=True)
    thread.start()
    _wait_for(lambda: _pending_request_bytes(pid) > 0, "the request to reach the helper")
    return pid, thread, outcome


def test_the_helper_runs_isolated_in_its_own_group_and_close_leaves_nothing(
        helper: InputHelper, csv_input: Path) -> None:
    opened = helper.open_file(csv_input)
    assert (opened.rows, opened.columns) == (3, 2)
    pid = helper.pid
    assert pid is not None and os.getpgid(pid) == pid  # kill() reaches whatever it starts
    env = _environ(pid)
    session = helper._session.root
    assert env["HOME"] == str(session / "home") and env["TMPDIR"] == str(session / "tmp")
    assert env["OMP_NUM_THREADS"] == "1"
    assert not any(k.startswith("MLMANAGER_") for k in env)  # a scrubbed environment
    helper.close()
    _wait_for(lambda: _gone(pid), "the helper to exit")
    assert not session.exists()
    with pytest.raises(InputHelperError, match="closed"):
        helper.open_file(csv_input)


def test_cancel_during_a_call_kills_the_helper_and_the_next_call_starts_afresh(
        helper: InputHelper, csv_input: Path) -> None:
    pid, thread, outcome = _call_while_stopped(helper, csv_input)
    helper.cancel()
    thread.join(WAIT)
    assert isinstance(outcome[0], InputHelperCancelled)
    _wait_for(lambda: _gone(pid), "the cancelled helper to exit")
    assert helper.open_file(csv_input).rows == 3
    assert helper.pid not in (None, pid)


def test_cancel_between_calls_does_not_fail_the_next_one(helper: InputHelper, csv_input: Path) -> None:
    helper.start()
    first = helper.pid
    helper.cancel()
    assert helper.open_file(csv_input).rows == 3
    assert helper.pid != first


def test_a_call_that_takes_too_long_stops_the_helper(csv_input: Path) -> None:
    helper = InputHelper(timeout=1.0)
    try:
        helper.start()
        pid = helper.pid
        assert pid is not None
        os.kill(pid, signal.SIGSTOP)
        with pytest.raises(InputHelperError) as err:
            helper.open_file(csv_input)
        assert err.value.kind == "timeout" and "longer than 1 s" in str(err.value)
        _wait_for(lambda: _gone(pid), "the stopped helper to be killed")
        helper.timeout = WAIT
        assert helper.open_file(csv_input).rows == 3
    finally:
        helper.close()


def test_a_helper_killed_from_outside_is_reported_in_words(helper: InputHelper, csv_input: Path) -> None:
    pid, thread, outcome = _call_while_stopped(helper, csv_input)
    os.kill(pid, signal.SIGKILL)
    thread.join(WAIT)
    exc = outcome[0]
    assert isinstance(exc, InputHelperError) and not isinstance(exc, InputHelperCancelled)
    assert exc.kind == "crashed" and not exc.expected
    assert str(exc) == f"the input helper stopped unexpectedly (exit code {-signal.SIGKILL})"
    assert helper.open_file(csv_input).rows == 3  # the next call starts a fresh helper
