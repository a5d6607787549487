"""Fixtures of the Deploy tab tests: test modules load them with
``pytest_plugins = ["deploy_fixtures"]`` (helpers are in ``deploy_helpers``)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def worker_cache(request: pytest.FixtureRequest) -> Path:
    """The worker's allowlist cache, shared with the Predict tests (built once)."""
    base = Path(request.config.cache.mkdir("mlmanager-xdg-cache")) / "mlmanager"
    base.mkdir(exist_ok=True)
    return base


def _stub_page_class() -> type:
    """A ModelPage subclass (built once Qt exists) that records deploy fixes."""
    from mlmanager.ui.pages.base import ModelPage

    class SignatureStub(ModelPage):
        fixes: list[Any] = []

        def show_entry(self, entry: Any) -> None:
            self.entry = entry

        def show_deploy_fix(self, outcome: Any) -> None:
            self.fixes.append(outcome)

    return SignatureStub


@pytest.fixture
def deploy_window(qtbot, prompter, worker_cache) -> Iterator[Any]:
    """A main window with the Deploy tab (worker processes use the shared cache)."""
    from mlmanager.predict.worker_client import WorkerClient
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.pages import tabs
    from mlmanager.ui.pages.deploy.page import DeployPage
    from mlmanager.ui.settings import Settings

    with tabs.page_override(
        "deploy",
        lambda ctx: DeployPage(ctx, worker_factory=lambda: WorkerClient(timeout=120, cache_dir=worker_cache)),
        "Deploy", 60,
    ):
        win = MainWindow(Settings(), prompter)
    win.show()
    yield win
    # not qtbot.addWidget: pytest-qt would delete the window before this teardown stops the
    # server and the worker the tab may still run
    page = win.view.page("deploy", create=False)
    if page is not None:
        page.cancel()
        page.server.shutdown()
        qtbot.waitUntil(lambda: not page.is_busy(), timeout=60_000)
    win.shutdown()
    win.close()
    win.deleteLater()


@pytest.fixture
def signature_stub() -> Iterator[type]:
    """A stand-in Signature tab (key ``signature``) that records ``show_deploy_fix`` calls."""
    from mlmanager.ui.pages import tabs

    cls = _stub_page_class()
    cls.fixes = []
    with tabs.page_override("signature", cls, "Signature", 15):
        yield cls


@pytest.fixture
def no_signature_page() -> Iterator[None]:
    """Make sure no Signature tab is registered (the fallback path)."""
    from mlmanager.ui.pages import tabs

    with tabs.page_override("signature", None):
        yield
