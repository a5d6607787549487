"""Helpers of the Deploy tab tests (no fixtures; those are in ``deploy_fixtures``)."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]


def open_deploy(qtbot, win, model_dir: Path | str, timeout: int = 30_000) -> Any:
    """Open a model, show the Deploy tab and wait until its check and request are done."""
    win.open_model(model_dir)
    qtbot.waitUntil(lambda: win.view.entry is not None and win.view.entry.state.value != "loading",
                    timeout=timeout)
    assert win.view.set_current_page("deploy")
    page = win.view.page("deploy")
    qtbot.waitUntil(lambda: page.report is not None and not page.is_busy(), timeout=timeout)
    return page


def wait_page(qtbot, page, timeout: int = 30_000) -> None:
    qtbot.waitUntil(lambda: not page.is_busy(), timeout=timeout)


def copy_model(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest, symlinks=True)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    return dest
