"""Where a model lives: a folder, an ``MLmodel`` file, or a ``.zip`` read in place.

A small read-only view over the model's files. Nothing here follows a symlink while walking,
opens a FIFO or device, or reads a file that resolves outside the model root; zips are read with
``zipfile`` member by member (nothing is extracted) and every read is size-capped while streaming.
"""

from __future__ import annotations

import errno
import os
import posixpath
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from mlmanager.core.errors import MLmodelNotFoundError, ModelReadError, UnsafePathError
from mlmanager.core.structs import Struct

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    import zipfile
    from typing import BinaryIO

MLMODEL = "MLmodel"
MAX_ENTRIES = 100_000  # a model folder with more files than this is listed truncated
MAX_DEPTH = 64
DEFAULT_READ_CAP = 64 << 20
_COPY_CHUNK = 1 << 20


class Entry(Struct, frozen=True):
    """One item of the model tree. ``kind``: file | dir | symlink | special | missing."""

    path: str  # relative, posix separators
    size: int
    kind: str
    is_symlink: bool = False
    target: str | None = None  # symlink target text (never followed)
    detail: str | None = None  # e.g. "fifo", "device", "socket", "unsafe zip name"


def _check_rel(rel: str) -> str:
    """Normalise a relative posix path; refuse absolute paths and ``..`` escapes (lexically)."""
    if not isinstance(rel, str) or not rel or "\x00" in rel:
        raise UnsafePathError(f"invalid path {rel!r}")
    if rel.startswith(("/", "\\")) or (len(rel) > 1 and rel[1] == ":") or "\\" in rel:
        raise UnsafePathError(f"path escapes the model folder: {rel}")
    norm = posixpath.normpath(rel)
    if norm == ".." or norm.startswith("../"):
        raise UnsafePathError(f"path escapes the model folder: {rel}")
    return "" if norm == "." else norm


class ModelFiles:
    """Read-only access to the files of one model (base class)."""

    #: shown to users; the folder, the zip path (+ member prefix) or similar
    location: str
    #: True when files can be written in place (folders only)
    writable: bool = False

    def entries(self) -> list[Entry]:  # pragma: no cover - abstract
        raise NotImplementedError

    def stat(self, rel: str) -> Entry:  # pragma: no cover - abstract
        """What ``rel`` is, without following a final symlink. ``kind`` "missing" if absent."""
        raise NotImplementedError

    def read_bytes(self, rel: str, max_bytes: int = DEFAULT_READ_CAP) -> bytes:  # pragma: no cover
        raise NotImplementedError

    def open_stream(self, rel: str) -> BinaryIO:  # pragma: no cover - abstract
        raise NotImplementedError

    def resolves_inside(self, rel: str) -> bool:  # pragma: no cover - abstract
        """True when ``rel`` (following symlinks for folders) stays inside the model root."""
        raise NotImplementedError

    def exists(self, rel: str) -> bool:
        try:
            return self.stat(rel).kind != "missing"
        except UnsafePathError:
            return False

    def is_readable_file(self, rel: str) -> bool:
        """A regular file that resolves inside the root (symlinks inside the root allowed)."""
        try:
            _check_rel(rel)
        except UnsafePathError:
            return False
        return self._regular_target(rel) is not None

    def _regular_target(self, rel: str) -> object | None:  # pragma: no cover - abstract
        raise NotImplementedError

    def close(self) -> None:
        """Release resources (zip handle)."""

    def __enter__(self) -> ModelFiles:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# ---------------------------------------------------------------------------------------------
# Folders


class FolderFiles(ModelFiles):
    writable = True

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.real_root = Path(os.path.realpath(self.root))
        self.location = str(self.root)
        self.truncated = False

    # paths -------------------------------------------------------------------------------------

    def abspath(self, rel: str) -> Path:
        norm = _check_rel(rel)
        return self.root / norm if norm else self.root

    def _inside(self, real: str) -> bool:
        root = str(self.real_root)
        return real == root or real.startswith(root.rstrip(os.sep) + os.sep)

    def resolves_inside(self, rel: str) -> bool:
        try:
            return self._inside(os.path.realpath(self.abspath(rel)))
        except (UnsafePathError, OSError, ValueError):
            return False

    # listing ---------------------------------------------------------------------------------

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        self.truncated = False
        stack: list[tuple[str, int]] = [("", 0)]
        while stack:
            rel_dir, depth = stack.pop()
            try:
                with os.scandir(self.root / rel_dir if rel_dir else self.root) as it:
                    items = sorted(it, key=lambda e: e.name)
            except OSError:
                continue
            subdirs = []
            for item in items:
                rel = f"{rel_dir}/{item.name}" if rel_dir else item.name
                entry = self._entry_from_stat(rel, item.path)
                if entry.kind == "dir":
                    if depth + 1 < MAX_DEPTH:
                        subdirs.append((rel, depth + 1))
                    continue
                out.append(entry)
                if len(out) >= MAX_ENTRIES:
                    self.truncated = True
                    return sorted(out, key=lambda e: e.path)
            stack.extend(reversed(subdirs))
        return sorted(out, key=lambda e: e.path)

    def _entry_from_stat(self, rel: str, full: str | os.PathLike[str]) -> Entry:
        try:
            st = os.lstat(full)
        except FileNotFoundError:
            return Entry(rel, 0, "missing")
        except OSError as exc:
            return Entry(rel, 0, "special", detail=exc.strerror or "unreadable")
        mode = st.st_mode
        if stat.S_ISLNK(mode):
            try:
                target = os.readlink(full)
            except OSError:
                target = None
            return Entry(rel, 0, "symlink", is_symlink=True, target=target)
        if stat.S_ISDIR(mode):
            return Entry(rel, 0, "dir")
        if stat.S_ISREG(mode):
            return Entry(rel, st.st_size, "file")
        if stat.S_ISFIFO(mode):
            detail = "fifo"
        elif stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
            detail = "device"
        elif stat.S_ISSOCK(mode):
            detail = "socket"
        else:
            detail = "special"
        return Entry(rel, 0, "special", detail=detail)

    def stat(self, rel: str) -> Entry:
        norm = _check_rel(rel)
        return self._entry_from_stat(norm, self.abspath(norm))

    # reading ---------------------------------------------------------------------------------

    def _regular_target(self, rel: str) -> str | None:
        try:
            real = os.path.realpath(self.abspath(rel))
        except (OSError, ValueError):
            return None
        if not self._inside(real):
            return None
        try:
            st = os.stat(real)
        except OSError:
            return None
        return real if stat.S_ISREG(st.st_mode) else None

    def _open_fd(self, rel: str) -> tuple[int, int]:
        """Open a regular file inside the root; returns (fd, size). Never blocks on a FIFO."""
        entry = self.stat(rel)
        if entry.kind == "missing":
            raise ModelReadError(f"no such file in the model folder: {rel}", self.location)
        real = self._regular_target(rel)
        if real is None:
            what = entry.detail or entry.kind
            if entry.is_symlink:
                what = f"symlink to {entry.target}"
            raise UnsafePathError(
                f"not a regular file inside the model folder: {rel} ({what})", self.location
            )
        flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOFOLLOW", 0)
        flags |= getattr(os, "O_BINARY", 0)
        try:
            fd = os.open(real, flags)
        except OSError as exc:
            if exc.errno == errno.ELOOP:
                raise UnsafePathError(f"{rel} changed into a symlink", self.location) from None
            raise ModelReadError(f"cannot open {rel}: {exc.strerror}", self.location) from None
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):  # swapped between the check and the open
            os.close(fd)
            raise UnsafePathError(
                f"not a regular file inside the model folder: {rel}", self.location
            )
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return fd, st.st_size

    def read_bytes(self, rel: str, max_bytes: int = DEFAULT_READ_CAP) -> bytes:
        fd, size = self._open_fd(rel)
        try:
            if size > max_bytes:
                raise ModelReadError(
                    f"{rel} is {size:,} bytes, larger than the {max_bytes:,}-byte limit",
                    self.location,
                )
            with os.fdopen(fd, "rb", closefd=False) as fh:
                data = fh.read(max_bytes + 1)
        finally:
            os.close(fd)
        if len(data) > max_bytes:
            raise ModelReadError(
                f"{rel} is larger than the {max_bytes:,}-byte limit", self.location
            )
        return data

    def open_stream(self, rel: str) -> BinaryIO:
        fd, _ = self._open_fd(rel)
        return os.fdopen(fd, "rb")


# ---------------------------------------------------------------------------------------------
# Zip archives


def _zip_name_ok(name: str) -> bool:
    if not name or "\\" in name or name.startswith("/") or "\x00" in name:
        return False
    if len(name) > 1 and name[1] == ":":
        return False
    parts = PurePosixPath(name).parts
    return ".." not in parts


class ZipFiles(ModelFiles):
    """A model inside a zip, at the root or under one folder (``prefix``), read in place."""

    def __init__(self, zip_path: str | os.PathLike[str], prefix: str | None = None) -> None:
        self.zip_path = Path(zip_path)
        st = _stat_or_raise(self.zip_path)
        if not stat.S_ISREG(st.st_mode):
            raise UnsafePathError("not a regular file", self.zip_path)
        # deferred for start-up: zipfile (and the shutil, bz2, lzma, struct it imports) serves
        # zipped models only; inspecting a folder and the window's first paint do without it
        import zipfile

        try:
            self._zf = zipfile.ZipFile(self.zip_path)
        except (zipfile.BadZipFile, OSError, ValueError, EOFError) as exc:
            raise ModelReadError(f"not a readable zip archive: {exc}", self.zip_path) from None
        self._infos: dict[str, zipfile.ZipInfo] = {}
        self._duplicates: set[str] = set()
        self._unsafe: list[str] = []
        for info in self._zf.infolist():
            name = info.filename
            if not _zip_name_ok(name):
                self._unsafe.append(name)
                continue
            if name in self._infos:
                self._duplicates.add(name)
            self._infos[name] = info
        self.prefix = self._find_prefix() if prefix is None else prefix
        self.location = f"{self.zip_path}!/{self.prefix}" if self.prefix else str(self.zip_path)

    def _find_prefix(self) -> str:
        candidates = []
        for name, info in self._infos.items():
            if info.is_dir():
                continue
            parts = name.split("/")
            if parts[-1] != MLMODEL or "metadata" in parts[:-1]:
                continue
            if len(parts) <= 2:
                candidates.append(name)
        if not candidates:
            top = sorted({n.split("/")[0] for n in self._infos})[:10]
            raise MLmodelNotFoundError(
                "not an MLflow model (MLmodel missing at the zip root or in its top-level "
                f"folder); the zip contains: {', '.join(top) or 'nothing'}",
                self.zip_path,
            )
        candidates.sort(key=lambda n: (n.count("/"), n))
        best = candidates[0]
        same_depth = [c for c in candidates if c.count("/") == best.count("/")]
        if len(same_depth) > 1:
            raise ModelReadError(
                "the zip holds several models: " + ", ".join(same_depth[:5]), self.zip_path
            )
        return best.rsplit("/", 1)[0] + "/" if "/" in best else ""

    def close(self) -> None:
        self._zf.close()

    def _member(self, rel: str) -> str:
        norm = _check_rel(rel)
        return self.prefix + norm

    @staticmethod
    def _is_symlink(info: zipfile.ZipInfo) -> bool:
        return stat.S_ISLNK(info.external_attr >> 16)

    def _entry(self, rel: str, info: zipfile.ZipInfo) -> Entry:
        if self._is_symlink(info):
            try:
                with self._zf.open(info) as fh:
                    target: str | None = fh.read(4096).decode("utf-8", "replace")
            except Exception:  # noqa: BLE001 - an unreadable link target is only shown as unknown
                target = None
            return Entry(rel, 0, "symlink", is_symlink=True, target=target)
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind and kind not in (stat.S_IFREG, stat.S_IFDIR):
            return Entry(rel, 0, "special", detail="special zip entry")
        return Entry(rel, info.file_size, "file")

    def entries(self) -> list[Entry]:
        out: list[Entry] = []
        for name, info in self._infos.items():
            if info.is_dir() or not name.startswith(self.prefix):
                continue
            rel = name[len(self.prefix):]
            if not rel:
                continue
            out.append(self._entry(rel, info))
            if len(out) >= MAX_ENTRIES:
                break
        for name in self._unsafe:
            if name.startswith(self.prefix) or not self.prefix:
                out.append(Entry(name, 0, "special", detail="unsafe zip name"))
        return sorted(out, key=lambda e: e.path)

    def stat(self, rel: str) -> Entry:
        member = self._member(rel)
        norm = member[len(self.prefix):]
        info = self._infos.get(member)
        if info is not None and not info.is_dir():
            return self._entry(norm, info)
        dir_prefix = member.rstrip("/") + "/" if norm else self.prefix
        if any(n.startswith(dir_prefix) for n in self._infos):
            return Entry(norm, 0, "dir")
        return Entry(norm, 0, "missing")

    def resolves_inside(self, rel: str) -> bool:
        try:
            self._member(rel)
        except UnsafePathError:
            return False
        return True

    def _regular_target(self, rel: str) -> zipfile.ZipInfo | None:
        info = self._infos.get(self._member(rel))
        if info is None or info.is_dir() or self._is_symlink(info):
            return None
        kind = stat.S_IFMT(info.external_attr >> 16)
        if kind and kind != stat.S_IFREG:
            return None
        return info

    def _info_for_read(self, rel: str) -> zipfile.ZipInfo:
        entry = self.stat(rel)
        if entry.kind == "missing":
            raise ModelReadError(f"no such file in the zip: {rel}", self.location)
        info = self._regular_target(rel)
        if info is None:
            raise UnsafePathError(
                f"not a regular file inside the model folder: {rel} ({entry.kind})", self.location
            )
        return info

    def read_bytes(self, rel: str, max_bytes: int = DEFAULT_READ_CAP) -> bytes:
        import zipfile  # deferred for start-up: see __init__ (imported there already)

        info = self._info_for_read(rel)
        if info.file_size > max_bytes:
            raise ModelReadError(
                f"{rel} is {info.file_size:,} bytes, larger than the {max_bytes:,}-byte limit",
                self.location,
            )
        try:
            with self._zf.open(info) as fh:
                data = fh.read(max_bytes + 1)  # the header may lie: cap the streamed bytes
        except (zipfile.BadZipFile, RuntimeError, OSError, ValueError, EOFError) as exc:
            raise ModelReadError(f"cannot read {rel} from the zip: {exc}", self.location) from None
        except Exception as exc:  # noqa: BLE001 - zlib/lzma errors have no common base
            raise ModelReadError(f"cannot read {rel} from the zip: {exc}", self.location) from None
        if len(data) > max_bytes:
            raise ModelReadError(f"{rel} is larger than the {max_bytes:,}-byte limit", self.location)
        return data

    def open_stream(self, rel: str) -> BinaryIO:
        import zipfile  # deferred for start-up: see __init__ (imported there already)

        info = self._info_for_read(rel)
        try:
            return self._zf.open(info)  # type: ignore[return-value]
        except (zipfile.BadZipFile, RuntimeError, OSError, ValueError) as exc:
            raise ModelReadError(f"cannot read {rel} from the zip: {exc}", self.location) from None


# ---------------------------------------------------------------------------------------------
# Opening


def _stat_or_raise(path: Path) -> os.stat_result:
    try:
        return os.stat(path)
    except FileNotFoundError:
        raise ModelReadError("no such file or folder", path) from None
    except OSError as exc:
        raise ModelReadError(f"cannot access: {exc.strerror}", path) from None


def _folder_summary(folder: Path, limit: int = 12) -> str:
    try:
        with os.scandir(folder) as it:
            names = sorted(e.name + ("/" if e.is_dir(follow_symlinks=False) else "") for e in it)
    except OSError:
        return "(unreadable)"
    if not names:
        return "nothing (empty folder)"
    more = f", … ({len(names) - limit} more)" if len(names) > limit else ""
    return ", ".join(names[:limit]) + more


def open_model_files(path: str | os.PathLike[str]) -> ModelFiles:
    """Open a model folder, an ``MLmodel`` file (its folder) or a ``.zip`` holding a model."""
    p = Path(path)
    st = _stat_or_raise(p)
    if stat.S_ISDIR(st.st_mode):
        try:
            lst = os.lstat(p / MLMODEL)
        except FileNotFoundError:
            raise MLmodelNotFoundError(
                f"not an MLflow model (MLmodel missing); the folder contains: {_folder_summary(p)}",
                p,
            ) from None
        except OSError as exc:
            raise ModelReadError(f"cannot access MLmodel: {exc.strerror}", p) from None
        if stat.S_ISDIR(lst.st_mode):
            raise MLmodelNotFoundError("not an MLflow model ('MLmodel' is a folder)", p)
        return FolderFiles(p)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError("not a regular file or folder", p)
    if p.name == MLMODEL:
        return FolderFiles(p.parent)
    if p.suffix.lower() == ".zip":
        return ZipFiles(p)
    # deferred for start-up: zipfile serves zipped models only (see ZipFiles)
    import zipfile

    if zipfile.is_zipfile(p):
        return ZipFiles(p)
    raise MLmodelNotFoundError(
        "not an MLflow model: expected a model folder, an MLmodel file or a .zip", p
    )


def iter_chunks(stream: BinaryIO, max_bytes: int) -> Iterator[bytes]:
    """Yield chunks of a stream; raise ModelReadError once more than ``max_bytes`` arrived."""
    total = 0
    while True:
        chunk = stream.read(_COPY_CHUNK)
        if not chunk:
            return
        total += len(chunk)
        if total > max_bytes:
            raise ModelReadError(f"file larger than the {max_bytes:,}-byte copy limit")
        yield chunk
