"""``mlmanager scan ROOT [--json] [--include-deleted]``: every model under a folder, a file-store
``mlruns/`` or an ``mlflow.db`` tracking folder, with experiment/run/model names."""

from __future__ import annotations

import argparse
import os
from typing import Any

from mlmanager.cli.args import EXIT_OK, print_json, write_line
from mlmanager.core.errors import ModelReadError
from mlmanager.core.library.discovery import scan, scan_to_json


def cmd_scan(args: argparse.Namespace) -> int:
    if not os.path.isdir(args.root):
        raise ModelReadError("not a folder", args.root)
    result = scan(args.root, include_deleted=args.include_deleted)
    if args.json:
        print_json(scan_to_json(result))
    else:
        write_line(format_scan(result))
    return EXIT_OK


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("scan", help="find every model under a folder or tracking store")
    p.add_argument("root")
    p.add_argument("--json", action="store_true")
    p.add_argument("--include-deleted", action="store_true", help="also list deleted runs/models")
    p.set_defaults(func=cmd_scan)


def _label(ref: Any) -> str:
    if ref is None:
        return "-"
    return ref.name or ref.id


def format_scan(result: Any) -> str:
    """A readable table: one line per model, then the problems."""
    header = ("KIND", "EXPERIMENT", "RUN", "NAME", "FLAVORS", "SIG", "PATH")
    rows = []
    for m in result.models:
        try:
            shown = os.path.relpath(m.path, result.root)
        except ValueError:  # another drive on Windows
            shown = str(m.path)
        rows.append(
            (
                m.kind.replace("_", " "),
                _label(m.experiment),
                _label(m.run),
                m.name,
                ",".join(m.flavors) or "-",
                "yes" if m.has_signature else "no",
                shown if shown != "." else str(m.path),
            )
        )
    widths = [max([len(h)] + [len(r[i]) for r in rows]) for i, h in enumerate(header[:-1])]
    lines = []
    for row in (header, *rows):
        cells = [c.ljust(w) for c, w in zip(row[:-1], widths)]
        lines.append("  ".join([*cells, row[-1]]).rstrip())
    n, p = len(result.models), len(result.problems)
    lines.append("")
    lines.append(
        f"{n} model{'s' if n != 1 else ''} under {result.root}"
        + (f"; {p} problem{'s' if p != 1 else ''}:" if p else "")
    )
    lines.extend(f"  {prob}" for prob in result.problems)
    return "\n".join(lines)
