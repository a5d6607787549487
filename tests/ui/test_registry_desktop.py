"""The registry in the desktop app, item by item of issue 15 (the whole story is in
test_registry_story.py): drops on a registered model, drags out of the library, local registries
read-only where a user tries to write, 401 -> log in with a saved connection (keyring), and the
GUI thread never waiting on a server. Real servers (``mlflow server`` and, for a server that
holds its answers, the loopback server), real widgets, real drag events."""

from __future__ import annotations

import hashlib
import shutil
import threading
import zipfile
from pathlib import Path

import pytest
from corpus_paths import MODELS
from loopback_http import Answer, LoopbackServer, Seen
from registry_support import (
    client_view,
    drop_paths_on_row,
    library_view,
    listed,
    open_local_store,
    prefix,
    registered,
)

from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.connections import SERVICE, ConnectionStore
from mlmanager.core.remote.registry import ServerRegistry
from mlmanager.ui.models.library import VERSION

mlflow = pytest.importorskip("mlflow")

MODEL = MODELS / "iris_logreg_colspec"
ADMIN_PASSWORD = "admin-secret-1234"  # tests/mlflow_fixtures.py's auth_server


def _tree(folder: Path, skip: tuple[str, ...] = ()) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file() and p.name not in skip}


def _open_server(qtbot, window, url: str, expression: str):
    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    assert branch is not None
    window.library_panel.filter.setText(expression)
    window.library_panel.apply_filter()
    listed(qtbot, window, branch)
    return branch


# ---------------------------------------------------------------------------------------------
# drop a model folder on a registered model


def test_dropping_a_model_folder_on_a_registered_model_registers_it_after_a_confirmation(
        qtbot, window, prompter, mlflow_server, client_env, tmp_path: Path) -> None:
    url, p = mlflow_server.url, prefix()
    name = f"{p}iris"
    ServerRegistry(url, ServerAuth()).register_model_folder(MODEL, name)
    client = mlflow.MlflowClient(url, registry_uri=url)
    branch = _open_server(qtbot, window, url, f"name LIKE '{p}%'")
    node = registered(window, branch)[name]
    folder = tmp_path / "edited-iris"
    shutil.copytree(MODEL, folder)

    # declined: nothing is registered
    prompter.dialogs = [False]
    assert drop_paths_on_row(window, node, [folder]) == (True, True)
    qtbot.waitUntil(lambda: len(prompter.shown) == 1, timeout=30_000)
    confirmation = prompter.shown[0]
    assert confirmation.name.currentText() == name
    assert confirmation.windowTitle() == "Register a New Version"
    assert f"127.0.0.1:{mlflow_server.port}" in confirmation.note.text()
    assert " files (" in confirmation.note.text()
    assert [v.version for v in client.search_model_versions(f"name = '{name}'")] == ["1"]

    # confirmed: version 2, byte-identical to the dropped folder, and the library lists it
    node = registered(window, branch)[name]
    prompter.dialogs = [True]
    with qtbot.waitSignal(window.registry.published, timeout=120_000) as published:
        drop_paths_on_row(window, node, [folder])
    assert published.args[1].version.version == "2"
    assert sorted(v.version for v in client.search_model_versions(f"name = '{name}'")) == ["1", "2"]
    theirs = Path(mlflow.artifacts.download_artifacts(
        artifact_uri=client.get_model_version_download_uri(name, "2"), tracking_uri=url,
        dst_path=str(tmp_path / "dl")))
    assert _tree(theirs) == _tree(folder)
    qtbot.waitUntil(lambda: len(registered(window, branch)[name].children) == 2, timeout=30_000)
    assert not [c for c in prompter.calls if c.kind in ("error", "warning")]


def test_a_drop_that_is_not_a_model_folder_says_so_and_registers_nothing(
        qtbot, window, prompter, mlflow_server, client_env, tmp_path: Path) -> None:
    url, p = mlflow_server.url, prefix()
    name = f"{p}iris"
    ServerRegistry(url, ServerAuth()).register_model_folder(MODEL, name)
    branch = _open_server(qtbot, window, url, f"name LIKE '{p}%'")
    not_a_model = tmp_path / "notes"
    not_a_model.mkdir()
    (not_a_model / "README.txt").write_text("no MLmodel here")
    drop_paths_on_row(window, registered(window, branch)[name], [not_a_model])
    assert prompter.titles("warning") == ["Not a model folder"]
    assert not prompter.shown  # no confirmation: nothing to register


# ---------------------------------------------------------------------------------------------
# local registries are read-only, and say so where a user tries to write


@pytest.fixture
def local_store(qtbot, window, tmp_path: Path):
    """The corpus' file store (copied) opened as a tracking folder; its registry branch listed."""
    store = tmp_path / "mlruns"
    return store, open_local_store(qtbot, window, store)


def test_local_registries_are_read_only_and_say_so_where_a_user_writes(
        qtbot, window, prompter, local_store, tmp_path: Path) -> None:
    store, branch = local_store
    before = _tree(store)
    assert not branch.writable
    houses = registered(window, branch)["house-prices"]

    # a folder dropped on a registered model of the file store
    drop_paths_on_row(window, houses, [MODEL])
    (warning,) = [c for c in prompter.calls if c.kind == "warning"]
    assert "read-only" in warning.text and "MLflow owns its format" in warning.text
    assert not prompter.shown

    # the panel's write buttons and the context menu's write actions: disabled, saying why
    window.library_panel.select_source_index(window.library.index_of(houses))
    panel = window.registry.panel
    assert panel.mode == "model"
    for button in (panel.m_alias, panel.m_tag, panel.m_describe, panel.m_register):
        assert not button.isEnabled() and "read-only" in button.toolTip()
    menu = window.registry.context_menu(houses, window)
    writes = [a for a in menu.actions() if a.text().startswith(
        ("Set Alias", "Set Tag", "Edit Desc", "Register"))]
    assert writes and all(not a.isEnabled() and "read-only" in a.toolTip() for a in writes)
    # one name for registering a folder as a version, wherever it is offered
    assert panel.m_register.text() == "Register a New Version…"
    assert "Register a New Version…" in [a.text() for a in writes]
    assert window.act_register.text() == "&Register a Model Folder…"

    # the signature editor on one of its versions: Save as New Version shown, disabled, why
    v2 = next(c for c in houses.children if c.payload.version.version == "2")
    window.library_panel.select_source_index(window.library.index_of(v2))
    qtbot.waitUntil(lambda: window.view.entry is not None and window.view.entry.state.value == "ready",
                    timeout=30_000)
    assert window.view.header.location.full_text().endswith("▸ house-prices ▸ version 2 @champion")
    window.view.set_current_page("signature")
    page = window.signature_page
    qtbot.waitUntil(lambda: page.document is not None and page.isVisible(), timeout=30_000)
    assert page.save_version_button.isVisible() and not page.save_version_button.isEnabled()
    assert "read-only" in page.save_version_button.toolTip()
    assert page.save_as_new_version() is False
    assert prompter.calls[-1].kind == "warning" and "read-only" in prompter.calls[-1].text
    assert _tree(store) == before  # nothing was written


# ---------------------------------------------------------------------------------------------
# dragging a version out of the library gives its folder (or a zip named after the version)


def test_dragging_a_version_out_gives_its_folder(qtbot, window, local_store) -> None:
    store, branch = local_store
    houses = registered(window, branch)["house-prices"]
    v2 = next(c for c in houses.children if c.payload.version.version == "2")
    mime = window.library.mimeData([window.library.index_of(v2)])
    assert "text/uri-list" in mime.formats()
    (carried,) = [Path(u.toLocalFile()) for u in mime.urls()]
    # the store keeps the files in an "artifacts" folder: the drop gets a zip named after it
    assert carried.name == "house-prices-v2.zip"
    with zipfile.ZipFile(carried) as zf:
        assert "house-prices-v2/MLmodel" in zf.namelist()


def test_dragging_a_server_version_downloads_it_on_the_drop(
        qtbot, window, mlflow_server, client_env, tmp_path: Path) -> None:
    url, p = mlflow_server.url, prefix()
    name = f"{p}iris"
    ServerRegistry(url, ServerAuth()).register_model_folder(MODEL, name)
    branch = _open_server(qtbot, window, url, f"name LIKE '{p}%'")
    version = next(c for c in registered(window, branch)[name].children if c.kind == VERSION)
    assert version.payload.path is None  # not downloaded yet
    mime = window.library.mimeData([window.library.index_of(version)])
    assert mime.hasFormat("text/uri-list")  # offered at once; the files come when asked for
    (carried,) = [Path(u.toLocalFile()) for u in mime.urls()]  # the drop target asks: download
    assert carried.is_dir() and _tree(carried) == _tree(MODEL)
    assert carried.is_relative_to(client_env.parent / "copies")


# ---------------------------------------------------------------------------------------------
# 401 -> log in; the login saved (secret in the keyring) logs in next time


def test_a_server_asking_for_a_login_gets_one_and_remembers_it(
        qtbot, window, prompter, auth_server, client_env, memory_keyring, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    ring = memory_keyring
    connections = tmp_path / "connections.json"
    window.registry.connection_store_factory = lambda: ConnectionStore(connections, ring)
    url = auth_server.url

    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    listed(qtbot, window, branch)
    assert branch.state == "failed" and branch.needs_login
    panel = window.registry.panel
    assert window.stack.currentWidget() is panel and panel.banner.isVisible()
    assert panel.banner.button.text() == "Log In…" and "401" in branch.error

    def log_in(dialog) -> bool:
        assert dialog.uri.text() == url and dialog.auth_kind() == "basic"
        assert "asks for a login" in dialog.error.text()
        dialog.name.setText("team")
        dialog.username.setText("admin")
        dialog.password.setText(ADMIN_PASSWORD)
        assert dialog.save.isChecked()
        return True

    prompter.dialogs = [log_in]
    panel.banner.button.click()
    branch = window.registry.branches.for_location(url)
    listed(qtbot, window, branch)
    assert branch.state == "ready" and branch.connection == "team"
    with monkeypatch.context() as env:
        env.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        env.setenv("MLFLOW_TRACKING_PASSWORD", ADMIN_PASSWORD)
        assert library_view(window, branch) == client_view(url, "")
    # the secret is in the keyring only
    assert ring.items == {(SERVICE, "team"): ADMIN_PASSWORD}
    assert ADMIN_PASSWORD not in connections.read_text()

    # next time: the saved connection logs in, no dialog
    window.registry.close_branch(branch)
    shown = len(prompter.shown)
    window.open_paths([url])
    branch = window.registry.branches.for_location(url)
    listed(qtbot, window, branch)
    assert branch.state == "ready" and len(prompter.shown) == shown


# ---------------------------------------------------------------------------------------------
# the GUI thread never waits on the network


def test_the_window_stays_live_while_a_server_holds_its_answers(qtbot, window, prompter,
                                                               client_env) -> None:
    """The server holds every answer until the test lets it go: each action must return at once
    (a GUI thread waiting on the network would block here until the hold times out)."""
    release = threading.Event()

    def answer(seen: Seen) -> Answer:
        return Answer(200, b'{"registered_models": []}', wait=release)

    with LoopbackServer(answer) as server:
        window.open_paths([server.url])
        branch = window.registry.branches.for_location(server.url)
        qtbot.waitUntil(lambda: bool(server.seen), timeout=30_000)
        assert branch.state == "listing" and not release.is_set()
        # the user goes on meanwhile: the filter re-lists (cancelling the held listing)
        window.library_panel.filter.setText("name LIKE 'x%'")
        window.library_panel.apply_filter()
        assert branch.state == "listing" and not release.is_set()
        window.registry.refresh_node(branch.node)
        assert branch.state == "listing" and not release.is_set()
        release.set()
        listed(qtbot, window, branch)
    assert branch.state == "ready" and branch.models == 0
    assert not [c for c in prompter.calls if c.kind == "error"]



def test_a_versions_run_and_logged_model_links_select_them_in_the_library(
        qtbot, window, local_store) -> None:
    """The version panel's Run and Logged model links select those rows of the library."""
    store, branch = local_store
    houses = registered(window, branch)["house-prices"]
    v2 = next(c for c in houses.children if c.payload.version.version == "2")
    version = v2.payload.version
    window.registry.follow_link(v2, "run", version.run_id)
    run = window.library_panel.current_node()
    assert run is not None and run.kind == "run" and run.key == version.run_id
    window.registry.follow_link(v2, "model", version.model_id)
    model = window.library_panel.current_node()
    assert model.kind == "model" and model.record.model_id == version.model_id
