"""Faults: each a clear message naming what failed, and nothing half-built left looking ready.

Builds that must stop half-way use a local package whose wheel build waits on a FIFO (see
``env_models.write_blocking_package``): when the test's ``open(fifo, "w")`` returns, the
build is inside uv, after the environment was created; closing the FIFO lets it go on.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path
from typing import IO

import pytest
from env_models import write_blocking_package, write_model

import mlmanager.core.atomic
from mlmanager.core.environments.builder import build
from mlmanager.core.environments.cache import EnvironmentCache
from mlmanager.core.environments.failures import BuildCancelled, EnvironmentBuildError
from mlmanager.core.environments.interpreter_choice import PythonUnavailableError
from mlmanager.core.environments.plan import BuildOptions, BuildPlan, plan_build
from mlmanager.core.environments.spec import read_spec

pytestmark = pytest.mark.envbuild
WAIT = 180  # seconds a test waits for a build to reach a point before it fails


def _no_leftovers(cache: EnvironmentCache) -> None:
    assert cache.environments() == []
    assert [p.name for p in cache.root.iterdir() if p.name.startswith(".tmp-")] == []


def _six_model(tmp_path: Path, **kw) -> Path:
    kw.setdefault("python", "3.11.7")
    kw.setdefault("requirements", ["six==1.16.0"])
    return write_model(tmp_path / "m", build_dependencies=(), **kw)


class Gate:
    """The FIFO a blocking build waits on, opened by a helper thread (so a build that never
    gets there fails the test instead of hanging it)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self._writer: list[IO[str]] = []
        self._thread = threading.Thread(target=lambda: self._writer.append(open(path, "w")),  # noqa: SIM115
                                        daemon=True)
        self._thread.start()

    def wait_inside(self) -> None:
        """Return once the build has opened the FIFO (it is blocked inside uv's build)."""
        self._thread.join(WAIT)
        if self._thread.is_alive():
            with open(self.path):  # unblock the helper thread
                pass
            pytest.fail("the build never reached the blocking package")

    def release(self) -> None:
        """Let the blocked build go on (and later builds pass: the FIFO is removed)."""
        self.path.unlink()
        for w in self._writer:
            w.close()


@pytest.fixture
def blocking(tmp_path: Path) -> tuple[Path, Gate]:
    gate = Gate(tmp_path / "gate.fifo")
    package = write_blocking_package(tmp_path / "pkg", gate.path)
    model = _six_model(tmp_path, requirements=["six==1.16.0", f"mlm-blocking @ {package.as_uri()}"])
    yield model, gate
    if gate.path.exists():
        gate.release()


def _plan(model: Path, cache: Path, **options) -> BuildPlan:
    return plan_build(read_spec(model), BuildOptions(**options), EnvironmentCache(cache))


def test_a_package_that_does_not_exist(tmp_path: Path) -> None:
    model = _six_model(tmp_path, requirements=["six==1.16.0", "no-such-package-mlmanager-xq==1.0"])
    plan = _plan(model, tmp_path / "cache")
    with pytest.raises(EnvironmentBuildError) as err:
        build(plan, consent=True)
    exc = err.value
    assert exc.kind == "not-found" and exc.requirement == "no-such-package-mlmanager-xq"
    assert "no-such-package-mlmanager-xq does not exist on the package index" in str(exc)
    log = " ".join(Path(exc.log_path).read_text().split())  # uv wraps its messages
    assert "no-such-package-mlmanager-xq was not found in the package registry" in log
    assert f"Full log: {exc.log_path}" in str(exc)
    assert len(exc.tried) == 1  # nothing else can help: stopped at once
    _no_leftovers(plan.cache)
    status = plan.status()
    assert status.state == "failed" and status.failure["kind"] == "not-found"


def test_a_python_version_that_is_not_available(tmp_path: Path) -> None:
    model = _six_model(tmp_path, python="3.4.10")
    with pytest.raises(PythonUnavailableError) as err:
        _plan(model, tmp_path / "cache")
    assert "Python 3.4 (the model asks for 3.4.10) is not available" in str(err.value)
    assert "--allow-other-python" in str(err.value)
    plan = _plan(model, tmp_path / "cache", allow_other_python=True)
    assert plan.choice.match == "other-minor" and "may not load" in plan.choice.warning


def test_offline_with_an_empty_package_cache(tmp_path: Path) -> None:
    plan = _plan(_six_model(tmp_path), tmp_path / "cache", offline=True,
                 uv_cache_dir=str(tmp_path / "empty-uv-cache"))
    with pytest.raises(EnvironmentBuildError) as err:
        build(plan, consent=True)
    assert err.value.kind == "offline"
    assert "six is not in uv's package cache, and the build is offline" in str(err.value)
    _no_leftovers(plan.cache)


def test_offline_from_a_warm_package_cache(tmp_path: Path) -> None:
    uv_cache = str(tmp_path / "uv-cache")
    online = _plan(_six_model(tmp_path), tmp_path / "cache", uv_cache_dir=uv_cache)
    build(online, consent=True)
    offline = _plan(_six_model(tmp_path), tmp_path / "cache-2", offline=True, uv_cache_dir=uv_cache)
    env = build(offline, consent=True).environment
    assert env.packages["six"] == "1.16.0"


def test_a_cancelled_build_leaves_nothing_and_a_rebuild_works(blocking, tmp_path: Path) -> None:
    model, gate = blocking
    plan = _plan(model, tmp_path / "cache", allow_build=True)
    inside = threading.Event()
    threading.Thread(target=lambda: (gate.wait_inside(), inside.set()), daemon=True).start()
    with pytest.raises(BuildCancelled) as err:
        build(plan, consent=True, cancelled=inside.is_set)
    assert "cancelled" in str(err.value)
    gate.release()
    _no_leftovers(plan.cache)
    assert plan.status().state == "not-built"  # a cancel is not a failure
    result = build(plan, consent=True)
    assert result.environment.packages["mlm-blocking"] == "1.0"


def _cli(*args: str, cache: Path, stderr: IO[str] | int = subprocess.PIPE
         ) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "mlmanager", "env", "build", *args, "--cache", str(cache)],
        stdout=subprocess.PIPE, stderr=stderr, stdin=subprocess.DEVNULL, text=True,
        start_new_session=True)


def _stop(proc: subprocess.Popen[str]) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
    proc.communicate(timeout=WAIT)


def test_a_killed_build_leaves_nothing_that_looks_ready(blocking, tmp_path: Path) -> None:
    model, gate = blocking
    cache = EnvironmentCache(tmp_path / "cache")
    with open(tmp_path / "cli.log", "w") as log:
        proc = _cli(str(model), "--yes", "--allow-build", cache=cache.root, stderr=log)
        try:
            gate.wait_inside()
            os.killpg(proc.pid, signal.SIGKILL)  # the CLI, uv and the build backend at once
        finally:
            _stop(proc)
    assert proc.returncode == -signal.SIGKILL
    gate.release()
    leftovers = [p for p in cache.root.iterdir() if p.name.startswith(".tmp-")]
    assert leftovers and (leftovers[0] / "env").is_dir()  # half-built, under a temporary name
    assert cache.environments() == []
    plan = _plan(model, cache.root, allow_build=True)
    assert plan.ready() is None and plan.status().state == "not-built"
    result = build(plan, consent=True)  # the next build cleans up and succeeds
    assert not result.reused and result.environment.packages["six"] == "1.16.0"
    assert [p for p in cache.root.iterdir() if p.name.startswith(".tmp-")] == []


def test_two_builds_at_once_one_builds_the_other_reuses(blocking, tmp_path: Path) -> None:
    model, gate = blocking
    cache_root = tmp_path / "cache"
    plan = _plan(model, cache_root, allow_build=True)
    results: list[object] = []
    first = threading.Thread(target=lambda: results.append(build(plan, consent=True)))
    first.start()
    gate.wait_inside()  # the first build holds the lock and is inside uv
    second = _cli(str(model), "--yes", "--allow-build", "--json", cache=cache_root)
    try:
        waiting = []
        for line in second.stderr:
            waiting.append(line)
            if "waiting for another build" in line:
                break
        assert any("waiting for another build" in x for x in waiting), waiting
        gate.release()  # the first build goes on; the second waits for its lock
        out, err = second.communicate(timeout=WAIT)
    finally:
        _stop(second)
    first.join(WAIT)
    assert second.returncode == 0, err
    data = json.loads(out)
    built = results[0].environment
    assert not results[0].reused and data["reused"] and data["waited"]
    assert data["name"] == built.name and data["packages"]["mlm-blocking"] == "1.0"
    assert [e.name for e in EnvironmentCache(cache_root).environments()] == [built.name]


def test_a_full_disk_while_recording(tmp_path: Path, monkeypatch) -> None:
    plan = _plan(_six_model(tmp_path), tmp_path / "cache")

    def no_space(path: Path, data: bytes, mode: int) -> None:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))

    monkeypatch.setattr(mlmanager.core.atomic, "_write_replace", no_space)
    with pytest.raises(EnvironmentBuildError) as err:
        build(plan, consent=True)  # uv really installs; writing the metadata fails
    assert err.value.kind == "disk-full" and "no space left on device" in str(err.value)
    assert "mlmanager env prune" in str(err.value)
    _no_leftovers(plan.cache)


@pytest.fixture
def tiny_disk(tmp_path: Path):
    mount = tmp_path / "tiny"
    mount.mkdir()
    proc = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=12m", "tmpfs", str(mount)],
                          capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here ({proc.stderr.strip()}); "
                    "the injected ENOSPC test covers the write layer")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_during_the_install(tiny_disk: Path, sklearn_model: Path) -> None:
    cache = EnvironmentCache(tiny_disk / "envs")
    plan = plan_build(read_spec(sklearn_model), cache=cache)
    with pytest.raises(EnvironmentBuildError) as err:
        build(plan, consent=True)
    assert err.value.kind == "disk-full", str(err.value)
    assert cache.environments() == []
    assert [p for p in cache.root.iterdir() if p.name.startswith(".tmp-")] == []


def test_an_unreachable_package_index(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The index the user configured for uv does not answer (nothing listens on port 9)."""
    monkeypatch.setenv("UV_DEFAULT_INDEX", "http://127.0.0.1:9/simple")
    monkeypatch.delenv("UV_INDEX_URL", raising=False)
    model = _six_model(tmp_path)
    plan = _plan(model, tmp_path / "cache", uv_cache_dir=str(tmp_path / "empty-uv-cache"))
    with pytest.raises(EnvironmentBuildError) as err:
        build(plan, consent=True)
    exc = err.value
    assert exc.kind == "network" and len(exc.tried) == 1  # no other strategy can reach it either
    assert "the package index could not be reached" in str(exc)
    assert "(http://127.0.0.1:9/simple/six/: Connection refused" in str(exc) and "--offline" in str(exc)
    _no_leftovers(plan.cache)
    # the command line: the same words, an exit code, no traceback, nothing left
    cli = subprocess.run(
        [sys.executable, "-m", "mlmanager", "env", "build", str(model), "--yes", "--quiet",
         "--cache", str(tmp_path / "cache-2")],
        capture_output=True, text=True, timeout=WAIT, stdin=subprocess.DEVNULL,
        env={**os.environ, "UV_CACHE_DIR": str(tmp_path / "empty-uv-cache")})
    assert cli.returncode != 0
    assert "the package index could not be reached" in cli.stderr and "Traceback" not in cli.stderr
    _no_leftovers(EnvironmentCache(tmp_path / "cache-2"))
