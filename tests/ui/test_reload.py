"""The view follows the model on disk: edits reload it, a vanished folder is marked, not fatal."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from ui_helpers import wait_idle

from mlmanager.ui.store import EntryState


def _open(qtbot, window, path: Path):
    entry = window.open_model(path)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY
    return entry


def _edit_owner(path: Path, owner: str) -> None:
    mlmodel = path / "MLmodel"
    text = mlmodel.read_text().replace("owner: mlmanager demo", f"owner: {owner}")
    mlmodel.write_text(text)


def test_external_edit_reloads_view(qtbot, window, tmp_model: Path) -> None:
    entry = _open(qtbot, window, tmp_model)
    assert str(tmp_model / "MLmodel") in window.store.watched_paths()
    window.view.set_current_page("mlmodel")
    page = window.view.page("mlmodel")
    assert page.model.node(page.model.find("metadata.owner")).values[1] == "mlmanager demo"
    generation = entry.generation
    with qtbot.waitSignal(window.store.changed_on_disk, timeout=10000):
        _edit_owner(tmp_model, "someone else")
    qtbot.waitUntil(lambda: entry.generation > generation and not entry.reloading, timeout=10000)
    assert entry.doc.metadata["owner"] == "someone else"
    assert page.model.node(page.model.find("metadata.owner")).values[1] == "someone else"


def test_atomic_replace_is_seen_twice(qtbot, window, tmp_model: Path) -> None:
    entry = _open(qtbot, window, tmp_model)
    for owner in ("first", "second"):
        generation = entry.generation
        new = tmp_model / "MLmodel.tmp"
        new.write_text((tmp_model / "MLmodel").read_text().replace(
            entry.doc.metadata["owner"], owner))
        os.replace(new, tmp_model / "MLmodel")  # editors and mlmanager itself save like this
        qtbot.waitUntil(lambda g=generation, o=owner: entry.generation > g and entry.doc is not None
                        and entry.doc.metadata["owner"] == o, timeout=10000)


def test_unsaved_changes_ask_before_reload(qtbot, window, tmp_model: Path, monkeypatch) -> None:
    entry = _open(qtbot, window, tmp_model)
    page = window.signature_page  # the editor says this model has unsaved edits
    monkeypatch.setattr(page, "has_unsaved_changes", lambda e=None: e is None or e is entry)
    monkeypatch.setattr(page, "discard_changes", lambda e: None)
    generation = entry.generation
    window.prompter.answers = [False]  # "keep my edits"
    with qtbot.waitSignal(window.store.changed_on_disk, timeout=10000):
        _edit_owner(tmp_model, "changed")
    assert window.prompter.kinds() == ["confirm"]
    assert entry.generation == generation and entry.doc.metadata["owner"] == "mlmanager demo"
    window.prompter.answers = [True]
    with qtbot.waitSignal(window.store.changed_on_disk, timeout=10000):
        mlmodel = tmp_model / "MLmodel"
        mlmodel.write_text(mlmodel.read_text())  # the same text again: still a change event
    qtbot.waitUntil(lambda: entry.generation > generation, timeout=10000)
    assert entry.doc.metadata["owner"] == "changed"


def test_vanished_folder_is_marked_and_comes_back(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    entry = _open(qtbot, window, tmp_model)
    parked = tmp_path / "parked"
    shutil.move(str(tmp_model), parked)
    qtbot.waitUntil(lambda: entry.state is EntryState.MISSING, timeout=10000)
    assert window.view.banner.isVisibleTo(window)
    assert "no longer exists" in window.view.banner.title.text()
    overview = window.view.page("overview")
    assert overview.error_box.isVisibleTo(window)
    # the app goes on working: another model opens fine
    other = tmp_path / "other"
    shutil.copytree(parked, other)
    second = _open(qtbot, window, other)
    assert second.state is EntryState.READY
    shutil.move(str(parked), tmp_model)
    qtbot.waitUntil(lambda: entry.state is EntryState.READY, timeout=10000)


def test_refresh_shortcut_reloads(qtbot, window, tmp_model: Path) -> None:
    entry = _open(qtbot, window, tmp_model)
    generation = entry.generation
    window.act_refresh.trigger()
    qtbot.waitUntil(lambda: entry.generation > generation, timeout=10000)
    assert entry.state is EntryState.READY
