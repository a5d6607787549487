"""The download cache: a version's files from a server, verified, resumable, never half-shown.

An entry is addressed by what it holds: ``sha256(server URL + artifact URI)`` of a model
version (a version's files never change once it is READY). Layout::

    <cache>/<key[:2]>/<key>/incoming/...   files being fetched (``.<name>.part`` while partial)
    <cache>/<key[:2]>/<key>/model/...      the finished model folder (MLmodel at its top)
    <cache>/<key[:2]>/<key>/entry.json     written last: server, URI, files and sizes

Each file is written to a ``.part`` name, checked against the size the listing gave and renamed;
``incoming`` becomes ``model`` in one rename once every file is there, and ``entry.json`` is
written after that (temp + replace). So a folder named ``model`` is always complete, and an entry
without ``entry.json`` is never used. A download that stops (cancel, a server that dies) keeps
its complete files and its ``.part`` bytes: the next run skips the first and resumes the second
with an HTTP range request. The cache root is ``$MLMANAGER_DOWNLOAD_CACHE`` or
``<user cache>/downloads``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
from pathlib import Path

from mlmanager.core.errors import WriteError
from mlmanager.core.remote.artifacts import ArtifactProxy, RemoteFile
from mlmanager.core.remote.http import ServerError
from mlmanager.core.transfer.staging import CancelFn, ProgressFn, TransferCancelled
from mlmanager.core.userdirs import user_cache_dir

ENV_CACHE = "MLMANAGER_DOWNLOAD_CACHE"
ENTRY = "entry.json"
CHUNK = 1 << 20
PART = ".part"


def default_cache_root() -> Path:
    return Path(os.environ.get(ENV_CACHE) or user_cache_dir() / "downloads")


class DownloadCache:
    """Finished model folders by (server, artifact URI); see the module docstring."""

    def __init__(self, root: str | os.PathLike[str] | None = None) -> None:
        self.root = Path(root) if root is not None else default_cache_root()

    @staticmethod
    def key(server: str, artifact_uri: str) -> str:
        return hashlib.sha256(f"{server.rstrip('/')}\n{artifact_uri}".encode()).hexdigest()

    def entry_dir(self, server: str, artifact_uri: str) -> Path:
        key = self.key(server, artifact_uri)
        return self.root / key[:2] / key

    def lookup(self, server: str, artifact_uri: str) -> Path | None:
        """The finished model folder, or ``None`` (also when a file went missing since)."""
        entry = self.entry_dir(server, artifact_uri)
        try:
            doc = json.loads((entry / ENTRY).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        model = entry / "model"
        for item in doc.get("files", []):
            try:
                if (model / item["path"]).stat().st_size != item["size"]:
                    return None
            except (OSError, KeyError, TypeError):
                return None
        return model

    def fetch(
        self,
        proxy: ArtifactProxy,
        artifact_uri: str,
        *,
        progress: ProgressFn | None = None,
        cancel: CancelFn | None = None,
    ) -> Path:
        """The model folder for ``artifact_uri``, downloaded (or resumed) when needed."""
        server = proxy.http.base_url
        found = self.lookup(server, artifact_uri)
        if found is not None:
            if progress is not None:
                size = _tree_size(found)
                progress(size, size, "")
            return found
        root = proxy.proxy_path(artifact_uri, cancel)
        files = proxy.list_tree(root, cancel)
        if not any(f.path == "MLmodel" for f in files):
            raise ServerError(
                f"{artifact_uri} holds no MLmodel file at its top "
                f"({len(files)} file{'s' if len(files) != 1 else ''} there); it is not an "
                "MLflow model folder", server, error_code="not_a_model")
        entry = self.entry_dir(server, artifact_uri)
        incoming = entry / "incoming"
        model = entry / "model"
        try:
            incoming.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise WriteError(f"cannot create the download cache: {exc.strerror or exc}",
                             entry) from None
        _Downloader(proxy, root, incoming, files, progress, cancel).run()
        if model.exists():  # an older, unfinished entry (no entry.json): replace it
            shutil.rmtree(model, ignore_errors=True)
        os.rename(incoming, model)
        manifest = {
            "server": server,
            "artifact_uri": artifact_uri,
            "proxy_path": root,
            "files": [{"path": f.path, "size": (model / f.path).stat().st_size} for f in files],
            "completed": int(time.time()),
        }
        tmp = entry / f".{ENTRY}.tmp"
        tmp.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
        os.replace(tmp, entry / ENTRY)
        return model


def _tree_size(folder: Path) -> int:
    total = 0
    for dirpath, _dirs, names in os.walk(folder):
        for name in names:
            with contextlib.suppress(OSError):
                total += os.lstat(os.path.join(dirpath, name)).st_size
    return total


class _Downloader:
    def __init__(self, proxy: ArtifactProxy, root: str, dest: Path, files: list[RemoteFile],
                 progress: ProgressFn | None, cancel: CancelFn | None) -> None:
        self.proxy, self.root, self.dest, self.files = proxy, root, dest, files
        self.progress, self.cancel = progress, cancel
        self.total = sum(f.size or 0 for f in files)
        self.done = 0
        self._last = 0.0
        self.view = memoryview(bytearray(CHUNK))  # one buffer for every chunk of every file

    def _tick(self, item: str, force: bool = False) -> None:
        if self.cancel is not None and self.cancel():
            raise TransferCancelled(
                "download cancelled; the files fetched so far are kept and the next download "
                "resumes from them", self.proxy.http.base_url)
        if self.progress is not None:
            now = time.monotonic()
            if force or now - self._last >= 0.05:
                self._last = now
                self.progress(self.done, self.total, item)

    def run(self) -> None:
        self._tick("", force=True)
        for f in self.files:
            self._one(f)
        self._tick("", force=True)

    def _one(self, f: RemoteFile) -> None:
        target = self.dest.joinpath(*f.path.split("/"))
        if target.is_file() and not target.is_symlink() and (
            f.size is None or target.stat().st_size == f.size
        ):
            self.done += target.stat().st_size
            self._tick(f.path)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name("." + target.name + PART)
        offset = part.stat().st_size if part.is_file() else 0
        if f.size is not None and offset > f.size:
            part.unlink()
            offset = 0
        remote = self.root.rstrip("/") + "/" + f.path if self.root else f.path
        self._tick(f.path, force=True)
        with self.proxy.open_file(remote, offset, self.cancel) as response:
            if offset and response.status != 206:
                offset = 0  # the server ignored the range: start over
            if offset:
                self.done += offset
                self._tick(f.path, force=True)  # resumed: show where it starts
            with open(part, "r+b" if offset else "wb", buffering=0) as out:
                out.seek(offset)
                out.truncate()
                while True:
                    n = response.readinto(self.view)
                    if not n:
                        break
                    written = 0
                    while written < n:  # an unbuffered write may be partial
                        written += out.write(self.view[written:n]) or 0
                    self.done += n
                    self._tick(f.path)
        size = part.stat().st_size
        if f.size is not None and size != f.size:
            part.unlink()
            raise ServerError(
                f"{f.path} arrived with {size:,} bytes but the server listed {f.size:,}; the "
                "file may have changed or the transfer was cut. Run the download again.",
                self.proxy.http.base_url, error_code="size_mismatch")
        os.replace(part, target)
