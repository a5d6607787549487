"""What every command shares: exit codes, the argument parser, ``--params``, JSON output.

Exit codes everywhere: 0 success, 1 the input was understood and is invalid, 2 the model or the
arguments could not be read (argparse's own code for bad arguments).
"""

from __future__ import annotations

import argparse
import json
import os
import sys

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2
PARAMS_HELP = 'inference params as a JSON object, e.g. \'{"threshold": 0.7}\''


class _Formatter(argparse.HelpFormatter):
    """argparse's formatter, without importing ``shutil`` for the terminal width each time
    the parser is built (argparse makes a formatter per ``add_argument``): 5 ms of start-up."""

    def __init__(self, prog: str, indent_increment: int = 2, max_help_position: int = 24,
                 width: int | None = None) -> None:
        if width is None:
            width = _terminal_columns() - 2
        super().__init__(prog, indent_increment, max_help_position, width)


def _terminal_columns() -> int:
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80
    except (AttributeError, ValueError, OSError):
        return 80


class Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad arguments, which is our 'could not be read' code already."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNREADABLE, f"mlmanager: error: {message}\n")


def params_json(text: str) -> dict[str, Any]:
    """``--params``: a JSON object (argparse ``type=``; a bad value exits 2 like any bad argument)."""
    try:
        value = json.loads(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError('must be a JSON object, e.g. \'{"threshold": 0.7}\'')
    return value


def add_params_argument(parser: argparse.ArgumentParser) -> None:
    """The one ``--params`` option (``predict``, ``payload``)."""
    parser.add_argument("--params", type=params_json, metavar="JSON", help=PARAMS_HELP)


def print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


def write_line(text: str, stream: Any = None) -> None:
    """``text`` on stdout (or ``stream``), ending with exactly one newline."""
    (stream or sys.stdout).write(text if text.endswith("\n") else text + "\n")
