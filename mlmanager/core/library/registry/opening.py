"""Open the registry a URI names: a server, a file store or an ``mlflow.db``.

Accepted: ``http(s)://host[:port][/prefix]``; ``sqlite:///relative.db`` /
``sqlite:////absolute.db``; ``file:///path`` or a plain path to a file store (the folder holding
``models/`` and the experiment folders), to a folder holding one (``mlruns/``) or an
``mlflow.db``, or to the ``mlflow.db`` file itself. ``None`` means ``$MLFLOW_TRACKING_URI``.
"""

from __future__ import annotations

import os
from urllib.parse import unquote, urlparse

from mlmanager.core.errors import ModelReadError
from mlmanager.core.library.registry.filestore import FileStoreRegistry, is_file_store
from mlmanager.core.library.registry.source import RegistrySource
from mlmanager.core.library.registry.sqlite import SqliteRegistry
from mlmanager.core.remote.auth import ENV_URI, ServerAuth, default_server_uri
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.registry import ServerRegistry

_SQLITE_MAGIC = b"SQLite format 3\x00"


def _is_sqlite_file(path: str) -> bool:
    try:
        with open(path, "rb") as fh:
            return fh.read(16) == _SQLITE_MAGIC
    except OSError:
        return False


def open_registry(
    uri: str | None = None,
    *,
    auth: ServerAuth | None = None,
    cache: DownloadCache | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> RegistrySource:
    """The registry source for ``uri`` (see the module docstring)."""
    if uri is None:
        uri = default_server_uri()
        if uri is None:
            raise ModelReadError(f"no registry given: pass --server URI or set {ENV_URI}")
    if uri.startswith(("http://", "https://")):
        return ServerRegistry(uri, auth, cache=cache, timeout=timeout, max_retries=max_retries)
    if uri.startswith("sqlite:"):
        path = uri[len("sqlite:"):]
        if not path.startswith("///"):
            raise ModelReadError("a SQLite URI reads sqlite:///relative.db or "
                                 "sqlite:////absolute/path.db", uri)
        return SqliteRegistry(unquote(path[3:].split("?", 1)[0]))
    if uri.startswith("file:"):
        path = unquote(urlparse(uri).path)
    elif "://" in uri:
        scheme = uri.split("://", 1)[0]
        raise ModelReadError(
            f"{scheme}:// registries are not supported; use an http(s):// MLflow server, a "
            "file store folder, an mlflow.db file or a sqlite:/// URI", uri)
    else:
        path = os.path.expanduser(uri)
    return _open_path(path)


def _open_path(path: str) -> RegistrySource:
    if os.path.isfile(path):
        if _is_sqlite_file(path):
            return SqliteRegistry(path)
        raise ModelReadError("not an SQLite database (mlflow.db) nor a folder", path)
    if not os.path.isdir(path):
        raise ModelReadError("no such file or folder", path)
    if is_file_store(path):
        return FileStoreRegistry(path)
    db = os.path.join(path, "mlflow.db")
    if os.path.isfile(db):
        return SqliteRegistry(db)
    nested = os.path.join(path, "mlruns")
    if is_file_store(nested):
        return FileStoreRegistry(nested)
    raise ModelReadError("neither a file store (mlruns/) nor a folder with an mlflow.db", path)


def has_file_store_registry(folder: str) -> bool:
    """A file store's root (not one of its experiment folders, whose ``models/`` holds logged
    models) with a ``models/`` registry folder."""
    if os.path.isfile(os.path.join(folder, "meta.yaml")) or not os.path.isdir(
            os.path.join(folder, "models")):
        return False
    try:
        entries = os.listdir(folder)
    except OSError:
        return False
    return ".trash" in entries or any(
        e.isdigit() and os.path.isfile(os.path.join(folder, e, "meta.yaml")) for e in entries) or \
        _registry_entries(os.path.join(folder, "models"))


def _registry_entries(models: str) -> bool:
    """``models/<name>/version-<n>`` (a registry), not ``models/m-<id>`` (logged models)."""
    try:
        names = os.listdir(models)
    except OSError:
        return False
    for name in names[:50]:
        try:
            if any(e.startswith("version-") for e in os.listdir(os.path.join(models, name))):
                return True
        except OSError:
            continue
    return False


def local_registries(folder: str | os.PathLike[str]) -> list[RegistrySource]:
    """The registries a tracking folder holds, for the library: the file store it is (or its
    ``mlruns/``) when that has a ``models/`` registry, and its ``mlflow.db``. Nothing is read
    beyond a few ``stat`` calls; listing them is the caller's (background) work."""
    root = os.path.abspath(os.fspath(folder))
    out: list[RegistrySource] = []
    for store in (root, os.path.join(root, "mlruns")):
        if has_file_store_registry(store):
            out.append(FileStoreRegistry(store))
            break
    db = os.path.join(root, "mlflow.db") if os.path.isdir(root) else root
    if os.path.isfile(db) and _is_sqlite_file(db):
        out.append(SqliteRegistry(db))
    return out
