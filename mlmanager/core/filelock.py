"""An inter-process file lock (``flock`` on POSIX, ``msvcrt.locking`` on Windows).

The kernel drops the lock when its holder dies, so a killed build or download never leaves a
lock behind. Used by the environment cache (builds) and the registry download cache.
Waiting polls, so a waiter can be cancelled and can say that it waits.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from pathlib import Path

POLL_SECONDS = 0.2


class LockCancelled(Exception):
    """The wait for a lock was cancelled."""


class FileLock:
    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._fd: int | None = None

    @property
    def held(self) -> bool:
        return self._fd is not None

    def _try(self) -> bool:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            if os.name == "posix":
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            else:  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            os.close(fd)
            return False
        self._fd = fd
        return True

    def acquire(
        self,
        *,
        blocking: bool = True,
        cancelled: Callable[[], bool] | None = None,
        on_wait: Callable[[], None] | None = None,
    ) -> bool:
        """Take the lock. ``blocking``: wait for it (``on_wait`` is called once, when the wait
        starts); a cancel while waiting raises LockCancelled. Returns whether it is held."""
        if self._try():
            return True
        if not blocking:
            return False
        if on_wait is not None:
            on_wait()
        while True:
            if cancelled is not None and cancelled():
                raise LockCancelled(str(self.path))
            time.sleep(POLL_SECONDS)
            if self._try():
                return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if os.name == "posix":
                import fcntl

                fcntl.flock(fd, fcntl.LOCK_UN)
            else:  # pragma: no cover - Windows
                import msvcrt

                msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        finally:
            os.close(fd)

    def is_locked_elsewhere(self) -> bool:
        """Whether another holder has the lock now (takes and drops it when free)."""
        if self.held:
            return False
        if self._try():
            self.release()
            return False
        return True

    def __enter__(self) -> FileLock:
        self.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
