"""Atomic file replacement with a backup, for ``MLmodel`` edits.

temp file in the same folder -> write -> fsync -> copy the old mode -> ``os.replace`` -> fsync the
folder. Refuses to write through a symlink or to a path that resolves outside the model folder
(a hostile folder must not get the editor to overwrite ``~/.bashrc``). On any failure the old
file is untouched and the temp file removed.
"""

from __future__ import annotations

import contextlib
import os
import stat
import sys
import time
from pathlib import Path

from mlmanager.core.errors import UnsafePathError, WriteError

BACKUP_SUFFIX = ".bak"
_REPLACE_RETRIES = 5  # Windows: antivirus/indexers may hold the file for a moment


def _inside(real: str, real_root: str) -> bool:
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)


def check_writable_target(path: str | os.PathLike[str], root: str | os.PathLike[str] | None = None) -> None:
    """Raise UnsafePathError unless ``path`` may be replaced: not a symlink, not special,
    and its folder resolves inside ``root`` (default: its own folder)."""
    p = Path(path)
    real_root = os.path.realpath(root if root is not None else p.parent)
    try:
        st = os.lstat(p)
    except FileNotFoundError:
        st = None
    except OSError as exc:
        raise UnsafePathError(f"cannot inspect the file: {exc.strerror}", p) from None
    if st is not None:
        if stat.S_ISLNK(st.st_mode):
            raise UnsafePathError(
                f"refusing to write through a symlink (it points to {os.readlink(p)!r})", p
            )
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError("refusing to write: not a regular file", p)
    real_parent = os.path.realpath(p.parent)
    if not _inside(real_parent, real_root):
        raise UnsafePathError("refusing to write: the path resolves outside the model folder", p)


def _read_regular(p: Path) -> tuple[bytes, int]:
    flags = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_NONBLOCK", 0)
    flags |= getattr(os, "O_BINARY", 0)
    fd = os.open(p, flags)
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError("refusing to write: not a regular file", p)
        chunks = []
        while True:
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                break
            chunks.append(chunk)
        return b"".join(chunks), stat.S_IMODE(st.st_mode)
    finally:
        os.close(fd)


def _default_mode() -> int:
    if sys.platform == "win32":
        return 0o666
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def _fsync_dir(folder: Path) -> None:
    if not hasattr(os, "O_DIRECTORY"):
        return
    try:
        fd = os.open(folder, os.O_RDONLY | os.O_DIRECTORY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def _replace(src: str, dst: Path) -> None:
    for attempt in range(_REPLACE_RETRIES):
        try:
            os.replace(src, dst)
            return
        except PermissionError:
            if sys.platform != "win32" or attempt == _REPLACE_RETRIES - 1:
                raise
            time.sleep(0.05 * (attempt + 1))


def _write_replace(p: Path, data: bytes, mode: int) -> None:
    import tempfile  # lazily: reading never writes

    fd, tmp = tempfile.mkstemp(prefix=f".{p.name}.", suffix=".tmp", dir=p.parent)
    try:
        try:
            view = memoryview(data)
            while view:
                written = os.write(fd, view)
                view = view[written:]
            os.fsync(fd)
            if hasattr(os, "fchmod"):
                os.fchmod(fd, mode)
        finally:
            os.close(fd)
        if not hasattr(os, "fchmod"):
            os.chmod(tmp, mode)
        _replace(tmp, p)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    _fsync_dir(p.parent)


def atomic_write(
    path: str | os.PathLike[str],
    data: bytes,
    *,
    root: str | os.PathLike[str] | None = None,
    backup: bool = True,
) -> Path | None:
    """Replace ``path`` with ``data`` atomically; returns the backup path (``<name>.bak``) or None.

    Raises UnsafePathError (symlink, special file, outside ``root``) or WriteError (I/O failure,
    e.g. disk full); in both cases the previous file is intact.
    """
    p = Path(path)
    check_writable_target(p, root)
    backup_path: Path | None = None
    try:
        try:
            old, mode = _read_regular(p)
        except FileNotFoundError:
            old, mode = None, _default_mode()
        if backup and old is not None:
            backup_path = p.with_name(p.name + BACKUP_SUFFIX)
            check_writable_target(backup_path, root if root is not None else p.parent)
            _write_replace(backup_path, old, mode)
        _write_replace(p, data, mode)
    except UnsafePathError:
        raise
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise WriteError(f"could not write the file ({reason}); the previous file is intact", p) from None
    return backup_path
