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

Two processes fetching the same version take turns on ``<key[:2]>/<key>.lock`` (a kernel lock:
it dies with its holder): the first downloads, the second waits (told through its progress
callback, cancellable) and then finds the finished entry. Lock files are never deleted (a waiter
could otherwise lock a file that a newcomer no longer sees). A reused entry's ``entry.json`` is
touched, so its mtime says when it was last used; :meth:`DownloadCache.prune` removes entries by
that age and/or down to a total size, least recently used first, never one being downloaded.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from mlmanager.core.atomic import atomic_write
from mlmanager.core.errors import WriteError
from mlmanager.core.filelock import FileLock, LockCancelled
from mlmanager.core.remote.artifacts import ArtifactProxy, RemoteFile
from mlmanager.core.remote.http import ServerError
from mlmanager.core.sizes import tree_size
from mlmanager.core.transfer.staging import CancelFn, ProgressFn, TransferCancelled
from mlmanager.core.userdirs import user_cache_dir

ENV_CACHE = "MLMANAGER_DOWNLOAD_CACHE"
ENTRY = "entry.json"
CHUNK = 1 << 20
PART = ".part"
PARALLEL = 4  # files fetched at once (MLflow's client uses a thread pool too)
LOCK = ".lock"
TRASH = ".trash-"
WAITING = "waiting for another download of this version"


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

    def entries(self) -> list[CacheEntry]:
        """Every entry, finished or not (what :meth:`prune` chooses from)."""
        return [read_entry(e) for e in _entry_folders(self.root)]

    def prune(self, *, older_than_days: float | None = None, max_bytes: int | None = None,
              dry_run: bool = False, now: float | None = None) -> DownloadPruneResult:
        """Remove entries last used more than ``older_than_days`` ago, then the least recently used
        (unfinished downloads first) until the rest fit in ``max_bytes``. An entry being downloaded
        (its lock held) is left alone and listed in ``in_use``. Removal drops ``entry.json`` first,
        so a half-removed entry is never taken for a finished one."""
        entries = sorted(self.entries(), key=lambda e: (e.complete, e.last_used))
        cutoff = None if older_than_days is None else (now or time.time()) - older_than_days * 86400
        total = sum(e.size_bytes for e in entries)
        result = DownloadPruneResult()
        for entry in entries:
            too_old = cutoff is not None and entry.last_used < cutoff
            too_big = max_bytes is not None and total > max_bytes
            if not (too_old or too_big):
                continue
            lock = self.lock(entry.folder)
            if not lock.acquire(blocking=False):
                result.in_use.append(entry)
                continue
            try:
                if not dry_run:
                    _remove_entry(entry.folder)
            finally:
                lock.release()
            result.removed.append(entry)
            total -= entry.size_bytes
        result.kept_bytes = total
        if not dry_run:
            for trash in self.root.glob(f"??/{TRASH}*"):  # what a killed prune left
                shutil.rmtree(trash, ignore_errors=True)
        return result

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
            return self._reuse(found, progress)
        entry = self.entry_dir(server, artifact_uri)
        lock = self.lock(entry)

        def waiting() -> None:
            if progress is not None:
                progress(0, None, WAITING)

        try:
            lock.acquire(cancelled=cancel, on_wait=waiting)
        except LockCancelled:
            raise TransferCancelled("cancelled while another download of this version was "
                                    "running", server) from None
        except OSError as exc:
            raise WriteError(f"cannot lock the download cache: {exc.strerror or exc}",
                             entry) from None
        try:
            found = self.lookup(server, artifact_uri)  # the other process may have finished it
            if found is not None:
                return self._reuse(found, progress)
            return self._download(proxy, artifact_uri, entry, progress, cancel)
        finally:
            lock.release()

    @staticmethod
    def lock(entry: Path) -> FileLock:
        """The lock of one entry (beside it, so removing the entry keeps the lock file)."""
        return FileLock(entry.parent / (entry.name + LOCK))

    @staticmethod
    def _reuse(model: Path, progress: ProgressFn | None) -> Path:
        with contextlib.suppress(OSError):
            os.utime(model.parent / ENTRY)  # last used: what prune goes by
        if progress is not None:
            size = tree_size(model)
            progress(size, size, "")
        return model

    def _download(self, proxy: ArtifactProxy, artifact_uri: str, entry: Path,
                  progress: ProgressFn | None, cancel: CancelFn | None) -> Path:
        server = proxy.http.base_url
        root = proxy.proxy_path(artifact_uri, cancel)
        files = proxy.list_tree(root, cancel)
        if not any(f.path == "MLmodel" for f in files):
            raise ServerError(
                f"{artifact_uri} holds no MLmodel file at its top "
                f"({len(files)} file{'s' if len(files) != 1 else ''} there); it is not an "
                "MLflow model folder", server, error_code="not_a_model")
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
        atomic_write(entry / ENTRY, json.dumps(manifest, indent=1).encode(), backup=False)
        return model


@dataclass(frozen=True)
class CacheEntry:
    """One entry of the download cache: a finished model folder or an unfinished download."""

    folder: Path
    server: str  # "" for an unfinished entry (entry.json is written last)
    artifact_uri: str
    size_bytes: int
    last_used: float  # epoch seconds: entry.json's mtime, else the newest file's
    complete: bool

    def to_json(self) -> dict:
        return {"key": self.folder.name, "folder": str(self.folder), "server": self.server,
                "artifact_uri": self.artifact_uri, "size_bytes": self.size_bytes,
                "last_used": int(self.last_used), "complete": self.complete}


@dataclass
class DownloadPruneResult:
    removed: list[CacheEntry] = field(default_factory=list)
    in_use: list[CacheEntry] = field(default_factory=list)  # chosen, but being downloaded
    kept_bytes: int = 0

    @property
    def freed_bytes(self) -> int:
        return sum(e.size_bytes for e in self.removed)


def _entry_folders(root: Path) -> Iterator[Path]:
    if not root.is_dir():
        return
    for shard in sorted(root.iterdir()):
        if len(shard.name) != 2 or not shard.is_dir():
            continue
        for entry in sorted(shard.iterdir()):
            if entry.is_dir() and len(entry.name) == 64 and entry.name.startswith(shard.name):
                yield entry


def read_entry(entry: Path) -> CacheEntry:
    try:
        manifest = entry / ENTRY
        doc = json.loads(manifest.read_text(encoding="utf-8"))
        return CacheEntry(entry, str(doc.get("server", "")), str(doc.get("artifact_uri", "")),
                          tree_size(entry), manifest.stat().st_mtime, (entry / "model").is_dir())
    except (OSError, ValueError, AttributeError):
        newest = entry.stat().st_mtime
        for dirpath, _dirs, names in os.walk(entry):
            for name in names:
                with contextlib.suppress(OSError):
                    newest = max(newest, os.lstat(os.path.join(dirpath, name)).st_mtime)
        return CacheEntry(entry, "", "", tree_size(entry), newest, False)


def _remove_entry(entry: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        (entry / ENTRY).unlink()
    trash = entry.with_name(f"{TRASH}{entry.name}-{os.getpid()}")
    try:
        os.rename(entry, trash)
    except OSError:
        trash = entry
    shutil.rmtree(trash, ignore_errors=True)


class _Stopped(TransferCancelled):
    """A file given up because another file of the same download failed."""


class _Downloader:
    """Fetches a version's files, up to :data:`PARALLEL` at a time (largest first), as MLflow's
    client does: the small files come while the big one streams, so a server's per-request
    latency is paid once, not once per file. Progress calls are serialised (never two at once);
    the first failure stops the other files at their next chunk. A cancel is polled between
    chunks and files, and the transport cuts a request waiting on the server (to connect, for
    its headers or for the next bytes), so it takes effect at once wherever the download is."""

    def __init__(self, proxy: ArtifactProxy, root: str, dest: Path, files: list[RemoteFile],
                 progress: ProgressFn | None, cancel: CancelFn | None) -> None:
        self.proxy, self.root, self.dest, self.files = proxy, root, dest, files
        self.progress, self.cancel = progress, cancel
        self.total = sum(f.size or 0 for f in files)
        self.done = 0
        self._last = 0.0
        self._lock = threading.Lock()
        self._stop = threading.Event()

    def _cancelled_error(self) -> TransferCancelled:
        return TransferCancelled(
            "download cancelled; the files fetched so far are kept and the next download "
            "resumes from them", self.proxy.http.base_url)

    def _tick(self, item: str, add: int = 0, force: bool = False) -> None:
        if self._stop.is_set():
            raise _Stopped("stopped: another file of this download failed",
                           self.proxy.http.base_url)
        if self.cancel is not None and self.cancel():
            raise self._cancelled_error()
        with self._lock:
            self.done += add
            if self.progress is not None:
                now = time.monotonic()
                if force or now - self._last >= 0.05:
                    self._last = now
                    self.progress(self.done, self.total, item)

    def run(self) -> None:
        try:
            self._tick("", force=True)
            self._run()
        except _Stopped:
            raise
        except TransferCancelled:  # from the transport too: say what is kept
            raise self._cancelled_error() from None

    def _run(self) -> None:
        queue = sorted(self.files, key=lambda f: -(f.size or 0))
        helpers = min(PARALLEL, len(queue)) - 1
        if helpers <= 0:
            for f in queue:
                self._one(f, bytearray(CHUNK))
        else:
            failures: list[BaseException] = []
            pending = iter(queue)

            def work(own_thread: bool) -> None:
                buffer = bytearray(CHUNK)  # one buffer for every chunk this thread reads
                try:
                    while not self._stop.is_set():
                        with self._lock:
                            f = next(pending, None)
                        if f is None:
                            return
                        self._one(f, buffer)
                except BaseException as exc:  # noqa: BLE001 - handed to the calling thread
                    with self._lock:
                        failures.append(exc)
                    self._stop.set()
                finally:
                    if own_thread:  # its keep-alive connection ends with it
                        self.proxy.http.drop_connection()

            threads = [threading.Thread(target=work, args=(True,), daemon=True,
                                        name=f"mlmanager-download-{n}") for n in range(helpers)]
            for thread in threads:
                thread.start()
            work(False)
            for thread in threads:
                thread.join()
            if failures:
                # the first real failure, not a file that stopped because of it
                raise next((e for e in failures if not isinstance(e, _Stopped)), failures[0])
        self._tick("", force=True)

    def _one(self, f: RemoteFile, buffer: bytearray) -> None:
        target = self.dest.joinpath(*f.path.split("/"))
        if target.is_file() and not target.is_symlink() and (
            f.size is None or target.stat().st_size == f.size
        ):
            self._tick(f.path, add=target.stat().st_size)
            return
        target.parent.mkdir(parents=True, exist_ok=True)
        part = target.with_name("." + target.name + PART)
        offset = part.stat().st_size if part.is_file() else 0
        if f.size is not None and offset > f.size:
            part.unlink()
            offset = 0
        remote = self.root.rstrip("/") + "/" + f.path if self.root else f.path
        self._tick(f.path, force=True)
        if f.size is not None and offset == f.size:  # complete: stopped before its rename
            self._tick(f.path, add=offset)
        else:
            self._stream(remote, part, offset, f.path, buffer)
        size = part.stat().st_size
        if f.size is not None and size != f.size:
            part.unlink()
            raise ServerError(
                f"{f.path} arrived with {size:,} bytes but the server listed {f.size:,}; the "
                "file may have changed or the transfer was cut. Run the download again.",
                self.proxy.http.base_url, error_code="size_mismatch")
        os.replace(part, target)

    def _stream(self, remote: str, part: Path, offset: int, name: str,
                buffer: bytearray) -> None:
        """One file's bytes into ``part`` from ``offset`` (a range request when resuming)."""
        with self.proxy.open_file(remote, offset, self.cancel) as response:
            if offset and response.status != 206:
                offset = 0  # the server ignored the range: start over
            if offset:
                self._tick(name, add=offset, force=True)  # resumed: show where it starts
            view = memoryview(buffer)
            with open(part, "r+b" if offset else "wb", buffering=0) as out:
                out.seek(offset)
                out.truncate()
                while True:
                    n = response.readinto(view)
                    if not n:
                        break
                    written = 0
                    while written < n:  # an unbuffered write may be partial
                        written += out.write(view[written:n]) or 0
                    self._tick(name, add=n)
