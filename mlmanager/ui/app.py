"""Start the desktop app: ``run(paths, ...)`` is what ``mlmanager [PATH...]`` calls.

Start-up is kept light: nothing here (or in the modules the window needs to show) imports
pandas, numpy or scikit-learn; models load on pool threads once the window is up.
"""

from __future__ import annotations

import logging
import os
import sys
import threading
import traceback
from collections.abc import Callable
from types import TracebackType

# No collection while the app's modules and first window are made (see start_up_heap): the
# first window resumes it once built (an app that fails before that exits anyway).
from mlmanager.ui import start_up_heap

start_up_heap.pause()

# Qt-free modules first: PySide6 reads the source text of every module imported after it (the
# check behind its ``__feature__`` imports: ~140 modules, 30 ms of CPU at start-up), so the core
# modules a model load needs (the MLmodel document, its signature, artifacts and environment
# files; no pandas or numpy) are imported before it, here, rather than on a side thread later.
import mlmanager.core.model.mlmodel  # noqa: F401, E402 - imported before PySide6, see above
from mlmanager.ui import icons  # noqa: E402
from mlmanager.ui.compat import protect_none  # noqa: E402
from mlmanager.ui.main_window import DEFAULT_SIZE, MainWindow  # noqa: E402
from mlmanager.ui.prompter import Prompter, StderrPrompter  # noqa: E402
from mlmanager.ui.registry.screenshots import REGISTRY_VIEWS, prepare_view  # noqa: E402
from mlmanager.ui.screenshot import take_screenshot, wait_until_settled  # noqa: E402
from mlmanager.ui.settings import Settings  # noqa: E402
from mlmanager.ui.theme import ThemeManager  # noqa: E402

log = logging.getLogger("mlmanager")

VIEWS = ("overview", "mlmodel", "artifacts", "environment")
APP_NAME = "mlmanager"
ORG_NAME = "mlmanager"


def setup_logging(level: int = logging.WARNING) -> None:
    """Log to stderr once (MLMANAGER_DEBUG=1 for debug output)."""
    root = logging.getLogger()
    if not root.handlers:
        logging.basicConfig(
            level=logging.DEBUG if os.environ.get("MLMANAGER_DEBUG") else level,
            format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        )


def install_excepthook(prompter: object, parent: Callable[[], object]) -> Callable[..., None]:
    """Unhandled exceptions (slots included) are logged and shown, and the app goes on."""
    busy = {"showing": False}

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        log.error("unhandled exception:\n%s", details)
        if busy["showing"]:
            return  # an error while showing an error: logged is enough
        busy["showing"] = True
        try:
            prompter.error(parent(), "Something went wrong",  # type: ignore[attr-defined]
                           f"{exc_type.__name__}: {exc}\n\nThe app keeps running; the details "
                           "below help to report the problem.", details)
        except Exception:  # noqa: BLE001 - never raise from the hook
            log.exception("could not show the error dialog")
        finally:
            busy["showing"] = False

    def thread_hook(args: threading.ExceptHookArgs) -> None:
        log.error("unhandled exception in thread %s:\n%s", getattr(args.thread, "name", "?"),
                  "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback)))

    sys.excepthook = hook
    threading.excepthook = thread_hook
    return hook


_QUIET = ("This plugin does not support propagateSizeHints()",)


def _install_qt_message_filter() -> None:
    """Route Qt's messages to logging; drop the offscreen plugin's harmless noise."""
    from PySide6.QtCore import QtMsgType, qInstallMessageHandler

    qt_log = logging.getLogger("qt")
    levels = {QtMsgType.QtDebugMsg: logging.DEBUG, QtMsgType.QtInfoMsg: logging.INFO,
              QtMsgType.QtWarningMsg: logging.WARNING, QtMsgType.QtCriticalMsg: logging.ERROR,
              QtMsgType.QtFatalMsg: logging.CRITICAL}

    def handler(mode: QtMsgType, _context: object, message: str) -> None:
        if any(message.startswith(q) for q in _QUIET):
            return
        qt_log.log(levels.get(mode, logging.WARNING), "%s", message)

    qInstallMessageHandler(handler)


def _make_app(offscreen: bool):
    if offscreen and "QT_QPA_PLATFORM" not in os.environ:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"
    from mlmanager.display_check import require_display

    require_display()  # Qt would abort (SIGABRT) without a usable platform plugin
    from PySide6.QtCore import QCoreApplication, QSettings

    _install_qt_message_filter()
    from PySide6.QtWidgets import QApplication

    QCoreApplication.setApplicationName(APP_NAME)
    QCoreApplication.setOrganizationName(ORG_NAME)
    QSettings.setDefaultFormat(QSettings.Format.IniFormat)
    argv = [sys.argv[0] if sys.argv else APP_NAME]
    if sys.platform != "darwin":
        argv += ["-style", "Fusion"]  # follows our palettes everywhere (see theme.py)
    app = QApplication.instance() or QApplication(argv)

    protect_none()  # PySide6 6.12 + Python 3.11 would abort after a few thousand Qt calls
    app.setApplicationName(APP_NAME)
    app.setOrganizationName(ORG_NAME)
    app.setDesktopFileName("io.github.mlmanager.MLManager")  # matches packaging/linux/*.desktop
    app.setApplicationDisplayName("mlmanager")
    return app


def run(
    paths: list[str],
    *,
    demo: bool = False,
    screenshot: str | None = None,
    view: str | None = None,
    tracking: list[str] | None = None,
    input_file: str | None = None,
    trust: bool = False,
) -> int:
    """Create the app, open ``paths`` (and ``tracking`` folders), show the window.

    ``screenshot``: once loading has finished, save the window to this PNG and return 0.
    ``view``: the model view tab to show (overview, mlmodel, artifacts, environment, or one a
    later page registered). ``input_file``/``trust`` are kept for the predict page.
    """
    setup_logging()
    # background threads (scans, loads) run Python too: hand the GIL back to the GUI thread
    # every millisecond instead of every 5, so item views repaint without stutter
    sys.setswitchinterval(0.001)
    app = _make_app(offscreen=screenshot is not None)

    forced = os.environ.get("MLMANAGER_THEME")
    ThemeManager(app, forced=forced if forced in ("light", "dark") else None,  # type: ignore[arg-type]
                 use_fusion=False)
    app.setWindowIcon(icons.app_icon())
    unattended = screenshot is not None
    window = MainWindow(Settings(read_only=unattended), StderrPrompter() if unattended else Prompter())
    window.launch_options = {"input_file": input_file, "trust": trust}
    install_excepthook(window.prompter, lambda: window)
    if screenshot is None:
        window.restore_state()
    else:
        window.resize(*DEFAULT_SIZE)
    window.show()

    if view is not None and view not in REGISTRY_VIEWS and not window.view.set_current_page(view):
        sys.stderr.write(f"mlmanager: unknown view {view!r}; choose one of "
                         f"{', '.join([*window.view.page_keys(), *REGISTRY_VIEWS])}\n")
    targets = list(paths)
    if demo:
        targets.insert(0, str(window.demo_path()))
    if targets:
        window.open_paths(targets)
    for folder in tracking or []:
        window.open_tracking(folder)

    if screenshot is not None and view == "predict" and input_file:
        # validate (and, where allowed, predict) that input before the picture is taken
        # deferred for start-up: not needed before the window's first paint
        from mlmanager.ui.pages.predict.page import prepare_for_screenshot

        prepare_for_screenshot(window, os.path.abspath(input_file), trust).wait(120_000)

    if screenshot is not None and view in REGISTRY_VIEWS:
        prepare_view(window, view, wait_until_settled)

    if screenshot is not None:
        try:
            settled = take_screenshot(window, screenshot)
        except OSError as exc:
            sys.stderr.write(f"mlmanager: {exc}\n")
            window.shutdown()
            return 2
        if not settled:
            sys.stderr.write("mlmanager: loading did not finish in time; the screenshot shows the "
                             "state it reached\n")
        window.shutdown()
        return 0

    code = app.exec()
    return int(code)
