"""``python -m mlmanager`` runs the command line interface."""

from mlmanager.cli import main

if __name__ == "__main__":
    raise SystemExit(main())
