"""``mlmanager validate MODEL --input FILE [--mode serving|python] [--json]``: check an input
against the signature as a deployed endpoint (``serving``) or ``pyfunc.predict(df)`` (``python``)
would; every problem, each with a fix."""

from __future__ import annotations

import argparse
from typing import Any

from mlmanager.cli.args import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, print_json, write_line
from mlmanager.core.inputs.validation import validate_file


def cmd_validate(args: argparse.Namespace) -> int:
    result = validate_file(args.model, args.input, mode=args.mode, encoding=args.encoding)
    if args.json:
        print_json(result.to_json())
    else:
        write_line(format_validation(result))
    if result.valid:
        return EXIT_OK
    unreadable = all(e.kind == "read_error" for e in result.errors)
    return EXIT_UNREADABLE if unreadable else EXIT_INVALID


def register(subparsers: Any) -> None:
    p = subparsers.add_parser("validate", help="check an input file against the model's signature")
    p.add_argument("model")
    p.add_argument("--input", "-i", required=True, help="CSV, JSON or Parquet file")
    p.add_argument(
        "--mode",
        choices=["serving", "python"],
        default="serving",
        help="serving: as a deployed endpoint reads it (default); python: as predict(df) sees "
        "the frame pandas reads",
    )
    p.add_argument("--encoding", default="utf-8", help="text encoding of a CSV (e.g. latin-1)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_validate)


def format_validation(result: Any) -> str:
    """A ``ValidationResult`` as text: the verdict, then each problem with its rows and fix."""
    head = "valid" if result.valid else f"invalid: {len(result.errors)} problem(s)"
    lines = [f"{head} [{result.mode}: {result.semantics}]"]
    for p in result.errors:
        lines.append(f"  error   {_where(p)}{p.message.splitlines()[0]}")
        if p.rows:
            lines.append(f"          rows {p.rows} values {p.values}")
        if p.fix:
            lines.append(f"          fix: {p.fix}")
    for p in result.warnings:
        lines.append(f"  warning {_where(p)}{p.message.splitlines()[0]}")
    return "\n".join(lines)


def _where(p: Any) -> str:
    return f"[{p.target} {p.column}] " if p.column is not None else ""
