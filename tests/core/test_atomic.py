"""atomic_write: temp + fsync + replace, mode kept, backup, symlink/outside refusal, disk full."""

from __future__ import annotations

import errno
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from mlmanager.core import atomic
from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import UnsafePathError, WriteError

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX modes/symlinks/rlimits")


def _leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.endswith(".tmp"))


def test_replaces_and_keeps_backup(tmp_path: Path) -> None:
    target = tmp_path / "MLmodel"
    target.write_bytes(b"old\n")
    backup = atomic_write(target, b"new\n", root=tmp_path)
    assert target.read_bytes() == b"new\n"
    assert backup == tmp_path / "MLmodel.bak"
    assert backup.read_bytes() == b"old\n"
    assert _leftovers(tmp_path) == []


def test_new_file_without_backup(tmp_path: Path) -> None:
    target = tmp_path / "MLmodel"
    assert atomic_write(target, b"x", root=tmp_path) is None
    assert target.read_bytes() == b"x"
    assert not (tmp_path / "MLmodel.bak").exists()


@posix_only
def test_mode_is_copied(tmp_path: Path) -> None:
    target = tmp_path / "MLmodel"
    target.write_bytes(b"old")
    target.chmod(0o640)
    atomic_write(target, b"new", root=tmp_path)
    assert target.stat().st_mode & 0o777 == 0o640
    assert (tmp_path / "MLmodel.bak").stat().st_mode & 0o777 == 0o640


@posix_only
def test_refuses_symlink_target_untouched(tmp_path: Path) -> None:  # T24
    outside = tmp_path / "bashrc"
    outside.write_bytes(b"precious")
    folder = tmp_path / "model"
    folder.mkdir()
    os.symlink(outside, folder / "MLmodel")
    with pytest.raises(UnsafePathError, match="symlink"):
        atomic_write(folder / "MLmodel", b"evil", root=folder)
    assert outside.read_bytes() == b"precious"
    assert os.path.islink(folder / "MLmodel")
    assert _leftovers(folder) == []


@posix_only
def test_refuses_path_outside_root(tmp_path: Path) -> None:
    root = tmp_path / "model"
    root.mkdir()
    other = tmp_path / "elsewhere"
    other.mkdir()
    os.symlink(other, root / "sub")
    with pytest.raises(UnsafePathError, match="outside"):
        atomic_write(root / "sub" / "MLmodel", b"x", root=root)
    assert not (other / "MLmodel").exists()


@posix_only
def test_refuses_fifo(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "MLmodel")
    with pytest.raises(UnsafePathError, match="regular"):
        atomic_write(tmp_path / "MLmodel", b"x", root=tmp_path)


@pytest.mark.parametrize("fail_in", ["write", "fsync"])
def test_disk_full_keeps_old_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail_in: str) -> None:  # T25
    target = tmp_path / "MLmodel"
    target.write_bytes(b"old content\n")
    real = getattr(os, fail_in)
    calls = {"n": 0}

    def failing(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] >= 2:  # the first call belongs to the backup copy
            raise OSError(errno.ENOSPC, "No space left on device")
        return real(*args, **kwargs)

    monkeypatch.setattr(atomic.os, fail_in, failing)
    with pytest.raises(WriteError, match="No space left on device") as err:
        atomic_write(target, b"new content that does not fit\n", root=tmp_path)
    monkeypatch.undo()
    assert "previous file is intact" in str(err.value)
    assert target.read_bytes() == b"old content\n"
    assert (tmp_path / "MLmodel.bak").read_bytes() == b"old content\n"
    assert _leftovers(tmp_path) == []


def test_backup_failure_aborts_before_touching_target(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "MLmodel"
    target.write_bytes(b"old")

    def failing(*args, **kwargs):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(atomic.os, "write", failing)
    with pytest.raises(WriteError):
        atomic_write(target, b"new", root=tmp_path)
    monkeypatch.undo()
    assert target.read_bytes() == b"old"
    assert not (tmp_path / "MLmodel.bak").exists()
    assert _leftovers(tmp_path) == []


@posix_only
def test_rlimit_fsize_in_subprocess(tmp_path: Path) -> None:  # T25 with a real EFBIG
    target = tmp_path / "MLmodel"
    old = b"a: 1\n" * 20  # 100 bytes: the backup fits under the limit
    target.write_bytes(old)
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1000, 1000))
        from mlmanager.core.atomic import atomic_write
        from mlmanager.core.errors import WriteError
        try:
            atomic_write({str(target)!r}, b"b: 2\\n" * 1000, root={str(tmp_path)!r})
        except WriteError as exc:
            print("WriteError", exc)
            sys.exit(3)
        sys.exit(0)
        """
    )
    repo = Path(__file__).resolve().parents[2]
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, env=env, timeout=60)
    assert proc.returncode == 3, proc.stderr
    assert "WriteError" in proc.stdout
    assert target.read_bytes() == old
    assert (tmp_path / "MLmodel.bak").read_bytes() == old
    assert _leftovers(tmp_path) == []
