"""UI test setup: offscreen Qt, isolated settings, a window with a recording prompter.

Qt warnings fail the UI tests (pytest-qt ``qt_log_level_fail``), except the offscreen
platform's harmless chatter. ``QT_QPA_PLATFORM=xcb`` (with a real X server) runs them on X11.
"""

from __future__ import annotations

import os

# before any QApplication exists. Offscreen, except for the desktop run .ci/run makes under a
# real X server (Xvfb): QT_QPA_PLATFORM=xcb DISPLAY=:N pytest tests/ui/test_dnd.py tests/ui/test_desktop_xcb.py
if os.environ.get("QT_QPA_PLATFORM") != "xcb":
    os.environ["QT_QPA_PLATFORM"] = "offscreen"
os.environ.setdefault("QT_LOGGING_RULES", "qt.qpa.*=false")

import shutil  # noqa: E402
from pathlib import Path  # noqa: E402

import pytest  # noqa: E402

UI_DIR = Path(__file__).resolve().parent
QT_IGNORE = (
    "This plugin does not support propagateSizeHints",
    "This plugin does not support raise",
    "This plugin does not support grabbing",
    "QFont::",
    "propagateSizeHints",
)


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    for item in items:
        if UI_DIR in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.qt_log_level_fail("WARNING"))
            item.add_marker(pytest.mark.qt_log_ignore(*QT_IGNORE))


@pytest.fixture(scope="session")
def qapp_args() -> list[str]:
    return ["mlmanager-tests"]


@pytest.fixture(scope="session")
def qapp_cls():
    from PySide6.QtWidgets import QApplication

    return QApplication


@pytest.fixture(autouse=True)
def isolated_settings(qapp, tmp_path_factory: pytest.TempPathFactory):
    """Every test writes its settings into a fresh temporary INI file."""
    from PySide6.QtCore import QCoreApplication, QSettings

    folder = tmp_path_factory.mktemp("settings")
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, str(folder))
    QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.SystemScope, str(folder / "system"))
    QCoreApplication.setOrganizationName("mlmanager-tests")
    QCoreApplication.setApplicationName(f"mlmanager-test-{os.getpid()}")
    yield folder


@pytest.fixture(scope="session", autouse=True)
def _environment_cache(tmp_path_factory: pytest.TempPathFactory):
    """Model environments go to a folder of the run, never the user's cache (a model whose
    environment someone built there would otherwise predict there by default)."""
    if "MLMANAGER_ENV_CACHE" not in os.environ:
        os.environ["MLMANAGER_ENV_CACHE"] = str(tmp_path_factory.mktemp("environments"))
        yield
        del os.environ["MLMANAGER_ENV_CACHE"]
    else:
        yield


@pytest.fixture(scope="session", autouse=True)
def _theme(qapp):
    from mlmanager.ui.compat import protect_none

    protect_none()  # see mlmanager/ui/compat.py: PySide6 6.12 + Python 3.11 leak None refs
    from mlmanager.ui.theme import Scheme, ThemeManager

    ThemeManager(qapp, forced=Scheme.LIGHT)


@pytest.fixture
def prompter():
    from mlmanager.ui.prompter import RecordingPrompter

    return RecordingPrompter()


@pytest.fixture
def window(qtbot, prompter):
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.settings import Settings

    win = MainWindow(Settings(), prompter)
    qtbot.addWidget(win)
    win.show()
    yield win
    win.shutdown()


@pytest.fixture
def tmp_model(tmp_path: Path):
    """A writable copy of the demo model."""
    from mlmanager.resources_path import demo_model_path

    dest = tmp_path / "iris"
    shutil.copytree(demo_model_path(), dest)
    return dest
