"""Local copies of downloaded versions: the folders a user opens, edits and drags out.

The download cache (:mod:`.download`) keeps what the server sent and is never edited. Opening a
version makes a *copy* of the cached files under the user's data folder, one per server, model
and version::

    <copies>/<server>/<model>-v<N>/          the model folder (MLmodel at its top)
    <copies>/<server>/.<model>-v<N>.json     where it came from: server, model, version, source,
                                             and the cached folder it was made from

Files are hard links to the cached ones (instant, no extra space) or copies where a hard link is
not possible (another file system). Every write mlmanager makes to a model folder replaces the
file (temp + rename), so saving an edit in the copy never changes the cached bytes. A copy
appears in one rename (it is built in a hidden ``.partial`` sibling), so a folder with a copy's
name is always complete. Edits stay in the copy: nothing is pushed back to the server; publishing
is a separate, explicit step. ``$MLMANAGER_COPIES`` overrides the root (default
``<user data>/versions``).
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
from dataclasses import asdict, dataclass
from pathlib import Path
from urllib.parse import urlsplit

from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import MlmanagerError, WriteError
from mlmanager.core.transfer.staging import (
    CancelFn,
    TransferCancelled,
    make_staging,
    remove_quietly,
    safe_file_name,
)
from mlmanager.core.userdirs import user_data_dir

ENV_COPIES = "MLMANAGER_COPIES"
COMPARE_BYTES = 1 << 20  # files up to this size are compared by content, bigger ones by size


def default_copies_root() -> Path:
    return Path(os.environ.get(ENV_COPIES) or user_data_dir() / "versions")


def server_label(url: str) -> str:
    """``host:port[/prefix]`` of a server URL: how the library and headers name a server."""
    parts = urlsplit(url)
    return f"{parts.netloc}{parts.path.rstrip('/')}" or url


@dataclass(frozen=True)
class CopyInfo:
    """Where a copy came from (the JSON beside it)."""

    server: str
    name: str
    version: str
    source: str
    pristine: str  # the download cache's folder the copy was made from

    @classmethod
    def read(cls, copy: Path) -> CopyInfo | None:
        try:
            doc = json.loads(_info_path(copy).read_text(encoding="utf-8"))
            return cls(**{k: str(doc[k]) for k in ("server", "name", "version", "source",
                                                  "pristine")})
        except (OSError, ValueError, KeyError, TypeError):
            return None


def _info_path(copy: Path) -> Path:
    return copy.with_name(f".{copy.name}.json")


def copy_path(server: str, name: str, version: str, root: Path | None = None) -> Path:
    """Where the copy of ``name`` version ``version`` from ``server`` lives (or would)."""
    root = root if root is not None else default_copies_root()
    return root / safe_file_name(server_label(server), "server") / safe_file_name(
        f"{name}-v{version}")


def existing_copy(server: str, name: str, version: str, root: Path | None = None) -> Path | None:
    """The copy's folder when it exists (a copy is complete once it exists)."""
    folder = copy_path(server, name, version, root)
    return folder if (folder / "MLmodel").is_file() else None


def make_copy(pristine: Path, server: str, name: str, version: str, source: str = "", *,
              root: Path | None = None, cancel: CancelFn | None = None) -> Path:
    """The copy of the cached folder ``pristine`` (an existing copy is kept as it is: it may
    hold the user's edits)."""
    final = copy_path(server, name, version, root)
    if (final / "MLmodel").is_file():
        return final
    staging = make_staging(final)
    try:
        _link_tree(pristine, staging, cancel)
        if final.exists():  # an empty or broken leftover (no MLmodel): replace it
            remove_quietly(final)
        os.rename(staging, final)
    except TransferCancelled:
        remove_quietly(staging)
        raise
    except OSError as exc:
        remove_quietly(staging)
        raise WriteError(f"cannot make the local copy: {exc.strerror or exc}", final) from None
    except BaseException:
        remove_quietly(staging)
        raise
    info = CopyInfo(server=server.rstrip("/"), name=name, version=str(version), source=source,
                    pristine=str(pristine))
    with contextlib.suppress(MlmanagerError):  # the copy works without it; only "edited?" needs it
        atomic_write(_info_path(final), json.dumps(asdict(info), indent=1).encode(), backup=False)
    return final


def _link_tree(src: Path, dest: Path, cancel: CancelFn | None) -> None:
    for dirpath, dirnames, filenames in os.walk(src):
        if cancel is not None and cancel():
            raise TransferCancelled("cancelled while making the local copy", str(dest))
        rel = os.path.relpath(dirpath, src)
        target_dir = dest if rel == "." else dest / rel
        target_dir.mkdir(parents=True, exist_ok=True)
        for d in list(dirnames):
            if os.path.islink(os.path.join(dirpath, d)):
                dirnames.remove(d)  # the cache holds no links; never follow one
        for fname in filenames:
            src_file = os.path.join(dirpath, fname)
            if os.path.islink(src_file):
                continue
            target = target_dir / fname
            try:
                os.link(src_file, target)
            except OSError:
                shutil.copy2(src_file, target)


def local_changes(copy: Path) -> list[str]:
    """The files of ``copy`` that differ from what was downloaded (added, removed or edited;
    ``MLmodel.bak`` and other backups count), sorted; empty when unknown or unchanged."""
    info = CopyInfo.read(copy)
    if info is None or not Path(info.pristine).is_dir():
        return []
    pristine = Path(info.pristine)
    ours, theirs = _files(copy), _files(pristine)
    changed = sorted(set(ours) ^ set(theirs))
    for rel in set(ours) & set(theirs):
        a, b = ours[rel], theirs[rel]
        if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev):
            continue  # still the same hard link
        if a.st_size != b.st_size or (a.st_size <= COMPARE_BYTES and
                                      (copy / rel).read_bytes() != (pristine / rel).read_bytes()):
            changed.append(rel)
    return sorted(changed)


def _files(root: Path) -> dict[str, os.stat_result]:
    out: dict[str, os.stat_result] = {}
    for dirpath, _dirs, filenames in os.walk(root):
        for fname in filenames:
            path = os.path.join(dirpath, fname)
            with contextlib.suppress(OSError):
                out[os.path.relpath(path, root).replace(os.sep, "/")] = os.lstat(path)
    return out


def discard_copy(copy: Path) -> None:
    """Remove a copy (and its note) so the next open makes a fresh one from the cache."""
    remove_quietly(copy)
    with contextlib.suppress(OSError):
        _info_path(copy).unlink()
