"""The main window's registry façade: servers, registry rows, downloads, writes and publishing.

The host is the main window; it provides ``tasks``, ``prompter``, ``store``, ``library``,
``library_panel``, ``settings``, ``show_status(text)``, ``show_entry(entry)`` (show an opened
model in the model view) and ``show_panel(widget)`` (show a widget in the main stack).

* Servers open from File ▸ Connect to Tracking Server…, the command line, the recent list and a
  dropped ``http(s)://`` URL; local registries appear when their tracking folder is scanned.
* Selecting a registry row shows the :class:`~.panel.RegistryPanel`; selecting a version whose
  files are here (a local store's, or a server version already downloaded) opens it like any
  model, with where it came from in the header and on the Overview tab.
* Opening a server version downloads it (a task with progress and Cancel) into its local copy.
* Writes (aliases, tags, descriptions, publishing) run as tasks on servers; local registries
  refuse them, saying why. After each write the library lists that model again.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

from PySide6.QtCore import QObject, QUrl, Signal
from PySide6.QtGui import QDesktopServices
from PySide6.QtWidgets import QMenu

from mlmanager.core.library.paths import MODEL as KIND_MODEL
from mlmanager.core.library.paths import classify_path
from mlmanager.core.library.registry.entities import RegisteredModel
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.http import ServerError
from mlmanager.core.remote.registry import ServerRegistry
from mlmanager.core.remote.urls import server_of
from mlmanager.ui import icons
from mlmanager.ui.dnd import drag_path
from mlmanager.ui.models.library import (
    EXPERIMENT,
    MODEL,
    REGISTERED,
    REGISTRY,
    REGISTRY_KINDS,
    RUN,
    SOURCE,
    VERSION,
    Node,
)
from mlmanager.ui.pages.signature import SAVE_VERSION_TITLE
from mlmanager.ui.registry import (
    REGISTER_FOLDER_LABEL,
    REGISTER_VERSION_LABEL,
    REGISTER_VERSION_TITLE,
)
from mlmanager.ui.registry.branches import RegistryBranches
from mlmanager.ui.registry.delegate import LibraryDelegate
from mlmanager.ui.registry.details import RunContexts
from mlmanager.ui.registry.dialogs import (
    AliasDialog,
    DescriptionDialog,
    PublishDialog,
    TagDialog,
)
from mlmanager.ui.registry.downloads import Downloaded, Downloads
from mlmanager.ui.registry.dragging import DeferredFiles
from mlmanager.ui.registry.nodes import (
    Branch,
    VersionItem,
    VersionOrigin,
    origin_text,
    registry_look,
    server_branch_label,
    short_path,
)
from mlmanager.ui.registry.panel import RegistryPanel
from mlmanager.ui.registry.writes import (
    FolderSummary,
    Published,
    delete_alias,
    delete_tag,
    publish_folder,
    set_alias,
    set_description,
    set_tag,
    summarize_folder,
)
from mlmanager.ui.tasks import Task, TaskError
from mlmanager.ui.transfer.progress import ProgressDialog

_DECORATION = 1  # Qt.ItemDataRole.DecorationRole


class RegistryController(QObject):
    """See the module docstring. ``last_task`` is the last write/publish task (for tests)."""

    published = Signal(object, object)  # Branch, Published

    def __init__(self, host: Any, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.host = host
        self.library = host.library
        self.branches = RegistryBranches(host.tasks, host.library, host.show_status, self)
        self.downloads = Downloads(host.tasks, self)
        self.contexts = RunContexts(host.tasks, self)
        self.panel = RegistryPanel(self, self.contexts)
        self.connection_store_factory: Callable[[], Any] | None = None  # tests inject a store
        self._connection_store: Any = None
        self.last_task: Task | None = None
        self.last_dialog: Any = None
        self.library.registry_look = self._look
        self.library.version_mime = self._version_mime
        self.branches.changed.connect(self._branch_changed)
        self.branches.model_refreshed.connect(self._model_refreshed)
        self.downloads.progressed.connect(self._download_progress)
        self.downloads.finished.connect(self._downloaded)
        self._select_after_refresh: dict[tuple[str, str], str] = {}
        self._attach_to(host.library_panel)

    def _attach_to(self, library_panel: Any) -> None:
        """Registry rows in the library: their menu, drops on registered models, the search
        grammar in the filter box (already typed, too) and the delegate painting badges."""
        library_panel.extra_menu = self.context_menu
        library_panel.drop_target_for = self.drop_target
        library_panel.folders_dropped.connect(self.drop_folders)
        library_panel.registry_filter_changed.connect(self.apply_filter)
        library_panel.set_row_delegate(LibraryDelegate(library_panel.tree))
        if library_panel.registry_filter() is not None:
            self.apply_filter(library_panel.registry_filter())

    # ------------------------------------------------------------------------------------------
    # plumbing

    @property
    def tasks(self) -> Any:
        return self.host.tasks

    @property
    def prompter(self) -> Any:
        return self.host.prompter

    def status(self, text: str) -> None:
        self.host.show_status(text)

    def connection_store(self) -> Any:
        """The saved connections (made on first use: finding the OS keyring imports it)."""
        if self._connection_store is None:
            if self.connection_store_factory is not None:
                self._connection_store = self.connection_store_factory()
            else:
                # deferred for start-up: the connections file and keyring, on first use
                from mlmanager.core.remote.connections import ConnectionStore

                self._connection_store = ConnectionStore()
        return self._connection_store

    def _look(self, node: Node, role: int) -> Any:
        state = None
        if role == _DECORATION and node.kind == VERSION and node.key:
            entry = self.host.store.get(node.key)
            state = entry.state.value if entry is not None else None
        return registry_look(node, role, state)

    @staticmethod
    def handles(node: Node | None) -> bool:
        """Rows this controller shows: registry rows and servers' own source rows."""
        return node is not None and (node.kind in REGISTRY_KINDS or (
            node.kind == SOURCE and isinstance(node.payload, Branch)))

    @staticmethod
    def branch_of(node: Node | None) -> Branch | None:
        payload = getattr(node, "payload", None)
        if isinstance(payload, Branch):
            return payload
        return getattr(payload, "branch", None)

    # ------------------------------------------------------------------------------------------
    # servers

    def open_server(self, uri: str, auth: ServerAuth | None = None,
                    connection: str | None = None, select: bool = True) -> Branch | None:
        """Add a server to the library and list its registry (or select it when it is there)."""
        uri = server_of(uri)
        existing = self.branches.for_location(uri)
        if existing is not None:
            if select and existing.source_node is not None:
                self.host.library_panel.select_source_index(self.library.index_of(existing.source_node))
            return existing
        if auth is None and connection is None:
            auth, connection = self._saved_login(uri)
        try:
            source = ServerRegistry(uri, auth)
        except ServerError as exc:
            self.prompter.warning(self.host, "Not a server address", str(exc))
            return None
        branch = self.branches.add_server(source, server_branch_label(source.location, connection))
        branch.connection = connection
        if not self.host.settings.read_only:
            self.host.settings.add_recent_server(source.location)
        self.status(f"Connecting to {source.location}…")
        if select and branch.source_node is not None:
            self.host.library_panel.select_source_index(self.library.index_of(branch.source_node))
        self.host.update_counts()
        return branch

    def _saved_login(self, uri: str) -> tuple[ServerAuth | None, str | None]:
        """A saved connection to ``uri`` logs in as saved; else MLflow's environment."""
        try:
            store = self.connection_store()
            for conn in store.list():
                if conn.uri.rstrip("/") == uri.rstrip("/"):
                    return store.auth_for(conn), conn.name
        except Exception:  # noqa: BLE001 - a broken connections file: log in as MLflow would
            pass
        return None, None

    def ask_connect(self, uri: str | None = None, login: bool = False) -> Branch | None:
        # deferred for start-up: the dialog and the keyring are needed only when asked
        from mlmanager.core.remote.connections import NoKeyringError
        from mlmanager.ui.registry.connect_dialog import ConnectDialog

        store = self.connection_store()
        dialog = ConnectDialog(store, self.tasks, uri, self.host)
        if login:
            dialog.ask_login()
        self.last_dialog = dialog
        if not self.prompter.run_dialog(dialog):
            dialog.deleteLater()
            return None
        request = dialog.request()
        dialog.deleteLater()
        name = None
        unsaved = ""
        if request.save:
            secret = request.secret if store.keyring is not None else None
            if request.secret is not None and secret is None:
                what = "token" if request.connection.auth == "token" else "password"
                unsaved = (f"The {what} you typed is not saved: {store.keyring_status}. It logs "
                           "in for this session only; mlmanager never writes secrets to disk.")
            try:
                store.save(request.connection, secret)
                name = request.connection.name
            except (NoKeyringError, OSError, Exception) as exc:  # noqa: BLE001 - say it, connect anyway
                self.prompter.warning(self.host, "Connection not saved", str(exc))
        existing = self.branches.for_location(server_of(request.uri))
        if existing is not None:  # connect again with the new login
            self.close_branch(existing)
        branch = self.open_server(request.uri, request.auth, name)
        if branch is not None and unsaved:
            branch.login_note = unsaved
            self.status(unsaved)
        return branch

    def log_in(self, branch: Branch) -> Branch | None:
        """A server answered 401: the connect dialog for its URI (its saved connection
        selected, else a username and password asked for); connecting again lists it."""
        return self.ask_connect(branch.location, login=True)

    def close_branch(self, branch: Branch) -> None:
        node = branch.source_node if branch.server else branch.node
        self.branches.remove(branch)
        if branch.server and node is not None and self.library.is_attached(node):
            self.library.remove_source(node)
        self.host.update_counts()

    # ------------------------------------------------------------------------------------------
    # tracking folders

    def tracking_scan_started(self, root: str) -> None:
        source = self.library.source_for(root)
        if source is not None:
            self.branches.detect(source)

    # ------------------------------------------------------------------------------------------
    # selection

    def show_node(self, node: Node) -> None:
        """A registry row became current: show it (a version with local files opens)."""
        if node.kind == VERSION and node.payload.path is not None:
            self.open_local(node)
            return
        self.panel.show_node(node)
        self.host.show_panel(self.panel)
        branch = self.branch_of(node)
        if node.kind in (REGISTRY, SOURCE) and branch is not None:
            self.status(f"{branch.label}: {branch.status_text()}")

    def refresh_panel(self) -> None:
        if self.panel.node is not None and self.library.is_attached(self.panel.node):
            self.panel.refresh()

    def open_version(self, node: Node | None) -> None:
        """Open a version: its local folder, or download it first (servers)."""
        if node is None or node.kind != VERSION:
            return
        item: VersionItem = node.payload
        if item.path is not None:
            self.open_local(node)
            return
        if not item.branch.server:
            self.prompter.warning(self.host, "The files are not here",
                                  item.missing or "This version's files are not in the store.")
            return
        self.downloads.start(item)
        self.status(f"Downloading {item.version.name} {item.version.title} from "
                    f"{item.branch.label}…")
        if self.panel.node is node:
            self.panel.show_download(item)
        self.library.node_changed(node)

    def select_and_open(self, node: Node) -> None:
        self.host.library_panel.select_source_index(self.library.index_of(node))
        if node.payload.path is None:
            self.open_version(node)

    def cancel_download(self, node: Node | None) -> None:
        if node is not None and node.kind == VERSION:
            self.downloads.cancel(node.payload)

    def open_local(self, node: Node) -> Any:
        item: VersionItem = node.payload
        v = item.version
        info = {"name": f"{v.name} v{v.version}",
                "registry": VersionOrigin(item, copy=item.branch.server),
                "origin": origin_text(item), "run_id": v.run_id, "model_id": v.model_id}
        info = {k: val for k, val in info.items() if val}
        entry, _new = self.host.store.open(item.path, pinned=False, info=info)
        if node.key != entry.key:
            self.library.set_version_key(node, entry.key)
        self.host.show_entry(entry)
        return entry

    def _download_progress(self, item: VersionItem, done: int, total: int, text: str) -> None:
        self.panel.show_download(item, done, total, text)
        self.status(f"Downloading {item.version.name} {item.version.title}: {text}")

    def _downloaded(self, item: VersionItem, result: Downloaded | None, message: str) -> None:
        node = self._node_for(item)
        if node is not None:
            if result is not None:
                self.library.set_version_key(node, result.key)
            self.library.node_changed(node)
        if result is None:
            self.status(message)
            if self.panel.node is not None and self.panel.node.payload is item:
                self.panel.show_download(item)
            return
        self.status(f"Downloaded {item.version.name} {item.version.title} to {result.path}")
        current = self.host.library_panel.current_node()
        if node is not None and current is node:
            self.open_local(node)

    def _node_for(self, item: VersionItem) -> Node | None:
        branch = item.branch
        model = self.branches.model_node(branch, item.version.name)
        if model is None:
            return None
        return next((c for c in model.children if c.payload is item or (
            c.payload.version.version == item.version.version)), None)

    def version_node(self, branch: Branch, name: str, version: str) -> Node | None:
        model = self.branches.model_node(branch, name)
        if model is None:
            return None
        return next((c for c in model.children if c.payload.version.version == version), None)

    # ------------------------------------------------------------------------------------------
    # refresh, cancel, browser, links

    def refresh_node(self, node: Node | None) -> None:
        branch = self.branch_of(node)
        if branch is None:
            return
        self.contexts.forget(branch.location)
        if node is not None and node.kind in (REGISTERED, VERSION):
            name = node.key if node.kind == REGISTERED else node.payload.version.name
            self.branches.refresh_model(branch, name)
        else:
            self.branches.refresh(branch)

    def cancel_node(self, node: Node | None) -> None:
        branch = self.branch_of(node)
        if branch is not None:
            self.branches.cancel(branch)

    def web_url(self, node: Node | None) -> str | None:
        branch = self.branch_of(node)
        if branch is None or not branch.server:
            return None
        base = branch.location
        if node is not None and node.kind == REGISTERED:
            return f"{base}/#/models/{quote(node.key, safe='')}"
        if node is not None and node.kind == VERSION:
            v = node.payload.version
            return f"{base}/#/models/{quote(v.name, safe='')}/versions/{v.version}"
        return f"{base}/#/models"

    def open_in_browser(self, node: Node | None) -> None:
        url = self.web_url(node)
        if url:
            QDesktopServices.openUrl(QUrl(url))

    def follow_link(self, node: Node | None, kind: str, value: str) -> None:
        """A run or logged-model link of a version: select it in the library when listed."""
        if kind == "browser":
            self.open_in_browser(node)
            return
        found = self.find_listed(kind, value)
        if found is not None:
            self.host.library_panel.select_source_index(self.library.index_of(found))
            return
        what = "run" if kind == "run" else "logged model"
        self.status(f"The {what} {value} is not listed in the library: open the tracking folder "
                    "that holds it (File ▸ Open Tracking Folder…)")

    def find_listed(self, kind: str, value: str) -> Node | None:
        """The library row of a run (its node) or a logged model (its model node)."""
        for source in self.library.sources():
            stack = list(source.children)
            while stack:
                n = stack.pop()
                if kind == "run" and n.kind == RUN and n.key == value:
                    return n
                if kind == "model" and n.kind == MODEL and n.record is not None and \
                        n.record.model_id == value:
                    return n
                if n.kind in (EXPERIMENT, RUN):
                    stack.extend(n.children)
        return None

    # ------------------------------------------------------------------------------------------
    # the library filter

    def apply_filter(self, expression: str | None) -> None:
        self.branches.set_filter(expression)

    # ------------------------------------------------------------------------------------------
    # writes

    def _writable(self, branch: Branch | None, what: str) -> bool:
        if branch is None:
            return False
        if not branch.writable:
            self.prompter.warning(self.host, f"Cannot {what}", branch.read_only_reason)
            return False
        return True

    @staticmethod
    def _model_of(node: Node | None) -> tuple[RegisteredModel | None, str | None]:
        """(registered model, version) a row stands for."""
        if node is None:
            return None, None
        if node.kind == REGISTERED:
            return node.payload.model, None
        if node.kind == VERSION and node.parent is not None and node.parent.kind == REGISTERED:
            return node.parent.payload.model, node.payload.version.version
        return None, None

    def run_write(self, branch: Branch, title: str, fn: Callable[..., str], *args: Any,
                  refresh: str | None = None) -> Task:
        """Run one write as a task; say the outcome; list the model again."""
        task = self.tasks.start(fn, branch.source, *args, name=title)
        self.last_task = task
        self.status(f"{title}…")

        def done(text: str) -> None:
            self.status(text)
            if refresh is not None:
                self.branches.refresh_model(branch, refresh)
            if self.panel.isVisible():
                self.panel.show_banner("ok", text)

        def failed(err: TaskError) -> None:
            err.handled = True
            self.prompter.error(self.host, f"{title}: not done",
                                f"{err}\n\nNothing was changed on {branch.label}.")

        task.succeeded.connect(done)
        task.failed.connect(failed)
        return task

    def set_alias(self, node: Node | None, alias: str = "") -> Task | None:
        model, version = self._model_of(node)
        branch = self.branch_of(node)
        if model is None or not self._writable(branch, "set an alias"):
            return None
        dialog = AliasDialog(model, version, alias, branch.label, self.host)
        self.last_dialog = dialog
        if not self.prompter.run_dialog(dialog):
            return None
        alias, number = dialog.values()
        return self.run_write(branch, f"Set @{alias} of {model.name}", set_alias, model.name,
                              alias, number, model.aliases.get(alias), refresh=model.name)

    def delete_alias(self, node: Node | None, alias: str | None = None) -> Task | None:
        model, version = self._model_of(node)
        branch = self.branch_of(node)
        if model is None or not self._writable(branch, "delete an alias"):
            return None
        choices = sorted(model.aliases) if alias is None else [alias]
        if version is not None and alias is None:
            choices = [a for a, v in sorted(model.aliases.items()) if v == version] or choices
        if not choices:
            self.status(f"{model.name} has no aliases")
            return None
        if len(choices) > 1:
            pick = self.prompter.choose(self.host, "Delete an alias",
                                        f"Which alias of {model.name} should be deleted on "
                                        f"{branch.label}?", [f"@{a}" for a in choices])
            if pick is None:
                return None
            alias = choices[pick]
        else:
            alias = choices[0]
            if not self.prompter.confirm(self.host, "Delete an alias",
                                         f"Delete @{alias} of {model.name} (now on version "
                                         f"{model.aliases.get(alias)}) on {branch.label}? Code "
                                         f"loading models:/{model.name}@{alias} stops working."):
                return None
        return self.run_write(branch, f"Delete @{alias} of {model.name}", delete_alias,
                              model.name, alias, refresh=model.name)

    def set_tag(self, node: Node | None, key: str | None = None) -> Task | None:
        model, version = self._model_of(node)
        branch = self.branch_of(node)
        if model is None or not self._writable(branch, "set a tag"):
            return None
        tags = (node.payload.version.tags if version is not None else model.tags)
        what = f"{model.name} version {version}" if version else model.name
        dialog = TagDialog(f"Set a tag of {what}", key or "", tags.get(key or "", ""), self.host)
        self.last_dialog = dialog
        if not self.prompter.run_dialog(dialog):
            return None
        key, value = dialog.values()
        return self.run_write(branch, f"Tag {what}", set_tag, model.name, key, value, version,
                              refresh=model.name)

    def delete_tag(self, node: Node | None, key: str | None = None) -> Task | None:
        model, version = self._model_of(node)
        branch = self.branch_of(node)
        if model is None or not self._writable(branch, "delete a tag"):
            return None
        tags = (node.payload.version.tags if version is not None else model.tags)
        keys = [key] if key else sorted(tags)
        if not keys:
            self.status("No tags to delete")
            return None
        pick = 0 if len(keys) == 1 else self.prompter.choose(
            self.host, "Delete a tag", "Which tag should be deleted?", keys)
        if pick is None:
            return None
        what = f"{model.name} version {version}" if version else model.name
        return self.run_write(branch, f"Delete tag {keys[pick]} of {what}", delete_tag,
                              model.name, keys[pick], version, refresh=model.name)

    def edit_description(self, node: Node | None) -> Task | None:
        model, version = self._model_of(node)
        branch = self.branch_of(node)
        if model is None or not self._writable(branch, "change a description"):
            return None
        current = node.payload.version.description if version is not None else model.description
        what = f"{model.name} version {version}" if version else model.name
        dialog = DescriptionDialog(f"Description of {what}", current, self.host)
        self.last_dialog = dialog
        if not self.prompter.run_dialog(dialog):
            return None
        return self.run_write(branch, f"Describe {what}", set_description, model.name,
                              dialog.value(), version, refresh=model.name)

    # ------------------------------------------------------------------------------------------
    # publishing

    def register_folder(self, node: Node | None, folder: str | None = None) -> None:
        """Register a local model folder as a new version (asks for the folder)."""
        branch = self.branch_of(node) if node is not None else self.default_server()
        if branch is None:
            self.prompter.info(self.host, "No tracking server",
                               "Connect to a tracking server first (File ▸ Connect to Tracking "
                               "Server…): registering uploads the model to it.")
            return
        if not self._writable(branch, "register a model"):
            return
        if folder is None:
            folder = self.prompter.open_folder(self.host, "Register which model folder?",
                                               self.host.settings.last_dir)
            if not folder:
                return
        verdict = classify_path(folder)
        if verdict.kind != KIND_MODEL or not Path(verdict.path).is_dir():
            self.prompter.warning(self.host, "Not a model folder",
                                  verdict.reason or f"{folder} is not a model folder (no MLmodel "
                                  "file at its top); a zip must be extracted first.")
            return
        model, _version = self._model_of(node)
        self.publish(str(verdict.path), branch, name=model.name if model else "")

    def default_server(self) -> Branch | None:
        node = self.host.library_panel.current_node()
        branch = self.branch_of(node)
        if branch is not None and branch.server:
            return branch
        servers = [b for b in self.branches.branches() if b.server]
        return servers[0] if len(servers) == 1 else None

    def model_names(self, branch: Branch) -> list[str]:
        if branch.node is None:
            return []
        return [n.key for n in branch.node.children if n.kind == REGISTERED]

    def publish(self, folder: str, branch: Branch, *, name: str = "",
                move_aliases: tuple[str, ...] = (), lock_name: bool = False,
                description: str = "", on_done: Callable[[Published | None], None] | None = None,
                action: str = REGISTER_VERSION_TITLE) -> Task | None:
        """Ask (naming server, model and files), then register ``folder`` as a new version and
        move ``move_aliases`` to it. ``on_done(published or None)`` is called in every case.
        ``action``: the name of what the user did, the confirmation's title and button."""
        finish = on_done or (lambda _p: None)
        if not self._writable(branch, action.lower()):
            finish(None)
            return None
        task = self.tasks.start(summarize_folder, folder, name="count files")

        def counted(summary: FolderSummary) -> None:
            self._ask_publish(folder, summary, branch, name, move_aliases, lock_name,
                              description, finish, action)

        def failed(err: TaskError) -> None:
            err.handled = True
            self.prompter.error(self.host, f"Cannot {action.lower()}", str(err))
            finish(None)

        task.succeeded.connect(counted)
        task.failed.connect(failed)
        return task

    def _ask_publish(self, folder: str, summary: FolderSummary, branch: Branch, name: str,
                     move_aliases: tuple[str, ...], lock_name: bool, description: str,
                     finish: Callable[[Published | None], None], action: str) -> None:
        node = self.branches.model_node(branch, name) if name else None
        current = node.payload.model if node is not None else None
        dialog = PublishDialog(server=branch.label, folder=short_path(folder), files=summary.text,
                               names=self.model_names(branch), name=name, current=current,
                               move_aliases=move_aliases, lock_name=lock_name,
                               description=description, title=action, parent=self.host)
        self.last_dialog = dialog
        if not self.prompter.run_dialog(dialog):
            finish(None)
            return
        request = dialog.request()
        title = f"Registering a new version of {request.name}"
        task = self.tasks.start(publish_folder, branch.source, folder, request, name=title)
        self.last_task = task
        progress = ProgressDialog(title, f"Uploading {summary.text} to {branch.label}…", self.host)
        progress.cancel_requested.connect(task.cancel)
        task.progressed.connect(progress.set_progress)
        task.progressed.connect(lambda _d, _t, text: self.status(f"{title}: {text}"))
        task.finished.connect(progress.finish)
        progress.start()

        def done(result: Published) -> None:
            text = result.sentence(branch.label)
            self.status(text)
            self._select_after_refresh[(branch.location, request.name)] = result.version.version
            self.branches.refresh_model(branch, request.name)
            if result.alias_error:
                self.prompter.warning(self.host, "Registered, but an alias was not moved", text)
            self.published.emit(branch, result)
            finish(result)

        def failed(err: TaskError) -> None:
            err.handled = True
            self.prompter.error(self.host, f"{title}: no version was registered", str(err))
            finish(None)

        def cancelled() -> None:
            self.status(f"{title}: cancelled; no version was registered")
            finish(None)

        task.succeeded.connect(done)
        task.failed.connect(failed)
        task.cancelled.connect(cancelled)

    def _model_refreshed(self, branch: Branch, name: str, node: Node | None) -> None:
        wanted = self._select_after_refresh.pop((branch.location, name), None)
        current = self.panel.node
        if wanted is not None and node is not None:
            target = next((c for c in node.children if c.payload.version.version == wanted), None)
            if target is not None:
                self.host.library_panel.select_source_index(self.library.index_of(target))
                return
        if current is not None and not self.library.is_attached(current) and node is not None:
            # the panel showed a row of the model that was listed again: show its new row
            if current.kind == REGISTERED:
                self.host.library_panel.select_source_index(self.library.index_of(node))
            elif current.kind == VERSION:
                number = current.payload.version.version
                same = next((c for c in node.children
                             if c.payload.version.version == number), None)
                if same is not None:
                    self.host.library_panel.select_source_index(self.library.index_of(same))
        self._refresh_open_entries(branch, name, node)

    def _refresh_open_entries(self, branch: Branch, name: str, node: Node | None) -> None:
        """An opened version whose aliases/tags changed shows the new facts."""
        if node is None:
            return
        for child in node.children:
            item: VersionItem = child.payload
            if item.path is None or not child.key:
                continue
            entry = self.host.store.get(child.key)
            if entry is None:
                continue
            origin = entry.info.get("registry")
            if isinstance(origin, VersionOrigin) and origin.branch is branch:
                entry.info["registry"] = VersionOrigin(item, copy=origin.copy)
                entry.info["origin"] = origin_text(item)
                self.host.store.entry_changed.emit(entry)

    def _branch_changed(self, branch: Branch) -> None:
        node = self.panel.node
        if node is not None and self.branch_of(node) is branch and node.kind in (REGISTRY, SOURCE):
            self.panel.refresh()

    # ------------------------------------------------------------------------------------------
    # publishing an opened model (Overview, signature editor)

    def overview_section(self, parent: Any) -> Any:
        """The Overview tab's section for opened registry versions (built on first use)."""
        # deferred for start-up: built when a registry version is first shown
        from mlmanager.ui.registry.overview_section import VersionSection

        return VersionSection(self, parent)

    def origin_of(self, entry: Any) -> VersionOrigin | None:
        origin = entry.info.get("registry") if entry is not None else None
        return origin if isinstance(origin, VersionOrigin) else None

    def publish_entry(self, entry: Any, folder: str | None = None,
                      on_done: Callable[[Published | None], None] | None = None) -> Task | None:
        """Save as New Version: an opened registry version's folder (or ``folder``, an edited copy of it)
        as a new version of the same registered model, offering to move its aliases."""
        origin = self.origin_of(entry)
        if origin is None:
            return None
        v = origin.version
        return self.publish(folder or str(entry.path), origin.branch, name=v.name,
                            move_aliases=tuple(v.aliases),
                            description=f"From version {v.version}, edited in mlmanager",
                            on_done=on_done, action=SAVE_VERSION_TITLE)

    # ------------------------------------------------------------------------------------------
    # drag and drop

    def _version_mime(self, nodes: list[Node]) -> DeferredFiles:
        def resolve() -> list[Path]:
            out: list[Path] = []
            for node in nodes:
                path = self._drag_path(node)
                if path is not None and path not in out:
                    out.append(path)
            return out

        return DeferredFiles(resolve)

    def _drag_path(self, node: Node) -> Path | None:
        if node.kind == MODEL:
            return self.library.path_of(node)
        item: VersionItem = node.payload
        path = item.path
        if path is None and item.branch.server:
            self.status(f"Downloading {item.version.name} {item.version.title} for the drop…")
            path = self.downloads.wait(item)
        if path is None:
            return None
        name = f"{item.version.name}-v{item.version.version}"
        return drag_path(Path(path), name, self.library.drag_files)

    def drop_target(self, node: Node | None) -> Node | None:
        """The registered model a folder dropped on ``node`` would be registered to."""
        if node is None:
            return None
        if node.kind == VERSION and node.parent is not None:
            node = node.parent
        return node if node.kind == REGISTERED else None

    def drop_folders(self, node: Node, paths: list[Path]) -> None:
        """Model folders dropped on a registered model: register the first one (after the
        confirmation that names the server, the model and the files)."""
        target = self.drop_target(node)
        if target is None:
            return
        branch = self.branch_of(target)
        if not self._writable(branch, f"register a version of {target.key}"):
            return
        folders = [p for p in paths if classify_path(p).kind == KIND_MODEL and Path(
            classify_path(p).path).is_dir()]
        if not folders:
            self.prompter.warning(self.host, "Not a model folder",
                                  "Drop a model folder (with its MLmodel file) on a registered "
                                  "model to register it as a new version.")
            return
        if len(folders) > 1:
            self.status(f"Registering {folders[0].name} (one folder at a time)")
        self.publish(str(classify_path(folders[0]).path), branch, name=target.key)

    # ------------------------------------------------------------------------------------------
    # context menu and window actions

    def context_menu(self, node: Node, parent: Any) -> QMenu | None:
        if not self.handles(node):
            return None
        menu = QMenu(parent)
        menu.setToolTipsVisible(True)
        branch = self.branch_of(node)
        writable = branch is not None and branch.writable

        def add(text: str, icon: str, slot: Callable[[], Any], write: bool = False) -> None:
            act = menu.addAction(icons.icon(icon), text, slot)
            if write and not writable and branch is not None:
                act.setEnabled(False)
                act.setToolTip(branch.read_only_reason)

        if node.kind == VERSION:
            item: VersionItem = node.payload
            add("Open" if item.path or not item.branch.server else "Download and Open",
                "download" if item.path is None else "open", lambda: self.select_and_open(node))
            if self.downloads.running(item) is not None:
                add("Cancel Download", "cancel", lambda: self.cancel_download(node))
            menu.addSeparator()
            add("Set Alias…", "tag", lambda: self.set_alias(node), True)
            add("Delete Alias…", "close", lambda: self.delete_alias(node), True)
            add("Set Tag…", "tag", lambda: self.set_tag(node), True)
            add("Edit Description…", "edit", lambda: self.edit_description(node), True)
        elif node.kind == REGISTERED:
            add(REGISTER_VERSION_LABEL, "publish", lambda: self.register_folder(node), True)
            menu.addSeparator()
            add("Set Alias…", "tag", lambda: self.set_alias(node), True)
            add("Delete Alias…", "close", lambda: self.delete_alias(node), True)
            add("Set Tag…", "tag", lambda: self.set_tag(node), True)
            add("Edit Description…", "edit", lambda: self.edit_description(node), True)
        else:
            if branch is not None and branch.server:
                add(REGISTER_FOLDER_LABEL, "publish", lambda: self.register_folder(node), True)
                menu.addSeparator()
        menu.addSeparator()
        add("Refresh", "reload", lambda: self.refresh_node(node))
        if branch is not None and self.branches.is_listing(branch):
            add("Cancel Listing", "cancel", lambda: self.cancel_node(node))
        if branch is not None and branch.server:
            add("Open in MLflow Web UI", "external", lambda: self.open_in_browser(node))
            if node.kind == SOURCE:
                add("Edit Connection…", "edit", lambda: self.ask_connect(branch.location))
                add("Disconnect", "close", lambda: self.close_branch(branch))
        return menu

    def shutdown(self) -> None:
        self.downloads.cancel_all()
        for branch in self.branches.branches():
            self.branches.remove(branch)

