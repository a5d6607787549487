"""The parts of a build that need no package index: interpreters and the choice between them,
reading an installer's failure, the resolution date, the cancellable command (the lock they share
with the download cache: tests/core/test_filelock.py)."""

from __future__ import annotations

import os
import select
import sys
import threading

import pytest

from mlmanager.core.environments.dating import later_window, moved_date, start_date
from mlmanager.core.environments.failures import classify
from mlmanager.core.environments.interpreter_choice import (
    PythonUnavailableError,
    choose_interpreter,
    nearest_minors,
)
from mlmanager.core.environments.interpreters import Interpreter, find_interpreters
from mlmanager.core.environments.spec import parse_created
from mlmanager.core.environments.streaming import run_command


def interp(version: str) -> Interpreter:
    return Interpreter(f"/opt/python{version}/bin/python", version, "pyenv")


HERE = [interp(v) for v in ("3.13.0", "3.12.1", "3.11.7", "3.10.13", "3.8.18", "3.6.15")]


def test_exact_then_same_minor() -> None:
    assert choose_interpreter("3.11.7", interpreters=HERE).match == "exact"
    choice = choose_interpreter("3.10.12", interpreters=HERE)
    assert choice.match == "same-minor" and choice.interpreter.version == "3.10.13"
    assert "3.10.12" in choice.reason and choice.warning is None
    minor_only = choose_interpreter("3.8", interpreters=HERE)  # conda.yaml's "python=3.8"
    assert minor_only.match == "exact" and minor_only.interpreter.version == "3.8.18"


def test_a_newer_python_than_any_here_falls_back_one_minor_with_a_note() -> None:
    choice = choose_interpreter("3.14.0", interpreters=HERE)
    assert choice.match == "newer-fallback" and choice.interpreter.version == "3.13.0"
    assert "newer than any Python here" in choice.reason and "may not load" in choice.warning


def test_a_missing_minor_needs_the_callers_agreement() -> None:
    with pytest.raises(PythonUnavailableError) as err:
        choose_interpreter("3.9.7", interpreters=HERE)
    text = str(err.value)
    assert "Python 3.9" in text and "3.10.13" in text and "--allow-other-python" in text
    assert err.value.kind == "python-unavailable"
    choice = choose_interpreter("3.9.7", interpreters=HERE, allow_other_minor=True)
    # 3.8 and 3.10 are as near: the older one, where an old model's pins have wheels
    assert choice.match == "other-minor" and choice.interpreter.version == "3.8.18"
    assert "may not load" in choice.warning


def test_uv_python_install_failure_is_said_plainly() -> None:
    from mlmanager.core.environments.installer import find_uv

    uv, _ = find_uv()
    if uv is None:
        pytest.skip("uv is not installed")
    with pytest.raises(PythonUnavailableError) as err:
        # 3.4 cannot be installed by uv, online or not: the failure is still one clear message
        choose_interpreter("3.4.10", interpreters=HERE, allow_install=True, uv=uv)
    assert "uv python install 3.4.10 failed" in str(err.value)


def test_nearest_minors_older_first() -> None:
    assert [i.version for i in nearest_minors(HERE[3], HERE)] == ["3.11.7", "3.8.18", "3.12.1"]
    assert [i.version for i in nearest_minors(HERE[2], HERE)] == ["3.10.13", "3.12.1", "3.13.0"]


def test_the_interpreter_the_user_gives_is_used_and_probed() -> None:
    choice = choose_interpreter("3.6.9", python=sys.executable)
    assert choice.match == "given"
    assert choice.interpreter.version == ".".join(map(str, sys.version_info[:3]))
    assert "may not load" in choice.warning
    with pytest.raises(PythonUnavailableError, match="not a Python interpreter"):
        choose_interpreter("3.10", python="/nonexistent/python")


def test_find_interpreters_skips_shims_and_answers_versions() -> None:
    found = find_interpreters(extra=[sys.executable], refresh=True)
    assert found[0].source == "given"
    assert found[0].version == ".".join(map(str, sys.version_info[:3]))
    assert all(os.path.basename(os.path.dirname(i.executable)) != "shims" for i in found)
    assert len({os.path.realpath(i.executable) for i in found}) == len(found)


# Real uv output, as uv 0.13 prints it
NO_WHEEL = """error: No solution found when resolving dependencies
  cause: Because scikit-learn==0.23.2 has no usable wheels and you require scikit-learn==0.23.2, we can conclude that your requirements are unsatisfiable.

hint: Wheels are required for `scikit-learn` because building from source is disabled for all packages (i.e., with `--no-build`)"""
NOT_FOUND = """error: No solution found when resolving dependencies
  cause: Because nonexistent-pkg-zzq was not found in the package registry and you require nonexistent-pkg-zzq==1.0, we can conclude that your requirements are unsatisfiable."""
OFFLINE = """error: No solution found when resolving dependencies
  cause: Because six was not found in the cache and you require six, we can conclude that your requirements are unsatisfiable.

hint: Packages were unavailable because the network was disabled. When the network is disabled, registry packages may only be read from the cache."""
PUBLISHED = """error: No solution found when resolving dependencies
  cause: Because there is no version of scikit-learn==1.3.0 and you require scikit-learn==1.3.0, we can conclude that your requirements are unsatisfiable.

hint: `scikit-learn` was filtered by `exclude-newer` to only include packages uploaded before 2021-06-01T00:00:00Z. The requested version, v1.3.0, was published at 2023-06-30T07:54:40.92Z. Consider using `exclude-newer-package` to override the cutoff for this package."""
NETWORK = """error: Request failed after 3 retries
  Caused by: Failed to fetch: `http://127.0.0.1:9/simple/six/`
  cause: error sending request for url (http://127.0.0.1:9/simple/six/)
  cause: tcp connect error
  cause: Connection refused (os error 111)"""
WRAPPED = """Resolved 2 packages in 271ms
error: Building source distributions is disabled, but attempted to build
       `mlm-blocking`"""
CONFLICT = """error: No solution found when resolving dependencies
  cause: Because scikit-learn==1.3.0 depends on numpy>=1.17.3 and you require numpy==1.16.0, we can conclude that your requirements are unsatisfiable."""


@pytest.mark.parametrize(("text", "kind", "requirement"), [
    (NO_WHEEL, "no-wheel", "scikit-learn==0.23.2"),
    (NOT_FOUND, "not-found", "nonexistent-pkg-zzq"),
    (OFFLINE, "offline", "six"),
    (PUBLISHED, "published-after", "scikit-learn==1.3.0"),
    (NETWORK, "network", None),
    (CONFLICT, "conflict", None),
    (WRAPPED, "no-wheel", "mlm-blocking"),
    ("error: failed to write: No space left on device (os error 28)", "disk-full", None),
])
def test_installer_failures_in_plain_words(text: str, kind: str, requirement: str | None) -> None:
    failure = classify(text, "3.10.13")
    assert failure.kind == kind
    assert failure.requirement == requirement
    if requirement:
        assert requirement.split("==")[0] in failure.message
    if kind == "no-wheel":
        assert "Python 3.10.13" in failure.message and "--allow-build" in failure.text
    if kind == "published-after":
        assert failure.published == "2023-06-30T07:54:40.92Z"
    if kind == "conflict":
        assert "numpy==1.16.0" in failure.message


def test_resolution_date() -> None:
    created = parse_created("2023-08-01 10:00:00.5")
    assert start_date(created) == "2023-08-02T10:00:00Z"
    assert moved_date("2021-06-02T10:00:00Z", "2023-06-30T07:54:40.92Z") == "2023-07-01T07:54:40Z"
    assert moved_date("2024-01-01T00:00:00Z", "2023-06-30T07:54:40.92Z") is None
    assert later_window("2021-08-15T12:00:00Z", None) == "2021-09-14T12:00:00Z"
    assert later_window("2021-08-15T12:00:00Z", "2021-09-14T12:00:00Z") == "2021-11-13T12:00:00Z"
    windows, current = [], None
    while (current := later_window("2021-08-15T12:00:00Z", current)) is not None:
        windows.append(current[:10])
    assert windows == ["2021-09-14", "2021-11-13", "2022-02-11", "2022-08-15", "2023-08-15",
                       "2025-08-14"]


def test_a_cancelled_command_is_killed_with_its_children() -> None:
    # the child prints, then starts a grandchild that would outlive it, then waits
    script = ("import subprocess, sys, time; "
              "p = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(600)']); "
              "print(p.pid, flush=True); time.sleep(600)")
    lines: list[str] = []
    started = threading.Event()

    def on_line(line: str) -> None:
        lines.append(line)
        started.set()

    result = run_command([sys.executable, "-c", script], on_line=on_line,
                         cancelled=started.is_set)
    assert result.cancelled and not result.ok
    grandchild = int(lines[0])
    # the grandchild went with the group: wait for its exit (a pidfd turns readable then)
    try:
        fd = os.pidfd_open(grandchild)
    except ProcessLookupError:
        return
    try:
        readable, _, _ = select.select([fd], [], [], 30)
    finally:
        os.close(fd)
    assert readable, "the installer's child survived the cancel"


def test_a_command_streams_its_lines_in_order() -> None:
    result = run_command([sys.executable, "-c", "import sys\nfor i in range(5): print(i)\n"
                          "sys.stdout.flush(); sys.stderr.write('err\\nlast'); sys.exit(3)"])
    assert result.returncode == 3 and result.lines == ["0", "1", "2", "3", "4", "err", "last"]
