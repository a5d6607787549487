"""The main window: composes the library, the model view, menus, drops and the status bar.

Menus: File (open, import, new model from an estimator, export, copy, close), Edit (the
signature editor's undo/redo/save actions: their shortcuts work while the editor has focus),
View, Tools (compare, environments) and Help. The transfer commands live in ``transfer.TransferController``.
Titles carry Qt's ``[*]`` placeholder, so unsaved signature edits show as "modified"; closing a
model or quitting with unsaved edits asks Save / Discard / Cancel (through the prompter).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import Qt, QUrl, Signal
from PySide6.QtGui import (
    QAction,
    QCloseEvent,
    QDesktopServices,
    QDragEnterEvent,
    QDragMoveEvent,
    QDropEvent,
    QKeySequence,
)
from PySide6.QtWidgets import QLabel, QMainWindow, QMenu, QSplitter, QWidget

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.library.paths import MODEL as KIND_MODEL
from mlmanager.core.library.paths import (
    TRACKING,
    PathVerdict,
    classify_path,
    display_path,
    model_key,
)
from mlmanager.core.remote.urls import is_server_url
from mlmanager.resources_path import demo_model_path
from mlmanager.ui import icons, start_up_heap
from mlmanager.ui import library_panel as lp
from mlmanager.ui.dnd import DropHandler
from mlmanager.ui.library_panel import LibraryPanel
from mlmanager.ui.model_view import MainStack, ModelView
from mlmanager.ui.models.library import GROUP, MODEL, SOURCE, LibraryModel, Node
from mlmanager.ui.pages import signature
from mlmanager.ui.pages.base import ModelPage, PageContext
from mlmanager.ui.pages.tabs import preload_page
from mlmanager.ui.prompter import Prompter
from mlmanager.ui.registry import REGISTER_FOLDER_TEXT
from mlmanager.ui.scanning import ScanController, ScanSummary
from mlmanager.ui.settings import Settings
from mlmanager.ui.store import ModelEntry, ModelStore
from mlmanager.ui.tasks import TaskError, TaskManager
from mlmanager.ui.turns import later
from mlmanager.ui.welcome import WelcomePage

if TYPE_CHECKING:
    from mlmanager.ui.registry.controller import RegistryController
    from mlmanager.ui.transfer.controller import TransferController

log = logging.getLogger(__name__)

DEFAULT_SIZE = (1280, 800)
STATUS_MS = 6000
SIGNATURE_MIN_HEIGHT = 320
TITLE = "mlmanager[*]"  # [*]: where Qt shows the "modified" mark


class MainWindow(QMainWindow):
    settled = Signal()  # no background work left (loads, scans, previews)

    def __init__(self, settings: Settings | None = None, prompter: Prompter | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.settings = settings or Settings()
        self.prompter = prompter or Prompter()
        #: what the command line asked for beyond paths (``input_file``, ``trust``): for pages
        self.launch_options: dict[str, object] = {}
        self.setWindowTitle(TITLE)
        self.setWindowIcon(icons.app_icon())
        self.setAcceptDrops(True)
        self.resize(*DEFAULT_SIZE)

        self._pending_steps = 0  # work queued for a later event-loop turn (see _later)
        self.tasks = TaskManager(self)
        self.tasks.unhandled_error.connect(self._on_unhandled_error)
        self.tasks.idle.connect(self.settled)
        self.store = ModelStore(self.tasks, self)
        self.library = LibraryModel(self.store.get, self)
        self.scans = ScanController(self.tasks, self.library, self)
        self.drops = DropHandler(self.open_verdicts, self, on_import=self._import_dropped,
                                 on_servers=self._open_dropped_servers)
        self._transfer: TransferController | None = None  # made on first use: see ``transfer``

        self.library_panel = LibraryPanel(self.library)
        self._registry: RegistryController | None = None  # made on first use: see ``registry``
        self._page_context = PageContext(self.tasks, self.prompter, self.store, self.show_status,
                                         self.open_model)
        self.view = ModelView(self._page_context)
        # the signature editor is built when first shown (it costs ~130 ms of start-up); until
        # then there is nothing to undo or save, and the Edit menu says so
        self.view.page_created.connect(self._on_page_created)
        self.welcome = WelcomePage()
        self.stack = MainStack(self.welcome, self.view)
        self.splitter = QSplitter(Qt.Orientation.Horizontal)
        self.splitter.addWidget(self.library_panel)
        self.splitter.addWidget(self.stack)
        self.splitter.setStretchFactor(0, 0)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([300, DEFAULT_SIZE[0] - 300])
        self.splitter.setChildrenCollapsible(False)
        self.setCentralWidget(self.splitter)

        self._status_models = QLabel()
        self.statusBar().addPermanentWidget(self._status_models)
        self._build_actions()
        self._build_menus()
        self._connect()
        self._update_counts()
        start_up_heap.settle()  # the start-up heap frozen, collection resumed

    # ------------------------------------------------------------------------------------------
    # the registry

    @property
    def registry(self) -> RegistryController:
        """The registry controller, made the first time a registry is used: a server opened, a
        tracking folder scanned (it may hold one), a Registry menu action. Until then no
        registry row exists. Made at start-up, its ~30 modules (the REST client, ssl, http,
        sqlite3, the panel and its dialogs) cost about 40 ms before the first model showed."""
        if self._registry is None:
            # deferred for start-up: the registry's UI and clients, on first use
            from mlmanager.ui.registry.controller import RegistryController

            controller = RegistryController(self, self)
            self._registry = controller
            self.stack.addWidget(controller.panel)
            self._page_context.registry = controller
        return self._registry

    @property
    def transfer(self) -> TransferController:
        """Import, export, copy, compare and new-model commands, made on their first use (their
        dialogs and jobs are not needed to show a model)."""
        if self._transfer is None:
            # deferred for start-up: the transfer commands' dialogs and jobs, on first use
            from mlmanager.ui.transfer.controller import TransferController

            self._transfer = TransferController(self, self)
        return self._transfer

    def _is_registry_row(self, node: Node | None) -> bool:
        """A registry row or a server's source row (none exist before the controller)."""
        return self._registry is not None and self._registry.handles(node)

    # ------------------------------------------------------------------------------------------
    # construction

    def _action(self, text: str, slot, shortcut=None, icon: str | None = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if icon:
            action.setIcon(icons.icon(icon))
        if shortcut is not None:
            action.setShortcut(shortcut)
        if tip:
            action.setStatusTip(tip)
            action.setToolTip(tip)
        action.triggered.connect(lambda _checked=False: slot())
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        K = QKeySequence.StandardKey  # noqa: N806
        self.act_open = self._action("&Open Model…", self.ask_open_model, K.Open, "open",
                                     "Open a model: its MLmodel file or a .zip")
        self.act_open_folder = self._action("Open Model &Folder…", self.ask_open_model_folder,
                                            QKeySequence("Ctrl+Shift+O"), "folder-open",
                                            "Open a model folder")
        self.act_open_tracking = self._action("Open &Tracking Folder…", self.ask_open_tracking,
                                              QKeySequence("Ctrl+Alt+O"), "tracking",
                                              "Scan an mlruns or tracking folder for models")
        self.act_connect = self._action("Connect to Tracking &Server…",
                                        lambda: self.registry.ask_connect(),
                                        QKeySequence("Ctrl+Alt+S"), "server",
                                        "Open the model registry of an MLflow tracking server")
        self.act_register = self._action(REGISTER_FOLDER_TEXT,
                                         lambda: self.registry.register_folder(
                                             self._registry_node()),
                                         None, "publish",
                                         "Upload a model folder to a tracking server as a new "
                                         "version of a registered model")
        self.act_demo = self._action("Open &Demo Model", self.open_demo, None, "model",
                                     "Open the bundled iris classifier")
        self.act_close = self._action("&Close", self.close_current, K.Close, "close",
                                      "Close the selected model or tracking folder")
        self.act_refresh = self._action("&Reload", self.refresh_current, K.Refresh, "reload",
                                        "Reload the selected model, or scan its folder again")
        self.act_find = self._action("&Find…", self.library_panel.focus_filter, K.Find, "search",
                                     "Filter the library")
        self.act_cancel_scan = self._action("Cancel &Scan", self.scans.cancel, None, "cancel",
                                            "Stop scanning tracking folders")
        self.act_cancel_scan.setEnabled(False)
        self.act_reveal = self._action("Show in File &Manager", self.reveal_current, None, "external",
                                       "Open the model folder in the system file manager")
        self.act_import = self._action("&Import…", lambda: self.transfer.ask_import(), QKeySequence("Ctrl+I"), "open",
                                       "Extract a model from a .zip or .tar.gz into a folder, safely")
        self.act_new_model = self._action("&New Model from Estimator…",
                                          lambda: self.transfer.new_from_estimator(),
                                          K.New, "package",
                                          "Make an MLflow model folder from a pickle/joblib/skops estimator file")
        self.act_export_zip = self._action("Export as &Zip…", lambda: self._on_model_action(lp.ACTION_EXPORT_ZIP),
                                           QKeySequence("Ctrl+E"), "package", "Write the selected model to a .zip")
        self.act_export_folder = self._action("Export as Fo&lder…",
                                              lambda: self._on_model_action(lp.ACTION_EXPORT_FOLDER), None, "folder",
                                              "Copy the selected model folder somewhere else")
        self.act_copy_to = self._action("Cop&y to…", lambda: self._on_model_action(lp.ACTION_COPY_TO), None, "copy",
                                        "Copy the selected model to a folder or into a tracking folder (mlruns)")
        self.act_compare = self._action("&Compare…", lambda: self._on_model_action(lp.ACTION_COMPARE),
                                        QKeySequence("Ctrl+Shift+D"), "search",
                                        "Compare the two selected models (or the selected one with another)")
        self.act_environments = self._action("&Environments…", self.show_environments, None, "package",
                                             "The model environments on this computer: size, last use, "
                                             "models; remove and prune")
        self.act_about = self._action("&About mlmanager", self._about)
        self.act_about.setMenuRole(QAction.MenuRole.AboutRole)
        self.act_quit = self._action("&Quit", self.close, K.Quit)
        self.act_quit.setMenuRole(QAction.MenuRole.QuitRole)
        self.act_next_tab = self._action("Next View", lambda: self._cycle_tab(1), QKeySequence("Ctrl+PgDown"))
        self.act_prev_tab = self._action("Previous View", lambda: self._cycle_tab(-1), QKeySequence("Ctrl+PgUp"))
        self.act_focus_library = self._action("Focus Library", self.library_panel.tree.setFocus,
                                              QKeySequence("Alt+1"))
        self.act_focus_view = self._action("Focus Model View", self.view.tabs.setFocus, QKeySequence("Alt+2"))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        m = bar.addMenu("&File")
        m.addAction(self.act_open)
        m.addAction(self.act_open_folder)
        m.addAction(self.act_open_tracking)
        m.addAction(self.act_connect)
        self.recent_menu = QMenu("Open &Recent", self)
        self.recent_menu.aboutToShow.connect(self.rebuild_recent_menu)
        m.addMenu(self.recent_menu)
        m.addAction(self.act_demo)
        m.addSeparator()
        m.addAction(self.act_import)
        m.addAction(self.act_new_model)
        m.addSeparator()
        m.addAction(self.act_export_zip)
        m.addAction(self.act_export_folder)
        m.addAction(self.act_copy_to)
        m.addSeparator()
        m.addAction(self.act_reveal)
        m.addAction(self.act_close)
        m.addSeparator()
        m.addAction(self.act_quit)
        self.edit_menu = bar.addMenu("&Edit")
        self.edit_menu.aboutToShow.connect(self._sync_signature_page)
        page = self._built_signature_page()
        if page is not None:
            self._install_edit_actions(page)
        elif "signature" in self.view.page_keys():  # placeholders until the editor is built
            for text, key in (("&Undo", QKeySequence.StandardKey.Undo), ("&Redo", QKeySequence.StandardKey.Redo),
                              (None, None), (signature.SAVE_TEXT, QKeySequence.StandardKey.Save),
                              (signature.SAVE_COPY_TEXT, signature.SAVE_COPY_SHORTCUT)):
                if text is None:
                    self.edit_menu.addSeparator()
                    continue
                act = self.edit_menu.addAction(text)
                act.setShortcut(QKeySequence(key))
                act.setEnabled(False)
        else:  # the signature editor is not installed
            self.edit_menu.addAction("Nothing to edit").setEnabled(False)
        v = bar.addMenu("&View")
        v.addAction(self.act_refresh)
        v.addAction(self.act_find)
        v.addAction(self.act_cancel_scan)
        v.addSeparator()
        self.page_actions: dict[str, QAction] = {}
        for i, key in enumerate(self.view.page_keys()):
            title = self.view.tabs.tabText(i)
            act = self._action(title, lambda k=key: self.view.set_current_page(k),
                               QKeySequence(f"Ctrl+{i + 1}") if i < 9 else None)
            self.page_actions[key] = act
            v.addAction(act)
        v.addSeparator()
        v.addAction(self.act_next_tab)
        v.addAction(self.act_prev_tab)
        v.addAction(self.act_focus_library)
        v.addAction(self.act_focus_view)
        self.registry_menu = bar.addMenu("Re&gistry")
        self.registry_menu.setToolTipsVisible(True)
        self.registry_menu.aboutToShow.connect(self._fill_registry_menu)
        self._fill_registry_menu()
        t = bar.addMenu("&Tools")
        t.addAction(self.act_compare)
        t.addAction(self.act_environments)
        h = bar.addMenu("&Help")
        h.addAction(self.act_about)
        self._update_model_actions()

    def _connect(self) -> None:
        self.library_panel.current_node_changed.connect(self._on_node_selected)
        self.library_panel.close_requested.connect(self.close_node)
        self.library_panel.rescan_requested.connect(lambda n: self.scans.scan(n.key, rescan=True))
        self.library_panel.reveal_requested.connect(self._reveal_node)
        self.library_panel.cancel_scan_requested.connect(self.scans.cancel)
        self.library_panel.action_requested.connect(self._on_model_action)
        self.library_panel.plain_drop.connect(self.drops.drop)
        self.library_panel.activated_node.connect(self._on_node_activated)
        self.scans.started.connect(lambda root: self.registry.tracking_scan_started(root))
        self.store.entry_changed.connect(self._on_entry_changed)
        self.store.entry_removed.connect(lambda e: self.library.entry_changed(e.key))
        self.store.changed_on_disk.connect(self._on_changed_on_disk)
        self.scans.started.connect(self._on_scan_started)
        self.scans.progressed.connect(self._on_scan_progress)
        self.scans.finished.connect(self._on_scan_finished)
        self.view.reload_requested.connect(self.store.reload)
        self.view.open_folder_requested.connect(self._reveal_entry)
        self.view.page_changed.connect(self._on_page_changed)
        self.welcome.open_model.connect(self.ask_open_model)
        self.welcome.open_folder.connect(self.ask_open_model_folder)
        self.welcome.open_tracking.connect(self.ask_open_tracking)
        self.welcome.connect_server.connect(lambda: self.registry.ask_connect())
        self.welcome.open_demo.connect(self.open_demo)

    # ------------------------------------------------------------------------------------------
    # state

    def restore_state(self) -> None:
        s = self.settings
        if s.geometry is not None:
            self.restoreGeometry(s.geometry)
        if s.window_state is not None:
            self.restoreState(s.window_state)
        if s.splitter_state is not None:
            self.splitter.restoreState(s.splitter_state)
        if s.view_tab:
            self.view.set_current_page(s.view_tab)

    def save_state(self) -> None:
        s = self.settings
        s.geometry = self.saveGeometry()
        s.window_state = self.saveState()
        s.splitter_state = self.splitter.saveState()
        s.sync()

    def is_busy(self) -> bool:
        return not self.tasks.is_idle() or self._pending_steps > 0

    def _later(self, fn: Callable[[], object]) -> None:
        """``turns.later`` that counts as busy until it ran (screenshots and tests wait for
        it), and says ``settled`` after it when nothing else is running."""
        self._pending_steps += 1

        def run() -> None:
            try:
                fn()
            finally:
                self._pending_steps -= 1
                if not self.is_busy():
                    self.settled.emit()

        later(run)

    def has_unsaved_changes(self) -> bool:
        return self.view.has_unsaved_changes()

    @property
    def signature_page(self) -> Any:
        """The signature editor (built on first use), or None when it is not installed."""
        page = self.view.page("signature")
        return page if _is_signature_editor(page) else None

    def _built_signature_page(self) -> Any:
        """The editor if it has been built: before that no model has unsaved edits."""
        page = self.view.page("signature", create=False)
        return page if _is_signature_editor(page) else None

    def _on_page_created(self, key: str, page: ModelPage) -> None:
        if key != "signature":
            return
        if page.minimumSizeHint().height() > SIGNATURE_MIN_HEIGHT:
            # a hidden tab still counts towards the window's minimum size: let the editor's
            # splitter squeeze instead of forcing every window (and small screens) taller
            page.setMinimumHeight(SIGNATURE_MIN_HEIGHT)
        if _is_signature_editor(page):
            self.store.has_unsaved_edits = page.has_unsaved_changes  # type: ignore[method-assign]
            if hasattr(self, "edit_menu"):
                self._install_edit_actions(page)

    def _install_edit_actions(self, page: Any) -> None:
        self.edit_menu.clear()
        self.edit_menu.addAction(page.undo_action)
        self.edit_menu.addAction(page.redo_action)
        self.edit_menu.addSeparator()
        self.edit_menu.addAction(page.save_action)
        self.edit_menu.addAction(page.save_copy_action)
        if hasattr(page, "save_version_action"):  # shown for versions of a writable registry
            self.edit_menu.addAction(page.save_version_action)

    def unsaved_entries(self, entries: list[ModelEntry] | None = None) -> list[ModelEntry]:
        """The entries (default: all open) whose signature has unsaved edits."""
        page = self._built_signature_page()
        if page is None:
            return []
        pool = self.store.entries() if entries is None else entries
        return [e for e in pool if page.has_unsaved_changes(e)]

    def resolve_unsaved(self, entries: list[ModelEntry], action: str, discard: bool = True) -> bool:
        """Ask Save / Discard / Cancel for the unsaved edits of ``entries`` before ``action``
        ("closing it", "quitting"). True when it may go on; Discard forgets the edits (when
        ``discard``), Save saves each one (stopping at the first that is not saved)."""
        dirty = self.unsaved_entries(entries)
        if not dirty:
            return True
        names = ", ".join(e.display_name for e in dirty[:4]) + (f" and {len(dirty) - 4} more" if len(dirty) > 4 else "")
        one = len(dirty) == 1
        choice = self.prompter.choose(
            self, "Unsaved changes",
            f"The signature of {names} {'has' if one else 'have'} unsaved changes. Save "
            f"{'it' if one else 'them'} before {action}?", ["Save", "Discard"])
        if choice is None:
            return False
        page = self._built_signature_page()
        if choice == 1:
            if discard and page is not None:
                for e in dirty:
                    page.discard_changes(e)
            return True
        return all(self.save_signature(e) for e in dirty)

    def save_signature(self, entry: ModelEntry) -> bool:
        """Show ``entry`` in the signature editor and save it (the editor's preview and checks)."""
        page = self.signature_page
        if page is None:
            return True
        idx = self.library.index_for_key(entry.key)
        if idx.isValid():
            self.library_panel.select_source_index(idx)
            self.view.set_current_page("signature")
        if page.entry is not entry:
            page.show_entry(entry)
        return bool(page.save()) and not page.has_unsaved_changes(entry)

    def show_status(self, text: str, ms: int = STATUS_MS) -> None:
        self.statusBar().showMessage(text, ms)

    def update_counts(self) -> None:
        self._update_counts()

    def _update_counts(self) -> None:
        n_open = len(self.library.open_group.children)
        sources = self.library.sources()
        n_servers = sum(1 for s in sources if self._is_registry_row(s))
        n_sources = len(sources) - n_servers
        bits = [f"{n_open} open model{'s' if n_open != 1 else ''}"]
        if n_sources:
            bits.append(f"{n_sources} tracking folder{'s' if n_sources != 1 else ''}")
        if n_servers:
            bits.append(f"{n_servers} server{'s' if n_servers != 1 else ''}")
        self._status_models.setText(" · ".join(bits))

    # ------------------------------------------------------------------------------------------
    # opening

    def open_paths(self, paths: list[str | os.PathLike[str]]) -> list[PathVerdict]:
        """Open models, tracking folders and (``http(s)://`` URLs) tracking servers."""
        servers = [os.fspath(p) for p in paths if isinstance(p, str) and is_server_url(p)]
        for url in servers:
            self.registry.open_server(url, select=len(servers) == len(paths))
        rest = [p for p in paths if not (isinstance(p, str) and p in servers)]
        return self.open_verdicts([classify_path(p) for p in rest]) if rest else []

    def open_server(self, url: str) -> object:
        """Add a tracking server to the library and list its registry."""
        return self.registry.open_server(url)

    def _open_dropped_servers(self, urls: list[str]) -> None:
        for url in urls:
            self.registry.open_server(url)

    def open_verdicts(self, verdicts: list[PathVerdict]) -> list[PathVerdict]:
        """Open what can be opened; explain the rest in one message."""
        rejected = []
        for v in verdicts:
            if v.kind == KIND_MODEL:
                self.open_model(v.path)
            elif v.kind == TRACKING:
                self.open_tracking(v.path)
            else:
                rejected.append(v)
        if rejected:
            text = "\n\n".join(v.reason for v in rejected)
            self.show_status(rejected[0].reason)
            self.prompter.warning(self, "Not an MLflow model", text)
        return verdicts

    def open_model(self, path: str | os.PathLike[str], select: bool = True) -> ModelEntry:
        """Open a model (or focus it when it is already in the library)."""
        p = Path(path)
        key = model_key(p)
        if not self.settings.read_only:
            self.settings.add_recent(p.parent if p.name == "MLmodel" and p.is_file() else p)
        existing = self.library.index_for_key(key)
        entry = self.store.get(key)
        if existing.isValid() and entry is not None:
            if select:
                self.library_panel.select_source_index(existing)
            self.show_status(f"{entry.display_name} is already open")
            return entry
        entry, _new = self.store.open(p, pinned=True)
        idx = self.library.add_open_model(entry.key, entry.display_name, str(entry.path))
        self._update_counts()
        if select:
            self.library_panel.select_source_index(idx)
        self.show_status(f"Opening {entry.path}…")
        return entry

    def open_tracking(self, path: str | os.PathLike[str]) -> Node:
        if not self.settings.read_only:
            self.settings.add_recent(path)
        existing = self.library.source_for(os.path.realpath(os.fspath(path)))
        source = existing or self.scans.scan(path)
        if self.view.entry is None:  # the scan will show its first model: import its page now
            later(lambda: preload_page("overview"))
        self._update_counts()
        self.library_panel.select_source_index(self.library.index_of(source))
        return source

    def demo_path(self) -> Path:
        """The demo model to open: the user's own copy of the bundled one (``user_demo``), so a
        saved edit never writes into the installation; the bundled one if no copy can be made."""
        try:
            # deferred for start-up: copying the demo (hashlib, shutil) is for --demo only
            from mlmanager.user_demo import user_demo

            demo = user_demo()
        except (OSError, MlmanagerError) as exc:
            self.prompter.warning(self, "The demo model opens read-only",
                                  f"It could not be copied to your data folder ({exc}), so the "
                                  "bundled copy opens: do not save edits to it.")
            return demo_model_path()
        if demo.note:
            self.prompter.info(self, "A new demo model", demo.note)
        return demo.path

    def open_demo(self) -> ModelEntry | None:
        path = self.demo_path()
        if not (path / "MLmodel").is_file():
            self.prompter.warning(self, "Demo model missing", f"The demo model is not installed at {path}.")
            return None
        return self.open_model(path)

    def ask_open_model(self) -> None:
        path = self.prompter.open_file(self, "Open MLflow model", self.settings.last_dir)
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.open_paths([path])

    def ask_open_model_folder(self) -> None:
        path = self.prompter.open_folder(self, "Open model folder", self.settings.last_dir)
        if path:
            self.settings.last_dir = str(Path(path).parent)
            self.open_paths([path])

    def ask_open_tracking(self) -> None:
        path = self.prompter.open_folder(self, "Open tracking folder (mlruns)", self.settings.last_dir)
        if path:
            self.settings.last_dir = str(Path(path).parent)
            verdict = classify_path(path)
            if verdict.kind == KIND_MODEL:
                self.open_model(verdict.path)
            elif os.path.isdir(path):
                self.open_tracking(path)
            else:
                self.open_verdicts([verdict])

    def show_environments(self) -> QWidget:
        """Tools ▸ Environments…: the manager dialog (modeless; one at a time)."""
        # deferred for start-up: the environments core (interpreters, installer) is not needed
        # before the window's first paint
        from mlmanager.ui.environments.builds import environment_builds
        from mlmanager.ui.environments.manager_dialog import EnvironmentsDialog

        dialog = getattr(self, "environments_dialog", None)
        if dialog is None:
            dialog = self.environments_dialog = EnvironmentsDialog(environment_builds(self.view.ctx), self)
        dialog.show()
        dialog.raise_()
        return dialog

    def rebuild_recent_menu(self) -> None:
        self.recent_menu.clear()
        paths = self.settings.recent_paths(drop_missing=True)
        if not paths:
            act = self.recent_menu.addAction("No recent models")
            act.setEnabled(False)
            return
        for i, p in enumerate(paths):
            shown = display_path(p)
            text = f"&{i + 1}  {shown}" if i < 9 else shown
            act = self.recent_menu.addAction(text)
            act.setData(p)
            if is_server_url(p):
                act.setIcon(icons.icon("server"))
            act.triggered.connect(lambda _c=False, path=p: self.open_paths([path]))
        self.recent_menu.addSeparator()
        self.recent_menu.addAction("Clear Recent", self._clear_recent)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()

    # ------------------------------------------------------------------------------------------
    # selection and closing

    def _on_node_selected(self, node: Node | None, load_later: bool = False) -> None:
        if self._is_registry_row(node):
            self.registry.show_node(node)
            self._update_model_actions()
            return
        if node is None or node.kind != MODEL:
            if node is not None and node.kind in (SOURCE, GROUP):
                self.show_status(node.tooltip or node.label)
            return
        rec = node.record
        info = {}
        if rec is not None:
            info = {"name": rec.name, "experiment_id": rec.experiment_id, "experiment_name": rec.experiment_name,
                    "run_id": rec.run_id, "run_name": rec.run_name, "model_id": rec.model_id}
            info = {k: v for k, v in info.items() if v}
        path = rec.path if rec is not None else (self.store.get(node.key).path if self.store.get(node.key) else None)
        if path is None:
            return
        pinned = node.parent is self.library.open_group
        entry, new = self.store.open(path, pinned=pinned, info=info, load=not load_later)
        if new and load_later:
            self._later(lambda: self.store.start_loading(entry))
        self.show_entry(entry)

    def show_entry(self, entry: ModelEntry) -> None:
        """Show an opened model in the model view (the library selection stays as it is)."""
        self.stack.show_view()
        self.view.set_entry(entry)
        run = entry.info.get("run_name")
        self.setWindowTitle(f"{entry.display_name}{f' ({run})' if run else ''}[*] — mlmanager")
        self._update_model_actions()

    def show_panel(self, widget: QWidget) -> None:
        """Show a widget of the main stack (the registry panel) instead of a model."""
        self.stack.setCurrentWidget(widget)
        self.setWindowTitle(TITLE)
        self._update_model_actions()

    def _on_node_activated(self, node: Node) -> None:
        """Enter or a double-click on a library row: a registry version opens (downloads)."""
        if node.kind == "model-version":
            self.registry.open_version(node)

    def _registry_node(self) -> Node | None:
        node = self.library_panel.current_node()
        return node if self._is_registry_row(node) else None

    def _fill_registry_menu(self) -> None:
        """The Registry menu acts on the selected registry row (or says what to select)."""
        m = self.registry_menu
        m.clear()
        m.addAction(self.act_connect)
        m.addAction(self.act_register)
        node = self._registry_node()
        menu = self.registry.context_menu(node, self) if node is not None else None
        if menu is not None:
            m.addSeparator()
            for act in menu.actions():
                act.setParent(m)
                m.addAction(act)
            menu.deleteLater()
        else:
            m.addSeparator()
            hint = m.addAction("Select a registered model or version in the library")
            hint.setEnabled(False)

    def current_entry(self) -> ModelEntry | None:
        return self.view.entry if self.stack.currentWidget() is self.view else None

    def close_current(self) -> None:
        node = self.library_panel.current_node()
        if node is not None:
            self.close_node(node)

    def close_node(self, node: Node) -> None:
        """Close an open model or remove a tracking folder (asking first about unsaved edits)."""
        if node.kind == MODEL and node.parent is self.library.open_group:
            entry = self.store.get(node.key)
            if entry is not None and not self.resolve_unsaved([entry], "closing it"):
                return
            self.library.remove_open_model(node.key)
            if entry is not None:
                if len(self.library.nodes_for_key(node.key)):
                    self.store.unpin(entry)
                else:
                    self.store.close(entry)
                if self.view.entry is entry and not self.library.nodes_for_key(node.key):
                    self._show_nothing()
        elif self._is_registry_row(node):
            branch = self.registry.branch_of(node)
            if node.kind == SOURCE and branch is not None:
                if self.stack.currentWidget() is self.registry.panel:
                    self._show_nothing()
                self.registry.close_branch(branch)
        elif node.kind == SOURCE:
            keys = {n.key for n in _models_under(node)}
            closing = [e for e in (self.store.get(k) for k in keys) if e is not None and not e.pinned]
            if not self.resolve_unsaved(closing, "removing the tracking folder"):
                return
            self.scans.cancel(node.key)
            self.library.remove_source(node)
            for key in keys:
                entry = self.store.get(key)
                if entry is not None and not entry.pinned:
                    if self.view.entry is entry:
                        self._show_nothing()
                    self.store.close(entry)
        self._update_counts()
        self._update_model_actions()

    def _show_nothing(self) -> None:
        self.view.set_entry(None)
        self.stack.show_welcome()
        self.setWindowTitle(TITLE)

    def refresh_current(self) -> None:
        node = self.library_panel.current_node()
        if self._is_registry_row(node):
            self.registry.refresh_node(node)
            return
        if node is not None and node.kind != MODEL:
            source = self.library.source_of(node)
            if source is not None:
                self.scans.scan(source.key, rescan=True)
                return
        entry = self.current_entry()
        if entry is not None:
            self.store.reload(entry)
            self.show_status(f"Reloading {entry.display_name}…")

    def reveal_current(self) -> None:
        entry = self.current_entry()
        if entry is not None:
            self._reveal_entry(entry)

    def _reveal_entry(self, entry: ModelEntry) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(entry.folder)))

    def _reveal_node(self, node: Node) -> None:
        if self._is_registry_row(node):
            path = self.library.path_of(node)
            if path is None:
                self.registry.open_in_browser(node)
                return
            QDesktopServices.openUrl(QUrl.fromLocalFile(str(path)))
            return
        path = node.record.path if node.record is not None else node.key
        entry = self.store.get(node.key)
        target = entry.folder if entry is not None else Path(path)
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(target)))

    def _cycle_tab(self, step: int) -> None:
        n = self.view.tabs.count()
        if n:
            self.view.tabs.setCurrentIndex((self.view.tabs.currentIndex() + step) % n)

    def _on_page_changed(self, key: str) -> None:
        if key and not self.settings.read_only:
            self.settings.view_tab = key

    # ------------------------------------------------------------------------------------------
    # store / scan events

    def _on_entry_changed(self, entry: ModelEntry) -> None:
        self.library.entry_changed(entry.key)
        if entry.pinned:
            flavors = " ".join(entry.doc.flavor_names) if entry.doc is not None else ""
            self.library.set_model_label(entry.key, entry.display_name, flavors)
        if self.view.entry is entry:
            self.view.refresh()
        state = entry.state.value
        if state == "ready" and not entry.reloading:
            self.show_status(f"Loaded {entry.display_name}")
        elif state == "error" and entry.error is not None:
            self.show_status(f"{entry.display_name}: {entry.error.title}")
        elif state == "missing":
            self.show_status(f"{entry.display_name}: the folder no longer exists")

    def _on_changed_on_disk(self, entry: ModelEntry) -> None:
        if self.unsaved_entries([entry]):
            ok = self.prompter.confirm(
                self, "Model changed on disk",
                f"{entry.display_name} changed on disk. Reload it and lose your unsaved changes?")
            if not ok:
                return  # the editor keeps the edits and says the file changed
            self._built_signature_page().discard_changes(entry)
        self.store.reload(entry)
        self.show_status(f"{entry.display_name} changed on disk; reloaded")

    def _on_scan_started(self, root: str) -> None:
        self.act_cancel_scan.setEnabled(True)
        self.library_panel.show_scan(f"Scanning {os.path.basename(root) or root}…")
        self.show_status(f"Scanning {root}…")

    def _on_scan_progress(self, root: str, models: int, text: str) -> None:
        self.library_panel.show_scan(f"Scanning {os.path.basename(root)}: {models} models, {text}")

    def _on_scan_finished(self, root: str, outcome: object) -> None:
        source = self.library.source_for(root)
        current = self.library_panel.current_node()
        if source is not None and self.view.entry is None and (current is None or current is source):
            # on a later turn of the event loop: opening the model builds its pages, and doing
            # that in the same turn as the scan's last batch stalled the GUI (benchmarks job 7)
            self._later(lambda: self._select_first_model(root))
        if not self.scans.is_scanning():
            self.library_panel.hide_scan()
            self.act_cancel_scan.setEnabled(False)
        if isinstance(outcome, ScanSummary):
            msg = f"Scan of {display_path(root)}: {outcome.models} model{'s' if outcome.models != 1 else ''}"
            if outcome.problems:
                msg += f", {outcome.problems} problem{'s' if outcome.problems != 1 else ''}"
            if outcome.cancelled:
                msg += " (cancelled)"
        else:
            msg = f"Scan of {display_path(root)} failed: {outcome}"
        self.show_status(msg)
        self._update_counts()

    def _select_first_model(self, root: str) -> None:
        source = self.library.source_for(root)
        current = self.library_panel.current_node()
        if source is None or self.view.entry is not None or (current is not None and current is not source):
            return
        first = next(_iter_models_under(source), None)
        # selecting expands an experiment (maybe 1,000s of runs) and opening builds the model's
        # page: two turns of the event loop, so neither stalls the GUI past 100 ms (job 7)
        if first is not None and self.library_panel.select_source_index(self.library.index_of(first), notify=False):
            self._later(lambda: self._open_if_current(first))

    def _open_if_current(self, node: Node) -> None:
        if self.library_panel.current_node() is node and self.view.entry is None:
            # the view's first paint and the load's thread would share the GIL: paint first
            self._on_node_selected(node, load_later=True)

    def _on_unhandled_error(self, err: TaskError) -> None:
        if err.expected:
            self.show_status(str(err))
            return
        log.error("background task %s failed: %s", err.task, err.message)
        self.prompter.error(self, "Something went wrong",
                            f"A background task ({err.task}) failed: {err}", err.details)

    def _about(self) -> None:
        """Help ▸ About: the versions report (it may ask the worker's interpreter: off the GUI
        thread), shown through the prompter."""
        # deferred for start-up: the report's module (and the platform module it imports) is
        # not needed before the window's first paint
        from mlmanager.about import about_text

        task = self.tasks.start(lambda _state: about_text(), name="about")
        task.succeeded.connect(lambda text: self.prompter.info(self, "About mlmanager", text))

    # ------------------------------------------------------------------------------------------
    # transfer commands

    def _target_models(self, action: str) -> list[tuple[str, Path]]:
        """(name, path) of the models an action applies to: the library selection, else the
        model shown."""
        nodes = self.library_panel.selected_model_nodes()
        current = self.library_panel.current_node()
        if action != lp.ACTION_COMPARE:
            nodes = [current] if current is not None and current.kind == MODEL else nodes[:1]
        out = []
        for node in nodes:
            path = self.library.path_of(node)
            if path is not None:
                entry = self.store.get(node.key)
                out.append((entry.display_name if entry is not None else node.label, path))
        if not out and self.view.entry is not None and self.stack.currentWidget() is self.view:
            out.append((self.view.entry.display_name, Path(self.view.entry.path)))
        return out

    def _on_model_action(self, action: str, nodes: list[Node] | None = None) -> None:
        if nodes is not None:
            models = []
            for n in nodes:
                path = self.library.path_of(n)
                entry = self.store.get(n.key)
                if path is not None:
                    models.append((entry.display_name if entry is not None else n.label, path))
        else:
            models = self._target_models(action)
        if not models:
            self.show_status("Select a model in the library first")
            return
        name, path = models[0]
        if action == lp.ACTION_COMPARE:
            self.transfer.compare(models[:2])
        elif action == lp.ACTION_EXPORT_ZIP:
            self.transfer.export_zip(path, name)
        elif action == lp.ACTION_EXPORT_FOLDER:
            self.transfer.export_folder(path, name)
        elif action == lp.ACTION_COPY_TO:
            self.transfer.copy_to(path, name)
        elif action == lp.ACTION_EXTRACT:
            self.transfer.import_archive(path)

    def _update_model_actions(self) -> None:
        has_model = bool(self._target_models(lp.ACTION_EXPORT_ZIP))
        for act in (self.act_export_zip, self.act_export_folder, self.act_copy_to):
            act.setEnabled(has_model)

    def _import_dropped(self, archives: list[Path]) -> None:
        for archive in archives:
            self.transfer.import_archive(archive)

    def tracking_changed(self, store: Path) -> None:
        """A copy landed in the tracking folder ``store``: rescan it if the library shows it."""
        source = self.library.source_for(os.path.realpath(store))
        if source is not None:
            self.scans.scan(source.key, rescan=True)

    def _sync_signature_page(self) -> None:
        """Before the Edit menu opens: its actions act on the model shown, even when the
        signature tab has not been shown for it yet."""
        page = self._built_signature_page()
        entry = self.view.entry if self.stack.currentWidget() is self.view else None
        if page is not None and entry is not None and page.entry is not entry:
            page.show_entry(entry)

    # ------------------------------------------------------------------------------------------
    # drag and drop

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:  # noqa: N802
        self.drops.drag_enter(event)

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:  # noqa: N802
        self.drops.drag_move(event)

    def dropEvent(self, event: QDropEvent) -> None:  # noqa: N802
        self.drops.drop(event)

    # ------------------------------------------------------------------------------------------

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802
        dirty = self.unsaved_entries()
        if dirty:
            go_on = self.resolve_unsaved(dirty, "quitting", discard=False)
        else:  # another page's unsaved state (pages without per-model saving)
            go_on = not self.has_unsaved_changes() or self.prompter.confirm(
                self, "Unsaved changes", "Quit and lose your unsaved changes?")
        if not go_on:
            event.ignore()
            return
        self.save_state()
        self.shutdown()
        event.accept()

    def shutdown(self) -> None:
        self.scans.cancel()
        if self._registry is not None:
            self._registry.shutdown()
        self.tasks.shutdown(3000)
        self.store.close_all()
        self.library.drag_files.cleanup()


_EDITOR_API = ("undo_action", "redo_action", "save_action", "save_copy_action", "save",
               "discard_changes", "has_unsaved_changes")


def _is_signature_editor(page: ModelPage | None) -> bool:
    """The registered "signature" page is the editor (tests may register a stub instead)."""
    return page is not None and all(hasattr(page, name) for name in _EDITOR_API)


def _iter_models_under(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        n = stack.pop()
        if n.kind == MODEL:
            yield n
        stack.extend(reversed(n.children))  # pre-order: models in the order the tree shows them


def _models_under(node: Node) -> list[Node]:
    return list(_iter_models_under(node))

