"""The demo model ``--demo`` opens: a per-user copy of the one bundled in the package.

The bundled demo lives inside the installed package (site-packages, or a desktop bundle), so
saving an edit to it would write into the installation. ``--demo`` (and Help ▸ Open the demo
model) open a copy in the user's data folder instead — ``$XDG_DATA_HOME/mlmanager/demo/``
(``~/.local/share/...``; ``~/Library/Application Support/...`` on macOS, ``%LOCALAPPDATA%`` on
Windows) — made on first use. A small record beside it (``demo.json``) holds a fingerprint of
the bundled demo it came from and of the copy as written, so:

* the user's edits stay from one run to the next;
* when the bundled demo changes (a new version of the app), an unedited copy is refreshed;
* an edited copy is never overwritten: it is moved aside to ``iris-classifier.edited-<time>``
  (a rename, nothing is lost), the fresh demo takes its place, and the caller gets a note to
  show saying where the edited copy went.

Copies are written next to their final place and renamed in (atomic), so a crash never leaves a
half-copied demo. Stdlib only, no Qt.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from mlmanager.core.atomic import atomic_write
from mlmanager.resources_path import demo_model_path

RECORD = "demo.json"


@dataclass(frozen=True)
class UserDemo:
    """The copy to open, and a note for the user when something changed (else None)."""

    path: Path
    note: str | None = None


def data_home() -> Path:
    """The user's data folder for mlmanager (created by the caller when needed)."""
    if sys.platform == "darwin":
        return Path.home() / "Library" / "Application Support" / "mlmanager"
    if os.name == "nt":
        return Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local") / "mlmanager"
    return Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share") / "mlmanager"


def user_demo(bundled: Path | None = None, folder: Path | None = None) -> UserDemo:
    """The per-user copy of ``bundled`` (default: the package's demo) under ``folder`` (default:
    ``data_home()/demo``), made or refreshed as the module docstring says."""
    bundled = demo_model_path() if bundled is None else bundled
    folder = data_home() / "demo" if folder is None else folder
    copy = folder / bundled.name
    record_path = folder / RECORD
    source = fingerprint(bundled)
    record = _read_record(record_path)
    if copy.is_dir() and record.get("bundled") == source:
        return UserDemo(copy)  # the usual case: the user's copy, edited or not
    folder.mkdir(parents=True, exist_ok=True)
    note = None
    if copy.is_dir():
        if record.get("copied") == fingerprint(copy):
            _remove(copy)  # unedited: refresh it
        else:
            aside = copy.with_name(f"{copy.name}.edited-{time.strftime('%Y%m%d-%H%M%S')}")
            os.replace(copy, aside)
            note = (f"The demo model changed with this version of mlmanager; your edited copy "
                    f"was kept at {aside}.")
    _copy_into_place(bundled, copy)
    atomic_write(record_path, json.dumps({"bundled": source, "copied": fingerprint(copy)},
                                         indent=2).encode("utf-8"), backup=False)
    return UserDemo(copy, note)


def fingerprint(folder: Path) -> str:
    """SHA-256 over every file's relative path and bytes (the demo is a few small files)."""
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        digest.update(path.relative_to(folder).as_posix().encode("utf-8") + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def _read_record(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def _copy_into_place(bundled: Path, copy: Path) -> None:
    """Copy to a temporary sibling, then rename: never a half-copied demo. Plain file copies
    (not ``copy2``): files of a read-only installation become the user's own, writable ones."""
    staging = Path(tempfile.mkdtemp(prefix=".demo-", dir=copy.parent))
    try:
        shutil.copytree(bundled, staging / copy.name, copy_function=shutil.copyfile)
        try:
            os.replace(staging / copy.name, copy)
        except OSError:
            if not copy.is_dir():  # another instance put its copy in place first: use that
                raise
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _remove(folder: Path) -> None:
    """Rename away first (atomic), then delete: the canonical path never holds a half tree."""
    doomed = folder.with_name(f".{folder.name}.old-{os.getpid()}")
    os.replace(folder, doomed)
    shutil.rmtree(doomed, ignore_errors=True)
