"""Large files go up in parts when the server hands out presigned part URLs (as MLflow's client
does with a cloud artifact store behind the server); a failed part aborts the upload."""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from loopback_http import Answer, LoopbackServer, Seen

from mlmanager.core.remote.artifacts import ArtifactProxy
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.http import HttpTransport, ServerError
from mlmanager.core.remote.rest import MlflowRestClient


class PartsServer:
    def __init__(self, fail_part: int | None = None) -> None:
        self.url = ""
        self.parts: dict[int, bytes] = {}
        self.completed: dict[str, bytes] = {}
        self.aborted: list[str] = []
        self.plain: dict[str, bytes] = {}
        self.fail_part = fail_part

    def __call__(self, seen: Seen) -> Answer:
        path = urlsplit(seen.path).path
        if path == "/api/3.0/mlflow/server-info":
            return Answer(body=b'{"multipart_uploads_enabled": true}')
        if path.startswith("/api/2.0/mlflow-artifacts/mpu/create/"):
            n = json.loads(seen.body)["num_parts"]
            creds = [{"url": f"{self.url}/bucket/part?n={i}", "part_number": i,
                      "headers": {"x-amz-test": "1"}} for i in range(1, n + 1)]
            return Answer(body=json.dumps({"upload_id": "up-1", "credentials": creds}).encode())
        if path == "/bucket/part":
            number = int(seen.path.rsplit("=", 1)[1])
            assert seen.headers.get("x-amz-test") == "1"
            if number == self.fail_part:
                return Answer(500, b"<Error>SlowDown</Error>", {"Content-Type": "text/xml"})
            self.parts[number] = seen.body
            return Answer(body=b"", headers={"ETag": f'"etag-{number}"'})
        if path.startswith("/api/2.0/mlflow-artifacts/mpu/complete/"):
            doc = json.loads(seen.body)
            assert [p["etag"] for p in doc["parts"]] == [f'"etag-{i}"' for i in
                                                          range(1, len(doc["parts"]) + 1)]
            target = path.split("/mpu/complete/", 1)[1]
            self.completed[target] = b"".join(self.parts[p["part_number"]] for p in doc["parts"])
            return Answer(body=b"{}")
        if path.startswith("/api/2.0/mlflow-artifacts/mpu/abort/"):
            self.aborted.append(json.loads(seen.body)["upload_id"])
            return Answer(body=b"{}")
        if path.startswith("/api/2.0/mlflow-artifacts/artifacts/") and seen.method == "PUT":
            self.plain[path.split("/artifacts/", 1)[1]] = seen.body
            return Answer(body=b"{}")
        return Answer(404, b"{}")


@pytest.fixture(autouse=True)
def _small_parts(monkeypatch):
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_MINIMUM_FILE_SIZE", str(1 << 20))
    monkeypatch.setenv("MLFLOW_MULTIPART_UPLOAD_CHUNK_SIZE", str(512 << 10))
    monkeypatch.delenv("MLFLOW_ENABLE_PROXY_MULTIPART_UPLOAD", raising=False)


def _proxy(url: str) -> ArtifactProxy:
    return ArtifactProxy(MlflowRestClient(HttpTransport(url, ServerAuth(), max_retries=0)))


def test_large_files_go_up_in_parts_small_ones_in_one_put(tmp_path: Path):
    big = tmp_path / "weights.bin"
    big.write_bytes(bytes(range(256)) * 10_000)  # 2.44 MiB -> 5 parts of 512 KiB
    small = tmp_path / "MLmodel"
    small.write_bytes(b"flavors: {}\n")
    fake = PartsServer()
    sent: list[int] = []
    with LoopbackServer(fake) as srv:
        fake.url = srv.url
        proxy = _proxy(srv.url)
        proxy.upload(str(big), "1/models/m-x/artifacts/weights.bin", big.stat().st_size,
                     "application/octet-stream", on_bytes=sent.append)
        proxy.upload(str(small), "1/models/m-x/artifacts/MLmodel", small.stat().st_size,
                     "text/plain")
    assert fake.completed == {"1/models/m-x/artifacts/weights.bin": big.read_bytes()}
    assert len(fake.parts) == 5 and sum(sent) == big.stat().st_size
    assert fake.plain == {"1/models/m-x/artifacts/MLmodel": small.read_bytes()}


def test_a_failed_part_aborts_the_upload(tmp_path: Path):
    big = tmp_path / "weights.bin"
    big.write_bytes(b"z" * (2 << 20))
    fake = PartsServer(fail_part=3)
    with LoopbackServer(fake) as srv:
        fake.url = srv.url
        with pytest.raises(ServerError, match="uploading a part to 127.0.0.1 failed with HTTP 500"):
            _proxy(srv.url).upload(str(big), "x/weights.bin", big.stat().st_size,
                                   "application/octet-stream")
    assert fake.aborted == ["up-1"] and fake.completed == {}


def test_servers_without_multipart_get_one_put(tmp_path: Path):
    big = tmp_path / "weights.bin"
    big.write_bytes(b"y" * (2 << 20))
    fake = PartsServer()

    def answer(seen: Seen) -> Answer:
        if "server-info" in seen.path:  # an MLflow 2 server: no such route
            return Answer(404, b"<html><title>404 Not Found</title></html>",
                          {"Content-Type": "text/html"})
        return fake(seen)

    with LoopbackServer(answer) as srv:
        fake.url = srv.url
        _proxy(srv.url).upload(str(big), "x/weights.bin", big.stat().st_size,
                               "application/octet-stream")
    assert fake.plain == {"x/weights.bin": big.read_bytes()} and not fake.parts
