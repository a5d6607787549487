"""Helpers for the desktop tests of registries (no fixtures here)."""

from __future__ import annotations

import uuid
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
