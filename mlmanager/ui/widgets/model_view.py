"""The right-hand side: a header, an error banner and one tab per registered page.

Pages register themselves (``register_page``) with a key, a title and a factory; later issues
add signature/predict/deploy pages the same way. A page is built the first time its tab is
shown, and refreshed only when it is visible and its entry or generation changed.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QStackedWidget,
    QTabWidget,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from mlmanager.ui import icons
from mlmanager.ui.widgets.common import Banner, ElidedLabel, style_role

if TYPE_CHECKING:
    from mlmanager.ui.prompter import Prompter
    from mlmanager.ui.store import ModelEntry, ModelStore
    from mlmanager.ui.tasks import TaskManager


@dataclass
class PageContext:
    """What a page may use: background tasks, dialogs, the store, a status-bar hook, and
    ``open_model(path)``, which opens a model in the library and shows it (the main window's;
    None outside a window: pages then fall back to ``store.open``)."""

    tasks: TaskManager
    prompter: Prompter
    store: ModelStore
    status: Callable[[str], None]
    open_model: Callable[[Any], Any] | None = None


class ModelPage(QWidget):
    """Base class of a model view tab. Subclasses implement ``show_entry``."""

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.entry: ModelEntry | None = None

    def show_entry(self, entry: ModelEntry | None) -> None:  # pragma: no cover - abstract
        raise NotImplementedError

    def has_unsaved_changes(self) -> bool:
        return False


@dataclass(frozen=True)
class PageSpec:
    key: str
    title: str
    factory: Callable[[PageContext], ModelPage]
    order: int
    icon: str | None = None


_REGISTRY: dict[str, PageSpec] = {}


def register_page(key: str, title: str, factory: Callable[[PageContext], ModelPage], order: int = 100,
                  icon: str | None = None) -> None:
    """Add (or replace) a model view tab. ``order`` sorts the tabs (overview is 10)."""
    _REGISTRY[key] = PageSpec(key, title, factory, order, icon)


@contextmanager
def page_override(key: str, factory: Callable[[PageContext], ModelPage] | None,
                  title: str | None = None, order: int = 100) -> Iterator[None]:
    """Register ``factory`` as page ``key`` (None: no such page) for the length of a ``with``
    block, then put back what was registered before, built-in pages included (tests, plugins
    trying a page). Windows made inside the block keep the pages they were made with."""
    _ensure_builtin_pages()  # first: else restoring would drop a built-in registered meanwhile
    previous = _REGISTRY.get(key)
    if factory is None:
        _REGISTRY.pop(key, None)
    else:
        register_page(key, title or (previous.title if previous else key), factory, order)
    try:
        yield
    finally:
        if previous is None:
            _REGISTRY.pop(key, None)
        else:
            _REGISTRY[key] = previous


def registered_pages() -> list[PageSpec]:
    _ensure_builtin_pages()
    return sorted(_REGISTRY.values(), key=lambda s: (s.order, s.key))


_builtin_done = False


def _ensure_builtin_pages() -> None:
    global _builtin_done
    if _builtin_done:
        return
    _builtin_done = True

    def lazy(module: str, cls: str) -> Callable[[PageContext], ModelPage]:
        def make(ctx: PageContext) -> ModelPage:
            import importlib

            return getattr(importlib.import_module(module), cls)(ctx)

        make.module = module  # type: ignore[attr-defined]  # for preload_page
        return make

    builtin = [
        ("overview", "Overview", "mlmanager.ui.widgets.overview", "OverviewPage", 10),
        ("mlmodel", "MLmodel", "mlmanager.ui.widgets.mlmodel_view", "MLmodelPage", 20),
        ("artifacts", "Artifacts", "mlmanager.ui.widgets.artifacts_view", "ArtifactsPage", 30),
        ("signature", "Signature", "mlmanager.ui.signature.page", "SignaturePage", 15),
        ("environment", "Environment", "mlmanager.ui.widgets.environment_view", "EnvironmentPage", 40),
        ("predict", "Predict", "mlmanager.ui.predict.page", "PredictPage", 50),
        ("deploy", "Deploy", "mlmanager.ui.deploy.page", "DeployPage", 60),
    ]
    for key, title, module, cls, order in builtin:
        if key not in _REGISTRY and _module_exists(module):
            register_page(key, title, lazy(module, cls), order)


def preload_page(key: str) -> None:
    """Import a lazily registered page's module now (on an idle turn of the event loop), so
    that showing the first model later does not pay for the import in the same turn."""
    _ensure_builtin_pages()
    spec = _REGISTRY.get(key)
    module = getattr(spec.factory, "module", None) if spec is not None else None
    if module:
        importlib.import_module(module)


def _module_exists(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except ImportError:  # the parent package is missing
        return False


class _Header(QWidget):
    reload_clicked = Signal()
    open_folder_clicked = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        lay = QHBoxLayout(self)
        lay.setContentsMargins(12, 10, 8, 4)
        self.icon = QLabel()
        self.icon.setFixedSize(32, 32)
        lay.addWidget(self.icon)
        col = QVBoxLayout()
        col.setSpacing(0)
        self.name = QLabel()
        style_role(self.name, "heading")
        self.name.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.location = ElidedLabel()
        style_role(self.location, "muted")
        col.addWidget(self.name)
        col.addWidget(self.location)
        lay.addLayout(col, 1)
        self.reload = QToolButton()
        self.reload.setIcon(icons.icon("reload"))
        self.reload.setToolTip("Reload from disk (F5)")
        self.reload.setAutoRaise(True)
        self.reload.clicked.connect(self.reload_clicked)
        self.folder = QToolButton()
        self.folder.setIcon(icons.icon("external"))
        self.folder.setToolTip("Show the model folder in the file manager")
        self.folder.setAutoRaise(True)
        self.folder.clicked.connect(self.open_folder_clicked)
        lay.addWidget(self.reload)
        lay.addWidget(self.folder)

    def show_entry(self, entry: ModelEntry) -> None:
        state = entry.state.value
        name = {"error": "model-error", "missing": "model-missing", "loading": "model-loading"}.get(state, "model")
        self.icon.setPixmap(icons.icon(name).pixmap(32, 32))
        self.name.setText(entry.display_name)
        loc = str(entry.path)
        crumbs = [entry.info.get("experiment_name"), entry.info.get("run_name")]
        crumbs = [c for c in crumbs if c]
        self.location.setText(" ▸ ".join([*crumbs, loc]) if crumbs else loc)
        self.location.setToolTip(loc)


class ModelView(QWidget):
    """Header + banner + tabs for one model; ``current_page_key`` is the visible tab."""

    page_changed = Signal(str)
    page_created = Signal(str, object)  # key, the page (built on first use)
    reload_requested = Signal(object)
    open_folder_requested = Signal(object)

    def __init__(self, ctx: PageContext, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.ctx = ctx
        self.entry: ModelEntry | None = None
        self._pages: dict[str, ModelPage] = {}
        self._shown: dict[str, tuple[Any, int, str]] = {}  # key -> (entry, generation, state)
        self._specs = registered_pages()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(4)
        self.header = _Header()
        self.header.reload_clicked.connect(lambda: self.entry and self.reload_requested.emit(self.entry))
        self.header.open_folder_clicked.connect(lambda: self.entry and self.open_folder_requested.emit(self.entry))
        lay.addWidget(self.header)
        self.banner = Banner()
        self.banner.hide()
        banner_box = QHBoxLayout()
        banner_box.setContentsMargins(12, 0, 12, 0)
        banner_box.addWidget(self.banner)
        lay.addLayout(banner_box)
        self.tabs = QTabWidget()
        self.tabs.setDocumentMode(True)
        for spec in self._specs:
            holder = QWidget()
            holder.setObjectName(f"page-{spec.key}")
            QVBoxLayout(holder).setContentsMargins(0, 0, 0, 0)
            if spec.icon:
                self.tabs.addTab(holder, icons.icon(spec.icon), spec.title)
            else:
                self.tabs.addTab(holder, spec.title)
        self.tabs.currentChanged.connect(self._on_tab_changed)
        lay.addWidget(self.tabs, 1)

    # pages ----------------------------------------------------------------------------------------

    def page_keys(self) -> list[str]:
        return [s.key for s in self._specs]

    def current_page_key(self) -> str:
        i = self.tabs.currentIndex()
        return self._specs[i].key if 0 <= i < len(self._specs) else ""

    def set_current_page(self, key: str) -> bool:
        for i, spec in enumerate(self._specs):
            if spec.key == key:
                self.tabs.setCurrentIndex(i)
                self._refresh_current()
                return True
        return False

    def page(self, key: str, create: bool = True) -> ModelPage | None:
        page = self._pages.get(key)
        if page is None and create:
            for i, spec in enumerate(self._specs):
                if spec.key == key:
                    page = spec.factory(self.ctx)
                    page.setObjectName(f"{key}-page")
                    self.tabs.widget(i).layout().addWidget(page)
                    self._pages[key] = page
                    self.page_created.emit(key, page)
                    break
        return page

    def has_unsaved_changes(self) -> bool:
        return any(p.has_unsaved_changes() for p in self._pages.values())

    # entry ---------------------------------------------------------------------------------------

    def set_entry(self, entry: ModelEntry | None) -> None:
        self.entry = entry
        self.refresh()

    def refresh(self) -> None:
        entry = self.entry
        if entry is None:
            self.banner.hide()
            return
        self.header.show_entry(entry)
        self._update_banner(entry)
        self._refresh_current()

    def _update_banner(self, entry: ModelEntry) -> None:
        state = entry.state.value
        if state == "missing":
            self.banner.show_message(
                "warning", "The model folder no longer exists",
                f"{entry.path} was moved or deleted. The view shows what was last read; it "
                "comes back by itself if the folder reappears.")
        elif state == "error" and entry.error is not None:
            self.banner.show_message("error", entry.error.title, entry.error.message)
        elif state == "loading":
            self.banner.show_message("info", "Loading…", str(entry.path))
        else:
            self.banner.hide()

    def _on_tab_changed(self, _index: int) -> None:
        self._refresh_current()
        self.page_changed.emit(self.current_page_key())

    def _refresh_current(self) -> None:
        key = self.current_page_key()
        if not key or self.entry is None:
            return
        page = self.page(key)
        if page is None:
            return
        stamp = (self.entry, self.entry.generation, self.entry.state.value)
        if self._shown.get(key) != stamp:
            self._shown[key] = stamp
            page.show_entry(self.entry)


class MainStack(QStackedWidget):
    """Welcome page when no model is selected, the model view otherwise."""

    def __init__(self, welcome: QWidget, view: ModelView, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.welcome = welcome
        self.view = view
        self.addWidget(welcome)
        self.addWidget(view)

    def show_welcome(self) -> None:
        self.setCurrentWidget(self.welcome)

    def show_view(self) -> None:
        self.setCurrentWidget(self.view)
