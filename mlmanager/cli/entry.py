"""Command line interface: the same core as the app, for scripts and CI.

``mlmanager [PATH...] [--demo] [--screenshot FILE] [--view VIEW]`` opens the desktop app;
``mlmanager COMMAND ...`` runs a command. Each command group lives in its own module under
``mlmanager/cli/`` exposing ``register(subparsers)``; only the module of the command that runs
is imported (start-up: ``inspect`` must stay light). Exit codes everywhere: 0 success, 1 the
input was understood and is invalid, 2 the model or the arguments could not be read.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence

from mlmanager import __version__
from mlmanager.cli.args import EXIT_INVALID, EXIT_OK, EXIT_UNREADABLE, Parser
from mlmanager.core.errors import InvalidError, MlmanagerError

#: command -> the module that registers it (``register(subparsers)`` adds its sub-parsers with
#: ``set_defaults(func=...)``; ``func(args) -> int`` may raise core errors, mapped to exit codes
#: by ``_run``).
COMMANDS: dict[str, str] = {
    "inspect": "mlmanager.cli.inspect",
    "scan": "mlmanager.cli.scan",
    "validate": "mlmanager.cli.validate",
    "predict": "mlmanager.cli.predict",
    "signature": "mlmanager.cli.signature",
    "export": "mlmanager.cli.transfer",
    "import": "mlmanager.cli.transfer",
    "package": "mlmanager.cli.transfer",
    "diff": "mlmanager.cli.transfer",
    "copy": "mlmanager.cli.transfer",
    "check-deploy": "mlmanager.cli.deploy",
    "payload": "mlmanager.cli.deploy",
    "openapi": "mlmanager.cli.deploy",
    "env": "mlmanager.cli.env",
    "registry": "mlmanager.cli.registry",
}
#: every command module, in help order
COMMAND_MODULES: tuple[str, ...] = tuple(dict.fromkeys(COMMANDS.values()))


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The command-line parser; ``only``: just the module of that command (what ``main`` needs
    to run it: building every sub-parser and importing every command module costs start-up)."""
    parser = Parser(
        prog="mlmanager",
        description="Open, inspect, fix and test-predict MLflow models. "
        "Without a command, opens the desktop app.",
    )
    parser.add_argument("--version", action="version", version=f"mlmanager {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)
    modules = [COMMANDS[only]] if only in COMMANDS else list(COMMAND_MODULES)
    for module_name in modules:
        importlib.import_module(module_name).register(sub)
    return parser


def build_gui_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="mlmanager",
        description="mlmanager desktop app. Commands: inspect, scan, validate, predict, "
        "signature, export, import, package, diff, copy, check-deploy, payload, openapi, env, "
        "registry (see `mlmanager COMMAND --help`).",
    )
    parser.add_argument("--version", action="version", version=f"mlmanager {__version__}")
    parser.add_argument("paths", nargs="*", help="model folders, MLmodel files, zips or tracking folders")
    parser.add_argument("--demo", action="store_true",
                        help="open the demo model (your own copy of the bundled one)")
    parser.add_argument("--screenshot", metavar="FILE.png", help="render the window to a PNG and exit")
    parser.add_argument(
        "--view",
        help="model view to show: overview, mlmodel, artifacts, environment, signature, predict",
    )
    parser.add_argument("--input", help="with --view predict: an input file to load")
    parser.add_argument("--trust", action="store_true", help="with --view predict: trust the model")
    return parser


def _run(func: Callable[[argparse.Namespace], int], args: argparse.Namespace) -> int:
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
    if argv and argv[0] in COMMANDS:
        args = build_parser(only=argv[0]).parse_args(argv)  # bad arguments: SystemExit(2)
        return _run(args.func, args)
    return gui_main(argv)


def gui_main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = build_gui_parser().parse_args(argv)

    def _open(a: argparse.Namespace) -> int:
        try:
            # deferred: the desktop app imports Qt (PySide6), which no command needs
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
