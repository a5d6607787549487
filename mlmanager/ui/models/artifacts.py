"""The model folder as a tree (name, size, kind) built from ``core.artifacts`` entries."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import QModelIndex, QObject, QPersistentModelIndex, Qt

from mlmanager.core.sizes import format_size
from mlmanager.ui import icons
from mlmanager.ui.models.tree import TreeModel, TreeNode

HEADERS = ["Name", "Size", "Kind"]
Index = QModelIndex | QPersistentModelIndex

KIND_LABELS = {
    "mlmodel": "MLmodel",
    "model": "model file",
    "env": "environment",
    "example": "input example",
    "code": "code",
    "data": "data",
    "other": "file",
    "symlink": "symlink",
    "special": "special file",
    "dir": "folder",
}


def build_tree(artifacts: Iterable[Any]) -> TreeNode:
    """Folders first, then files, each sorted by name; folder sizes are the sum of their files.

    Creates no Qt objects (icons come later, in ``data()``), so the model loader builds it on
    its worker thread and a folder of 100,000 files does not stall the GUI."""
    root = TreeNode([], path="")
    folders: dict[str, TreeNode] = {"": root}
    sizes: dict[str, int] = {}

    def folder(path: str) -> TreeNode:
        node = folders.get(path)
        if node is None:
            parent_path, _, name = path.rpartition("/")
            parent = folder(parent_path)
            node = TreeNode([name, "", KIND_LABELS["dir"]], path=path, item=None)
            node.sort_keys = [name.lower(), 0, "dir"]
            parent.add(node)
            folders[path] = node
        return node

    for art in artifacts:
        parts = art.path.split("/")
        if art.path.startswith(("/", "\\")) or any(p in ("", ".", "..") for p in parts):
            parent_path, name = "", art.path  # an unsafe name (zip slip): listed whole, at the top
        else:
            parent_path, _, name = art.path.rpartition("/")
        parent = folder(parent_path)
        label = KIND_LABELS.get(art.kind, art.kind)
        tip = art.path
        if art.kind == "symlink":
            tip += f"\nsymbolic link to {art.target} (not followed)"
        elif art.kind == "special":
            tip += f"\n{art.detail or 'special file'}: never opened"
        node = TreeNode([name, format_size(art.size) if art.kind not in ("symlink", "special") else "",
                         label], path=art.path, tooltip=tip, item=art)
        node.sort_keys = [name.lower(), art.size, label]
        parent.add(node)
        p = parent_path
        while True:
            sizes[p] = sizes.get(p, 0) + (art.size or 0)
            if not p:
                break
            p = p.rpartition("/")[0]

    def finish(node: TreeNode) -> None:
        node.children.sort(key=lambda n: (n.item is not None, n.values[0].lower()))
        for i, c in enumerate(node.children):
            c.row = i
            if c.item is None and c.path in sizes:
                c.values[1] = format_size(sizes[c.path])
                c.sort_keys = [c.values[0].lower(), sizes[c.path], "dir"]
            finish(c)

    finish(root)
    return root


class ArtifactTreeModel(TreeModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(HEADERS, parent)

    def set_artifacts(self, artifacts: Iterable[Any] | None) -> None:
        self.set_root(build_tree(artifacts or []))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DecorationRole and index.isValid() and index.column() == 0:
            node: TreeNode = index.internalPointer()
            if node.icon is None:  # created lazily, in the GUI thread
                art = node.item
                node.icon = icons.icon("folder") if art is None else icons.icon_for_file(art.path, art.kind)
            return node.icon
        return super().data(index, role)
