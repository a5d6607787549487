"""The right-hand side: a header, an error banner and one tab per registered page.

The tabs come from ``mlmanager.ui.pages.tabs``. A page is built the first time its tab is
shown, and refreshed only when it is visible and its entry or generation changed.
"""

from __future__ import annotations

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

from mlmanager.core.library.paths import display_path
from mlmanager.ui import icons
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.tabs import registered_pages
from mlmanager.ui.widgets.common import Banner, ElidedLabel, style_role

if TYPE_CHECKING:
    from mlmanager.ui.store import ModelEntry


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
        shown = display_path(loc)
        crumbs = [entry.info.get("experiment_name"), entry.info.get("run_name")]
        crumbs = [c for c in crumbs if c]
        origin = entry.info.get("origin")  # a registry version: server ▸ model ▸ version N @alias
        if origin:
            self.location.setText(str(origin))
            self.location.setToolTip(f"{origin}\n{loc}")
            return
        self.location.setText(" ▸ ".join([*crumbs, shown]) if crumbs else shown)
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
