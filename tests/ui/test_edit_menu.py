"""The signature editor inside the main window: the Edit menu, the [*] title mark, and the
Save / Discard / Cancel questions when closing a model, quitting or reloading with unsaved edits."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtTest import QTest
from ui_helpers import wait_idle

from mlmanager.core.signature.edits import SetRequired
from mlmanager.ui.store import EntryState

MODEL = "iris_logreg_colspec"


@pytest.fixture
def model_dir(models_dir: Path, copy_model) -> Path:
    return copy_model(models_dir / MODEL)


def _open(qtbot, window, path: Path):
    entry = window.open_model(path)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY
    return entry


def _edit(qtbot, window, entry):
    """Make the first input column optional in the editor (unsaved)."""
    window.view.set_current_page("signature")
    page = window.signature_page
    assert page.entry is entry
    assert page.push(SetRequired("inputs", 0, False))
    assert page.has_unsaved_changes(entry)
    return page


def _required_on_disk(model_dir: Path) -> bool:
    text = (model_dir / "MLmodel").read_text()
    first = re.search(r'\{[^{}]*"name": "sepal length \(cm\)"[^{}]*\}', text).group(0)
    return '"required": false' not in first


def test_edit_menu_holds_the_editor_actions(qtbot, window, model_dir: Path) -> None:
    page = window.signature_page
    assert page is not None and window.view.page("signature") is page  # built with the window
    assert page.ctx.open_model == window.open_model
    actions = window.edit_menu.actions()
    assert actions[:2] == [page.undo_action, page.redo_action] and actions[2].isSeparator()
    assert actions[3:] == [page.save_action, page.save_copy_action, page.save_version_action]
    assert not page.save_version_action.isVisible()  # only for versions from a writable registry
    assert page.save_action.shortcut() == QKeySequence(QKeySequence.StandardKey.Save)
    assert page.save_copy_action.shortcut() == QKeySequence("Ctrl+Shift+S")
    for act in (page.undo_action, page.redo_action, page.save_action, page.save_copy_action):
        assert act.shortcutContext() == Qt.ShortcutContext.WidgetWithChildrenShortcut
    assert window.windowTitle() == "mlmanager[*]" and not window.isWindowModified()

    entry = _open(qtbot, window, model_dir)
    assert window.windowTitle() == f"{MODEL}[*] — mlmanager"
    _edit(qtbot, window, entry)
    assert window.isWindowModified() and window.has_unsaved_changes()
    assert page.undo_action.isEnabled() and page.save_action.isEnabled()
    page.undo_action.trigger()  # Edit ▸ Undo
    assert not window.isWindowModified() and page.document.sig.inputs.specs[0].required is True
    page.redo_action.trigger()  # Edit ▸ Redo
    assert window.isWindowModified() and page.document.sig.inputs.specs[0].required is False

    # the shortcut works while the editor has focus, and not from the library
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=5000)
    window.library_panel.tree.setFocus()
    QTest.keySequence(window.library_panel.tree, QKeySequence(QKeySequence.StandardKey.Undo))
    assert window.isWindowModified()
    view = page.panels["inputs"].view()
    view.setFocus()
    QTest.keySequence(view, QKeySequence(QKeySequence.StandardKey.Undo))
    assert not window.isWindowModified()


def test_edit_menu_follows_the_model_shown(qtbot, window, model_dir: Path, tmp_model: Path) -> None:
    a = _open(qtbot, window, model_dir)
    page = _edit(qtbot, window, a)
    window.view.set_current_page("overview")
    b = _open(qtbot, window, tmp_model)
    assert window.view.entry is b and page.entry is a  # the hidden editor still shows A
    window.edit_menu.aboutToShow.emit()
    assert page.entry is b and not page.undo_action.isEnabled()  # B has nothing to undo
    assert window.isWindowModified()  # A's edits are still unsaved
    assert window.windowTitle() == "iris[*] — mlmanager"


def test_closing_a_model_with_unsaved_edits_asks(qtbot, window, model_dir: Path) -> None:
    entry = _open(qtbot, window, model_dir)
    page = _edit(qtbot, window, entry)
    node = window.library_panel.current_node()
    window.close_node(node)  # Cancel (the recording prompter's default)
    assert window.prompter.titles("choose") == ["Unsaved changes"]
    assert "unsaved changes" in window.prompter.calls[-1].text and MODEL in window.prompter.calls[-1].text
    assert window.store.get(entry.key) is entry and page.has_unsaved_changes(entry)

    window.prompter.choices = [0]  # Save…
    window.prompter.dialogs = [True]  # … and accept the save preview
    window.close_node(node)
    wait_idle(qtbot, window)
    assert window.prompter.titles("dialog") == ["Save signature"]
    assert not _required_on_disk(model_dir)  # saved
    assert window.store.get(entry.key) is None and window.library.open_group.children == []
    assert not window.isWindowModified()


def test_discarding_on_close_keeps_the_file(qtbot, window, model_dir: Path) -> None:
    before = (model_dir / "MLmodel").read_bytes()
    entry = _open(qtbot, window, model_dir)
    _edit(qtbot, window, entry)
    window.prompter.choices = [1]  # Discard
    window.close_node(window.library_panel.current_node())
    assert window.store.get(entry.key) is None and not window.has_unsaved_changes()
    assert (model_dir / "MLmodel").read_bytes() == before
    assert not window.isWindowModified() and window.windowTitle() == "mlmanager[*]"


def test_quitting_with_unsaved_edits_asks(qtbot, window, model_dir: Path) -> None:
    entry = _open(qtbot, window, model_dir)
    _edit(qtbot, window, entry)
    assert not window.close()  # Cancel
    assert window.prompter.titles("choose") == ["Unsaved changes"]
    assert "before quitting" in window.prompter.calls[-1].text
    window.prompter.choices = [1]  # Discard
    assert window.close()


def test_model_changed_on_disk_asks_about_the_editor_edits(qtbot, window, model_dir: Path) -> None:
    entry = _open(qtbot, window, model_dir)
    page = _edit(qtbot, window, entry)
    window.prompter.answers = [True]  # reload and lose the edits
    generation = entry.generation
    with qtbot.waitSignal(window.store.changed_on_disk, timeout=10000):
        mlmodel = model_dir / "MLmodel"
        mlmodel.write_text(mlmodel.read_text() + "\n")
    qtbot.waitUntil(lambda: entry.generation > generation, timeout=10000)
    wait_idle(qtbot, window)
    assert window.prompter.titles("confirm") == ["Model changed on disk"]
    assert not page.has_unsaved_changes(entry) and not window.isWindowModified()


def test_about_shows_versions(qtbot, window) -> None:
    window.act_about.trigger()
    qtbot.waitUntil(lambda: window.prompter.titles("info") == ["About mlmanager"], timeout=30000)
    text = window.prompter.calls[-1].text
    assert "mlmanager" in text and "Python" in text and "Qt" in text


def test_removing_a_tracking_folder_with_unsaved_edits_asks(qtbot, window, models_dir: Path, copy_model) -> None:
    store = copy_model(models_dir / "mlruns")
    source = window.open_tracking(store)
    qtbot.waitUntil(lambda: not window.scans.is_scanning(), timeout=20000)
    # the scan selects its first model on a later event-loop turn, then loads it
    qtbot.waitUntil(lambda: window.view.entry is not None, timeout=20000)
    wait_idle(qtbot, window)
    entry = window.view.entry
    assert entry is not None and not entry.pinned
    _edit(qtbot, window, entry)
    window.close_node(source)  # Cancel
    assert window.prompter.titles("choose") == ["Unsaved changes"]
    assert "before removing the tracking folder" in window.prompter.calls[-1].text
    assert window.library.sources() == [source]
    window.prompter.choices = [1]  # Discard
    window.close_node(source)
    assert window.library.sources() == [] and not window.has_unsaved_changes()
