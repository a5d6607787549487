"""The whole MLmodel as a tree of key ▸ value ▸ type; signature JSON strings decoded.

Each node's ``path`` is the dotted key path (``flavors.sklearn.pickled_model``, list items as
``[0]``) and its ``item`` the raw value, for "copy value" and "copy path".
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from PySide6.QtCore import QObject

from mlmanager.ui import icons
from mlmanager.ui.models.tree import TreeModel, TreeNode

HEADERS = ["Key", "Value", "Type"]
SIGNATURE_SECTIONS = ("inputs", "outputs", "params")
MAX_VALUE_CHARS = 300
MAX_CHILDREN = 2000


def type_name(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, str):
        return "string"
    if isinstance(value, dict):
        return "mapping"
    if isinstance(value, list):
        return "list"
    if isinstance(value, dt.datetime):
        return "timestamp"
    if isinstance(value, dt.date):
        return "date"
    if isinstance(value, (bytes, bytearray)):
        return "binary"
    return type(value).__name__


def value_text(value: Any) -> str:
    """The value as one line (YAML spelling for null/bools)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        n = len(value)
        return f"{n} key{'s' if n != 1 else ''}"
    if isinstance(value, list):
        n = len(value)
        return f"{n} item{'s' if n != 1 else ''}"
    text = str(value).replace("\n", "⏎ ")
    if len(text) > MAX_VALUE_CHARS:
        text = text[: MAX_VALUE_CHARS - 1] + "…"
    return text


def copy_text(value: Any) -> str:
    """What "copy value" puts on the clipboard: scalars as text, containers as JSON."""
    if isinstance(value, (dict, list)):
        return json.dumps(value, indent=2, default=str, ensure_ascii=False)
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _join(path: str, key: Any) -> str:
    if isinstance(key, int) and not isinstance(key, bool):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else str(key)


def _spec_type(spec: dict) -> str:
    t = spec.get("type")
    if t == "tensor":
        ts = spec.get("tensor-spec") or {}
        return f"tensor {ts.get('dtype')} {ts.get('shape')}"
    if t == "array":
        items = spec.get("items")
        return f"array<{_spec_type(items) if isinstance(items, dict) else items}>"
    if t == "map":
        values = spec.get("values")
        return f"map<string, {_spec_type(values) if isinstance(values, dict) else values}>"
    if t == "object":
        props = spec.get("properties") or {}
        return "object{" + ", ".join(str(k) for k in props) + "}"
    return str(t)


def decode_signature_section(section: str, text: str) -> tuple[list[str], list[list[str]]] | None:
    """Headers and rows for a signature JSON string, or None when it is not readable JSON."""
    try:
        items = json.loads(text)
    except (ValueError, TypeError):
        return None
    if not isinstance(items, list):
        return None
    if section == "params":
        rows = []
        for p in items:
            if isinstance(p, dict):
                shape = p.get("shape")
                rows.append([str(p.get("name")), _spec_type(p) + ("[]" if shape is not None else ""),
                             json.dumps(p.get("default"), default=str)])
        return ["Name", "Type", "Default"], rows
    rows = []
    for i, spec in enumerate(items):
        if not isinstance(spec, dict):
            rows.append([f"#{i}", str(spec), ""])
            continue
        name = spec.get("name")
        required = spec.get("required", True)
        rows.append([f"#{i}" if name is None else str(name), _spec_type(spec),
                     "optional" if required is False else "required"])
    return ["Name", "Type", "Required"], rows


def _add(parent: TreeNode, key: Any, value: Any, path: str, depth: int) -> TreeNode:
    node = parent.add(TreeNode([str(key), value_text(value), type_name(value)], path=path, item=value))
    if path.startswith("signature.") and path.count(".") == 1 and isinstance(value, str):
        section = path.split(".", 1)[1]
        decoded = decode_signature_section(section, value)
        if decoded is not None:
            headers, rows = decoded
            unit = "param" if section == "params" else (
                "tensor" if rows and rows[0][1].startswith("tensor") else "column")
            node.values[1] = f"{len(rows)} {unit}{'s' if len(rows) != 1 else ''}  (decoded from JSON)"
            node.values[2] = "signature JSON"
            node.tooltip = value
            node.icon = icons.icon("file-json")
            for i, row in enumerate(rows):
                if section == "params":
                    shown = f"{row[1]} = {row[2]}"
                else:
                    shown = row[1] + ("  (optional)" if row[2] == "optional" else "")
                node.add(TreeNode([row[0], shown, unit], path=f"{path}[{i}]", item=row))
            node.item = value
            node.table = decoded  # read by the detail pane
        return node
    if depth > 64:
        return node
    if isinstance(value, dict):
        if path == "flavors" or path.startswith("flavors.") and path.count(".") == 1:
            node.icon = icons.icon("flavor")
        for i, (k, v) in enumerate(value.items()):
            if i >= MAX_CHILDREN:
                node.add(TreeNode(["…", f"{len(value) - MAX_CHILDREN} more", ""], path=path))
                break
            _add(node, k, v, _join(path, k), depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            if i >= MAX_CHILDREN:
                node.add(TreeNode(["…", f"{len(value) - MAX_CHILDREN} more", ""], path=path))
                break
            _add(node, f"[{i}]", v, _join(path, i), depth + 1)
    return node


def build_tree(data: Any) -> TreeNode:
    root = TreeNode([])
    if isinstance(data, dict):
        for k, v in data.items():
            _add(root, k, v, str(k), 0)
    elif data is not None:
        _add(root, "(document)", data, "", 0)
    blank = icons.icon("blank")  # same row height and text alignment with and without an icon
    for node in root.walk():
        if node is not root and node.icon is None:
            node.icon = blank
    return root


def expand_paths(root: TreeNode) -> list[str]:
    """Paths worth expanding on first show: flavors and their configs, signature, metadata."""
    out = []
    for node in root.walk():
        p = node.path
        if not p or not node.children:
            continue
        top = p.split(".", 1)[0].split("[", 1)[0]
        depth = p.count(".")
        if (top == "flavors" and depth <= 1) or (top in ("signature", "metadata", "saved_input_example_info")
                                                  and depth == 0) or top == "metadata" and depth == 1 and len(node.children) <= 8:
            out.append(p)
    return out


class MLmodelTreeModel(TreeModel):
    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(HEADERS, parent)

    def set_data(self, data: Any) -> None:
        self.set_root(build_tree(data))
