"""Import a model from a ``.zip`` or ``.tar``/``.tar.gz``/``.tgz``/``.tar.bz2``/``.tar.xz``, safely.

Every member is checked *before* anything is written, and every problem is reported with the
member's name (security.md §5, T20-T23):

* names: no absolute paths, drive letters, backslashes (a separator on Windows), ``..``, empty
  or ``.`` components, control characters, overlong names, nesting deeper than the cap;
* no duplicate names, no names that differ only in letter case or Unicode normalisation (they
  collide on Windows and macOS), no name that is both a file and a folder;
* no links of any kind (zip ``S_IFLNK`` in ``external_attr``; tar symbolic and hard links), no
  devices, FIFOs or sockets; tar members also go through ``tarfile.data_filter`` (its refusal is
  quoted) where Python has it (3.12+, 3.11.4+, 3.10.12+). Without it the checks above are the
  equivalent: links, special files, absolute and ``..`` names are refused, and files are created
  with default permissions (never setuid or world-writable), which is what the filter enforces;
* zip: encrypted (password-protected) members and unknown compression methods are refused,
  and so are overlapping members (the "better zip bomb" construction);
* caps on the entry count (read from the end-of-central-directory record before ``zipfile``
  builds its index), the total and per-file size and the compression ratio. Sizes are counted
  while streaming, never taken from the headers: a member that inflates past its declared size
  stops the import the moment it does, as does one passing the size or ratio cap; CRC errors
  are errors.

Extraction goes into a staging folder next to the destination; on success the model folder is
renamed into place, on any failure or cancel the staging folder is removed. The result must be
an MLflow model (``MLmodel`` at the root of the archive or in its single top-level folder, read
with ``load_model``); otherwise the import is refused and the message says what the archive
contains (T32), unless ``allow_non_model=True`` (raw inspection).
"""

from __future__ import annotations

import os
import re
import shutil
import stat
import struct
import tarfile
import unicodedata
import zipfile
import zlib
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from mlmanager.core.errors import (
    MlmanagerError,
    MLmodelNotFoundError,
    ModelReadError,
    UnsafePathError,
    WriteError,
)
from mlmanager.core.model.files import MLMODEL
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.transfer.staging import (
    CHUNK,
    CancelFn,
    ProgressFn,
    Ticker,
    inside,
    make_staging,
    open_new_file,
    publish,
    remove_quietly,
)

if TYPE_CHECKING:
    from mlmanager.core.model.mlmodel import ModelDocument

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
_ZIP_METHODS = {zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA}
_DRIVE = re.compile(r"^[A-Za-z]:")
_SKIPPED_PREFIXES = ("__MACOSX/",)
_SKIPPED_NAMES = (".DS_Store",)
_DISK_MARGIN = 64 << 20


@dataclass(frozen=True)
class ImportLimits:
    """Caps applied while importing; raise them for unusually large models."""

    max_entries: int = 10_000
    max_depth: int = 32
    max_name_length: int = 1024
    max_total_bytes: int = 32 << 30
    max_file_bytes: int = 32 << 30
    max_ratio: float = 250.0  # deflate's maximum is ~1032:1; real models stay far below 250:1
    ratio_min_bytes: int = 8 << 20  # small files may compress extremely well: judge from here


@dataclass
class ImportResult:
    path: Path  # the imported model folder
    archive: Path
    format: str  # "zip" | "tar"
    files: int
    bytes: int
    is_model: bool
    document: ModelDocument | None = None
    contents: list[str] = field(default_factory=list)  # top-level entries of the model folder
    skipped: list[str] = field(default_factory=list)  # e.g. __MACOSX resource forks
    warnings: list[str] = field(default_factory=list)


class ArchiveRefused(UnsafePathError):
    """The archive holds members that cannot be imported safely; ``entries`` lists them."""

    def __init__(self, path: str | os.PathLike[str], entries: list[tuple[str, str]]) -> None:
        self.entries = entries
        shown = "\n  ".join(f"{name!r}: {why}" for name, why in entries[:50])
        more = f"\n  ... and {len(entries) - 50} more" if len(entries) > 50 else ""
        super().__init__(
            f"refusing to import: {len(entries)} unsafe entr{'y' if len(entries) == 1 else 'ies'} "
            f"(nothing was written)\n  {shown}{more}",
            path,
        )


@dataclass
class _Member:
    name: str
    parts: tuple[str, ...]
    is_dir: bool
    size: int
    ref: Any
    compress_size: int | None = None


# ---------------------------------------------------------------------------------------------
# Public API


def archive_kind(path: str | os.PathLike[str]) -> str | None:
    """``zip``, ``tar`` or None, from the content (not the name)."""
    p = Path(path)
    try:
        if zipfile.is_zipfile(p):
            return "zip"
        if tarfile.is_tarfile(p):
            return "tar"
    except OSError:
        return None
    return None


def import_archive(
    archive: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    *,
    name: str | None = None,
    limits: ImportLimits | None = None,
    allow_non_model: bool = False,
) -> ImportResult:
    """Extract the model in ``archive`` into ``dest_dir/<name>`` and load it.

    ``name`` defaults to the archive's single top-level folder, or its file name without the
    archive suffix when the files sit at the root. Raises ArchiveRefused (unsafe members, with
    one message per member), ModelReadError (not an archive, corrupt, CRC error, encrypted,
    over a cap), MLmodelNotFoundError (no ``MLmodel``; the message lists what there is),
    WriteError (destination exists, disk full) or TransferCancelled. On failure nothing remains.
    """
    src = Path(archive)
    limits = limits or ImportLimits()
    try:
        st = os.stat(src)
    except OSError as exc:
        raise ModelReadError(f"cannot open the archive: {exc.strerror or exc}", src) from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError("not a regular file", src)
    kind = archive_kind(src)
    if kind is None:
        raise ModelReadError(
            "not a zip or tar archive (supported: " + ", ".join(ARCHIVE_SUFFIXES) + ")", src
        )
    dest = Path(dest_dir)
    reader: _Reader = _ZipReader(src, limits) if kind == "zip" else _TarReader(src, limits, dest)
    staging: Path | None = None
    try:
        members, skipped = reader.members()
        final = dest / _target_name(name, members, src)
        if final.exists() or final.is_symlink():
            raise WriteError(
                "a folder with this name already exists; choose another name", final
            )
        total = sum(m.size for m in members if not m.is_dir)
        _check_space(dest, total)
        staging = make_staging(final)
        ticker = Ticker(progress, cancel, total, what="import")
        written = _extract(reader, members, staging, ticker, limits, st.st_size)
        root = _content_root(staging)
        is_model = (root / MLMODEL).is_file()
        result = ImportResult(final, src, kind, written[0], written[1], is_model, skipped=skipped)
        if not is_model:
            summary = _summary(root)
            if not allow_non_model:
                raise MLmodelNotFoundError(
                    f"not an MLflow model (MLmodel missing); it contains: {summary}", src
                )
            result.warnings.append(f"not an MLflow model (MLmodel missing); it contains: {summary}")
        else:
            _check_mlmodel(root, src, allow_non_model, result)
        publish(root, final)
    except BaseException:
        remove_quietly(staging)
        reader.close()
        raise
    remove_quietly(staging if staging is not None and staging.exists() else None)
    reader.close()
    result.contents = sorted(p.name + ("/" if p.is_dir() else "") for p in final.iterdir())
    if result.is_model:
        result.document = load_model(final)
    return result


# ---------------------------------------------------------------------------------------------
# Names


def check_member_name(raw: str, limits: ImportLimits) -> tuple[tuple[str, ...] | None, str | None]:
    """``(parts, None)`` for a safe relative name, ``(None, reason)`` otherwise.

    ``.`` and empty components are dropped (``./MLmodel`` from ``tar -C model .``); ``parts`` is
    empty for the archive's root folder entry itself.
    """
    if not raw:
        return None, "empty name"
    if "\x00" in raw:
        return None, "NUL byte in the name"
    if any(ord(c) < 32 or ord(c) == 127 for c in raw):
        return None, "control character in the name"
    if len(raw) > limits.max_name_length:
        return None, f"name longer than {limits.max_name_length} characters"
    if "\\" in raw:
        return None, "backslash in the name (a path separator on Windows: it could escape the folder)"
    if raw.startswith("/"):
        return None, "absolute path"
    if _DRIVE.match(raw):
        return None, "Windows drive path"
    parts = tuple(p for p in raw.split("/") if p not in ("", "."))  # "./x", "a//b" are harmless
    for part in parts:
        if part == "..":
            return None, "'..' would escape the destination folder"
        if len(part) > 255:
            return None, "a path component is longer than 255 characters"
    if len(parts) > limits.max_depth:
        return None, f"nested deeper than {limits.max_depth} folders"
    return parts, None


def _collision_key(parts: tuple[str, ...]) -> str:
    return unicodedata.normalize("NFC", "/".join(parts)).casefold()


def validate_members(members: list[_Member], problems: list[tuple[str, str]]) -> None:
    """Duplicates, case/Unicode collisions and file-vs-folder clashes (appends to ``problems``)."""
    exact: dict[str, _Member] = {}
    folded: dict[str, _Member] = {}
    for m in members:
        key = "/".join(m.parts)
        if key in exact:
            if not (m.is_dir and exact[key].is_dir):
                problems.append((m.name, "duplicate entry (the archive holds this name twice)"))
            continue
        fold = _collision_key(m.parts)
        if fold in folded:
            other = folded[fold].name
            problems.append(
                (m.name, f"differs from {other!r} only in letter case or Unicode form "
                         "(the two collide on Windows and macOS)")
            )
            continue
        exact[key] = m
        folded[fold] = m
    files = {"/".join(m.parts) for m in members if not m.is_dir}
    for m in members:
        for i in range(1, len(m.parts)):
            parent = "/".join(m.parts[:i])
            if parent in files:
                problems.append((m.name, f"{parent!r} is both a file and a folder"))
                break


def _target_name(name: str | None, members: list[_Member], src: Path) -> str:
    if name is not None:
        if not name or name in (".", "..") or "/" in name or "\\" in name or "\x00" in name:
            raise WriteError(f"invalid folder name {name!r}")
        return name
    tops = {m.parts[0] for m in members}
    at_root = any(len(m.parts) == 1 and not m.is_dir for m in members)
    if len(tops) == 1 and not at_root:
        return next(iter(tops))
    lower = src.name.lower()
    for suffix in sorted(ARCHIVE_SUFFIXES, key=len, reverse=True):
        if lower.endswith(suffix):
            return src.name[: -len(suffix)] or "model"
    return src.stem or "model"


# ---------------------------------------------------------------------------------------------
# Readers


class _Reader(ABC):
    """One archive format (zip, tar): its members, reading one, closing."""

    kind = ""

    def __init__(self, path: Path, limits: ImportLimits) -> None:
        self.path = path
        self.limits = limits

    @abstractmethod
    def members(self) -> tuple[list[_Member], list[str]]: ...

    @abstractmethod
    def open(self, member: _Member) -> BinaryIO: ...

    @abstractmethod
    def close(self) -> None: ...

    def _finish(self, raw: list[tuple[str, bool, int, Any, int | None, str | None]]
                ) -> tuple[list[_Member], list[str]]:
        problems: list[tuple[str, str]] = []
        members: list[_Member] = []
        skipped: list[str] = []
        for name, is_dir, size, ref, csize, reason in raw:
            parts, why = check_member_name(name, self.limits)
            why = "; ".join(w for w in (why, reason) if w) or None
            if why is not None:
                problems.append((name, why))
                continue
            assert parts is not None
            if not parts:
                continue  # the root folder entry ("./")
            if name.startswith(_SKIPPED_PREFIXES) or parts[-1] in _SKIPPED_NAMES:
                skipped.append(name)
                continue
            if not is_dir and size > self.limits.max_file_bytes:
                problems.append((name, f"declares {size:,} bytes, over the "
                                       f"{self.limits.max_file_bytes:,}-byte per-file cap"))
                continue
            members.append(_Member(name, parts, is_dir, size, ref, csize))
        validate_members(members, problems)
        if problems:
            raise ArchiveRefused(self.path, problems)
        total = sum(m.size for m in members if not m.is_dir)
        if total > self.limits.max_total_bytes:
            raise ModelReadError(
                f"the archive declares {total:,} bytes, over the {self.limits.max_total_bytes:,}-byte cap",
                self.path,
            )
        return members, skipped


def _eocd_entry_count(path: Path) -> int | None:
    """Entries announced by the end-of-central-directory record (zip64 aware); None if unsure."""
    try:
        with open(path, "rb") as fh:
            fh.seek(0, os.SEEK_END)
            size = fh.tell()
            tail_len = min(size, 22 + 65535 + 20)
            fh.seek(size - tail_len)
            tail = fh.read(tail_len)
    except OSError:
        return None
    pos = tail.rfind(b"PK\x05\x06")
    if pos < 0 or pos + 22 > len(tail):
        return None
    count = struct.unpack("<H", tail[pos + 10 : pos + 12])[0]
    if count == 0xFFFF and pos >= 20 and tail[pos - 20 : pos - 16] == b"PK\x06\x07":
        offset = struct.unpack("<Q", tail[pos - 12 : pos - 4])[0]
        try:
            with open(path, "rb") as fh:
                fh.seek(offset)
                rec = fh.read(56)
        except OSError:
            return None
        if len(rec) == 56 and rec[:4] == b"PK\x06\x06":
            return struct.unpack("<Q", rec[32:40])[0]
    return count


class _ZipReader(_Reader):
    kind = "zip"

    def __init__(self, path: Path, limits: ImportLimits) -> None:
        super().__init__(path, limits)
        announced = _eocd_entry_count(path)
        if announced is not None and announced > limits.max_entries:
            raise ModelReadError(
                f"the zip announces {announced:,} entries, over the {limits.max_entries:,}-entry cap",
                path,
            )
        try:
            self.zf = zipfile.ZipFile(path)
        # zipfile raises NotImplementedError for compression methods it does not support
        except (zipfile.BadZipFile, OSError, ValueError, EOFError, NotImplementedError) as exc:
            raise ModelReadError(f"not a readable zip archive: {exc}", path) from None

    def members(self) -> tuple[list[_Member], list[str]]:
        infos = self.zf.infolist()
        if len(infos) > self.limits.max_entries:
            raise ModelReadError(
                f"the zip holds {len(infos):,} entries, over the {self.limits.max_entries:,}-entry cap",
                self.path,
            )
        raw = []
        for info in infos:
            mode = info.external_attr >> 16
            fmt = stat.S_IFMT(mode)
            is_dir = info.filename.endswith("/") or fmt == stat.S_IFDIR
            reason = None
            if stat.S_ISLNK(mode):
                reason = "symbolic link entry (links are never extracted)"
            elif fmt not in (0, stat.S_IFREG, stat.S_IFDIR):
                reason = "special file entry (device, FIFO or socket)"
            elif info.flag_bits & 0x1:
                reason = "encrypted (password-protected): mlmanager cannot import encrypted archives"
            elif info.compress_type not in _ZIP_METHODS:
                reason = f"unsupported compression method {info.compress_type}"
            raw.append((info.filename, is_dir, 0 if is_dir else info.file_size, info,
                        info.compress_size, reason))
        members, skipped = self._finish(raw)
        self._check_overlap([m.ref for m in members])
        return members, skipped

    def _check_overlap(self, infos: list[zipfile.ZipInfo]) -> None:
        def name_len(i: zipfile.ZipInfo) -> int:
            codec = "utf-8" if i.flag_bits & 0x800 else "cp437"
            return len(i.orig_filename.encode(codec, "replace"))

        spans = sorted((i.header_offset, i.header_offset + 30 + name_len(i) + i.compress_size,
                        i.filename) for i in infos)
        for (start, end, name), (nstart, _nend, nname) in zip(spans, spans[1:]):
            if nstart < end and nstart != start:
                raise ArchiveRefused(self.path, [(nname, f"overlaps the data of {name!r} (a zip bomb construction)")])
            if nstart == start:
                raise ArchiveRefused(self.path, [(nname, f"shares its data with {name!r} (a zip bomb construction)")])

    def open(self, member: _Member) -> BinaryIO:
        info: zipfile.ZipInfo = member.ref
        clone = zipfile.ZipInfo(info.filename, info.date_time)
        for attr in zipfile.ZipInfo.__slots__:
            if hasattr(info, attr):
                setattr(clone, attr, getattr(info, attr))
        # Do not let zipfile stop at the declared size: the stream must show what is really
        # there, so an understated header is caught (and the caps applied) while streaming.
        clone.file_size = max(self.limits.max_file_bytes, info.file_size) + 1
        return self.zf.open(clone)  # type: ignore[return-value]

    def close(self) -> None:
        self.zf.close()


class _TarReader(_Reader):
    kind = "tar"

    def __init__(self, path: Path, limits: ImportLimits, dest: Path) -> None:
        super().__init__(path, limits)
        self.dest = dest
        try:
            self.tf = tarfile.open(path, "r:*")  # noqa: SIM115 - closed by close()
        except (tarfile.TarError, OSError, EOFError) as exc:
            raise ModelReadError(f"not a readable tar archive: {exc}", path) from None
        self.archive_size = os.stat(path).st_size

    def members(self) -> tuple[list[_Member], list[str]]:
        raw = []
        declared = 0
        try:
            while True:
                info = self.tf.next()
                if info is None:
                    break
                if len(raw) >= self.limits.max_entries:
                    raise ModelReadError(
                        f"the archive holds more than {self.limits.max_entries:,} entries", self.path
                    )
                reason = None
                if info.issym():
                    reason = f"symbolic link to {info.linkname!r} (links are never extracted)"
                elif info.islnk():
                    reason = f"hard link to {info.linkname!r} (links are never extracted)"
                elif info.ischr() or info.isblk() or info.isfifo():
                    reason = "special file entry (device or FIFO)"
                elif not (info.isreg() or info.isdir()):
                    reason = f"unsupported entry type {info.type!r}"
                refusal = self._data_filter(info)
                if refusal:
                    reason = f"{reason}; {refusal}" if reason else refusal
                is_dir = info.isdir()
                size = 0 if is_dir else info.size
                declared += size
                if (declared > self.limits.ratio_min_bytes
                        and declared > self.limits.max_ratio * max(self.archive_size, 1)):
                    raise ModelReadError(
                        f"the archive declares {declared:,} bytes from {self.archive_size:,} on "
                        f"disk: a ratio over {self.limits.max_ratio:g}:1 (a decompression bomb?)",
                        self.path,
                    )
                raw.append((info.name + ("/" if is_dir else ""), is_dir, size, info, None, reason))
        except (tarfile.TarError, OSError, EOFError, zlib.error) as exc:
            raise ModelReadError(f"the tar archive is corrupt: {exc}", self.path) from None
        return self._finish(raw)

    def _data_filter(self, info: tarfile.TarInfo) -> str | None:
        """tarfile's own ``data`` filter verdict (Python 3.12+, 3.11.4+, 3.10.12+)."""
        data_filter = getattr(tarfile, "data_filter", None)
        if data_filter is None:
            return None  # the equivalent checks are ours (module docstring)
        try:
            data_filter(info, str(self.dest))
        except tarfile.FilterError as exc:
            return f"refused by tarfile's data filter: {type(exc).__name__}: {exc}"
        return None

    def open(self, member: _Member) -> BinaryIO:
        fh = self.tf.extractfile(member.ref)
        if fh is None:  # pragma: no cover - regular members always have data
            raise ModelReadError(f"cannot read {member.name!r} from the archive", self.path)
        return fh  # type: ignore[return-value]

    def close(self) -> None:
        self.tf.close()


# ---------------------------------------------------------------------------------------------
# Extraction


def _check_space(dest: Path, total: int) -> None:
    probe = dest
    while not probe.exists() and probe != probe.parent:
        probe = probe.parent
    try:
        free = shutil.disk_usage(probe).free
    except OSError:
        return
    if total + _DISK_MARGIN > free:
        raise WriteError(
            f"not enough free space: the archive needs {total:,} bytes, {free:,} are free", dest
        )


def _extract(reader: _Reader, members: list[_Member], staging: Path, ticker: Ticker,
             limits: ImportLimits, archive_size: int) -> tuple[int, int]:
    files = 0
    total = 0
    for m in members:
        target = staging.joinpath(*m.parts)
        ticker.step(m.name)
        try:
            if m.is_dir:
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            if not inside(target.parent, staging):  # cannot happen: names were checked
                raise UnsafePathError(f"{m.name!r} resolves outside the staging folder", reader.path)
            with open_new_file(target) as out:
                n = _stream_member(reader, m, out, ticker, limits, total, archive_size)
        except MlmanagerError:
            raise
        except FileExistsError:
            raise ArchiveRefused(reader.path, [(m.name, "duplicate entry")]) from None
        except OSError as exc:
            raise WriteError(f"could not write {m.name!r}: {exc.strerror or exc}", staging.parent) from None
        files += 1
        total += n
    return files, total


def _stream_member(reader: _Reader, m: _Member, out: BinaryIO, ticker: Ticker,
                   limits: ImportLimits, before: int, archive_size: int) -> int:
    n = 0
    where = reader.path
    try:
        with reader.open(m) as src:
            for chunk in _chunks(src):
                n += len(chunk)
                if n > m.size:
                    raise ModelReadError(
                        f"{m.name!r} holds more data than its header declares ({m.size:,} bytes): "
                        "a forged header; import stopped", where,
                    )
                if n > limits.max_file_bytes or before + n > limits.max_total_bytes:
                    raise ModelReadError(
                        f"{m.name!r}: over the size cap while extracting; import stopped", where
                    )
                if m.compress_size is not None and n > limits.ratio_min_bytes:
                    used = _compressed_so_far(src, m.compress_size)
                    if n > limits.max_ratio * max(used, 1):
                        raise ModelReadError(
                            f"{m.name!r}: compression ratio over {limits.max_ratio:g}:1 "
                            f"({n:,} bytes from {used:,}; a zip bomb?); import stopped",
                            where,
                        )
                if (before + n > limits.ratio_min_bytes
                        and before + n > limits.max_ratio * max(archive_size, 1)):
                    raise ModelReadError(
                        f"{m.name!r}: the archive expands over {limits.max_ratio:g}:1 "
                        "(a decompression bomb?); import stopped", where,
                    )
                out.write(chunk)
                ticker.step(m.name, len(chunk))
    except MlmanagerError:
        raise
    except zipfile.BadZipFile as exc:
        text = str(exc)
        if "CRC" in text:
            raise ModelReadError(f"{m.name!r}: CRC check failed: the archive is corrupt ({text})", where) from None
        raise ModelReadError(f"{m.name!r}: the archive is corrupt ({text})", where) from None
    except RuntimeError as exc:  # zipfile: "... is encrypted, password required"
        raise ModelReadError(f"{m.name!r}: cannot be read: {exc}", where) from None
    except (OSError, EOFError, ValueError, tarfile.TarError, zlib.error) as exc:
        if isinstance(exc, OSError) and exc.errno is not None and not isinstance(exc, EOFError):
            raise
        raise ModelReadError(f"{m.name!r}: the archive is corrupt ({exc})", where) from None
    except Exception as exc:  # noqa: BLE001 - lzma/bz2 errors have no common base
        raise ModelReadError(f"{m.name!r}: the archive is corrupt ({type(exc).__name__}: {exc})", where) from None
    if n != m.size:
        raise ModelReadError(
            f"{m.name!r}: {n:,} bytes extracted but its header declares {m.size:,}: the archive "
            "is corrupt or truncated", where,
        )
    return n


def _compressed_so_far(src: Any, compress_size: int) -> int:
    """Compressed bytes zipfile has consumed so far (the whole member if it does not tell).

    Judging the ratio on what was consumed stops a bomb after a few MiB instead of after
    ``max_ratio`` times the member's full compressed size.
    """
    left = getattr(src, "_compress_left", None)  # zipfile.ZipExtFile, CPython 3.8-3.14
    if not (isinstance(left, int) and 0 <= left <= compress_size):
        return compress_size
    tail = getattr(getattr(src, "_decompressor", None), "unconsumed_tail", b"")  # read, not inflated yet
    pending = len(tail) if isinstance(tail, bytes) else 0
    return max(compress_size - left - pending, 0)


def _chunks(src: BinaryIO) -> Iterator[bytes]:
    while True:
        chunk = src.read(CHUNK)
        if not chunk:
            return
        yield chunk


# ---------------------------------------------------------------------------------------------
# The result


def _content_root(staging: Path) -> Path:
    """The model folder inside the staging folder: the staging folder itself when ``MLmodel``
    (or anything but one single folder) sits at its root, else that single top-level folder."""
    if (staging / MLMODEL).is_file():
        return staging
    tops = list(staging.iterdir())
    if len(tops) == 1 and tops[0].is_dir() and not tops[0].is_symlink():
        return tops[0]
    return staging


def _summary(folder: Path, limit: int = 12) -> str:
    names: list[str] = []
    count = 0
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        rel = os.path.relpath(dirpath, folder)
        for fname in sorted(filenames):
            count += 1
            if len(names) < limit:
                names.append(fname if rel == "." else f"{Path(rel).as_posix()}/{fname}")
    if not count:
        return "nothing (no files)"
    more = f", ... ({count - limit} more)" if count > limit else ""
    return ", ".join(names) + more


def _check_mlmodel(root: Path, src: Path, allow_non_model: bool, result: ImportResult) -> None:
    try:
        load_model(root).close()
    except MlmanagerError as exc:
        if not allow_non_model:
            raise type(exc)(f"the archive's MLmodel cannot be read: {exc.message}", src) from None
        result.warnings.append(f"the MLmodel cannot be read: {exc.message}")
        result.is_model = False
