"""Publishing to MLflow 2.x servers in the ways a real server cannot be made to behave on demand.

``test_mlflow2_server.py`` proves the 2.x flow against a real MLflow 2.22 server. The stand-in
here answers with MLflow 2.x's REST shapes (``logged-models`` routes unknown: Flask's HTML 404)
and stores what is PUT, and can hide ``/version`` (a proxy that forwards only ``/api/``: the
generation is then probed) or refuse every upload (the run is failed and deleted again, and the
registered model created for the call removed: nothing half-registered is left)."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from corpus_paths import MODELS
from loopback_http import Answer, LoopbackServer, Seen

from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.register import RegisterError
from mlmanager.core.remote.registry import ServerRegistry

RUN_ID = "0123456789abcdef0123456789abcdef"
NOT_FOUND_HTML = (b"<!doctype html><html lang=en><title>404 Not Found</title><h1>Not Found</h1>"
                  b"<p>The requested URL was not found on the server.</p>")


class Mlflow2Server:
    def __init__(self, *, version_endpoint: bool = True, refuse_uploads: bool = False) -> None:
        self.files: dict[str, bytes] = {}
        self.models: dict[str, dict] = {}
        self.versions: list[dict] = []
        self.run_status = "RUNNING"
        self.run_deleted = False
        self.version_endpoint = version_endpoint
        self.refuse_uploads = refuse_uploads

    def __call__(self, seen: Seen) -> Answer:
        url = urlsplit(seen.path)
        path, query = url.path, parse_qs(url.query)
        body = json.loads(seen.body) if seen.body and seen.method != "PUT" else {}
        if path == "/version" and self.version_endpoint:
            return Answer(body=b"2.22.0", headers={"Content-Type": "text/plain"})
        if "/logged-models" in path:
            return Answer(404, NOT_FOUND_HTML, {"Content-Type": "text/html"})
        if path == "/api/2.0/mlflow/registered-models/get":
            name = query["name"][0]
            if name not in self.models:
                return Answer(404, json.dumps({
                    "error_code": "RESOURCE_DOES_NOT_EXIST",
                    "message": f"Registered Model with name={name} not found"}).encode())
            return Answer(body=json.dumps({"registered_model": self.models[name]}).encode())
        if path == "/api/2.0/mlflow/registered-models/delete":
            self.models.pop(body["name"], None)
            return Answer(body=b"{}")
        if path == "/api/2.0/mlflow/runs/delete":
            self.run_deleted = body["run_id"] == RUN_ID
            return Answer(body=b"{}")
        if path == "/api/2.0/mlflow/registered-models/create":
            self.models[body["name"]] = {"name": body["name"], "creation_timestamp": 1}
            return Answer(body=json.dumps({"registered_model": self.models[body["name"]]}).encode())
        if path == "/api/2.0/mlflow/runs/create":
            assert body["experiment_id"] == "0"
            info = {"run_id": RUN_ID, "run_uuid": RUN_ID, "experiment_id": "0",
                    "status": "RUNNING", "artifact_uri": f"mlflow-artifacts:/0/{RUN_ID}/artifacts",
                    "lifecycle_stage": "active"}
            return Answer(body=json.dumps({"run": {"info": info, "data": {}}}).encode())
        if path.startswith("/api/2.0/mlflow-artifacts/artifacts/") and seen.method == "PUT":
            if self.refuse_uploads:
                return Answer(500, json.dumps({"error_code": "INTERNAL_ERROR",
                                               "message": "disk full"}).encode())
            self.files[unquote(path.split("/artifacts/", 1)[1])] = seen.body
            return Answer(body=b"{}")
        if path == "/api/2.0/mlflow/runs/update":
            self.run_status = body["status"]
            return Answer(body=json.dumps({"run_info": {"run_id": RUN_ID,
                                                        "status": body["status"]}}).encode())
        if path == "/api/2.0/mlflow/model-versions/create":
            version = {"name": body["name"], "version": str(len(self.versions) + 1),
                       "source": body["source"], "run_id": body.get("run_id"),
                       "status": "READY", "current_stage": "None", "creation_timestamp": 2,
                       "tags": body.get("tags", []), "description": body.get("description", "")}
            self.versions.append(version)
            return Answer(body=json.dumps({"model_version": version}).encode())
        if path == "/api/2.0/mlflow/model-versions/get":
            v = self.versions[int(query["version"][0]) - 1]
            return Answer(body=json.dumps({"model_version": {**v, "aliases": []}}).encode())
        if path == "/api/2.0/mlflow/model-versions/get-download-uri":
            v = self.versions[int(query["version"][0]) - 1]
            return Answer(body=json.dumps({"artifact_uri": v["source"]}).encode())
        if path == "/api/2.0/mlflow-artifacts/artifacts" and seen.method == "GET":
            prefix = query["path"][0].rstrip("/") + "/"
            names: dict[str, tuple[bool, int]] = {}
            for key, data in self.files.items():
                if key.startswith(prefix):
                    head, _, rest = key[len(prefix):].partition("/")
                    names[head] = (True, 0) if rest else (False, len(data))
            files = [{"path": n, "is_dir": d, **({} if d else {"file_size": s})}
                     for n, (d, s) in sorted(names.items())]
            return Answer(body=json.dumps({"files": files}).encode())
        if path.startswith("/api/2.0/mlflow-artifacts/artifacts/"):
            return Answer(body=self.files[unquote(path.split("/artifacts/", 1)[1])],
                          headers={"Content-Type": "application/octet-stream"})
        return Answer(404, NOT_FOUND_HTML, {"Content-Type": "text/html"})


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)).replace("\\", "/"):
            hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_generation_probed_when_version_is_hidden_then_the_2x_flow(tmp_path: Path):
    fake = Mlflow2Server(version_endpoint=False)
    local = MODELS / "v2_loans_gbc"
    with LoopbackServer(fake) as srv:
        source = ServerRegistry(srv.url, ServerAuth(), cache=DownloadCache(tmp_path))
        assert source.rest.generation() == 2  # /version: HTML 404; logged-models: HTML 404
        version = source.register_model_folder(local, "loans", description="from 2.x")
        folder = source.fetch_version(version)
    prefix = f"0/{RUN_ID}/artifacts/model/"
    assert {k[len(prefix):]: hashlib.sha256(v).hexdigest() for k, v in fake.files.items()} \
        == _tree(local)
    assert fake.run_status == "FINISHED"
    assert version.version == "1" and version.run_id == RUN_ID and version.model_id is None
    assert _tree(folder) == _tree(local)
    calls = [urlsplit(s.path).path.rsplit("/mlflow/", 1)[-1] for s in srv.seen
             if "/mlflow/" in s.path]
    assert calls[0] == "logged-models/search"  # the probe, once
    assert calls.index("runs/create") < calls.index("runs/update") < calls.index(
        "model-versions/create")
    assert sum("logged-models" in c for c in calls) == 1


def test_failed_upload_to_a_2x_server_leaves_nothing_registered(tmp_path: Path):
    fake = Mlflow2Server(refuse_uploads=True)
    with LoopbackServer(fake) as srv:
        source = ServerRegistry(srv.url, ServerAuth(), cache=DownloadCache(tmp_path),
                                max_retries=0)
        with pytest.raises(RegisterError) as caught:
            source.register_model_folder(MODELS / "v2_loans_gbc", "loans")
    message = caught.value.message
    assert "No version was created" in message and "removed again" in message
    assert "disk full" in message
    assert caught.value.left_on_server == []
    assert fake.run_status == "FAILED" and fake.run_deleted
    assert fake.models == {} and fake.versions == []  # the model made for this call: gone
