"""The model view's tabs, by key: built-in pages are imported lazily, on first use.

``register_page`` adds (or replaces) a tab with a key, a title and a factory; ``page_override``
swaps one for a ``with`` block (tests, plugins trying a page).
"""

from __future__ import annotations

import importlib
import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from mlmanager.ui.pages.base import ModelPage, PageContext


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[[PageContext], ModelPage]
    order: int
    icon: str | None = None


_TABS: dict[str, PageSpec] = {}


def register_page(key: str, title: str, factory: Callable[[PageContext], ModelPage], order: int = 100,
                  icon: str | None = None) -> None:
    """Add (or replace) a model view tab. ``order`` sorts the tabs (overview is 10)."""
    _TABS[key] = PageSpec(key, title, factory, order, icon)


@contextmanager
def page_override(key: str, factory: Callable[[PageContext], ModelPage] | None,
                  title: str | None = None, order: int = 100) -> Iterator[None]:
    """Register ``factory`` as page ``key`` (None: no such page) for the length of a ``with``
    block, then put back what was registered before, built-in pages included (tests, plugins
    trying a page). Windows made inside the block keep the pages they were made with."""
    _ensure_builtin_pages()  # first: else restoring would drop a built-in registered meanwhile
    previous = _TABS.get(key)
    if factory is None:
        _TABS.pop(key, None)
    else:
        register_page(key, title or (previous.title if previous else key), factory, order)
    try:
        yield
    finally:
        if previous is None:
            _TABS.pop(key, None)
        else:
            _TABS[key] = previous


def registered_pages() -> list[PageSpec]:
    _ensure_builtin_pages()
    return sorted(_TABS.values(), key=lambda s: (s.order, s.key))


_builtin_done = False


def _ensure_builtin_pages() -> None:
    global _builtin_done
    if _builtin_done:
        return
    _builtin_done = True

    def lazy(module: str, cls: str) -> Callable[[PageContext], ModelPage]:
        def make(ctx: PageContext) -> ModelPage:
            return getattr(importlib.import_module(module), cls)(ctx)

        make.module = module  # type: ignore[attr-defined]  # for preload_page
        return make

    builtin = [
        ("overview", "Overview", "mlmanager.ui.pages.overview", "OverviewPage", 10),
        ("mlmodel", "MLmodel", "mlmanager.ui.pages.mlmodel", "MLmodelPage", 20),
        ("artifacts", "Artifacts", "mlmanager.ui.pages.artifacts", "ArtifactsPage", 30),
        ("signature", "Signature", "mlmanager.ui.pages.signature.page", "SignaturePage", 15),
        ("environment", "Environment", "mlmanager.ui.pages.environment.page", "EnvironmentPage", 40),
        ("predict", "Predict", "mlmanager.ui.pages.predict.page", "PredictPage", 50),
        ("deploy", "Deploy", "mlmanager.ui.pages.deploy.page", "DeployPage", 60),
    ]
    for key, title, module, cls, order in builtin:
        if key not in _TABS and _module_exists(module):
            register_page(key, title, lazy(module, cls), order)


def preload_page(key: str) -> None:
    """Import a lazily registered page's module now (on an idle turn of the event loop), so
    that showing the first model later does not pay for the import in the same turn."""
    _ensure_builtin_pages()
    spec = _TABS.get(key)
    module = getattr(spec.factory, "module", None) if spec is not None else None
    if module:
        importlib.import_module(module)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # the parent package is missing
        return False
