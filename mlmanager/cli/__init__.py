"""The command line: ``main`` parses and runs a command; one module per command group.

The desktop app never imports this package (an import-linter contract); both drive the same core.
"""

from mlmanager.cli.entry import gui_main, main

__all__ = ["gui_main", "main"]
