"""Command line interface: the same core as the app, for scripts and CI.

``mlmanager [PATH...] [--demo] [--screenshot FILE] [--view VIEW]`` opens the desktop app;
``mlmanager COMMAND ...`` runs a command. Exit codes everywhere: 0 success, 1 the input was
understood and is invalid, 2 the model or the arguments could not be read. Heavy modules
(pandas, Qt) are imported only by the commands that need them.
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from typing import Any

from mlmanager import __version__

EXIT_OK, EXIT_INVALID, EXIT_UNREADABLE = 0, 1, 2


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


class _Parser(argparse.ArgumentParser):
    """argparse exits with 2 on bad arguments, which is our 'could not be read' code already."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)

    def error(self, message: str) -> None:  # type: ignore[override]
        self.print_usage(sys.stderr)
        self.exit(EXIT_UNREADABLE, f"mlmanager: error: {message}\n")


def _print_json(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False, default=str) + "\n")


# --------------------------------------------------------------------------------------------
# Commands


def cmd_inspect(args: argparse.Namespace) -> int:
    from mlmanager.core.model.summary import format_inspect, inspect_model

    result = inspect_model(args.path)
    if args.json:
        _print_json(result)
    else:
        sys.stdout.write(format_inspect(result) + "\n")
    return EXIT_OK


def cmd_scan(args: argparse.Namespace) -> int:
    from mlmanager.core.library.discovery import format_scan, scan, scan_to_json

    if not os.path.isdir(args.root):
        from mlmanager.core.errors import ModelReadError

        raise ModelReadError("not a folder", args.root)
    result = scan(args.root, include_deleted=args.include_deleted)
    if args.json:
        _print_json(scan_to_json(result))
    else:
        sys.stdout.write(format_scan(result) + "\n")
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    from mlmanager.core.inputs.validation import validate_file

    result = validate_file(args.model, args.input, mode=args.mode, encoding=args.encoding)
    if args.json:
        _print_json(result.to_json())
    else:
        sys.stdout.write(result.summary() + "\n")
    if result.valid:
        return EXIT_OK
    unreadable = all(e.kind == "read_error" for e in result.errors)
    return EXIT_UNREADABLE if unreadable else EXIT_INVALID


def cmd_predict(args: argparse.Namespace) -> int:
    from mlmanager.cli.predict import run_predict

    return run_predict(args)


def cmd_signature(args: argparse.Namespace) -> int:
    from mlmanager.cli import signature as signature_cli

    if args.sig_command == "show":
        result = signature_cli.show(args.model, as_json=args.json)
    elif args.sig_command == "infer":
        result = signature_cli.infer(args.data, outputs=args.outputs, as_json=args.json)
    elif args.sig_command == "set":
        result = signature_cli.set_signature(
            args.model, args.from_file, dialect=args.dialect, copy_to=args.copy_to
        )
    else:
        result = signature_cli.remove(args.model)
    code, text = result
    for stream, chunk in ((sys.stdout if code == EXIT_OK else sys.stderr, text),
                          (sys.stderr, getattr(result, "stderr", ""))):
        if chunk:
            stream.write(chunk if chunk.endswith("\n") else chunk + "\n")
    return code


# --------------------------------------------------------------------------------------------
# Parser


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; ``only``: just that built-in command (what ``main`` needs to
    run it: building every sub-parser and importing the command modules costs start-up)."""
    parser = _Parser(
        prog="mlmanager",
        description="Open, inspect, fix and test-predict MLflow models. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"mlmanager {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    for name, add in _BUILTIN_COMMANDS.items():
        if only in (None, name):
            add(sub)
    if only not in _BUILTIN_COMMANDS:
        for module_name in COMMAND_MODULES:
            importlib.import_module(module_name).register(sub)
    return parser


def _add_inspect(sub: Any) -> None:
    p = sub.add_parser("inspect", help="summarise one model (folder, MLmodel file or .zip)")
    p.add_argument("path")
    p.add_argument("--json", action="store_true", help="one JSON object on stdout")
    p.set_defaults(func=cmd_inspect)


def _add_scan(sub: Any) -> None:
    p = sub.add_parser("scan", help="find every model under a folder or tracking store")
    p.add_argument("root")
    p.add_argument("--json", action="store_true")
    p.add_argument("--include-deleted", action="store_true", help="also list deleted runs/models")
    p.set_defaults(func=cmd_scan)


def _add_validate(sub: Any) -> None:
    p = sub.add_parser("validate", help="check an input file against the model's signature")
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


def _add_predict(sub: Any) -> None:
    p = sub.add_parser("predict", help="validate an input, then predict in an isolated worker")
    p.add_argument("model")
    p.add_argument("--input", "-i", required=True)
    p.add_argument("--output", "-o", help="write predictions to FILE.csv or FILE.json")
    p.add_argument("--mode", choices=["serving", "python"], default="serving")
    p.add_argument("--params", help='inference params as JSON, e.g. \'{"threshold": 0.7}\'')
    p.add_argument(
        "--trust",
        action="store_true",
        help="run a model whose file contains code or imports outside the allowlist "
        "(runs the model's code with your permissions, in the worker)",
    )
    p.add_argument("--timeout", type=float, default=120.0, help="seconds (default 120)")
    p.add_argument(
        "--env", default=None, metavar="app|model|PATH",
        help="where the model runs: app (this app's Python, the default), model (the model's own "
        "environment, built with `mlmanager env build MODEL`), or the path of a Python interpreter",
    )
    p.add_argument("--python", help="the same as --env PATH")
    p.add_argument(
        "--ignore-signature",
        action="store_true",
        help="predict even though the model's signature cannot be read (the input goes to the "
        "model unchecked; MLflow itself cannot load such a model)",
    )
    p.add_argument("--encoding", default="utf-8")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_predict)


def _add_signature(sub: Any) -> None:
    p = sub.add_parser("signature", help="show, infer, set or remove a model signature")
    ssub = p.add_subparsers(dest="sig_command", metavar="ACTION", required=True, parser_class=_Parser)
    s = ssub.add_parser("show", help="print the signature (MLflow 3 canonical form)")
    s.add_argument("model")
    s.add_argument("--json", action="store_true")
    s = ssub.add_parser("infer", help="infer a signature from a data file")
    s.add_argument("data")
    s.add_argument("--outputs", help="a predictions file to infer the outputs from")
    s.add_argument("--json", action="store_true")
    s = ssub.add_parser("set", help="replace the signature from a JSON file")
    s.add_argument("model")
    s.add_argument("--from", dest="from_file", required=True, help="SIGNATURE.json")
    s.add_argument("--dialect", choices=["keep", "current", "legacy"], default="keep")
    s.add_argument("--copy-to", help="write a copy of the model here; leave the original alone")
    s = ssub.add_parser("remove", help="remove the signature")
    s.add_argument("model")
    p.set_defaults(func=cmd_signature)


_BUILTIN_COMMANDS: dict[str, Callable[[Any], None]] = {
    "inspect": _add_inspect,
    "scan": _add_scan,
    "validate": _add_validate,
    "predict": _add_predict,
    "signature": _add_signature,
}


# Further command groups live in small modules under ``mlmanager/cli/``; each exposes
# ``register(subparsers)`` adding its sub-parsers with ``set_defaults(func=...)``, where
# ``func(args) -> int`` may raise core errors (mapped to exit codes here). Keep their
# top-level imports light: they are imported whenever the CLI parses arguments.
COMMAND_MODULES: tuple[str, ...] = (
    "mlmanager.cli.transfer", "mlmanager.cli.deploy", "mlmanager.cli.env", "mlmanager.cli.registry",
)


def build_gui_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="mlmanager",
        description="mlmanager desktop app. Commands: inspect, scan, validate, predict, "
        "signature, export, import, package, diff, copy, check-deploy, payload, openapi, env, "
        "registry "
        "(see `mlmanager COMMAND --help`).",
    )
    parser.add_argument("--version", action="version", version=f"mlmanager {__version__}")
    parser.add_argument("paths", nargs="*", help="model folders, MLmodel files, zips or tracking folders")
    parser.add_argument("--demo", action="store_true", help="open the bundled demo model")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window to a PNG and exit")
    parser.add_argument(
        "--view",
        help="model view to show: overview, mlmodel, artifacts, environment, signature, predict",
    )
    parser.add_argument("--input", help="with --view predict: an input file to load")
    parser.add_argument("--trust", action="store_true", help="with --view predict: trust the model")
    return parser


def _subcommands(parser: argparse.ArgumentParser) -> set[str]:
    for action in parser._actions:  # noqa: SLF001 - argparse keeps no public list
        if isinstance(action, argparse._SubParsersAction):  # noqa: SLF001
            return set(action.choices)
    return set()


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
    from mlmanager.core.errors import InvalidError, MlmanagerError

    try:
        return func(args)
    except InvalidError as exc:
        sys.stderr.write(f"mlmanager: {exc}\n")
        return EXIT_INVALID
    except MlmanagerError as exc:
        sys.stderr.write(f"mlmanager: {exc}\n")
        return EXIT_UNREADABLE
    except KeyboardInterrupt:
        sys.stderr.write("mlmanager: interrupted\n")
        return 130
    except BrokenPipeError:
        return EXIT_OK
    except Exception as exc:  # noqa: BLE001 - the last line of defence: no tracebacks for users
        if os.environ.get("MLMANAGER_DEBUG"):
            raise
        sys.stderr.write(
            f"mlmanager: internal error: {type(exc).__name__}: {exc}\n"
            "(set MLMANAGER_DEBUG=1 to see the traceback)\n"
        )
        return EXIT_UNREADABLE


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] in (["-h"], ["--help"]):
        build_parser().print_help()
        return EXIT_OK
    if argv and not argv[0].startswith("-"):
        parser = build_parser(only=argv[0] if argv[0] in _BUILTIN_COMMANDS else None)
        if argv[0] in _subcommands(parser):
            args = parser.parse_args(argv)
            return _run(args.func, args)
    return gui_main(argv)


def gui_main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_gui_parser().parse_args(argv)

    def _open(a: argparse.Namespace) -> int:
        try:
            from mlmanager.ui.app import run
        except ImportError as exc:
            sys.stderr.write(f"mlmanager: the desktop app cannot start ({exc}).\n")
            return EXIT_UNREADABLE
        return run(
            list(a.paths),
            demo=a.demo,
            screenshot=a.screenshot,
            view=a.view,
            input_file=a.input,
            trust=a.trust,
        )

    return _run(_open, args)


if __name__ == "__main__":
    raise SystemExit(main())
