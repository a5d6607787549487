"""Shared plumbing for moving models around: progress/cancel callbacks, staging folders, safe copies.

The public operations live next to this module: :mod:`mlmanager.core.transfer.export` (``export_zip``,
``export_folder``), :mod:`mlmanager.core.transfer.import_archive` (``import_archive``),
:mod:`mlmanager.core.transfer.copy` (``copy_model_to``) and :mod:`mlmanager.core.transfer.package_estimator`.

Every operation takes the same two optional callbacks, so the UI can run it in a thread:

* ``progress(done, total, item)``: bytes done so far, the expected total (``None`` when unknown)
  and the file being processed; called at least once per file and once per MiB;
* ``cancel()``: polled as often; returning true stops the operation with
  :class:`TransferCancelled` and nothing is left behind (pass ``event.is_set`` of a
  ``threading.Event``).

Results are written next to their final place (a temp file or a ``.<name>.*.partial`` staging
folder in the same folder, so the last step is an atomic rename) and removed on any failure.
"""

from __future__ import annotations

import contextlib
import os
import re
import shutil
import stat
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

from mlmanager.core.errors import MlmanagerError, WriteError

ProgressFn = Callable[[int, "int | None", str], None]
CancelFn = Callable[[], bool]

CHUNK = 1 << 20
STAGING_SUFFIX = ".partial"


class TransferCancelled(MlmanagerError):
    """The user cancelled; everything the operation had written was removed."""


@dataclass
class Ticker:
    """Counts bytes, reports progress and polls for cancellation."""

    progress: ProgressFn | None = None
    cancel: CancelFn | None = None
    total: int | None = None
    done: int = 0
    what: str = "operation"

    def check(self) -> None:
        if self.cancel is not None and self.cancel():
            raise TransferCancelled(f"{self.what} cancelled; nothing was written")

    def step(self, item: str, nbytes: int = 0) -> None:
        self.done += nbytes
        self.check()
        if self.progress is not None:
            self.progress(self.done, self.total, item)


@dataclass
class TransferResult:
    """What an export / copy produced."""

    path: Path
    files: int = 0
    bytes: int = 0
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------
# Staging folders


def safe_file_name(name: str, fallback: str = "model") -> str:
    """``name`` usable as a file or folder name on every system."""
    cleaned = re.sub(r'[\\/:*?"<>|\x00-\x1f]+', "_", name).strip(" .")
    return cleaned[:120] or fallback


def make_staging(final: Path) -> Path:
    """A fresh hidden folder next to ``final`` (same file system, so publishing is a rename)."""
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
        staging = Path(
            tempfile.mkdtemp(prefix=f".{final.name}.", suffix=STAGING_SUFFIX, dir=final.parent)
        )
        os.chmod(staging, 0o777 & ~current_umask())  # mkdtemp's 0700 would stick to the result
    except OSError as exc:
        raise WriteError(f"cannot create a folder here: {exc.strerror or exc}", final.parent) from None
    return staging


def current_umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def check_new_folder(dest: Path) -> None:
    """``dest`` must not exist, or be an empty real folder (not a symlink)."""
    if dest.is_symlink():
        raise WriteError("destination is a symbolic link; refusing to write through it", dest)
    if dest.exists() and (not dest.is_dir() or any(dest.iterdir())):
        raise WriteError("destination already exists and is not an empty folder", dest)


def publish(staging: Path, final: Path) -> None:
    """Rename the finished staging folder to ``final`` (an empty ``final`` folder is replaced)."""
    check_new_folder(final)
    try:
        if final.is_dir():
            final.rmdir()
        os.rename(staging, final)
    except OSError as exc:
        raise WriteError(f"cannot move the finished folder into place: {exc.strerror or exc}", final) from None


def remove_quietly(path: Path | None) -> None:
    """Best-effort removal of a staging folder or temp file (read-only entries included)."""
    if path is None:
        return

    def _onerror(func, p, _exc):  # noqa: ANN001 - shutil's callback signature
        with contextlib.suppress(OSError):
            os.chmod(p, stat.S_IRWXU)
            func(p)

    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path, onerror=_onerror)
    else:
        with contextlib.suppress(OSError):
            path.unlink()


@contextlib.contextmanager
def staged_folder(final: Path) -> Iterator[Path]:
    """Yield a staging folder for ``final``; publish it on success, remove it on any failure."""
    check_new_folder(final)
    staging = make_staging(final)
    try:
        yield staging
        publish(staging, final)
    except BaseException:
        remove_quietly(staging)
        raise


# ---------------------------------------------------------------------------------------------
# Streams


def copy_stream(src: BinaryIO, dst: BinaryIO, ticker: Ticker, item: str, limit: int | None = None) -> int:
    """Copy ``src`` to ``dst`` in 1 MiB chunks with progress/cancel; returns the byte count."""
    n = 0
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return n
        n += len(chunk)
        if limit is not None and n > limit:
            raise WriteError(f"{item}: more data than expected ({limit:,} bytes)")
        dst.write(chunk)
        ticker.step(item, len(chunk))


def open_new_file(path: Path) -> BinaryIO:
    """Create a new regular file (never follows or replaces an existing entry)."""
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0)
    flags |= getattr(os, "O_BINARY", 0) | getattr(os, "O_CLOEXEC", 0)
    fd = os.open(path, flags, 0o666)
    return os.fdopen(fd, "wb")


def inside(path: Path, root: Path) -> bool:
    """True when ``path`` (resolved, following links) stays inside ``root``."""
    real, real_root = os.path.realpath(path), os.path.realpath(root)
    return real == real_root or real.startswith(real_root.rstrip(os.sep) + os.sep)
