"""Window behaviour: recent files, shortcuts, geometry, tabs, settings, tasks."""

from __future__ import annotations

import shutil
from pathlib import Path

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QKeySequence
from ui_helpers import wait_idle

from mlmanager.ui.main_window import MainWindow
from mlmanager.ui.settings import MAX_RECENT, Settings
from mlmanager.ui.store import EntryState
from mlmanager.ui.tasks import Cancelled, TaskManager


def test_settings_facade_round_trip(tmp_path: Path) -> None:
    s = Settings()
    assert s.recent_paths() == [] and s.geometry is None and s.view_tab is None
    folders = []
    for i in range(MAX_RECENT + 2):
        f = tmp_path / f"m{i}"
        f.mkdir()
        folders.append(f)
        s.add_recent(f)
    s.add_recent(folders[3])  # again: moves to the front, no duplicate
    recent = s.recent_paths()
    assert len(recent) == MAX_RECENT and recent[0] == str(folders[3])
    assert len(set(recent)) == len(recent)
    shutil.rmtree(folders[3])
    assert str(folders[3]) not in s.recent_paths()  # missing entries are dropped
    s.geometry = QByteArray(b"\x01\x02")
    s.view_tab = "artifacts"
    s.last_dir = str(tmp_path)
    s.sync()
    again = Settings()
    assert again.geometry == QByteArray(b"\x01\x02") and again.view_tab == "artifacts"
    assert again.last_dir == str(tmp_path)
    assert str(again.qsettings.fileName()).endswith(".ini")
    ro = Settings(read_only=True)
    ro.add_recent(tmp_path)
    assert str(tmp_path) not in Settings().recent_paths(drop_missing=False)


def test_recent_menu_opens_and_drops_missing(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    gone = tmp_path / "gone"
    gone.mkdir()
    window.settings.add_recent(gone)
    window.settings.add_recent(tmp_model)
    shutil.rmtree(gone)
    window.rebuild_recent_menu()
    actions = [a for a in window.recent_menu.actions() if a.data()]
    assert [a.data() for a in actions] == [str(tmp_model)]
    actions[0].trigger()
    wait_idle(qtbot, window)
    assert window.view.entry is not None and window.view.entry.path == tmp_model
    clear = next(a for a in window.recent_menu.actions() if a.text() == "Clear Recent")
    clear.trigger()
    window.rebuild_recent_menu()
    assert not [a for a in window.recent_menu.actions() if a.data()]


def test_open_dialogs_go_through_prompter(qtbot, window, tmp_model: Path) -> None:
    window.prompter.paths = [str(tmp_model / "MLmodel")]
    window.act_open.trigger()
    wait_idle(qtbot, window)
    assert window.prompter.kinds() == ["open_file"]
    assert window.view.entry.path == tmp_model
    assert window.settings.last_dir == str(tmp_model)
    window.prompter.paths = [None]  # cancelled dialog: nothing happens
    window.act_open_folder.trigger()
    assert len(window.library.open_group.children) == 1


def test_shortcuts_and_close(qtbot, window, tmp_model: Path) -> None:
    assert window.act_open.shortcut() == QKeySequence(QKeySequence.StandardKey.Open)
    assert window.act_find.shortcut() == QKeySequence(QKeySequence.StandardKey.Find)
    assert not window.act_refresh.shortcut().isEmpty() and not window.act_close.shortcut().isEmpty()
    window.open_model(tmp_model)
    wait_idle(qtbot, window)
    window.act_find.trigger()
    assert window.library_panel.filter.hasFocus() or window.focusWidget() is window.library_panel.filter
    qtbot.keyClicks(window.library_panel.filter, "iris")
    qtbot.keyClick(window.library_panel.filter, Qt.Key.Key_Return)
    assert window.library_panel.current_node().label == "iris"
    window.page_actions["artifacts"].trigger()
    assert window.view.current_page_key() == "artifacts"
    window.act_next_tab.trigger()
    assert window.view.current_page_key() == "environment"
    wait_idle(qtbot, window)
    entry = window.view.entry
    window.act_close.trigger()
    assert window.library.open_group.children == []
    assert window.store.get(entry.key) is None
    assert window.stack.currentWidget() is window.welcome


def test_geometry_and_splitter_restored(qtbot, prompter) -> None:
    first = MainWindow(Settings(), prompter)
    qtbot.addWidget(first)
    first.resize(700, 500)  # the offscreen screen is 800x600
    first.show()
    first.splitter.setSizes([220, 480])
    sizes = first.splitter.sizes()
    first.view.set_current_page("mlmodel")
    first.close()
    second = MainWindow(Settings(), prompter)
    qtbot.addWidget(second)
    second.restore_state()
    second.show()
    assert (second.width(), second.height()) == (700, 500)
    assert second.splitter.sizes() == sizes
    assert second.view.current_page_key() == "mlmodel"
    second.shutdown()


def test_demo_and_the_view_tabs(qtbot, window) -> None:
    from mlmanager.ui.pages import base as pages_base
    from mlmanager.ui.pages import tabs

    entry = window.open_demo()
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY and entry.display_name == "iris-classifier"
    keys = window.view.page_keys()
    assert [k for k in keys if k in ("overview", "mlmodel", "artifacts", "environment")] == [
        "overview", "mlmodel", "artifacts", "environment"]
    assert keys[:2] == ["overview", "signature"]
    assert not window.has_unsaved_changes()

    class Extra(pages_base.ModelPage):
        shown = None

        def show_entry(self, e):
            Extra.shown = e

    tabs.register_page("extra", "Extra", Extra, order=99)
    try:
        other = MainWindow(Settings(), window.prompter)
        qtbot.addWidget(other)
        assert "extra" in other.view.page_keys()
        other.open_demo()
        wait_idle(qtbot, other)
        assert other.view.set_current_page("extra")
        assert Extra.shown is other.view.entry
        other.shutdown()
    finally:
        tabs._TABS.pop("extra")


def test_task_manager_results_errors_cancel(qtbot) -> None:
    tasks = TaskManager()
    errors = []
    tasks.unhandled_error.connect(errors.append)

    def work(state, n):
        for i in range(n):
            state.partial(i)
        return n * 2

    t = tasks.start(work, 5)
    got = []
    t.partial.connect(got.extend)
    with qtbot.waitSignal(t.finished, timeout=5000):
        pass
    assert t.result == 10 and got == [0, 1, 2, 3, 4]

    def boom(state):
        raise RuntimeError("kaput")

    t = tasks.start(boom)
    with qtbot.waitSignal(tasks.unhandled_error, timeout=5000):
        pass
    assert errors and "kaput" in errors[0].message and not errors[0].expected

    def stop(state):
        state.cancel()
        state.check()
        raise AssertionError("not reached")

    t = tasks.start(stop)
    with qtbot.waitSignal(t.finished, timeout=5000):
        pass
    assert t.was_cancelled and len(errors) == 1
    assert tasks.is_idle()
    assert Cancelled is not None


def test_the_welcome_page_connects_to_a_tracking_server(qtbot, window, prompter) -> None:
    """The registry is made on first use: the welcome page's button makes it and asks where."""
    from PySide6.QtWidgets import QPushButton

    assert window.stack.currentWidget() is window.welcome
    assert window._registry is None  # nothing of the registry before it is used
    button = next(b for b in window.welcome.findChildren(QPushButton)
                  if b.text() == "Connect to tracking server…")
    qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert window._registry is not None
    assert prompter.kinds() == ["dialog"]  # the connect dialog, answered Cancel
    assert window.library.sources() == []
    assert window.stack.indexOf(window.registry.panel) >= 0
