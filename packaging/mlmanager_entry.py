"""Entry point of the PyInstaller bundle: the CLI, which opens the desktop app without a command.

The hidden child arguments (``--mlmanager-worker``, ``--mlmanager-input-helper``) never get here: the
runtime hook ``pyi_rth_mlmanager.py`` runs those children before this script starts.
"""

import sys

from mlmanager.cli import main

if __name__ == "__main__":
    sys.exit(main())
