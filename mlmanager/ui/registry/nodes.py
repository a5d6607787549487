"""Library nodes of a registry: the branch, registered models and versions, and how they look.

Nodes are built off the GUI thread (the listing task builds whole subtrees per page, see
``branches``); the GUI inserts each page in one step. A node's ``payload`` is one of
:class:`Branch` (the "Registered models" node, and a server's source node), :class:`ModelItem`
or :class:`VersionItem`. :func:`registry_look` answers ``LibraryModel.data`` for these kinds.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass, field
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtGui import QFont

from mlmanager.core.library.paths import model_key
from mlmanager.core.library.registry.entities import ModelVersion, RegisteredModel
from mlmanager.core.library.registry.source import RegistryNotFoundError, RegistrySource
from mlmanager.core.remote.copies import existing_copy, server_label
from mlmanager.ui import icons
from mlmanager.ui.models.library import (
    REGISTERED,
    REGISTRY,
    SOURCE,
    VERSION,
    Node,
)

READY = "READY"


@dataclass(eq=False)
class Branch:
    """One registry in the library: a server's, or a tracking folder's (read-only)."""

    source: RegistrySource
    label: str  # "127.0.0.1:5000", "mlruns registry"
    server: bool  # a tracking server: writable, downloads
    node: Node | None = None  # the "Registered models" node
    source_node: Node | None = None  # the source it hangs under (a server's own node)
    connection: str | None = None  # the saved connection it was opened with
    filter: str | None = None
    state: str = "idle"  # idle | listing | ready | failed | cancelled
    error: str | None = None
    error_status: int | None = None  # the HTTP status of a failed listing (401: log in)
    models: int = 0
    versions: int = 0
    copies_root: Any = None  # where downloaded copies go (None: the default)
    login_note: str = ""  # what a user should know of this session's login (a secret not saved)

    @property
    def location(self) -> str:
        return self.source.location

    @property
    def writable(self) -> bool:
        return bool(getattr(self.source, "writable", False))

    @property
    def read_only_reason(self) -> str:
        kind = getattr(self.source, "kind", "local registry")
        return (f"This {kind} is read-only: MLflow owns its format. Register models on an MLflow "
                "tracking server (File ▸ Connect to Tracking Server…).")

    @property
    def needs_login(self) -> bool:
        """The server refused the listing for want of (valid) credentials."""
        return self.server and self.state == "failed" and self.error_status == 401

    def short_status(self) -> str:
        """What the "Registered models" row says after its name."""
        if self.state in ("listing", "failed"):
            return self.status_text()
        return f"{self.models:,}" + (", filtered" if self.filter else "") + (
            ", cancelled" if self.state == "cancelled" else "")

    def source_status(self) -> str:
        """What a server's row says after its name (nothing once listed)."""
        return self.status_text() if self.state in ("listing", "failed", "cancelled") else ""

    def status_text(self) -> str:
        if self.state == "listing":
            return f"listing… {self.models:,}" if self.models else "listing…"
        if self.state == "failed":
            return "not reachable" if self.server else "cannot be read"
        n = self.models
        text = f"{n:,} model{'s' if n != 1 else ''}" if n else "none"
        if self.filter:
            text += ", filtered"
        if self.state == "cancelled":
            text += ", listing cancelled"
        return text


@dataclass(eq=False)
class ModelItem:
    model: RegisteredModel
    branch: Branch


@dataclass(eq=False)
class VersionItem:
    version: ModelVersion
    branch: Branch
    path: str | None = None  # the local folder: in a local store, or a downloaded copy
    missing: str | None = None  # why a local version has no folder here
    downloading: bool = False

    @property
    def downloaded(self) -> bool:
        return self.path is not None


# --------------------------------------------------------------------------------------------
# building (runs in the listing task's thread)


def version_node(version: ModelVersion, branch: Branch) -> Node:
    item = VersionItem(version, branch)
    if branch.server:
        copy = existing_copy(branch.location, version.name, version.version, branch.copies_root)
        item.path = str(copy) if copy is not None else None
    else:
        folder = getattr(branch.source, "model_folder", None)
        try:
            item.path = folder(version) if folder is not None else None
        except RegistryNotFoundError as exc:
            item.missing = exc.message
    label = f"Version {version.version}"
    node = Node(VERSION, label, key=model_key(item.path) if item.path else "",
                search=version_search(version), payload=item)
    return node


def version_search(v: ModelVersion) -> str:
    return " ".join(filter(None, [
        v.name, f"version {v.version}", f"v{v.version}", *(f"@{a}" for a in v.aliases),
        v.status, v.description, v.run_id, v.model_id,
        *(f"{k}={val}" for k, val in v.tags.items())]))


def model_node(model: RegisteredModel, branch: Branch) -> Node:
    node = Node(REGISTERED, model.name, key=model.name, payload=ModelItem(model, branch),
                search=" ".join(filter(None, [model.name, model.description,
                                              *(f"@{a}" for a in model.aliases),
                                              *(f"{k}={v}" for k, v in model.tags.items())])))
    node.children = [version_node(v, branch) for v in reversed(model.versions)]  # newest first
    for i, child in enumerate(node.children):
        child.parent = node
        child.row = i
    return node


def branch_node(branch: Branch) -> Node:
    node = Node(REGISTRY, "Registered models", key=f"registry:{branch.location}",
                tooltip=f"The model registry of {branch.location}", search="registered models",
                payload=branch)
    branch.node = node
    return node


def server_node(branch: Branch) -> Node:
    node = Node(SOURCE, branch.label, key=branch.location, tooltip=branch.location,
                search=f"{branch.label} {branch.location}", payload=branch)
    branch.source_node = node
    return node


# --------------------------------------------------------------------------------------------
# how the rows look (LibraryModel.data for registry kinds)

_DISPLAY = int(Qt.ItemDataRole.DisplayRole)
_DECORATION = int(Qt.ItemDataRole.DecorationRole)
_TOOLTIP = int(Qt.ItemDataRole.ToolTipRole)
_ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)
_FONT = int(Qt.ItemDataRole.FontRole)


def format_stamp(ms: int | None) -> str:
    if not ms:
        return "—"
    stamp = dt.datetime.fromtimestamp(ms / 1000, tz=dt.timezone.utc).astimezone()
    return f"{stamp:%Y-%m-%d %H:%M}"


def registry_look(node: Node, role: int, entry_state: str | None = None) -> Any:
    """``data()`` of a registry row (``NotImplemented``: the library's default)."""
    payload = node.payload
    if node.kind == SOURCE:  # a server
        if role == _DECORATION:
            return icons.icon("server-error" if payload.state == "failed" else "server")
        if role == _TOOLTIP:
            lines = [f"MLflow tracking server {payload.location}"]
            if payload.connection:
                lines.append(f"Saved connection “{payload.connection}”")
            if payload.error:
                lines.append(payload.error)
            return "\n".join(lines)
        return NotImplemented
    if node.kind == REGISTRY:
        if role == _DISPLAY:
            return f"{node.label}  ({payload.short_status()})" if payload is not None else node.label
        if role == _DECORATION:
            return icons.icon("registry")
        if role == _TOOLTIP:
            return registry_tooltip(payload) if payload is not None else node.tooltip
        return NotImplemented
    if node.kind == REGISTERED:
        if role == _DECORATION:
            return icons.icon("registered-model")
        if role == _TOOLTIP:
            return model_tooltip(payload.model)
        if role == _ACCESSIBLE:
            return f"registered model {node.label}, {len(payload.model.versions)} versions"
        return NotImplemented
    if node.kind == VERSION:
        item: VersionItem = payload
        if role == _DECORATION:
            if entry_state == "error":
                return icons.icon("model-error")
            if entry_state == "loading" or item.downloading:
                return icons.icon("model-loading")
            if item.missing:
                return icons.icon("model-missing")
            return icons.icon("version" if item.downloaded or not item.branch.server
                              else "version-remote")
        if role == _TOOLTIP:
            return version_tooltip(item)
        if role == _ACCESSIBLE:
            return f"{item.version.title}, {item.version.status}"
        if role == _FONT and item.version.status != READY:
            font = QFont()
            font.setItalic(True)
            return font
        return NotImplemented
    return NotImplemented


def registry_tooltip(branch: Branch) -> str:
    lines = [f"Registered models of {branch.location}"]
    if branch.filter:
        lines.append(f"Filter: {branch.filter}")
    if branch.error:
        lines.append(branch.error)
    if branch.login_note:
        lines.append(branch.login_note)
    if not branch.writable:
        lines.append("Read-only (MLflow owns this store's format)")
    return "\n".join(lines)


def model_tooltip(model: RegisteredModel) -> str:
    n = len(model.versions)
    lines = [f"{model.name}: {n} version{'s' if n != 1 else ''}"]
    if model.aliases:
        lines.append("Aliases: " + ", ".join(f"@{a} → {v}" for a, v in sorted(model.aliases.items())))
    if model.tags:
        lines.append("Tags: " + ", ".join(f"{k}={v}" for k, v in model.tags.items()))
    if model.description:
        lines.append(model.description[:300])
    return "\n".join(lines)


def version_tooltip(item: VersionItem) -> str:
    v = item.version
    lines = [f"{v.name} {v.title}", f"Status: {v.status}" + (f" ({v.status_message})"
                                                            if v.status_message else ""),
             f"Registered: {format_stamp(v.creation_timestamp)}"]
    if v.run_id:
        lines.append(f"Run {v.run_id}")
    if v.model_id:
        lines.append(f"Logged model {v.model_id}")
    if v.tags:
        lines.append("Tags: " + ", ".join(f"{k}={val}" for k, val in v.tags.items()))
    if v.description:
        lines.append(v.description[:300])
    if item.missing:
        lines.append(f"Files not here: {item.missing}")
    elif item.branch.server:
        lines.append(f"Downloaded to {item.path}" if item.path else
                     "On the server: open it to download its files")
    elif item.path:
        lines.append(item.path)
    return "\n".join(lines)


def origin_text(item: VersionItem) -> str:
    """``127.0.0.1:5000 ▸ churn ▸ version 3 @champion``: where an opened version came from."""
    where = item.branch.label if item.branch.server else short_path(item.branch.location)
    return f"{where} ▸ {item.version.name} ▸ {item.version.title}"


def short_path(path: str) -> str:
    home = os.path.expanduser("~")
    return "~" + path[len(home):] if path.startswith(home + os.sep) else path


def server_branch_label(url: str, connection: str | None = None) -> str:
    return connection or server_label(url)


@dataclass(frozen=True)
class VersionOrigin:
    """What an opened model remembers of the registry version it is (``entry.info['registry']``)."""

    item: VersionItem
    copy: bool  # a downloaded copy (servers) rather than the store's own folder
    notes: list[str] = field(default_factory=list)

    @property
    def branch(self) -> Branch:
        return self.item.branch

    @property
    def version(self) -> ModelVersion:
        return self.item.version

    @property
    def text(self) -> str:
        return origin_text(self.item)
