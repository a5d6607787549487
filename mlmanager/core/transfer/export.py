"""Export a model folder to a ``.zip`` or to another folder, streaming, all-or-nothing.

Layout of the zip: one top-level folder (named after the zip, ``iris.zip`` -> ``iris/``) that
holds the model folder exactly (every file and sub-folder, empty ones included). That is what
``zip -r iris.zip iris`` and the file managers' "Compress" produce, so ``unzip`` gives one folder
that ``mlflow.pyfunc.load_model("iris")`` loads, instead of spilling ``MLmodel`` and friends into
the current folder. ``flat=True`` writes the files at the root instead. mlmanager opens and
imports both layouts.

Symbolic links inside the model are refused by default, each one named: a link cannot travel in
a zip safely (careful importers, mlmanager's included, refuse link entries and Python's
``zipfile`` extracts them as small text files), and following a link that points out of the
folder would copy private files (``~/.ssh/...``) into an archive meant to be shared.
``symlinks="dereference"`` exports the content of links to regular files *inside* the model
folder and still refuses the rest. FIFOs, sockets and devices are always refused.

Nothing half-written is left: the zip is written to a temp file next to the target and renamed
at the end; a folder export goes through a staging folder. Reading never modifies the model,
so read-only folders export fine. Files are streamed in 1 MiB chunks (zip64 when needed).
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path

from mlmanager.core.errors import ModelReadError, UnsafePathError, WriteError
from mlmanager.core.model.files import MLMODEL, FolderFiles, open_model_files
from mlmanager.core.transfer.staging import (
    CancelFn,
    ProgressFn,
    Ticker,
    TransferResult,
    copy_stream,
    current_umask,
    inside,
    open_new_file,
    remove_quietly,
    staged_folder,
)

SYMLINK_POLICIES = ("refuse", "dereference")
MAX_DEPTH = 64
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class _Item:
    rel: str  # posix path relative to the model folder
    is_dir: bool
    size: int = 0
    mtime: float = 0.0


def model_folder(model_path: str | os.PathLike[str]) -> FolderFiles:
    """The files of a model folder or ``MLmodel`` file (zips are refused here)."""
    files = open_model_files(model_path)
    if not isinstance(files, FolderFiles):
        files.close()
        raise ModelReadError(
            "this model is already an archive; use import to extract it", model_path
        )
    return files


def list_folder(root: Path, symlinks: str = "refuse") -> list[_Item]:
    """Every entry of the folder, sorted, never following a link while walking.

    Raises UnsafePathError naming every entry that cannot be exported (links per ``symlinks``,
    FIFOs, devices, sockets, folders nested deeper than MAX_DEPTH).
    """
    if symlinks not in SYMLINK_POLICIES:
        raise ValueError(f"symlinks must be one of {SYMLINK_POLICIES}")
    items: list[_Item] = []
    problems: list[str] = []
    stack: list[tuple[str, int]] = [("", 0)]
    while stack:
        rel_dir, depth = stack.pop()
        folder = root / rel_dir if rel_dir else root
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            raise ModelReadError(f"cannot list {rel_dir or '.'}: {exc.strerror or exc}", root) from None
        subdirs = []
        for entry in entries:
            rel = f"{rel_dir}/{entry.name}" if rel_dir else entry.name
            try:
                st = entry.stat(follow_symlinks=False)
            except OSError as exc:
                problems.append(f"{rel}: cannot read ({exc.strerror or exc})")
                continue
            mode = st.st_mode
            if stat.S_ISLNK(mode):
                item = _link_item(root, rel, entry.path, st, symlinks, problems)
                if item is not None:
                    items.append(item)
            elif stat.S_ISDIR(mode):
                if depth + 1 > MAX_DEPTH:
                    problems.append(f"{rel}: folders nested deeper than {MAX_DEPTH} levels")
                    continue
                items.append(_Item(rel, True, 0, st.st_mtime))
                subdirs.append((rel, depth + 1))
            elif stat.S_ISREG(mode):
                items.append(_Item(rel, False, st.st_size, st.st_mtime))
            else:
                kind = "FIFO" if stat.S_ISFIFO(mode) else "socket" if stat.S_ISSOCK(mode) else "device"
                problems.append(f"{rel}: a {kind}, not a regular file")
        stack.extend(reversed(subdirs))
    if problems:
        raise UnsafePathError(
            "cannot export this model folder; these entries are not plain files:\n  "
            + "\n  ".join(problems)
            + (
                "\nSymbolic links are not exported: a link cannot travel safely in an archive, "
                "and one that points out of the folder would copy private files into it. "
                "Replace each link with the file it points to"
                + (", or export with symlinks='dereference' (--dereference-links) to copy "
                   "links to files inside the model folder." if symlinks == "refuse" else ".")
                if any("symbolic link" in p for p in problems)
                else ""
            ),
            root,
        )
    return sorted(items, key=lambda i: i.rel)


def _link_item(root: Path, rel: str, full: str, st: os.stat_result, policy: str,
               problems: list[str]) -> _Item | None:
    try:
        target = os.readlink(full)
    except OSError:
        target = "?"
    if policy == "refuse":
        problems.append(f"{rel}: symbolic link to {target!r}")
        return None
    if not inside(Path(full), root):
        problems.append(f"{rel}: symbolic link to {target!r}, which points outside the model folder")
        return None
    try:
        real = os.stat(full)
    except OSError:
        problems.append(f"{rel}: symbolic link to {target!r}, which does not exist")
        return None
    if not stat.S_ISREG(real.st_mode):
        problems.append(f"{rel}: symbolic link to {target!r}, which is not a regular file")
        return None
    return _Item(rel, False, real.st_size, real.st_mtime)


def _zip_time(mtime: float) -> tuple[int, int, int, int, int, int]:
    t = time.localtime(mtime)[:6]
    return max(t, _ZIP_EPOCH)  # type: ignore[return-value]


def export_zip(
    model_path: str | os.PathLike[str],
    out_zip: str | os.PathLike[str],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    *,
    root_name: str | None = None,
    flat: bool = False,
    symlinks: str = "refuse",
    overwrite: bool = False,
    compression: int = zipfile.ZIP_DEFLATED,
) -> TransferResult:
    """Write the model folder into ``out_zip`` (top folder ``root_name``, default the zip's stem).

    Raises MLmodelNotFoundError/ModelReadError (not a model), UnsafePathError (links, special
    files), WriteError (target exists without ``overwrite``, disk full...) or TransferCancelled;
    in every failure case ``out_zip`` is untouched and no temp file remains.
    """
    out = Path(out_zip)
    with model_folder(model_path) as files:
        root = files.root
        items = list_folder(root, symlinks)
        if out.is_symlink() or (out.exists() and not overwrite):
            raise WriteError("the zip file already exists (choose another name or overwrite)", out)
        if out.exists() and not out.is_file():
            raise WriteError("the target exists and is not a file", out)
        if inside(out, root):
            raise WriteError("cannot write the zip inside the model folder it exports", out)
        name = root_name if root_name is not None else out.stem
        if not flat and (not name or "/" in name or "\\" in name or name in (".", "..")):
            raise WriteError(f"invalid top-level folder name {name!r}", out)
        prefix = "" if flat else name + "/"
        total = sum(i.size for i in items)
        ticker = Ticker(progress, cancel, total, what="export")
        out.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".partial", dir=out.parent)
        tmp = Path(tmp_name)
        try:
            with os.fdopen(fd, "w+b") as fh:
                with zipfile.ZipFile(fh, "w", compression=compression, allowZip64=True) as zf:
                    if prefix:
                        _write_dir(zf, prefix, os.stat(root).st_mtime)
                    for item in items:
                        ticker.step(item.rel)
                        if item.is_dir:
                            _write_dir(zf, prefix + item.rel + "/", item.mtime)
                            continue
                        info = zipfile.ZipInfo(prefix + item.rel, date_time=_zip_time(item.mtime))
                        info.external_attr = (stat.S_IFREG | 0o644) << 16
                        info.compress_type = compression
                        info.file_size = item.size  # lets zipfile pick zip64 up front
                        with files.open_stream(item.rel) as src, zf.open(info, "w") as dst:
                            copy_stream(src, dst, ticker, item.rel)
                fh.flush()
                os.fsync(fh.fileno())
            mode = 0o666 & ~current_umask()
            os.chmod(tmp, mode)
            os.replace(tmp, out)
        except OSError as exc:
            remove_quietly(tmp)
            raise WriteError(f"could not write the zip: {exc.strerror or exc}", out) from None
        except BaseException:
            remove_quietly(tmp)
            raise
    return TransferResult(out, files=sum(not i.is_dir for i in items), bytes=total)


def _write_dir(zf: zipfile.ZipFile, name: str, mtime: float) -> None:
    info = zipfile.ZipInfo(name, date_time=_zip_time(mtime))
    info.external_attr = ((stat.S_IFDIR | 0o755) << 16) | 0x10  # 0x10: MS-DOS directory flag
    zf.writestr(info, b"")


def export_folder(
    model_path: str | os.PathLike[str],
    dest_dir: str | os.PathLike[str],
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
    *,
    symlinks: str = "refuse",
) -> TransferResult:
    """Copy the model folder to ``dest_dir`` (which must not exist, or be empty).

    The copy is built in a staging folder next to ``dest_dir`` and renamed into place; file
    contents and modification times are kept, permissions are the new folder's defaults (a copy
    of a read-only folder is writable).
    """
    dest = Path(dest_dir)
    with model_folder(model_path) as files:
        root = files.root
        if inside(dest, root) or inside(root, dest):
            raise WriteError("the destination and the model folder overlap", dest)
        items = list_folder(root, symlinks)
        total = sum(i.size for i in items)
        ticker = Ticker(progress, cancel, total, what="export")
        with staged_folder(dest) as staging:
            try:
                for item in items:
                    ticker.step(item.rel)
                    target = staging.joinpath(*item.rel.split("/"))
                    if item.is_dir:
                        target.mkdir()
                        continue
                    with files.open_stream(item.rel) as src, open_new_file(target) as dst:
                        copy_stream(src, dst, ticker, item.rel)
                    with contextlib.suppress(OSError):
                        os.utime(target, (item.mtime, item.mtime))
                for item in reversed(items):
                    if item.is_dir:
                        with contextlib.suppress(OSError):
                            os.utime(staging.joinpath(*item.rel.split("/")), (item.mtime, item.mtime))
            except OSError as exc:
                raise WriteError(f"could not copy the model: {exc.strerror or exc}", dest) from None
    if not (dest / MLMODEL).is_file():  # pragma: no cover - list_folder saw it
        raise WriteError("the copy has no MLmodel", dest)
    return TransferResult(dest, files=sum(not i.is_dir for i in items), bytes=total)
