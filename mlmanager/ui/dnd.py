"""Drag-and-drop: models dropped onto the window, and models dragged out of the library.

Dropping in: ``dragEnterEvent`` accepts only when the data carries at least one *local* file URL
(or an ``http(s)://`` URL of a tracking server: it opens that server's registry) and does not
come from our own library; the drop then sorts the paths:

* a tar archive (``.tar.gz``, ``.tgz``, ``.tar``, ``.tar.bz2``, ``.tar.xz``...) cannot be read in
  place, so it goes to ``on_import`` (the window asks where to extract it, safely);
* everything else is classified (``paths.classify_path``): model folders, ``MLmodel`` files and
  ``.zip`` files open read-in-place (fast, read-only; File ▸ Import… or the library's
  "Import (extract) to a folder…" extracts a zip), tracking folders are scanned, and the rest is
  reported.

Dragging out (:func:`library_mime_data`): the drag carries real files by URL, so a desktop or a
file manager copies them:

* a folder model carries **its folder itself**: no temp copy, instant for any size, and the file
  manager copies a real model folder (only the Copy action is offered, never Move);
* a model opened from a zip carries that zip;
* a folder model whose folder name says nothing (MLflow 3 logged models live in
  ``<model id>/artifacts``) carries a zip named after the model, made on demand in a temp folder
  *before* the drag starts, when the model is small (``DRAG_ZIP_MAX_BYTES``); a bigger one
  carries its folder (zipping it would freeze the drag). The temp folder lives until the app
  quits (a file manager copies the file after the drop, possibly late).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from PySide6.QtCore import QByteArray, QMimeData, QObject, QUrl
from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.library.paths import PathVerdict, classify_path
from mlmanager.core.remote.urls import is_server_url
from mlmanager.core.transfer.staging import safe_file_name

LIBRARY_MIME = "application/x-mlmanager-library"
DRAG_ZIP_MAX_BYTES = 16 << 20
TAR_SUFFIXES = (".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")
ARCHIVE_FILTER = "Model archives (*.zip *.tar.gz *.tgz *.tar *.tar.bz2 *.tbz2 *.tar.xz *.txz);;All files (*)"
_UNHELPFUL_FOLDER_NAMES = ("artifacts",)


def local_paths(mime: QMimeData | None) -> list[Path]:
    """The local file paths in ``mime`` (remote URLs are left out)."""
    if mime is None or not mime.hasUrls():
        return []
    out = []
    for url in mime.urls():
        if url.isLocalFile() and url.toLocalFile():
            out.append(Path(url.toLocalFile()))
    return out


def server_urls(mime: QMimeData | None) -> list[str]:
    """``http(s)://`` URLs of tracking servers in ``mime`` (a link from a browser's address bar
    or from MLflow's web UI); a URL naming a file (``.../model.zip``) is not a server."""
    if mime is None:
        return []
    texts = [u.toString() for u in mime.urls() if not u.isLocalFile()] if mime.hasUrls() else []
    if not texts and mime.hasText():
        texts = [t.strip() for t in mime.text().splitlines() if t.strip()]
    out = []
    for text in texts:
        last = urlsplit(text).path.rstrip("/").rsplit("/", 1)[-1]
        if is_server_url(text) and "." not in last:
            out.append(text)
    return out


def from_library(mime: QMimeData | None) -> bool:
    """True for a drag that started in our own library (dropping it back would reopen it)."""
    return mime is not None and mime.hasFormat(LIBRARY_MIME)


def accepts(mime: QMimeData | None) -> bool:
    return not from_library(mime) and bool(local_paths(mime) or server_urls(mime))


def is_tar_archive(path: str | os.PathLike[str]) -> bool:
    """A tar archive by its name (these must be imported: tar cannot be read in place)."""
    name = Path(path).name.lower()
    return any(name.endswith(s) for s in TAR_SUFFIXES) and not os.path.isdir(path)


def mime_for_paths(paths: Sequence[str | os.PathLike[str]]) -> QMimeData:
    """MIME data carrying ``paths`` as file URLs (what file managers send and accept)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(os.fspath(p)) for p in paths])
    return mime


# ---------------------------------------------------------------------------------------------
# Dragging models out of the library


def _folder_size(root: Path, cap: int) -> int | None:
    """Total size of the regular files under ``root``; None once it passes ``cap``."""
    total = 0
    stack = [root]
    while stack:
        try:
            with os.scandir(stack.pop()) as it:
                for entry in it:
                    if entry.is_dir(follow_symlinks=False):
                        stack.append(Path(entry.path))
                    elif entry.is_file(follow_symlinks=False):
                        total += entry.stat(follow_symlinks=False).st_size
                        if total > cap:
                            return None
        except OSError:
            return None
    return total


class DragFiles:
    """The temp folder for zips made for drags; ``cleanup()`` removes it (at quit)."""

    def __init__(self) -> None:
        self._dir: Path | None = None
        self._made: dict[tuple[str, str, int], Path] = {}  # (folder, name, MLmodel mtime) -> zip

    def zip_for(self, folder: Path, name: str) -> Path | None:
        """A zip of the model ``folder`` named ``name.zip`` (reused while MLmodel is unchanged);
        None when the model is too big or cannot be exported (the caller drags the folder)."""
        # deferred for start-up: not needed before the window's first paint
        from mlmanager.core.transfer.export import export_zip

        try:
            stamp = (folder / "MLmodel").stat().st_mtime_ns
        except OSError:
            return None
        key = (str(folder), name, stamp)
        done = self._made.get(key)
        if done is not None and done.is_file():
            return done
        if _folder_size(folder, DRAG_ZIP_MAX_BYTES) is None:
            return None
        if self._dir is None:
            self._dir = Path(tempfile.mkdtemp(prefix="mlmanager-drag-"))
        target = Path(tempfile.mkdtemp(dir=self._dir)) / f"{name}.zip"
        try:
            export_zip(folder, target, root_name=name)
        except (MlmanagerError, OSError):
            shutil.rmtree(target.parent, ignore_errors=True)
            return None
        self._made[key] = target
        return target

    def cleanup(self) -> None:
        if self._dir is not None:
            with contextlib.suppress(OSError):
                shutil.rmtree(self._dir, ignore_errors=True)
        self._dir = None
        self._made.clear()


def drag_path(path: Path, name: str, files: DragFiles | None) -> Path:
    """What a drag carries for the model at ``path`` shown as ``name`` (see the module doc)."""
    if path.name == "MLmodel" and path.is_file():
        path = path.parent
    if not path.is_dir() or files is None:
        return path  # a zip model: the zip itself
    if path.name in _UNHELPFUL_FOLDER_NAMES and name and name != path.name:
        made = files.zip_for(path, safe_file_name(name))
        if made is not None:
            return made
    return path


def library_mime_data(nodes: Sequence[Any], path_of: Callable[[Any], Path | None] | None = None,
                      files: DragFiles | None = None) -> QMimeData:
    """The MIME data of a drag of library ``nodes`` (model nodes; others are skipped).

    ``path_of(node)``: the model's path (default: the scan record's path, else the node key);
    ``files``: where to make on-demand zips (None: always drag the folder itself). The data has
    the file URLs, the paths as text (for terminals) and a private marker so our own window
    ignores the drop.
    """
    paths: list[Path] = []
    for node in nodes:
        if getattr(node, "kind", None) != "model":
            continue
        path = path_of(node) if path_of is not None else None
        if path is None:
            rec = getattr(node, "record", None)
            path = Path(rec.path if rec is not None else node.key)
        carried = drag_path(Path(path), getattr(node, "label", ""), files)
        if carried not in paths:
            paths.append(carried)
    mime = mime_for_paths(paths)
    if paths:
        mime.setText("\n".join(str(p) for p in paths))
    mime.setData(LIBRARY_MIME, QByteArray(b"1"))
    return mime


# ---------------------------------------------------------------------------------------------
# Dropping onto the window


class DropHandler(QObject):
    """Event filter-free helper: the window forwards its drag events here.

    ``on_drop(verdicts)`` receives one ``PathVerdict`` per dropped local path that is not a tar
    archive; ``on_import(paths)`` the tar archives (when given; else they are classified too and
    reported as not openable).
    """

    def __init__(self, on_drop: Callable[[list[PathVerdict]], None], parent: QObject | None = None,
                 on_import: Callable[[list[Path]], None] | None = None,
                 on_servers: Callable[[list[str]], None] | None = None) -> None:
        super().__init__(parent)
        self._on_drop = on_drop
        self._on_import = on_import
        self._on_servers = on_servers

    def drag_enter(self, event: QDragEnterEvent) -> None:
        if accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drag_move(self, event: QDragMoveEvent) -> None:
        if accepts(event.mimeData()):
            event.acceptProposedAction()
        else:
            event.ignore()

    def drop(self, event: QDropEvent) -> None:
        mime = event.mimeData()
        paths = local_paths(mime) if not from_library(mime) else []
        servers = server_urls(mime) if not from_library(mime) and not paths else []
        if servers and self._on_servers is not None:
            event.acceptProposedAction()
            self._on_servers(servers)
            return
        if not paths:
            event.ignore()
            return
        event.acceptProposedAction()
        archives = [p for p in paths if self._on_import is not None and is_tar_archive(p)]
        rest = [p for p in paths if p not in archives]
        if rest:
            self._on_drop([classify_path(p) for p in rest])
        if archives and self._on_import is not None:
            self._on_import(archives)
