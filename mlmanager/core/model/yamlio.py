"""Strict YAML reading and MLflow-style YAML writing.

Reading follows ``yaml.safe_load`` (what MLflow uses), plus guards MLflow lacks:
a size cap, strict UTF-8 with the position of a bad byte, no anchors/aliases (an alias bomb
cannot hang a consumer that walks the tree), a nesting-depth cap and duplicate-key detection.
Writing reproduces ``yaml.safe_dump(d, default_flow_style=False)`` exactly (sorted keys,
width 80, ASCII with escapes), so an untouched MLflow file re-emits to the same text.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from mlmanager.core.errors import YamlError

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

MAX_YAML_BYTES = 1 << 20  # 1 MiB: real MLmodel files are a few KiB
MAX_DEPTH = 64

_Loader: type = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


class _StrictLoader(_Loader):  # type: ignore[misc, valid-type]
    """Safe loader that refuses duplicate mapping keys."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: set = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=True)
            try:
                duplicate = key in seen
                seen.add(key)
            except TypeError:
                raise YamlError(
                    f"unhashable mapping key at line {key_node.start_mark.line + 1}"
                ) from None
            if duplicate:
                raise YamlError(
                    f"duplicate key {key!r} at line {key_node.start_mark.line + 1}"
                )
        return super().construct_mapping(node, deep=deep)


_StrictLoader.add_constructor(
    yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _StrictLoader.construct_mapping
)


def decode_utf8(data: bytes, path: str | Path | None = None) -> str:
    """Decode strictly as UTF-8 (BOM allowed), naming line and column of the first bad byte."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        before = data[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        raise YamlError(
            f"not valid UTF-8: byte 0x{data[exc.start]:02x} at line {line}, column {col}", path
        ) from None


def _prescan(text: str, path: str | Path | None, max_depth: int) -> None:
    """Walk the event stream (C speed): refuse anchors/aliases and excessive nesting."""
    depth = 0
    for event in yaml.parse(text, Loader=_Loader):
        if isinstance(event, yaml.AliasEvent):
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise YamlError(f"YAML aliases are not allowed (alias at line {line})", path)
        anchor = getattr(event, "anchor", None)
        if anchor is not None:
            line = event.start_mark.line + 1 if event.start_mark else "?"
            raise YamlError(f"YAML anchors are not allowed (anchor &{anchor} at line {line})", path)
        if isinstance(event, (yaml.MappingStartEvent, yaml.SequenceStartEvent)):
            depth += 1
            if depth > max_depth:
                line = event.start_mark.line + 1 if event.start_mark else "?"
                raise YamlError(f"nesting deeper than {max_depth} levels at line {line}", path)
        elif isinstance(event, (yaml.MappingEndEvent, yaml.SequenceEndEvent)):
            depth -= 1


def load_yaml_text(
    text: str, path: str | Path | None = None, *, max_depth: int = MAX_DEPTH
) -> Any:
    """Parse YAML text with the guards described in the module docstring."""
    try:
        _prescan(text, path, max_depth)
        return yaml.load(text, Loader=_StrictLoader)  # noqa: S506 - a safe loader subclass
    except YamlError as exc:
        if exc.path is None and path is not None:
            raise YamlError(exc.message, path) from None
        raise
    except yaml.constructor.ConstructorError as exc:
        raise YamlError(f"unsupported YAML tag or value: {_first_line(exc)}", path) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"invalid YAML: {_first_line(exc)}", path) from None
    except RecursionError:
        raise YamlError("YAML nested too deeply", path) from None
    except (ValueError, TypeError, OverflowError) as exc:  # e.g. `a: 2024-13-45`, a bad !!int
        raise YamlError(f"invalid YAML value: {_first_line(exc)}", path) from None


def load_yaml_bytes(
    data: bytes,
    path: str | Path | None = None,
    *,
    max_bytes: int = MAX_YAML_BYTES,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Size-check, decode and parse YAML bytes."""
    if len(data) > max_bytes:
        raise YamlError(
            f"file is {len(data):,} bytes, larger than the {max_bytes:,}-byte limit for YAML", path
        )
    return load_yaml_text(decode_utf8(data, path), path, max_depth=max_depth)


def dump_mlflow_yaml(data: Any, *, sort_keys: bool = True) -> str:
    """Emit YAML exactly as MLflow does (``yaml.safe_dump(d, default_flow_style=False)``)."""
    return yaml.dump(
        data, Dumper=yaml.SafeDumper, default_flow_style=False, sort_keys=sort_keys
    )


def _first_line(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return text[:300]
