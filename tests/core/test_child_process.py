"""The one child-process base: isolation, process group, capped log, kill, stop, line reader."""

from __future__ import annotations

import json
import os
import queue
import sys
import time
from pathlib import Path

import pytest

from mlmanager.core.child_process import (
    EOF,
    ChildProcess,
    ChildStartError,
    Session,
    group_alive,
    read_lines,
)

pytestmark = pytest.mark.skipif(os.name != "posix", reason="process groups and pass_fds are posix")


def _until(condition, timeout: float = 60.0) -> bool:
    """Poll ``condition`` until it holds (a bounded wait for another process, not a timing)."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def _run(code: str, session: Session, **kwargs) -> ChildProcess:
    return ChildProcess([sys.executable, "-I", "-c", code], cwd=session.root, env=session.env(), **kwargs)


def test_the_environment_is_scrubbed_and_home_is_private(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MLMANAGER_TEST_SECRET", "token")
    monkeypatch.setenv("LC_TEST_KEEP", "kept")
    session = Session("mlmanager-test-")
    code = "import json, os; print(json.dumps(dict(os.environ), sort_keys=True), flush=True)"
    child = _run(code, session)
    assert child.wait(timeout=60) == 0
    env = json.loads(child.log_tail(1 << 20))
    assert "MLMANAGER_TEST_SECRET" not in env
    assert env["LC_TEST_KEEP"] == "kept"
    assert env["HOME"] == str(session.home) and env["TMPDIR"] == str(session.tmp)
    assert env["OMP_NUM_THREADS"] == "1" and env["PYTHONNOUSERSITE"] == "1"
    child.close()
    session.remove()
    assert not session.root.exists()


def test_kill_reaches_the_whole_process_group() -> None:
    session = Session("mlmanager-test-")
    code = ("import subprocess, sys, time\n"
            "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(120)'])\n"
            "print('grandchild', p.pid, flush=True)\ntime.sleep(120)\n")
    child = _run(code, session)
    assert _until(lambda: "grandchild" in child.log_tail())
    assert group_alive(child.pid)
    child.kill()
    assert child.wait(timeout=30) < 0
    grandchild = int(child.log_tail().split()[-1])
    assert _until(lambda: not group_alive(child.pid)), f"grandchild {grandchild} survived"
    child.close()
    session.remove()


def test_stop_terminates_then_kills_what_ignores_sigterm() -> None:
    session = Session("mlmanager-test-")
    code = ("import signal, time\nsignal.signal(signal.SIGTERM, signal.SIG_IGN)\n"
            "print('ready', flush=True)\ntime.sleep(120)\n")
    child = _run(code, session, log_path=session.root / "child.log")
    assert _until(lambda: "ready" in child.log_tail())
    child.stop(grace=0.5)
    assert not child.alive and child.popen.returncode == -9
    assert child.log_tail() == "ready\n"  # from the log file
    child.close()
    session.remove()


def test_the_log_is_capped_and_keeps_the_end() -> None:
    session = Session("mlmanager-test-")
    child = _run("import sys; sys.stdout.write('x' * 100000 + 'END'); sys.stdout.flush()", session,
                 log_limit=1000)
    assert child.wait(timeout=60) == 0
    tail = child.log_tail(5000)
    assert len(tail) == 1000 and tail.endswith("END")
    child.close()
    session.remove()


def test_the_fds_channel_and_the_line_reader() -> None:
    session = Session("mlmanager-test-")
    code = ("import os, sys\nr, w = (int(x) for x in sys.argv[sys.argv.index('--fds') + 1].split(','))\n"
            "print('noise on stdout', flush=True)\n"
            "data = os.read(r, 100)\n"
            "os.write(w, b'{\"a\": 1}\\nnot json\\n' + b'y' * 5000 + b'\\n' + data)\n")
    child = _run(code, session, channel="fds")
    lines: queue.Queue = queue.Queue()
    read_lines(child.replies, lines, json.loads, max_line=1000)
    child.commands.write(b'{"b": 2}\n')
    child.commands.flush()
    got = []
    while (item := lines.get(timeout=60)) is not EOF:
        got.append(item)
    assert got == [{"a": 1}, {"b": 2}]  # invalid and oversize lines dropped
    assert child.wait(timeout=60) == 0
    assert "noise on stdout" in child.log_tail()  # stdout is the log, never the channel
    child.close()
    session.remove()


def test_a_missing_program_is_a_clear_error(tmp_path: Path) -> None:
    session = Session("mlmanager-test-")
    with pytest.raises(ChildStartError, match="cannot start the helper"):
        ChildProcess([str(tmp_path / "missing-python")], cwd=session.root, env=session.env())
    session.remove()
