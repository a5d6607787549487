"""A basic-auth server (401 without a login, a working login), and real servers killed in the
middle of a download and of an upload: nothing half-written looks complete, downloads resume,
and a failed registration says exactly what it left on the server."""

from __future__ import annotations

import hashlib
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus_paths import MODELS
from mlflow_server import MlflowServer

from mlmanager.core.library.registry.entities import ModelVersion
from mlmanager.core.library.registry.source import list_all
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.http import ServerError
from mlmanager.core.remote.register import RegisterError
from mlmanager.core.remote.registry import ServerRegistry

mlflow = pytest.importorskip("mlflow")
ADMIN = ServerAuth(username="admin", password="admin-secret-1234")


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_basic_auth_server(auth_server, client_env):
    anonymous = ServerRegistry(auth_server.url, ServerAuth(), max_retries=0)
    with pytest.raises(ServerError, match="asks for a login .*401.*MLFLOW_TRACKING_USERNAME"):
        list_all(anonymous)
    wrong = ServerRegistry(auth_server.url, ServerAuth("admin", "nope"), max_retries=0)
    with pytest.raises(ServerError, match="refused the basic credentials"):
        list_all(wrong)
    admin = ServerRegistry(auth_server.url, ADMIN)
    version = admin.register_model_folder(MODELS / "iris_logreg_colspec", "secured")
    admin.set_alias("secured", "champion", version.version)
    assert [m.name for m in list_all(admin)] == ["secured"]
    assert admin.get_model_version_by_alias("secured", "champion").version == "1"
    folder = admin.fetch_version(version)
    assert _tree(folder) == _tree(MODELS / "iris_logreg_colspec")


@pytest.fixture
def crash_server(tmp_path: Path) -> Iterator[MlflowServer]:
    server = MlflowServer(tmp_path / "server")
    with server:
        yield server


def _big_model(folder: Path, megabytes: int) -> Path:
    model = folder / "big"
    shutil.copytree(MODELS / "iris_logreg_colspec", model)
    with open(model / "weights.bin", "wb") as fh:
        block = bytes(range(256)) * 4096
        for _ in range(megabytes):
            fh.write(block)
    return model


def test_server_killed_mid_download_then_mid_upload(crash_server: MlflowServer, client_env,
                                                     tmp_path: Path):
    from mlflow import MlflowClient

    local = _big_model(tmp_path, 48)
    auth = ServerAuth()
    source = ServerRegistry(crash_server.url, auth, max_retries=1, backoff_factor=0.05,
                            cache=DownloadCache(tmp_path / "cache"))
    version = source.register_model_folder(local, "big")

    # -- killed in the middle of a download
    def kill_half_way(done: int, total: int | None, item: str) -> None:
        if total and done > total // 3:
            crash_server.kill()

    with pytest.raises(ServerError, match="connection broke|closed the connection|nothing is"):
        source.fetch_version(version, progress=kill_half_way)
    cache = tmp_path / "cache"
    assert not list(cache.rglob("entry.json")) and not list(cache.rglob("model"))
    part = next(cache.rglob(".weights.bin.part")).stat().st_size
    assert part > 0  # the bytes fetched so far stay for the next run
    crash_server.start()
    seen: list[tuple[int, str]] = []
    folder = source.fetch_version(version, progress=lambda d, t, i: seen.append((d, i)))
    assert _tree(folder) == _tree(local)
    # resumed from the kept bytes: its second report (the resume) jumps by them at once (the
    # other files, fetched alongside, are a few kilobytes)
    first, resumed = [d for d, item in seen if item == "weights.bin"][:2]
    assert part <= resumed - first < part + 100_000

    # -- killed in the middle of an upload: the error names what is left on the server
    def kill_during_upload(done: int, total: int | None, item: str) -> None:
        if total and done > total // 2:
            crash_server.kill()

    with pytest.raises(RegisterError) as info:
        source.register_model_folder(local, "fresh-model", progress=kill_during_upload)
    message = info.value.message
    assert "No version was created" in message and "still on the server" in message
    left = info.value.left_on_server
    assert any(item.startswith("logged model m-") for item in left)
    assert any("registered model 'fresh-model'" in item for item in left)
    crash_server.start()
    client = MlflowClient(tracking_uri=crash_server.url)
    assert client.search_model_versions("name = 'fresh-model'") == []
    model_id = next(item.split()[2] for item in left if item.startswith("logged model"))
    assert client.get_logged_model(model_id).status.to_int() == 1  # PENDING: never finalized
    # registering again works, and the version is complete
    again = source.register_model_folder(local, "fresh-model")
    assert again.version == "1"
    assert _tree(source.fetch_version(again)) == _tree(local)


def test_a_failed_upload_is_cleaned_up_when_the_server_lives(mlflow_server, client_env,
                                                            tmp_path: Path):
    """A file that vanishes mid-registration: the logged model is marked failed and deleted,
    the registered model created for it is deleted, and the message says so."""
    from mlflow import MlflowClient

    local = _big_model(tmp_path, 1)
    source = ServerRegistry(mlflow_server.url, ServerAuth())

    def vanish(done: int, total: int | None, item: str) -> None:
        if item == "weights.bin":
            (local / "weights.bin").unlink()

    with pytest.raises(RegisterError, match="No version was created; what it had created was "
                                            "removed again") as info:
        source.register_model_folder(local, "vanishing", progress=vanish)
    assert info.value.left_on_server == []
    client = MlflowClient(tracking_uri=mlflow_server.url)
    assert client.search_registered_models("name = 'vanishing'") == []


def test_version_with_unknown_model_is_a_clear_error(mlflow_server, client_env):
    source = ServerRegistry(mlflow_server.url, ServerAuth())
    with pytest.raises(ServerError, match="(?i)not found|does not exist"):
        source.fetch_version(ModelVersion("no-such-model", "1"))
