"""Saved connections: secrets only in a keyring (a real in-memory backend), never in the file."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from loopback_http import Answer, LoopbackServer

from mlmanager.core.remote.connections import (
    SERVICE,
    Connection,
    ConnectionStore,
    NoKeyringError,
)
from mlmanager.core.remote.registry import ServerRegistry


@pytest.fixture(autouse=True)
def _no_env(monkeypatch):
    for key in ("MLFLOW_TRACKING_USERNAME", "MLFLOW_TRACKING_PASSWORD", "MLFLOW_TRACKING_TOKEN",
                "MLFLOW_TRACKING_INSECURE_TLS"):
        monkeypatch.delenv(key, raising=False)


def test_secrets_go_to_the_keyring_only(tmp_path: Path, memory_keyring):
    ring = memory_keyring
    store = ConnectionStore(tmp_path / "connections.json", ring)
    store.save(Connection("team", "https://mlflow.example", "basic", username="ana"), "s3cret!")
    store.save(Connection("ci", "http://127.0.0.1:5000", "token"), "tok-123")
    text = (tmp_path / "connections.json").read_text()
    assert "s3cret" not in text and "tok-123" not in text
    assert [c.name for c in store.list()] == ["team", "ci"]
    assert ring.items == {(SERVICE, "team"): "s3cret!", (SERVICE, "ci"): "tok-123"}
    team = store.auth_for(store.get("team"))
    assert (team.kind, team.username, team.password) == ("basic", "ana", "s3cret!")
    assert store.auth_for(store.get("ci")).headers() == {"Authorization": "Bearer tok-123"}
    store.rename("team", "risk-team")
    assert ring.items.get((SERVICE, "risk-team")) == "s3cret!"
    assert (SERVICE, "team") not in ring.items
    store.delete("risk-team")
    assert [c.name for c in store.list()] == ["ci"] and (SERVICE, "risk-team") not in ring.items
    assert json.loads((tmp_path / "connections.json").read_text())["connections"][0]["uri"] == \
        "http://127.0.0.1:5000"


def test_without_a_keyring_secrets_are_refused_and_env_is_used(tmp_path: Path, monkeypatch):
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    store = ConnectionStore(tmp_path / "c.json")
    assert store.keyring is None and "no OS keyring" in store.keyring_status
    with pytest.raises(NoKeyringError, match="never writes secrets in plain text.*"
                                             "MLFLOW_TRACKING_PASSWORD"):
        store.save(Connection("team", "http://x", "basic", username="ana"), "s3cret!")
    assert not (tmp_path / "c.json").exists()
    store.save(Connection("team", "http://x", "basic", username="ana"))  # no secret: fine
    monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "ana")
    monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "from-env")
    auth = store.auth_for(store.get("team"))
    assert (auth.username, auth.password) == ("ana", "from-env")


def test_a_saved_connection_logs_in(tmp_path: Path, memory_keyring):
    """The keyring's secret reaches the server as MLflow's client would send it."""
    store = ConnectionStore(tmp_path / "c.json", memory_keyring)
    with LoopbackServer(lambda s: Answer(body=b'{"registered_models": []}')) as srv:
        conn = store.save(Connection("local", srv.url, "token"), "abc")
        list(ServerRegistry(conn.uri, store.auth_for(conn)).search_registered_models())
    assert srv.seen[0].headers["Authorization"] == "Bearer abc"
