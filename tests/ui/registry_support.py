"""Helpers for the desktop tests of registries (no fixtures here)."""

from __future__ import annotations

import shutil
import uuid
from pathlib import Path
from typing import Any

from mlmanager.ui.models.library import REGISTERED, VERSION, Node


def prefix() -> str:
    """A name prefix of this test's own models on the shared session server."""
    return f"u{uuid.uuid4().hex[:8]}-"


def rows(node: Node) -> list[Node]:
    out, stack = [], [node]
    while stack:
        n = stack.pop()
        out.append(n)
        stack.extend(reversed(n.children))
    return out


def registered(window: Any, branch: Any) -> dict[str, Node]:
    return {n.key: n for n in branch.node.children if n.kind == REGISTERED}


def version_node(model: Node, version: str) -> Node:
    return next(c for c in model.children if c.kind == VERSION
                and c.payload.version.version == version)


def listed(qtbot: Any, window: Any, branch: Any, timeout: int = 60_000) -> None:
    """Wait until the branch's listing ended (any way)."""
    qtbot.waitUntil(lambda: not window.registry.branches.is_listing(branch), timeout=timeout)


def library_view(window: Any, branch: Any) -> dict:
    """The branch as the library shows it, in MlflowClient's shape (names, versions, aliases)."""
    out = {}
    for name, node in registered(window, branch).items():
        model = node.payload.model
        out[name] = {"aliases": dict(model.aliases),
                     "versions": sorted((c.payload.version.version, tuple(c.payload.version.aliases))
                                        for c in node.children)}
    return out


def client_view(uri: str, filter_string: str) -> dict:
    from mlflow import MlflowClient

    client = MlflowClient(uri, registry_uri=uri)
    out = {}
    for rm in client.search_registered_models(filter_string=filter_string, max_results=1000):
        versions = client.search_model_versions(f"name = '{rm.name}'")
        aliases = {a: str(v) for a, v in rm.aliases.items()}
        by_version: dict[str, list[str]] = {}
        for a, v in aliases.items():
            by_version.setdefault(v, []).append(a)
        out[rm.name] = {"aliases": aliases,
                        "versions": sorted((str(v.version), tuple(sorted(by_version.get(str(v.version), []))))
                                           for v in versions)}
    return out


def row_center(window: Any, node: Node):
    """The library row of ``node`` made visible (ancestors expanded, scrolled to): its centre
    in the tree's viewport."""
    panel = window.library_panel
    tree = panel.tree
    index = panel.view_index(window.library.index_of(node))
    parent = index.parent()
    while parent.isValid():
        tree.expand(parent)
        parent = parent.parent()
    tree.scrollTo(index)
    rect = tree.visualRect(index)
    assert rect.isValid(), f"the row of {node.label} is not on screen"
    return rect.center()


def drop_paths_on_row(window: Any, node: Node, paths: list) -> tuple[bool, bool]:
    """Real drag events carrying ``paths`` (file URLs) onto ``node``'s library row: enter and
    move there, then drop. Returns (accepted on move, accepted on drop)."""
    from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
    from PySide6.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent
    from PySide6.QtWidgets import QApplication

    viewport = window.library_panel.tree.viewport()
    at = row_center(window, node)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    copy, left, none = Qt.DropAction.CopyAction, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier
    enter = QDragEnterEvent(at, copy, mime, left, none)
    QApplication.sendEvent(viewport, enter)
    move = QDragMoveEvent(at, copy, mime, left, none)
    move.setAccepted(False)
    QApplication.sendEvent(viewport, move)
    dropped = QDropEvent(QPointF(at), copy, mime, left, none)
    dropped.setAccepted(False)
    QApplication.sendEvent(viewport, dropped)
    return move.isAccepted(), dropped.isAccepted()


def open_local_store(qtbot: Any, window: Any, store_copy: Path) -> Any:
    """The corpus' file store copied to ``store_copy``, opened as a tracking folder; returns its
    registry branch once listed and the scan is done."""
    from corpus_paths import MODELS

    shutil.copytree(MODELS / "mlruns", store_copy)
    window.open_tracking(store_copy)
    qtbot.waitUntil(lambda: any(not b.server for b in window.registry.branches.branches()),
                    timeout=30_000)
    branch = next(b for b in window.registry.branches.branches() if not b.server)
    listed(qtbot, window, branch)
    qtbot.waitUntil(lambda: not window.scans.is_scanning(), timeout=30_000)
    return branch
