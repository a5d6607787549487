"""The Environment tab builds the model's own environment: real models saved by old library
versions (the test model factory), real uv builds into a per-test environment cache, the
confirmation dialog answered through the recording prompter, real cancel and failures."""

from __future__ import annotations

from pathlib import Path

import pytest
from env_models import write_model
from PySide6.QtCore import QElapsedTimer, QTimer

pytestmark = [pytest.mark.envbuild]

BUILD_MS = 300_000  # a first build downloads; a warm uv cache builds in seconds


@pytest.fixture
def env_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "environments"
    monkeypatch.setenv("MLMANAGER_ENV_CACHE", str(root))
    return root


def open_environment_tab(qtbot, win, model_dir: Path):
    win.open_model(model_dir)
    qtbot.waitUntil(lambda: win.view.entry is not None and win.view.entry.doc is not None,
                    timeout=30_000)
    win.view.set_current_page("environment")
    page = win.view.page("environment")
    panel = page.model_env
    qtbot.waitUntil(lambda: panel.state is not None, timeout=60_000)
    return page, panel


def state_of(panel) -> str:
    return panel.state.state if panel.state is not None else ""


class StallMeter:
    """The longest gap between 5 ms timer ticks: how long the GUI thread was held."""

    def __init__(self) -> None:
        self.worst = 0
        self._clock = QElapsedTimer()
        self._timer = QTimer()
        self._timer.setInterval(5)
        self._timer.timeout.connect(self._tick)

    def start(self) -> None:
        self._clock.start()
        self._timer.start()

    def _tick(self) -> None:
        self.worst = max(self.worst, self._clock.restart())

    def stop(self) -> int:
        self._timer.stop()
        return self.worst


def test_build_from_the_environment_tab_asks_streams_and_becomes_ready(
        qtbot, window, prompter, built_model, env_cache: Path) -> None:
    model = built_model("sklearn13-py310")
    page, panel = open_environment_tab(qtbot, window, model.model_dir)
    assert state_of(panel) == "not-built"
    assert panel.badge is not None and panel.badge.text() == "Not built"
    assert panel.build_button.isVisibleTo(panel) and panel.build_button.isEnabled()
    assert "Python 3.10" in panel.python_label.text()
    assert "as the model asks" in panel.python_label.text()

    seen: dict[str, list[str]] = {}

    def agree(dialog) -> bool:
        seen["packages"] = list(dialog.packages)
        seen["title"] = [dialog.windowTitle()]
        return True

    prompter.dialogs.append(agree)
    lines: list[str] = []
    page.builds.log_lines.connect(lambda _m, batch: lines.extend(batch))
    meter = StallMeter()  # measured while the build task runs (after the dialog was answered)
    page.builds.job_changed.connect(
        lambda m: meter.start() if page.builds.job(m) is not None
        and page.builds.job(m).phase == "build" else None)
    qtbot.mouseClick(panel.build_button, qtbot_left())
    qtbot.waitUntil(lambda: state_of(panel) == "ready" and page.builds.job(panel.model) is None,
                    timeout=BUILD_MS)
    worst = meter.stop()

    assert seen["title"] == ["Build the model's environment?"]
    assert "scikit-learn==1.3.2" in seen["packages"]  # what would be installed, before it was
    assert any(line.startswith("$ ") for line in lines)  # the installer's own log, streamed
    assert panel.badge.text() == "Ready"
    env = panel.state.environment
    assert env is not None and env.path.parent == env_cache
    assert env.packages["scikit-learn"] == "1.3.2"
    assert env.python_version.startswith("3.10.")
    details = panel.details.text()
    assert "7 of 7 requirements met" in details and "on disk" in details
    assert panel.rebuild_button.isVisibleTo(panel) and panel.remove_button.isVisibleTo(panel)
    assert not panel.build_button.isVisibleTo(panel)
    # the requirements table gains the environment's versions
    model_rows = page.model
    last = model_rows.columnCount() - 1
    assert model_rows.headerData(last, qt_horizontal()) == "In its environment"
    values = {model_rows.row_values(r)[0]: model_rows.row_values(r)[last]
              for r in range(model_rows.rowCount())}
    assert values["scikit-learn"] == "1.3.2"
    # the build ran in a task: the GUI thread kept turning (a blocking build holds it for
    # seconds; the 50 ms target is measured by benchmarks/bench_env_build_gui.py, not here)
    assert 0 < worst < 1000, f"the GUI thread was held {worst} ms during the build"
    print(f"longest GUI stall during the build: {worst} ms")

    # the Deploy tab's local server can serve with it (it has mlflow 2.9.2)
    window.view.set_current_page("deploy")
    server = window.view.page("deploy").server
    task = server.use_model_environment()
    qtbot.waitUntil(lambda: task.done, timeout=60_000)
    assert server.python_edit.text() == str(env.python)
    assert "mlflow 2.9.2" in server.status.text()
    window.view.set_current_page("environment")

    # Remove asks, then deletes the folder; the tab says "not built" again
    prompter.answers.append(True)
    qtbot.mouseClick(panel.remove_button, qtbot_left())
    qtbot.waitUntil(lambda: state_of(panel) == "not-built", timeout=60_000)
    assert not env.path.exists()
    assert "confirm" in prompter.kinds()


def test_declining_installs_nothing(qtbot, window, prompter, built_model, env_cache: Path) -> None:
    model = built_model("sklearn13-py310")
    _page, panel = open_environment_tab(qtbot, window, model.model_dir)
    prompter.dialogs.append(False)
    panel.build()
    qtbot.waitUntil(lambda: "dialog" in prompter.kinds(), timeout=120_000)
    qtbot.waitUntil(lambda: panel.builds.job(panel.model) is None, timeout=30_000)
    qtbot.waitUntil(lambda: state_of(panel) == "not-built", timeout=30_000)
    assert "nothing was installed" in panel.progress_text.text()
    assert not [p for p in env_cache.glob("py*") if p.is_dir()]


def test_cancel_stops_the_build_and_keeps_nothing(qtbot, window, prompter, built_model,
                                                  env_cache: Path, monkeypatch) -> None:
    # a fresh uv cache: the installer downloads, so the build is still running when cancelled
    monkeypatch.setenv("UV_CACHE_DIR", str(env_cache.parent / "uv-cache"))
    model = built_model("sklearn13-py310")
    page, panel = open_environment_tab(qtbot, window, model.model_dir)
    prompter.dialogs.append(True)
    lines: list[str] = []
    page.builds.log_lines.connect(lambda _m, batch: lines.extend(batch))
    panel.build()
    qtbot.waitUntil(lambda: any("install" in line for line in lines), timeout=BUILD_MS)
    assert panel.cancel_button.isVisibleTo(panel)
    qtbot.mouseClick(panel.cancel_button, qtbot_left())
    qtbot.waitUntil(lambda: page.builds.job(panel.model) is None, timeout=60_000)
    qtbot.waitUntil(lambda: state_of(panel) == "not-built", timeout=30_000)
    assert "Cancelled" in panel.progress_text.text()
    leftovers = [p.name for p in env_cache.iterdir() if p.name.startswith((".tmp-", "py"))]
    assert leftovers == []


def test_a_failed_build_names_the_requirement_and_opens_the_log(
        qtbot, window, prompter, tmp_path: Path, env_cache: Path) -> None:
    folder = write_model(tmp_path / "broken", requirements=("mlmanager-no-such-package-xyz==1.0",),
                         build_dependencies=())
    page, panel = open_environment_tab(qtbot, window, folder)
    assert state_of(panel) == "not-built"
    panel.build()
    qtbot.waitUntil(lambda: page.builds.job(panel.model) is None, timeout=BUILD_MS)
    qtbot.waitUntil(lambda: panel.banner.isVisibleTo(panel), timeout=30_000)
    text = panel.banner.message.text()
    assert "mlmanager-no-such-package-xyz" in text and "does not exist" in text
    assert panel.badge.text() == "Failed"
    # the resolution failed: nothing was asked, nothing installed; uv's words are one click away
    assert "dialog" not in prompter.kinds()
    assert panel.banner.button.isVisibleTo(panel)
    qtbot.mouseClick(panel.banner.button, qtbot_left())
    assert panel.log.isVisibleTo(panel)
    assert "mlmanager-no-such-package-xyz" in panel.log.toPlainText()


def test_rebuild_asks_first_and_keeps_the_environment_when_declined(
        qtbot, window, prompter, tmp_path: Path, env_cache: Path) -> None:
    from mlmanager.core.environments.builder import build
    from mlmanager.core.environments.cache import EnvironmentCache
    from mlmanager.core.environments.plan import plan_build
    from mlmanager.core.environments.spec import read_spec

    folder = write_model(tmp_path / "plain", python="3.12.1", requirements=(), build_dependencies=())
    first = build(plan_build(read_spec(folder), cache=EnvironmentCache()), consent=True).environment
    page, panel = open_environment_tab(qtbot, window, folder)
    assert state_of(panel) == "ready" and panel.rebuild_button.isVisibleTo(panel)
    prompter.dialogs.append(False)
    qtbot.mouseClick(panel.rebuild_button, qtbot_left())
    qtbot.waitUntil(lambda: "dialog" in prompter.kinds(), timeout=120_000)
    qtbot.waitUntil(lambda: page.builds.job(panel.model) is None, timeout=30_000)
    assert first.path.is_dir()  # declined: the environment stays
    prompter.dialogs.append(True)
    qtbot.mouseClick(panel.rebuild_button, qtbot_left())
    qtbot.waitUntil(lambda: prompter.kinds().count("dialog") == 2, timeout=120_000)
    qtbot.waitUntil(lambda: page.builds.job(panel.model) is None and state_of(panel) == "ready"
                    and panel.state.environment.created != first.created, timeout=BUILD_MS)
    assert panel.state.environment.name == first.name  # the same recipe, built anew


def qtbot_left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def qt_horizontal():
    from PySide6.QtCore import Qt

    return Qt.Orientation.Horizontal
