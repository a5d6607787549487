"""One download in its own process, for the download cache's cross-process tests.

    python download_child.py SERVER NAME VERSION CACHE EVENTS [--hold-at ITEM RELEASE]

Fetches version VERSION of NAME from SERVER into the download cache CACHE, writing each progress
report to EVENTS as a JSON line (``{"done", "total", "item"}``) and, at the end, ``{"folder"}``.
``--hold-at ITEM RELEASE``: when ITEM starts, report ``{"holding": ITEM}`` and wait
until the file RELEASE exists (so a test can start a second download while this one is midway).
"""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

from mlmanager.core.library.registry.entities import ModelVersion
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.registry import ServerRegistry

HOLD_TIMEOUT = 300.0


def main(argv: list[str]) -> int:
    server, name, version, cache, events = argv[:5]
    hold = argv[6:8] if len(argv) >= 8 and argv[5] == "--hold-at" else None
    out = open(events, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 - lives as long as we do
    held = False

    def emit(doc: dict) -> None:
        out.write(json.dumps(doc) + "\n")

    def progress(done: int, total: int | None, item: str) -> None:
        nonlocal held
        emit({"done": done, "total": total, "item": item})
        if hold and not held and item == hold[0]:
            held = True
            emit({"holding": item})
            release, deadline, pause = Path(hold[1]), time.monotonic() + HOLD_TIMEOUT, threading.Event()
            while not release.exists() and time.monotonic() < deadline:
                pause.wait(0.05)  # waiting on the test's signal, not timing anything

    source = ServerRegistry(server, ServerAuth(), cache=DownloadCache(cache))
    folder = source.fetch_version(ModelVersion(name, version), progress=progress)
    emit({"folder": str(folder)})
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
