"""The server's artifact proxy (``mlflow server --serve-artifacts``): resolve, list, get, put.

A version's files are reached through ``/api/2.0/mlflow-artifacts/artifacts/<path>``. Sources
are resolved to such a path: ``models:/m-<id>`` (a logged model: its ``artifact_uri``),
``models:/NAME/N`` (``model-versions/get-download-uri``), ``runs:/<run>/<path>`` (the run's
``artifact_uri``), ``mlflow-artifacts:/<path>`` and ``http(s)://.../mlflow-artifacts/artifacts/
<path>``. Folders are listed level by level. Uploads are one streamed PUT per file, or, for
files of 500 MiB and more on servers that hand out presigned part URLs (``server-info``), a
multipart upload, as MLflow's client does. Any other location (``s3://``, ``file://`` on the
server's disk) is not reachable through the server, and the error says so.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import posixpath
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import BinaryIO
from urllib.parse import quote, unquote, urlsplit

from mlmanager.core.errors import UnsafePathError
from mlmanager.core.remote.http import Response, ServerError
from mlmanager.core.remote.rest import MlflowRestClient
from mlmanager.core.transfer.staging import CancelFn, TransferCancelled

PROXY = "/api/2.0/mlflow-artifacts/artifacts"
MPU = "/api/2.0/mlflow-artifacts/mpu"
SERVER_INFO = "/api/3.0/mlflow/server-info"
# MLflow's own thresholds (MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE / _CHUNK_SIZE)
MULTIPART_MIN = 500 << 20
MULTIPART_CHUNK = 10 << 20
_PROXY_MARK = "/mlflow-artifacts/artifacts"
_LOGGED_MODEL = re.compile(r"models:/(m-[0-9a-f]{32})/?(.*)$")
_RUNS = re.compile(r"runs:/([^/]+)/?(.*)$")
_REGISTERED = re.compile(r"models:/([^/@]+)(?:/([^/]+)|@([^/]+))/?(.*)$")
MAX_FILES = 100_000
MAX_HOPS = 5


@dataclass(frozen=True, slots=True)
class RemoteFile:
    """A file under an artifact root: its path relative to that root and its listed size."""

    path: str
    size: int | None


def safe_relative(path: str) -> str:
    """A relative posix path from a server listing; refuse ``..``, absolute and odd names."""
    if not path or "\x00" in path or "\\" in path or path.startswith("/"):
        raise UnsafePathError(f"the server listed an unsafe file name {path!r}")
    norm = posixpath.normpath(path)
    if norm in (".", "..") or norm.startswith("../") or (len(norm) > 1 and norm[1] == ":"):
        raise UnsafePathError(f"the server listed an unsafe file name {path!r}")
    return norm


class ArtifactProxy:
    """Artifact access through one server."""

    def __init__(self, rest: MlflowRestClient) -> None:
        self.rest = rest
        self.http = rest.http
        self._multipart: bool | None = None

    # -- resolving

    def proxy_path(self, uri: str, cancel: CancelFn | None = None) -> str:
        """The path under the artifact proxy for ``uri`` (see the module docstring)."""
        for _ in range(MAX_HOPS):
            if uri.startswith("mlflow-artifacts:"):
                rest = uri[len("mlflow-artifacts:"):]
                if rest.startswith("//"):
                    rest = "/" + rest[2:].partition("/")[2]
                return unquote(rest).strip("/")
            if uri.startswith(("http://", "https://")) and _PROXY_MARK in uri:
                return unquote(urlsplit(uri).path.split(_PROXY_MARK, 1)[1]).strip("/")
            match = _LOGGED_MODEL.match(uri)
            if match:
                info = self.rest.get_logged_model(match.group(1), cancel)["info"]
                uri = _join(info["artifact_uri"], match.group(2))
                continue
            match = _RUNS.match(uri)
            if match:
                info = self.rest.get_run(match.group(1), cancel)["info"]
                uri = _join(info["artifact_uri"], match.group(2))
                continue
            match = _REGISTERED.match(uri)
            if match:
                name, version, alias, sub = match.groups()
                if alias:
                    version = self.rest.get_model_version_by_alias(name, alias, cancel)["version"]
                uri = _join(self.rest.get_model_version_download_uri(name, version, cancel), sub)
                continue
            break
        raise ServerError(
            f"the files are stored at {uri!r}, which this server does not serve through its "
            "artifact proxy (it may run without --serve-artifacts, or the version was logged "
            "straight to that storage). Fetch them with that storage's own tools, or ask the "
            "server's administrator to serve artifacts.", self.http.base_url,
            error_code="not_proxied")

    # -- listing

    def list_dir(self, path: str, cancel: CancelFn | None = None) -> list[tuple[str, bool, int | None]]:
        """``(name, is_dir, size)`` of one folder's entries (``[]`` for a missing folder)."""
        doc = self.http.request_json("GET", PROXY, params={"path": path}, cancel=cancel)
        out = []
        prefix = path.rstrip("/") + "/"
        for item in doc.get("files", []):
            name = str(item.get("path", ""))
            if name.startswith(prefix):  # some servers give paths from the root
                name = name[len(prefix):]
            size = item.get("file_size")
            out.append((safe_relative(name), bool(item.get("is_dir")),
                        int(size) if size is not None else None))
        return out

    def list_tree(self, root: str, cancel: CancelFn | None = None) -> list[RemoteFile]:
        """Every file under ``root`` (relative paths, sorted), folders listed one level a call."""
        files: list[RemoteFile] = []
        pending = [""]
        while pending:
            if cancel is not None and cancel():
                raise TransferCancelled("listing cancelled", self.http.base_url)
            sub = pending.pop()
            for name, is_dir, size in self.list_dir(_join(root, sub), cancel):
                rel = safe_relative(_join(sub, name))
                if is_dir:
                    pending.append(rel)
                else:
                    files.append(RemoteFile(rel, size))
                if len(files) > MAX_FILES:
                    raise ServerError(f"more than {MAX_FILES:,} files under {root!r}; refusing "
                                      "to download that as one model", self.http.base_url)
        files.sort(key=lambda f: f.path)
        return files

    # -- files

    def url(self, path: str) -> str:
        return PROXY + "/" + quote(path.strip("/"), safe="/")

    def open_file(self, path: str, offset: int = 0, cancel: CancelFn | None = None) -> Response:
        """Stream one file; from ``offset`` with an HTTP range (status 206) when the server can."""
        headers = {"Range": f"bytes={offset}-", "Accept": "*/*"} if offset else {"Accept": "*/*"}
        return self.http.request("GET", self.url(path), headers=headers, cancel=cancel)

    def multipart_enabled(self, cancel: CancelFn | None = None) -> bool:
        """Does the server hand out presigned part URLs (``server-info``, MLflow 3 with a cloud
        artifact store), or does ``MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD`` ask for it?"""
        if self._multipart is None:
            enabled = _env_true("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD")
            if not enabled:
                try:
                    info = self.http.request_json("GET", SERVER_INFO, cancel=cancel)
                    enabled = bool(info.get("multipart_uploads_enabled"))
                except ServerError as exc:
                    if exc.error_code == "connect":
                        raise
                    enabled = False  # MLflow 2 or an older 3.x: no server-info, no multipart
            self._multipart = enabled
        return self._multipart

    def upload(self, local_path: str, path: str, size: int, content_type: str,
               cancel: CancelFn | None = None,
               on_bytes: Callable[[int], None] | None = None) -> None:
        """One file to ``path``: in parts for large files when the server supports it (as
        MLflow's client does), else one streamed PUT."""
        minimum = _env_int("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", MULTIPART_MIN)
        if size >= minimum and self.multipart_enabled(cancel):
            self.put_multipart(local_path, path, size, cancel, on_bytes)
        else:
            self.put_file(local_path, path, size, content_type, cancel, on_bytes)

    def put_multipart(self, local_path: str, path: str, size: int,
                      cancel: CancelFn | None = None,
                      on_bytes: Callable[[int], None] | None = None) -> None:
        """``mpu/create`` -> PUT each part to its presigned URL -> ``mpu/complete``; aborted on
        any failure, so no half-assembled object stays behind."""
        chunk = max(1, _env_int("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", MULTIPART_CHUNK))
        parts = max(1, -(-size // chunk))
        endpoint = "/" + quote(path.strip("/"), safe="/")
        name = posixpath.basename(path)
        created = self.http.request_json("POST", MPU + "/create" + endpoint,
                                         body={"path": name, "num_parts": parts}, cancel=cancel)
        upload_id = created.get("upload_id")
        try:
            done = []
            with open(local_path, "rb") as fh:
                for cred in sorted(created.get("credentials", []),
                                   key=lambda c: int(c["part_number"])):
                    number = int(cred["part_number"])
                    fh.seek((number - 1) * chunk)
                    data = fh.read(chunk)
                    etag = self._put_part(cred["url"], data, cred.get("headers") or {}, cancel)
                    done.append({"part_number": number, "etag": etag, "url": cred["url"]})
                    if on_bytes is not None:
                        on_bytes(len(data))
            if len(done) != parts:
                raise ServerError(f"the server gave {len(done)} part URLs for {parts} parts",
                                  self.http.base_url)
            self.http.request_json("POST", MPU + "/complete" + endpoint, body={
                "path": name, "upload_id": upload_id, "parts": done}, cancel=cancel)
        except BaseException:
            with contextlib.suppress(Exception):
                self.http.request_json("POST", MPU + "/abort" + endpoint,
                                       body={"path": name, "upload_id": upload_id})
            raise

    def _put_part(self, url: str, data: bytes, headers: dict[str, str],
                  cancel: CancelFn | None) -> str:
        """PUT one part to a presigned URL (usually the cloud store, not the server)."""
        if cancel is not None and cancel():
            raise TransferCancelled("upload cancelled", self.http.base_url)
        parts = urlsplit(url)
        if parts.scheme == "https":
            conn: http.client.HTTPConnection = http.client.HTTPSConnection(
                parts.hostname, parts.port, timeout=self.http.timeout)
        else:
            conn = http.client.HTTPConnection(parts.hostname, parts.port,
                                              timeout=self.http.timeout)
        target = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            conn.request("PUT", target, body=data, headers=headers)
            response = conn.getresponse()
            body = response.read(4096)
            if response.status // 100 != 2:
                raise ServerError(f"uploading a part to {parts.hostname} failed with HTTP "
                                  f"{response.status}: {body[:200]!r}", self.http.base_url,
                                  status=response.status)
            return response.headers.get("ETag", "")
        except OSError as exc:
            raise self.http.connection_error(exc) from None
        finally:
            conn.close()

    def put_file(self, local_path: str, path: str, size: int, content_type: str,
                 cancel: CancelFn | None = None,
                 on_bytes: Callable[[int], None] | None = None) -> None:
        """Upload one file, streamed from disk (a retry starts it over); ``on_bytes(n)`` after
        each block sent, ``cancel`` polled as often."""
        def body() -> _Reader:
            return _Reader(open(local_path, "rb"), on_bytes, cancel)  # noqa: SIM115

        with self.http.request("PUT", self.url(path), body=body, content_length=size,
                               headers={"Content-Type": content_type}, cancel=cancel,
                               idempotent=True) as response:
            response.read(1 << 16)


class _Reader:
    """A file object for ``http.client`` that reports progress and can be cancelled."""

    def __init__(self, raw: BinaryIO, on_bytes: Callable[[int], None] | None,
                 cancel: CancelFn | None) -> None:
        self.raw, self.on_bytes, self.cancel = raw, on_bytes, cancel

    def read(self, size: int = -1) -> bytes:
        if self.cancel is not None and self.cancel():
            raise TransferCancelled("upload cancelled")
        data = self.raw.read(size)
        if data and self.on_bytes is not None:
            self.on_bytes(len(data))
        return data

    def close(self) -> None:
        self.raw.close()


def _env_true(name: str) -> bool:
    return os.environ.get(name, "").strip().lower() in ("1", "true", "yes", "on")


def _env_int(name: str, default: int) -> int:
    try:
        return int(os.environ[name])
    except (KeyError, ValueError):
        return default


def _join(base: str, sub: str) -> str:
    if not sub:
        return base
    if not base:
        return sub.strip("/")
    return base.rstrip("/") + "/" + sub.strip("/")
