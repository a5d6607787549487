"""The inter-process file lock of the environment cache and the download cache."""

from __future__ import annotations

from pathlib import Path

import pytest

from mlmanager.core.filelock import FileLock, LockCancelled


def test_file_lock_is_exclusive_and_a_waiter_can_be_cancelled(tmp_path: Path) -> None:
    first, second = FileLock(tmp_path / "x.lock"), FileLock(tmp_path / "x.lock")
    assert first.acquire()
    assert second.is_locked_elsewhere()
    assert not second.acquire(blocking=False)
    waits = []
    with pytest.raises(LockCancelled):
        second.acquire(on_wait=lambda: waits.append(1), cancelled=lambda: bool(waits))
    first.release()
    assert second.acquire(blocking=False)
    second.release()
