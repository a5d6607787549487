"""Faults: nothing listening, 5xx and 429 (retries), HTML pages, 401/403, a slow server, a
transfer cut short (resumed with a range request), cancel; auth headers as MLflow sends them."""

from __future__ import annotations

import base64
import json
import socket
import threading
import time
from pathlib import Path

import pytest
from loopback_http import Answer, LoopbackServer, Seen
from mlflow_server import free_port

from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.http import ServerError, TransferBrokenError
from mlmanager.core.remote.registry import ServerRegistry
from mlmanager.core.transfer.staging import TransferCancelled

NO_AUTH = ServerAuth()
SEARCH_OK = json.dumps({"registered_models": [{"name": "m", "aliases": []}]}).encode()
VERSIONS_OK = json.dumps({"model_versions": [{"name": "m", "version": "1",
                                              "source": "models:/m-1"}]}).encode()


def _registry(url: str, **kw) -> ServerRegistry:
    kw.setdefault("auth", NO_AUTH)
    kw.setdefault("max_retries", 2)
    kw.setdefault("backoff_factor", 0.01)
    return ServerRegistry(url, **kw)


def _listing(seen: Seen) -> Answer:
    if "model-versions/search" in seen.path:
        return Answer(body=VERSIONS_OK)
    return Answer(body=SEARCH_OK)


def test_nothing_listening():
    source = _registry(f"http://127.0.0.1:{free_port()}", max_retries=0)
    with pytest.raises(ServerError, match="nothing is listening at 127.0.0.1:.*Is the MLflow"):
        list(source.search_registered_models())


def test_500_is_retried_then_explained():
    answer = Answer(500, b'{"error_code": "INTERNAL_ERROR", "message": "db is down"}')
    with LoopbackServer(lambda s: answer) as srv, pytest.raises(ServerError) as info:
        list(_registry(srv.url).search_registered_models())
    assert len(srv.seen) == 3  # 1 + 2 retries
    assert "HTTP 500 after 3 tries: INTERNAL_ERROR: db is down" in info.value.message
    assert info.value.path == srv.url


def test_503_then_ok_and_429_with_retry_after():
    answers = iter([Answer(503, b"busy"), Answer(429, b"{}", {"Retry-After": "0"})])

    def answer(seen: Seen) -> Answer:
        return next(answers, None) or _listing(seen)

    with LoopbackServer(answer) as srv:
        models = [m for page in _registry(srv.url).search_registered_models() for m in page]
    assert [(m.name, [v.version for v in m.versions]) for m in models] == [("m", ["1"])]
    assert len(srv.seen) == 4


def test_writes_are_not_retried_on_500():
    with LoopbackServer(lambda s: Answer(500, b"{}")) as srv, \
            pytest.raises(ServerError, match="HTTP 500"):
        _registry(srv.url).rest.create_registered_model("m")
    assert len(srv.seen) == 1  # the server may have acted: never sent twice


@pytest.mark.parametrize("status", [200, 502])
def test_an_html_page_is_named_as_such(status: int):
    page = b"<!DOCTYPE html><html><head><title>Sign in - Corp SSO</title></head></html>"
    html = Answer(status, page, {"Content-Type": "text/html"})
    with LoopbackServer(lambda s: html) as srv, pytest.raises(
            ServerError, match="HTML page instead of MLflow's JSON .*Sign in - Corp SSO.*proxy"):
        list(_registry(srv.url, max_retries=0).search_registered_models())


def test_401_and_403_say_what_to_do():
    with LoopbackServer(lambda s: Answer(401, b"", {})) as srv:
        with pytest.raises(ServerError, match="asks for a login.*MLFLOW_TRACKING_USERNAME"):
            list(_registry(srv.url).search_registered_models())
        with pytest.raises(ServerError, match="refused the basic credentials"):
            list(_registry(srv.url, auth=ServerAuth("u", "p")).search_registered_models())
    body = b'{"error_code": "PERMISSION_DENIED", "message": "Permission denied"}'
    with LoopbackServer(lambda s: Answer(403, body)) as srv, pytest.raises(
            ServerError, match=r"permission denied .*403 Forbidden.*administrator"):
        _registry(srv.url).set_alias("m", "champion", "1")


def test_an_unknown_route_is_not_mlflow():
    plain = Answer(404, b"Not Found", {"Content-Type": "text/plain"})
    with LoopbackServer(lambda s: plain) as srv, pytest.raises(
            ServerError, match="404 Not Found.*is this an MLflow tracking server"):
        list(_registry(srv.url).search_registered_models())


def test_a_cancel_ends_a_connect_that_hangs():
    """A server whose accept queue is full never completes the TCP handshake (the SYNs are
    dropped, as behind a firewall): a cancel ends the connect now, not at the 600 s timeout."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(0)
        port = server.getsockname()[1]
        queued: list[socket.socket] = []
        try:
            while True:  # fill the queue until a connect hangs (nobody accepts)
                probe = socket.socket()
                probe.settimeout(1.0)
                try:
                    probe.connect(("127.0.0.1", port))
                except TimeoutError:
                    probe.close()
                    break
                queued.append(probe)
                assert len(queued) < 64, "the accept queue never filled"
            polls: list[float] = []

            def cancel() -> bool:  # the request's own checks, then the watcher's first look
                polls.append(time.monotonic())
                return len(polls) > 2

            source = _registry(f"http://127.0.0.1:{port}", timeout=600.0, max_retries=0)
            with pytest.raises(TransferCancelled):
                list(source.search_registered_models(cancel=cancel))
            assert time.monotonic() - polls[2] < 30.0
        finally:
            for probe in queued:
                probe.close()


def test_a_slow_server_times_out():
    release = threading.Event()
    with LoopbackServer(lambda s: Answer(body=SEARCH_OK, wait=release)) as srv:
        try:
            with pytest.raises(ServerError, match="no answer within 0.3 s"):
                list(_registry(srv.url, timeout=0.3, max_retries=0).search_registered_models())
        finally:
            release.set()


@pytest.mark.parametrize("env, expected", [
    ({"MLFLOW_TRACKING_USERNAME": "ana", "MLFLOW_TRACKING_PASSWORD": "s3cret"},
     "Basic " + base64.b64encode(b"ana:s3cret").decode()),
    ({"MLFLOW_TRACKING_TOKEN": "tok", "MLFLOW_TRACKING_USERNAME": "ana",
      "MLFLOW_TRACKING_PASSWORD": "x"}, "Bearer tok"),
    ({}, None),
])
def test_auth_headers_from_the_environment(env, expected, tmp_path: Path):
    auth = ServerAuth.from_env(env, home=tmp_path)
    with LoopbackServer(_listing) as srv:
        list(_registry(srv.url, auth=auth).search_registered_models())
    assert srv.seen[0].headers.get("Authorization") == expected
    assert "s3cret" not in repr(auth)


def test_auth_from_the_mlflow_credentials_file(tmp_path: Path):
    (tmp_path / ".mlflow").mkdir()
    (tmp_path / ".mlflow" / "credentials").write_text(
        "[mlflow]\nmlflow_tracking_username = bob\nmlflow_tracking_password = pw\n")
    auth = ServerAuth.from_env({"MLFLOW_TRACKING_INSECURE_TLS": "true"}, home=tmp_path)
    assert auth.kind == "basic" and auth.username == "bob" and auth.insecure_tls


def _artifact_server(blob: bytes, cut_first: bool):
    """Answers a version's download URI, a one-file listing and the file (cut once)."""
    state = {"cut": cut_first}

    def answer(seen: Seen) -> Answer:
        if "get-download-uri" in seen.path:
            return Answer(body=b'{"artifact_uri": "mlflow-artifacts:/1/models/m-x/artifacts"}')
        if seen.path.startswith("/api/2.0/mlflow-artifacts/artifacts?"):
            files = [{"path": "MLmodel", "is_dir": False, "file_size": 10},
                     {"path": "model.bin", "is_dir": False, "file_size": len(blob)}]
            return Answer(body=json.dumps({"files": files}).encode())
        if seen.path.endswith("/MLmodel"):
            return Answer(body=b"flavors: 1", headers={"Content-Type": "text/plain"})
        rng = seen.headers.get("Range")
        if rng:
            start = int(rng.split("=")[1].rstrip("-"))
            return Answer(206, blob[start:], {"Content-Type": "application/octet-stream"})
        if state["cut"]:
            state["cut"] = False
            return Answer(body=blob, headers={"Content-Type": "application/octet-stream"},
                          cut_after=len(blob) // 3)
        return Answer(body=blob, headers={"Content-Type": "application/octet-stream"})

    return answer


def test_a_cut_transfer_leaves_nothing_complete_and_resumes(tmp_path: Path):
    from mlmanager.core.library.registry.entities import ModelVersion

    blob = bytes(range(256)) * 4096  # 1 MiB
    cache = DownloadCache(tmp_path / "cache")
    version = ModelVersion("m", "1")
    with LoopbackServer(_artifact_server(blob, cut_first=True)) as srv:
        source = _registry(srv.url, cache=cache, max_retries=0)
        with pytest.raises(TransferBrokenError, match="connection broke during .*Run it again"):
            source.fetch_version(version)
        assert not list(cache.root.rglob("entry.json")) and not list(cache.root.rglob("model"))
        part = next(cache.root.rglob(".model.bin.part"))
        assert 0 < part.stat().st_size < len(blob)
        seen_before = len(srv.seen)
        folder = source.fetch_version(version)
    assert (folder / "model.bin").read_bytes() == blob
    resumed = [s for s in srv.seen[seen_before:] if s.path.endswith("/model.bin")]
    assert resumed[0].headers["Range"] == f"bytes={len(blob) // 3}-"
    assert (folder.parent / "entry.json").is_file()


def test_cancel_keeps_the_cache_incomplete(tmp_path: Path):
    from mlmanager.core.library.registry.entities import ModelVersion

    blob = b"x" * (3 << 20)
    cache = DownloadCache(tmp_path / "cache")
    with LoopbackServer(_artifact_server(blob, cut_first=False)) as srv:
        source = _registry(srv.url, cache=cache)
        def stop() -> bool:  # cancel once the first MiB of model.bin is on disk
            return any(p.stat().st_size >= 1 << 20 for p in cache.root.rglob(".model.bin.part"))

        with pytest.raises(TransferCancelled, match="cancelled"):
            source.fetch_version(ModelVersion("m", "1"), cancel=stop)
        kept = next(cache.root.rglob(".model.bin.part")).stat().st_size
        assert 1 << 20 <= kept < len(blob)  # what had come is kept (reads end where a receive does)
        assert cache.lookup(srv.url, "mlflow-artifacts:/1/models/m-x/artifacts") is None
        assert not list(cache.root.rglob("model"))
        folder = source.fetch_version(ModelVersion("m", "1"))
    assert (folder / "model.bin").read_bytes() == blob


def test_a_file_smaller_than_listed_is_refused(tmp_path: Path):
    from mlmanager.core.library.registry.entities import ModelVersion

    def answer(seen: Seen) -> Answer:
        if "get-download-uri" in seen.path:
            return Answer(body=b'{"artifact_uri": "mlflow-artifacts:/x"}')
        if "artifacts?" in seen.path:
            return Answer(body=b'{"files": [{"path": "MLmodel", "is_dir": false, '
                               b'"file_size": 99}]}')
        return Answer(body=b"short", headers={"Content-Type": "text/plain"})

    with LoopbackServer(answer) as srv:
        source = _registry(srv.url, cache=DownloadCache(tmp_path))
        with pytest.raises(ServerError, match="arrived with 5 bytes but the server listed 99"):
            source.fetch_version(ModelVersion("m", "1"))
    assert not list(tmp_path.rglob("MLmodel"))


def test_unsafe_names_in_a_listing_are_refused(tmp_path: Path):
    from mlmanager.core.errors import UnsafePathError
    from mlmanager.core.library.registry.entities import ModelVersion

    def answer(seen: Seen) -> Answer:
        if "get-download-uri" in seen.path:
            return Answer(body=b'{"artifact_uri": "mlflow-artifacts:/x"}')
        return Answer(body=b'{"files": [{"path": "../../.bashrc", "is_dir": false}]}')

    with LoopbackServer(answer) as srv, pytest.raises(UnsafePathError, match="unsafe file name"):
        _registry(srv.url, cache=DownloadCache(tmp_path)).fetch_version(ModelVersion("m", "1"))
