"""The registry branches of the library: listing them page by page in the background.

A server gets its own source node (``host:port``) with a "Registered models" node under it; a
tracking folder that holds a registry (a file store's ``models/``, an ``mlflow.db``) gets a
"Registered models" node at the top of its source node. Each listing runs as a task: the task
builds the nodes of a page (a registered model with its versions) and hands the page over; the
GUI inserts it in one step, so the first page is on screen as soon as the server answered and
1,000s of models never stall the GUI. Refresh keeps the old rows until the first new page
arrives; a filter in MLflow's search grammar re-lists every branch with that filter (servers
evaluate it themselves). Failures land on the branch (its status, its tooltip, the panel's
banner) and in one status-bar line: never a dialog.
"""

from __future__ import annotations

import os
from collections.abc import Callable

from PySide6.QtCore import QObject, Signal

from mlmanager.core.library.registry.entities import RegisteredModel
from mlmanager.core.library.registry.filestore import is_file_store
from mlmanager.core.library.registry.opening import local_registries
from mlmanager.core.library.registry.source import RegistryNotFoundError, RegistrySource
from mlmanager.core.remote.copies import server_label
from mlmanager.ui.models.library import REGISTERED, SOURCE, LibraryModel, Node
from mlmanager.ui.registry.nodes import (
    Branch,
    branch_node,
    model_node,
    server_node,
)
from mlmanager.ui.tasks import Task, TaskError, TaskManager, TaskState

MAX_CHILD_FOLDERS = 200  # folders of a tracking folder looked into for more registries


def list_pages(state: TaskState, branch: Branch, filter_string: str | None) -> tuple[int, int]:
    """Runs in a worker thread: every page of registered models, as built library nodes."""
    refresh = getattr(branch.source, "refresh", None)
    if refresh is not None:
        refresh()  # a local store: read it as it is now
    models = versions = 0
    for page in branch.source.search_registered_models(filter_string, cancel=state.is_cancelled):
        state.check()
        state.partial([model_node(m, branch) for m in page])
        models += len(page)
        versions += sum(len(m.versions) for m in page)
        state.progress(models, None, "", force=True)
    return models, versions


def fetch_model(state: TaskState, branch: Branch, name: str) -> Node | None:
    """Runs in a worker thread: one registered model again (after a write), as a node."""
    refresh = getattr(branch.source, "refresh", None)
    if refresh is not None:
        refresh()
    try:
        model = branch.source.get_registered_model(name)
    except RegistryNotFoundError:
        return None  # deleted meanwhile
    return model_node(model, branch)


def find_registries(state: TaskState, root: str) -> list[RegistrySource]:
    """Runs in a worker thread: the registries in a tracking folder and its child folders."""
    found = list(local_registries(root))
    if is_file_store(root):
        children = []  # its folders are experiments
    else:
        try:
            children = sorted(e.path for e in os.scandir(root) if e.is_dir(follow_symlinks=False))
        except OSError:
            children = []
    for child in children[:MAX_CHILD_FOLDERS]:
        state.check()
        if os.path.basename(child) == "mlruns" and any(r.location == child for r in found):
            continue
        found.extend(local_registries(child))
    seen: set[str] = set()
    out = []
    for r in found:
        if r.location not in seen:
            seen.add(r.location)
            out.append(r)
    return out


class RegistryBranches(QObject):
    changed = Signal(object)  # Branch: state, counts or error changed
    model_refreshed = Signal(object, str, object)  # Branch, name, the new node (None: gone)
    failed = Signal(object, str)  # Branch, message (once per failed listing)

    def __init__(self, tasks: TaskManager, library: LibraryModel,
                 status: Callable[[str], None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._tasks = tasks
        self._library = library
        self._status = status or (lambda _text: None)
        self._branches: list[Branch] = []
        self._listing: dict[int, Task] = {}
        self._fresh: set[int] = set()  # branches whose next page replaces the rows shown
        self.filter: str | None = None
        self.copies_root = None  # where downloaded copies go (tests set a folder)

    # -- queries

    def branches(self) -> list[Branch]:
        return list(self._branches)

    def for_location(self, location: str) -> Branch | None:
        return next((b for b in self._branches if b.location == location), None)

    def is_listing(self, branch: Branch | None = None) -> bool:
        if branch is None:
            return bool(self._listing)
        return id(branch) in self._listing

    def model_node(self, branch: Branch, name: str) -> Node | None:
        if branch.node is None:
            return None
        return next((n for n in branch.node.children if n.kind == REGISTERED and n.key == name),
                    None)

    # -- adding and removing

    def add_server(self, source: RegistrySource, connection: str | None = None) -> Branch:
        """A server's source node and its registry branch (listing starts at once)."""
        existing = self.for_location(source.location)
        if existing is not None:
            return existing
        branch = Branch(source, connection or server_label(source.location), server=True,
                        connection=connection, copies_root=self.copies_root)
        self._branches.append(branch)
        top = server_node(branch)
        top.children = [branch_node(branch)]
        branch.node.parent = top
        self._library.insert_nodes(self._library.root, [top])
        self.list(branch)
        return branch

    def add_local(self, source: RegistrySource, under: Node) -> Branch | None:
        """A tracking folder's registry, shown once its first page says it has models."""
        if self.for_location(source.location) is not None:
            return None
        branch = Branch(source, f"{getattr(source, 'kind', 'registry')}", server=False,
                        source_node=under, copies_root=self.copies_root)
        node = branch_node(branch)
        where = os.path.relpath(source.location, under.key) if under.key else source.location
        if where not in (".", "mlruns", "mlflow.db"):  # say which store when a folder has several
            node.label = f"Registered models · {where}"
        self._branches.append(branch)
        self.list(branch)
        return branch

    def detect(self, source_node: Node) -> Task:
        """Look for registries in a tracking folder (its scan just started)."""
        for branch in [b for b in self._branches if b.source_node is source_node]:
            self._drop(branch)  # a rescan cleared the folder's rows: its registries come again
        task = self._tasks.start(find_registries, source_node.key, name="find registries")

        def found(sources: list[RegistrySource]) -> None:
            if self._library.is_attached(source_node):
                for source in sources:
                    self.add_local(source, source_node)

        task.succeeded.connect(found)
        task.failed.connect(lambda err: setattr(err, "handled", True))
        return task

    def remove(self, branch: Branch) -> None:
        """Forget a branch (its nodes are removed by the caller with their source)."""
        self._drop(branch)
        close = getattr(branch.source, "close", None)
        if close is not None:
            close()

    def _drop(self, branch: Branch) -> None:
        self.cancel(branch)
        if branch in self._branches:
            self._branches.remove(branch)
        node = branch.node
        if (not branch.server and node is not None and node.parent is not None
                and self._library.is_attached(node)):
            self._library.remove_node(node)

    # -- listing

    def list(self, branch: Branch, filter_string: str | None = None) -> Task:
        """(Re-)list ``branch``; the rows shown stay until the first page of the answer."""
        old = self._listing.pop(id(branch), None)
        if old is not None:
            old.cancel()
        filter_string = filter_string if filter_string is not None else self.filter
        branch.filter = filter_string
        branch.state, branch.error, branch.error_status = "listing", None, None
        branch.models = branch.versions = 0
        self._fresh.add(id(branch))
        task = self._tasks.start(list_pages, branch, filter_string,
                                 name=f"list registry {branch.location}")
        self._listing[id(branch)] = task
        task.partial.connect(lambda batch, b=branch, t=task: self._on_pages(b, t, batch))
        task.succeeded.connect(lambda counts, b=branch, t=task: self._on_done(b, t, counts))
        task.failed.connect(lambda err, b=branch, t=task: self._on_failed(b, t, err))
        task.cancelled.connect(lambda b=branch, t=task: self._on_cancelled(b, t))
        self._show_state(branch)
        return task

    def refresh(self, branch: Branch) -> Task:
        return self.list(branch)

    def cancel(self, branch: Branch) -> None:
        task = self._listing.get(id(branch))
        if task is not None:
            task.cancel()

    def set_filter(self, filter_string: str | None) -> None:
        """Re-list every branch with ``filter_string`` (MLflow's grammar; None: no filter)."""
        if filter_string == self.filter:
            return
        self.filter = filter_string
        for branch in self._branches:
            self.list(branch, filter_string)

    def _current(self, branch: Branch, task: Task) -> bool:
        return self._listing.get(id(branch)) is task and branch in self._branches

    def _on_pages(self, branch: Branch, task: Task, batch: list[list[Node]]) -> None:
        if not self._current(branch, task):
            return
        nodes = [n for page in batch for n in page]
        self._attach(branch)
        if id(branch) in self._fresh:
            self._fresh.discard(id(branch))
            self._library.replace_children(branch.node, nodes)
        else:
            self._library.insert_nodes(branch.node, nodes)
        branch.models += len(nodes)
        branch.versions += sum(len(n.children) for n in nodes)
        self._show_state(branch)

    def _attach(self, branch: Branch) -> None:
        """Put a local branch's node into the library (at the top of its folder) once it has
        something to show."""
        node = branch.node
        if node is None or node.parent is not None or branch.source_node is None:
            return
        if self._library.is_attached(branch.source_node):
            self._library.insert_nodes(branch.source_node, [node], row=0)

    def _finish(self, branch: Branch, task: Task) -> bool:
        if not self._current(branch, task):
            return False
        del self._listing[id(branch)]
        return True

    def _on_done(self, branch: Branch, task: Task, counts: tuple[int, int]) -> None:
        if not self._finish(branch, task):
            return
        if id(branch) in self._fresh:  # nothing came: the listing is empty now
            self._fresh.discard(id(branch))
            if branch.node is not None:
                self._library.clear_source(branch.node)
        branch.models, branch.versions = counts
        branch.state = "ready"  # an empty local registry stays out of sight (mlflow.db is common)
        self._show_state(branch)
        if branch.server:
            self._status(f"{branch.label}: {branch.models:,} registered model"
                         f"{'s' if branch.models != 1 else ''}, {branch.versions:,} versions")

    def _on_failed(self, branch: Branch, task: Task, err: TaskError) -> None:
        err.handled = True
        if not self._finish(branch, task):
            return
        self._fresh.discard(id(branch))
        if err.exc_type == "TransferCancelled":
            self._on_cancelled(branch, task, finished=True)
            return
        branch.state, branch.error = "failed", err.message if err.expected else str(err)
        branch.error_status = err.status
        if not branch.server:
            self._attach(branch)
        self._show_state(branch)
        self._status(f"{branch.label}: {branch.error}")
        self.failed.emit(branch, branch.error)

    def _on_cancelled(self, branch: Branch, task: Task, finished: bool = False) -> None:
        if not finished and not self._finish(branch, task):
            return
        self._fresh.discard(id(branch))
        branch.state = "cancelled"
        self._show_state(branch)

    def _show_state(self, branch: Branch) -> None:
        if branch.node is not None and branch.node.parent is not None:
            self._library.node_changed(branch.node)
        top = branch.source_node
        if branch.server and top is not None and top.kind == SOURCE:
            self._library.set_source_status(top, branch.source_status())
        self.changed.emit(branch)

    # -- one model again (after a write)

    def refresh_model(self, branch: Branch, name: str) -> Task:
        task = self._tasks.start(fetch_model, branch, name, name=f"refresh {name}")
        task.succeeded.connect(lambda node, b=branch, n=name: self._replace_model(b, n, node))
        task.failed.connect(lambda err, b=branch: self._refresh_failed(b, err))
        return task

    def _refresh_failed(self, branch: Branch, err: TaskError) -> None:
        err.handled = True
        self._status(f"Could not refresh the library from {branch.label}: {err}")

    def _replace_model(self, branch: Branch, name: str, node: Node | None) -> None:
        if branch not in self._branches or branch.node is None:
            return
        old = self.model_node(branch, name)
        if old is not None:
            self._library.remove_node(old)
        if node is not None:
            names = [n.key for n in branch.node.children if n.kind == REGISTERED]
            row = sum(1 for n in names if n < name)
            self._attach(branch)
            self._library.insert_nodes(branch.node, [node], row=row)
        branch.models = sum(1 for n in branch.node.children if n.kind == REGISTERED)
        branch.versions = sum(len(n.children) for n in branch.node.children)
        self._show_state(branch)
        self.model_refreshed.emit(branch, name, node)


def model_of(node: Node) -> RegisteredModel | None:
    payload = node.payload
    return getattr(payload, "model", None)
