"""``mlmanager registry ...`` on local stores and on a real server."""

from __future__ import annotations

import hashlib
import json
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from corpus_paths import MODELS
from registry_oracle import mlflowclient_view

from mlmanager.cli import main

mlflow = pytest.importorskip("mlflow")

FILE_STORE = MODELS / "mlruns"


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(["registry", *argv])
    out, err = capsys.readouterr()
    return code, out, err


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_list_json_shape_on_a_file_store(capsys):
    code, out, _ = _run(capsys, "list", "--server", str(FILE_STORE), "--json")
    assert code == 0
    doc = json.loads(out)
    expected = json.loads((MODELS / "mlruns.expected.json").read_text())["registry"]
    for model in expected["registered_models"]:
        for version in model["versions"]:
            version.pop("model_id")
    assert doc == {"registered_models": expected["registered_models"]}
    keys = set(doc["registered_models"][0]["versions"][0])
    assert keys == {"version", "status", "source", "run_id", "tags", "aliases", "description",
                    "creation_timestamp"}


def test_list_filter_show_and_text(capsys):
    code, out, _ = _run(capsys, "list", "--server", f"sqlite:///{MODELS}/sqlite_store/mlflow.db",
                        "--filter", "name LIKE 'churn%'")
    assert code == 0 and "churn-classifier" in out and "@champion=1" in out
    code, out, _ = _run(capsys, "show", "house-prices", "--server", FILE_STORE.as_uri())
    assert code == 0 and "@champion -> version 2" in out and "tag validated = true" in out
    code, out, _ = _run(capsys, "show", "iris-knn", "--server", str(FILE_STORE), "--json")
    assert json.loads(out)["aliases"] == {"champion": "1"}


def test_download_from_a_local_store(capsys, tmp_path: Path):
    dest = tmp_path / "v2"
    code, out, _ = _run(capsys, "download", "house-prices", "@champion", str(dest),
                        "--server", str(FILE_STORE))
    assert code == 0 and "version 2" in out
    src = FILE_STORE / "441847986406938267" / "models" / "m-f33694f14b9d4934bd438b73899b96be"
    assert _tree(dest) == _tree(src / "artifacts")
    code, _, err = _run(capsys, "download", "house-prices", "1", str(dest),
                        "--server", str(FILE_STORE))
    assert code == 2 and "already exists" in err  # never written over


def test_writes_to_local_stores_are_refused(capsys):
    for argv in (("alias", "iris-knn", "gold", "1"), ("tag", "iris-knn", "k=v"),
                 ("register", str(MODELS / "iris_logreg_colspec"), "iris-knn")):
        code, _, err = _run(capsys, *argv, "--server", str(FILE_STORE))
        assert code == 1 and "read-only" in err, err


def test_unreadable_store_or_server_exits_2(capsys, tmp_path: Path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    code, _, err = _run(capsys, "list")
    assert code == 2 and "MLFLOW_TRACKING_URI" in err
    code, _, err = _run(capsys, "list", "--server", str(tmp_path / "nope"))
    assert code == 2 and "no such file or folder" in err
    code, _, err = _run(capsys, "show", "nope", "--server", str(FILE_STORE))
    assert code == 2 and "no registered model named 'nope'" in err
    code, _, err = _run(capsys, "list", "--server", str(FILE_STORE), "--filter", "name ~ 'x'")
    assert code == 1 and "filter" in err


def test_cli_against_a_server(mlflow_server, client_env, capsys, tmp_path: Path):
    """register -> alias -> tag -> list -> download, as a user would, checked with MlflowClient."""
    from mlflow import MlflowClient

    name = f"cli-{uuid.uuid4().hex[:8]}"
    url = mlflow_server.url
    model = MODELS / "iris_logreg_colspec"
    code, out, err = _run(capsys, "register", str(model), name, "--server", url,
                          "--description", "iris", "--tag", "origin=cli", "--json")
    assert code == 0, err
    assert json.loads(out) == {"name": name, "version": "1"}
    assert _run(capsys, "alias", name, "champion", "1", "--server", url)[0] == 0
    assert _run(capsys, "tag", name, "team=risk", "--server", url)[0] == 0
    assert _run(capsys, "tag", name, "1", "checked=yes", "--server", url)[0] == 0
    client = MlflowClient(tracking_uri=url)
    assert client.get_model_version_by_alias(name, "champion").version == "1"
    assert client.get_registered_model(name).tags == {"team": "risk"}
    assert client.get_model_version(name, "1").tags == {"origin": "cli", "checked": "yes"}
    code, out, _ = _run(capsys, "list", "--server", url, "--filter", f"name = '{name}'",
                        "--json")
    assert json.loads(out) == mlflowclient_view(url, f"name = '{name}'")
    dest = tmp_path / "downloaded"
    assert _run(capsys, "download", name, "@champion", str(dest), "--server", url)[0] == 0
    assert _tree(dest) == _tree(model)
    assert _run(capsys, "tag", name, "1", "checked", "--delete", "--server", url)[0] == 0
    assert _run(capsys, "alias", name, "champion", "--delete", "--server", url)[0] == 0
    assert client.get_registered_model(name).aliases == {}
    assert client.get_model_version(name, "1").tags == {"origin": "cli"}


def test_exit_2_in_a_real_process_when_nothing_listens(tmp_path: Path):
    from mlflow_server import free_port

    proc = subprocess.run(
        [sys.executable, "-m", "mlmanager", "registry", "list", "--server",
         f"http://127.0.0.1:{free_port()}"],
        capture_output=True, text=True, timeout=120,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "MLFLOW_HTTP_REQUEST_MAX_RETRIES": "0"})
    assert proc.returncode == 2
    assert "nothing is listening" in proc.stderr and "Traceback" not in proc.stderr
