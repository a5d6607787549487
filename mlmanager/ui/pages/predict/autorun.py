"""Load, check and predict an input without a user: the ``--view predict --screenshot`` run."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QCoreApplication, QEventLoop, QObject, QTimer, Signal

from mlmanager.ui.pages.predict.summary_chart import chart_lib

if TYPE_CHECKING:
    pass




class AutoRun(QObject):
    """Load an input, check it and (where allowed) predict, then report ``done``.

    Used for ``mlmanager MODEL --view predict --input DATA [--trust] --screenshot FILE``.
    """

    done = Signal()

    def __init__(self, page: Any, input_file: str | None, trust: bool) -> None:
        super().__init__(page)
        self.page = page
        self.input_file = input_file
        self.trust = trust
        self.started = False
        self.finished = False

    def start(self) -> None:
        if self.started:
            return
        self.started = True
        page = self.page
        doc = page.entry.doc if page.entry is not None else None
        if doc is None:
            self.page._autorun = None
            self.finish()
        elif self.input_file:
            page.load_input_file(self.input_file)
        elif doc.saved_input_example_info is not None:
            page.use_example()
        else:
            self.page._autorun = None
            self.finish()

    def finish(self) -> None:
        if not self.finished:
            self.finished = True
            self.done.emit()

    def wait(self, timeout_ms: int = 120_000) -> bool:
        """Run the event loop until done (and the chart library settled); False on timeout."""
        loop = QEventLoop()
        guard = QTimer()
        guard.setSingleShot(True)
        guard.timeout.connect(loop.quit)
        poll = QTimer()
        poll.setInterval(50)

        def check() -> None:
            lib = chart_lib()
            chart_settled = lib.module is not None or lib.failed or not lib._started
            if self.finished and chart_settled:
                loop.quit()

        poll.timeout.connect(check)
        guard.start(timeout_ms)
        poll.start()
        check()
        if not (self.finished and (chart_lib().module is not None or chart_lib().failed or not chart_lib()._started)):
            loop.exec()
        poll.stop()
        guard.stop()
        if self.finished:
            QCoreApplication.processEvents()
            self.page.results.summary._show_current()
        return self.finished


def prepare_for_screenshot(window: Any, input_file: str | None = None, trust: bool = False,
                           entry: Any = None) -> AutoRun:
    """Show the Predict tab and load/check/predict ``input_file`` (the model's input example
    when None); returns a job whose ``wait(timeout_ms)`` returns once the tab shows the outcome.

    ``trust``: run a model that needs trust, for this session only (nothing is written).
    """
    view = window.view
    view.set_current_page("predict")
    page = view.page("predict")
    if page is None or not hasattr(page, "request_autorun"):
        raise TypeError("the predict page is not registered")
    page.screenshot_mode = True
    job = AutoRun(page, input_file, trust)
    page.request_autorun(job)
    return job

