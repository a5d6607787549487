"""Faults between mlmanager and a REAL ``mlflow server``: a gateway's HTML error page, 500s (a
read retried then explained; a failed version create never sent twice and never leaving a
half-registered version unexplained) and an answer that stalls half way through a download
(a timeout; nothing half-written looks complete; the next run resumes), and a server that takes
a request and answers nothing (a cancel ends the download or listing at once). The faults come from
``fault_proxy.FaultProxy`` in front of the session server; every other request gets the real
server's real answer, and MlflowClient, talking to the server directly, is the judge."""

from __future__ import annotations

import hashlib
import json
import shutil
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus_paths import MODELS
from fault_proxy import NGINX_502, Fault, FaultProxy

from mlmanager.core.library.registry.entities import registry_to_json
from mlmanager.core.library.registry.source import list_all
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.http import ServerError
from mlmanager.core.remote.register import RegisterError
from mlmanager.core.remote.registry import ServerRegistry
from mlmanager.core.transfer.staging import TransferCancelled

mlflow = pytest.importorskip("mlflow")
INTERNAL = json.dumps({"error_code": "INTERNAL_ERROR",
                       "message": "(sqlite3.OperationalError) database is locked"}).encode()


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.fixture
def proxy(mlflow_server, client_env) -> Iterator[FaultProxy]:
    with FaultProxy(mlflow_server.url) as running:
        yield running


def _through(proxy: FaultProxy, **kw) -> ServerRegistry:
    kw.setdefault("max_retries", 2)
    return ServerRegistry(proxy.url, ServerAuth(), backoff_factor=0.01, **kw)


def test_a_gateway_html_page_is_retried_then_named(mlflow_server, proxy):
    name = f"t{uuid.uuid4().hex[:8]}-gateway"
    ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(
        MODELS / "iris_logreg_colspec", name)
    wanted = f"name = '{name}'"
    direct = registry_to_json(list_all(ServerRegistry(mlflow_server.url, ServerAuth()), wanted))
    once = proxy.add(Fault("registered-models/search", status=502, body=NGINX_502,
                           content_type="text/html", times=1))
    source = _through(proxy)
    assert registry_to_json(list_all(source, wanted)) == direct  # retried past the one 502
    assert proxy.hits(once) == 1 and len(direct["registered_models"][0]["versions"]) == 1
    always = proxy.add(Fault("registered-models/search", status=502, body=NGINX_502,
                             content_type="text/html"))
    with pytest.raises(ServerError) as info:
        list_all(source, wanted)
    assert info.value.error_code == "html" and str(info.value.path) == proxy.url
    assert "HTML page" in info.value.message and "'502 Bad Gateway'" in info.value.message
    assert proxy.hits(always) == 3  # the first try and two retries, then the message


def test_a_500_on_a_read_is_retried_then_explained(proxy):
    fault = proxy.add(Fault("registered-models/search", status=500, body=INTERNAL))
    with pytest.raises(ServerError, match="database is locked") as info:
        list_all(_through(proxy))
    assert info.value.status == 500 and proxy.hits(fault) == 3
    assert "Traceback" not in info.value.message


def test_a_500_on_version_create_leaves_nothing_half_registered(mlflow_server, proxy):
    from mlflow import MlflowClient

    name = f"t{uuid.uuid4().hex[:8]}-unlucky"
    fault = proxy.add(Fault("model-versions/create", status=500, body=INTERNAL, method="POST"))
    source = _through(proxy)
    with pytest.raises(RegisterError) as info:
        source.register_model_folder(MODELS / "iris_logreg_colspec", name)
    assert proxy.hits(fault) == 1  # a write that may have happened is never sent twice
    message, left = info.value.message, info.value.left_on_server
    assert "database is locked" in message and "creating the version" in message
    # MLflow, asked directly, sees exactly what the error named: the uploaded logged model
    # (complete, READY), no version, and no registered model created for nothing
    client = MlflowClient(tracking_uri=mlflow_server.url)
    assert client.search_model_versions(f"name = '{name}'") == []
    assert client.search_registered_models(f"name = '{name}'") == []
    assert len(left) == 1 and left[0].startswith("logged model m-")
    model_id = left[0].split()[2]
    assert model_id in message
    logged = client.get_logged_model(model_id)
    assert logged.status.to_int() == 2  # READY: register it again to retry, as the message says
    # retried once the server is well again: version 1
    proxy.clear()
    assert source.register_model_folder(MODELS / "iris_logreg_colspec", name).version == "1"


def test_a_download_that_stalls_times_out_and_resumes(mlflow_server, proxy, tmp_path: Path):
    local = tmp_path / "model"
    shutil.copytree(MODELS / "iris_logreg_colspec", local)
    (local / "weights.bin").write_bytes(bytes(range(256)) * 8192)  # 2 MiB
    name = f"t{uuid.uuid4().hex[:8]}-stalled"
    version = ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(local, name)
    stall = proxy.add(Fault("weights.bin", stall_after=500_000, method="GET", times=1))
    cache = tmp_path / "cache"
    source = _through(proxy, timeout=1.0, max_retries=0, cache=DownloadCache(cache))
    with pytest.raises(ServerError, match=r"no data for 1 s.*complete files are kept"):
        source.fetch_version(version)
    assert proxy.hits(stall) == 1
    # nothing looks complete; the bytes that came are kept
    assert not list(cache.rglob("entry.json")) and not list(cache.rglob("model"))
    assert next(cache.rglob(".weights.bin.part")).stat().st_size == 500_000
    proxy.release()
    seen: list[tuple[int, str]] = []
    folder = source.fetch_version(version, progress=lambda d, t, i: seen.append((d, i)))
    assert _tree(folder) == _tree(local)
    first, resumed = [d for d, item in seen if item == "weights.bin"][:2]
    assert 500_000 <= resumed - first < 600_000  # resumed from the kept bytes (a range request)


def test_a_stalled_download_is_cancelled_at_once_and_resumes(mlflow_server, proxy,
                                                             tmp_path: Path):
    """A cancel reaches a read blocked on a silent server (not only the request timeout); a
    file that was complete but not yet renamed when it stopped is used as it is next time."""
    local = tmp_path / "model"
    shutil.copytree(MODELS / "iris_logreg_colspec", local)
    (local / "weights.bin").write_bytes(bytes(range(256)) * 8192)  # 2 MiB
    name = f"t{uuid.uuid4().hex[:8]}-cancelled"
    version = ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(local, name)
    stall = proxy.add(Fault("weights.bin", stall_after=500_000, method="GET", times=1))
    cache = tmp_path / "cache"
    source = _through(proxy, timeout=600.0, max_retries=0, cache=DownloadCache(cache))
    seen: list[int] = []

    def cancel() -> bool:  # cancelled once the stalled file's first bytes are on disk
        part = next(cache.rglob(".weights.bin.part"), None)
        if part is not None and part.stat().st_size == 500_000 and not seen:
            seen.append(1)
        return bool(seen)

    with pytest.raises(TransferCancelled, match="cancelled; the files fetched so far are kept"):
        source.fetch_version(version, cancel=cancel)
    assert proxy.hits(stall) == 1
    assert not list(cache.rglob("entry.json")) and not list(cache.rglob("model"))
    part = next(cache.rglob(".weights.bin.part"))
    assert part.stat().st_size == 500_000
    # a complete file that stopped before its rename (as a cancel between the two leaves it)
    mlmodel = part.parent / "MLmodel"
    if mlmodel.exists():
        mlmodel.rename(part.parent / ".MLmodel.part")
    else:
        shutil.copyfile(local / "MLmodel", part.parent / ".MLmodel.part")
    proxy.release()
    before = len(proxy.seen)
    folder = source.fetch_version(version)
    assert _tree(folder) == _tree(local)
    assert not [p for _m, p, _f in proxy.seen[before:] if p.endswith("/MLmodel")]


class _CancelOnce:
    """A cancel that turns on when ``ready()`` first holds, remembering when (to time how long
    the operation takes to end after it)."""

    def __init__(self, ready) -> None:
        self.ready = ready
        self.at: float | None = None

    def __call__(self) -> bool:
        if self.at is None and self.ready():
            self.at = time.monotonic()
        return self.at is not None

    def ended_within(self, seconds: float) -> bool:
        return self.at is not None and time.monotonic() - self.at < seconds


def test_a_cancel_before_the_server_answers_ends_the_download_at_once(mlflow_server, proxy,
                                                                      tmp_path: Path):
    """The server took the request for the big file and sends nothing, not even headers: the
    cancel ends the download now (the request timeout is 600 s) as a cancel, nothing looks
    finished, and the next download completes."""
    local = tmp_path / "model"
    shutil.copytree(MODELS / "iris_logreg_colspec", local)
    (local / "weights.bin").write_bytes(bytes(range(256)) * 8192)  # 2 MiB
    name = f"t{uuid.uuid4().hex[:8]}-held"
    version = ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(local, name)
    held = proxy.add(Fault("weights.bin", hold=True, method="GET", times=1))
    cache = tmp_path / "cache"
    source = _through(proxy, timeout=600.0, max_retries=0, cache=DownloadCache(cache))
    cancel = _CancelOnce(lambda: proxy.hits(held) > 0)
    with pytest.raises(TransferCancelled, match="cancelled; the files fetched so far are kept"):
        source.fetch_version(version, cancel=cancel)
    assert cancel.ended_within(30.0)  # not the 600 s timeout
    assert proxy.hits(held) == 1
    assert not list(cache.rglob("entry.json")) and not list(cache.rglob("model"))
    assert not list(cache.rglob("weights.bin"))  # no byte of it came: nothing written
    folder = source.fetch_version(version)
    assert _tree(folder) == _tree(local)


def test_a_cancel_before_the_server_answers_ends_a_listing_at_once(mlflow_server, proxy):
    """The same for a listing (a refresh of the registry): the held search ends at the cancel,
    and the next listing gets the server's answer."""
    name = f"t{uuid.uuid4().hex[:8]}-listed"
    ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(
        MODELS / "iris_logreg_colspec", name)
    held = proxy.add(Fault("registered-models/search", hold=True, times=1))
    source = _through(proxy, timeout=600.0, max_retries=0)
    cancel = _CancelOnce(lambda: proxy.hits(held) > 0)
    with pytest.raises(TransferCancelled):
        list_all(source, f"name = '{name}'", cancel=cancel)
    assert cancel.ended_within(30.0) and proxy.hits(held) == 1
    assert [m.name for m in list_all(source, f"name = '{name}'")] == [name]
