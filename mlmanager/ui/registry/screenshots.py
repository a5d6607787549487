"""``--screenshot`` views of registries (``--view registry|registered-model|model-version|
version-opened``): once the listings have settled, select the row the picture is about.

``registry`` is the first registry branch, ``registered-model`` the first registered model,
``model-version`` the version an alias points to (else the newest) shown in the registry panel,
``version-opened`` that version opened (downloaded first) on its Overview tab.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mlmanager.ui.models.library import REGISTERED, REGISTRY, VERSION, Node

REGISTRY_VIEWS = ("registry", "registered-model", "model-version", "version-opened")


def _rows(window: Any) -> list[Node]:
    out: list[Node] = []
    stack = list(reversed(window.library.root.children))
    while stack:
        node = stack.pop()
        out.append(node)
        stack.extend(reversed(node.children))
    return out


def _pick(window: Any, view: str) -> Node | None:
    rows = _rows(window)
    if view == "registry":
        return next((n for n in rows if n.kind == REGISTRY), None)
    models = [n for n in rows if n.kind == REGISTERED]
    if view == "registered-model":
        return next((m for m in models if m.payload.model.aliases), models[0] if models else None)
    versions = [n for n in rows if n.kind == VERSION]
    aliased = [v for v in versions if v.payload.version.aliases]
    return (aliased or versions or [None])[0]


def prepare_view(window: Any, view: str, wait_until_settled: Callable[[Any], bool]) -> None:
    """Select (and for ``version-opened`` open) the row of ``view``; ``wait_until_settled(window)``
    runs the event loop until the background work is done (``ui.screenshot``'s)."""
    wait_until_settled(window)
    node = _pick(window, view)
    if node is None:
        return
    panel = window.library_panel
    panel.select_source_index(window.library.index_of(node))
    panel.tree.expand(panel.view_index(window.library.index_of(node)))
    if view == "version-opened":
        window.registry.open_version(node)
        wait_until_settled(window)
        window.view.set_current_page("overview")
