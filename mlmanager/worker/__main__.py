"""Worker entry point: ``python -I -m mlmanager.worker --fds R,W --limits JSON``.

The resource limits are applied before anything else is imported or read.
"""

import sys

from mlmanager.worker.limits import apply_limits_from_argv

_LIMITS_APPLIED = apply_limits_from_argv(sys.argv[1:])

from mlmanager.worker.server import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(sys.argv[1:], _LIMITS_APPLIED))
