"""Logging in to a server from the desktop app on a machine without an OS keyring (no Secret
Service, KWallet...): the login dialog says a password cannot be saved, the typed login works
for the session, the saved connection keeps its URI and username but never the password, and
the app says the password was not saved. A real ``mlflow server`` with basic auth, the real
``keyring`` package answering "no backend" (its ``fail.Keyring``), real widgets."""

from __future__ import annotations

import json
from pathlib import Path

import keyring
import pytest
from keyring.backends import fail
from PySide6.QtCore import Qt
from registry_support import client_view, library_view, listed

mlflow = pytest.importorskip("mlflow")

ADMIN_PASSWORD = "admin-secret-1234"  # tests/mlflow_fixtures.py's auth_server


def test_without_a_keyring_a_login_works_for_the_session_and_is_not_saved(
        qtbot, window, prompter, auth_server, client_env, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(keyring, "get_keyring", lambda: fail.Keyring())
    connections = tmp_path / "home" / ".config" / "mlmanager" / "connections.json"
    url = auth_server.url

    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    listed(qtbot, window, branch)
    assert branch.needs_login
    panel = window.registry.panel
    assert panel.banner.button.text() == "Log In…"

    def log_in(dialog) -> bool:
        assert dialog.store.keyring is None
        assert dialog.store.path == connections  # the user's own connections file
        dialog.name.setText("team")
        dialog.username.setText("admin")
        dialog.password.setText(ADMIN_PASSWORD)
        assert dialog.save.isChecked()
        note = dialog.keyring_note
        assert not note.isHidden() and "No OS keyring is available" in note.text()
        assert "used for this session" in note.text() and "MLFLOW_TRACKING_PASSWORD" in note.text()
        return True

    prompter.dialogs = [log_in]
    panel.banner.button.click()
    assert not prompter.dialogs  # the dialog was shown

    # the typed login works for the session: the library lists what MLflow's client sees
    branch = window.registry.branches.for_location(url)
    listed(qtbot, window, branch)
    assert branch.state == "ready" and branch.connection == "team"
    with monkeypatch.context() as env:
        env.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        env.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
        assert library_view(window, branch) == client_view(url, "")
    assert not [c for c in prompter.calls if c.kind in ("error", "warning")]

    # the connection is saved without its password, and the app says so where the user looks
    saved = json.loads(connections.read_text())["connections"]
    assert [(c["name"], c["uri"], c.get("username")) for c in saved] == [("team", url, "admin")]
    assert ADMIN_PASSWORD not in connections.read_text()
    window.library_panel.select_source_index(window.library.index_of(branch.source_node))
    assert panel.node is branch.source_node
    note = panel.branch_note.text()
    assert "password you typed is not saved" in note and "no OS keyring" in note
    assert "this session only" in note
    tooltip = window.library.data(window.library.index_of(branch.node),
                                  Qt.ItemDataRole.ToolTipRole)
    assert "password you typed is not saved" in tooltip

    # next time (a new session's login): the saved connection has no password, so the server
    # asks again, and the dialog comes back with the saved URI and username filled in
    window.registry.close_branch(branch)
    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    listed(qtbot, window, branch)
    assert branch.needs_login and branch.connection == "team"
    seen: list[tuple[str, str, str]] = []

    def again(dialog) -> bool:
        seen.append((dialog.name.text(), dialog.username.text(), dialog.password.text()))
        return False

    prompter.dialogs = [again]
    panel.banner.button.click()
    assert seen == [("team", "admin", "")]
