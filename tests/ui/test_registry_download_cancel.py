"""Cancelling a server version's download from the desktop app: the version panel's Cancel stops
a download that is under way (even one whose server went silent mid-file), leaves nothing
half-downloaded that looks finished (no cache entry, no local copy), puts the row back as it
was and says so; the next download resumes from the bytes kept. The same when the server took
the request and has not answered at all yet. A real ``mlflow server`` behind
``fault_proxy.FaultProxy`` (which holds the big file's answer half way, or entirely), real
widgets."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest
from corpus_paths import MODELS
from fault_proxy import Fault, FaultProxy
from PySide6.QtCore import Qt
from registry_support import listed, prefix, registered, version_node

from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.registry import ServerRegistry

mlflow = pytest.importorskip("mlflow")

BIG = 2 * 1024 * 1024
SENT_BEFORE_STALL = 500_000


def _tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _part_size(cache: Path) -> int:
    parts = list(cache.rglob(".weights.bin.part"))
    return parts[0].stat().st_size if parts else -1


def _big_version(mlflow_server, tmp_path: Path) -> tuple[str, Path]:
    """A version with a 2 MiB file registered on the server: (its name, the folder logged)."""
    local = tmp_path / "model"
    shutil.copytree(MODELS / "iris_logreg_colspec", local)
    (local / "weights.bin").write_bytes(bytes(range(256)) * (BIG // 256))
    name = f"{prefix()}big"
    ServerRegistry(mlflow_server.url, ServerAuth()).register_model_folder(local, name)
    return name, local


def _select(qtbot, window, proxy: FaultProxy, name: str):
    """Open the server through ``proxy``, list ``name`` and select its version 1: its node."""
    window.open_paths([proxy.url])
    branch = window.registry.branches.for_location(proxy.url)
    window.library_panel.filter.setText(f"name = '{name}'")
    window.library_panel.apply_filter()
    listed(qtbot, window, branch)
    node = version_node(registered(window, branch)[name], "1")
    window.library_panel.select_source_index(window.library.index_of(node))
    return node


def test_cancelling_a_download_leaves_nothing_half_done_and_the_row_as_it_was(
        qtbot, window, prompter, mlflow_server, client_env, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a request timeout far beyond the test's waits: the Cancel, not a timeout, must end it
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "600")
    cache, copies = client_env, client_env.parent / "copies"
    name, local = _big_version(mlflow_server, tmp_path)

    with FaultProxy(mlflow_server.url) as proxy:
        stall = proxy.add(Fault("weights.bin", stall_after=SENT_BEFORE_STALL, method="GET",
                                times=1))
        node = _select(qtbot, window, proxy, name)
        item = node.payload
        panel = window.registry.panel
        index = window.library.index_of(node)

        def row() -> tuple:
            icon = window.library.data(index, Qt.ItemDataRole.DecorationRole)
            return (window.library.data(index, Qt.ItemDataRole.DisplayRole), icon.cacheKey(),
                    window.library.data(index, Qt.ItemDataRole.ToolTipRole))

        before = row()
        assert item.path is None and panel.open_button.text() == "Download and Open"

        # Download and Open: the big file's answer stops half way; the panel shows the download
        panel.open_button.click()
        qtbot.waitUntil(lambda: _part_size(cache) == SENT_BEFORE_STALL, timeout=120_000)
        assert proxy.hits(stall) == 1
        assert window.registry.downloads.running(item) is not None
        assert panel.download_row.isVisible() and panel.cancel_button.isVisible()
        assert not panel.open_button.isVisible()
        assert row() != before  # the row shows the download

        # Cancel: it ends now, not when the silent server's timeout would have ended it
        panel.cancel_button.click()
        qtbot.waitUntil(lambda: window.registry.downloads.running(item) is None, timeout=30_000)

        # nothing half-downloaded looks finished: no cache entry, no model folder, no copy
        assert not list(cache.rglob("entry.json")) and not list(cache.rglob("model"))
        assert not copies.exists() or not list(copies.rglob("MLmodel"))
        assert _part_size(cache) == SENT_BEFORE_STALL  # the bytes fetched are kept
        # the row and the panel are back to what they were; nothing was opened
        assert item.path is None and not item.downloading
        assert row() == before
        assert panel.open_button.isVisible() and panel.open_button.text() == "Download and Open"
        assert not panel.download_row.isVisible()
        assert window.stack.currentWidget() is panel
        # and it says so: the status bar and the panel's banner
        status = window.statusBar().currentMessage()
        assert "cancelled" in status and name in status
        assert panel.banner.isVisible() and panel.banner.title.text() == "Download cancelled"
        assert "resumes" in panel.banner.message.text()
        assert not [c for c in prompter.calls if c.kind == "error"]

        # the next download resumes from the kept bytes and opens the version
        proxy.release()
        panel.open_button.click()
        qtbot.waitUntil(lambda: item.path is not None, timeout=120_000)
        assert _tree(Path(item.path)) == _tree(local)
        assert proxy.hits(stall) == 1
        ranged = [path for method, path, _f in proxy.seen if "weights.bin" in path]
        assert len(ranged) == 2  # the first try, then one resumed request
        qtbot.waitUntil(lambda: window.stack.currentWidget() is window.view, timeout=60_000)


def test_cancelling_a_download_the_server_has_not_answered_yet(
        qtbot, window, prompter, mlflow_server, client_env, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The server took the request for the big file and sends nothing, not even headers: Cancel
    still ends the download now, as a cancel (not a failure), with nothing in the cache that
    looks finished; the next download opens the version."""
    monkeypatch.setenv("MLFLOW_HTTP_REQUEST_TIMEOUT", "600")
    cache = client_env
    name, local = _big_version(mlflow_server, tmp_path)
    with FaultProxy(mlflow_server.url) as proxy:
        held = proxy.add(Fault("weights.bin", hold=True, method="GET", times=1))
        node = _select(qtbot, window, proxy, name)
        item, panel = node.payload, window.registry.panel
        panel.open_button.click()
        qtbot.waitUntil(lambda: proxy.hits(held) == 1, timeout=120_000)
        assert window.registry.downloads.running(item) is not None
        panel.cancel_button.click()
        qtbot.waitUntil(lambda: window.registry.downloads.running(item) is None, timeout=30_000)
        assert not list(cache.rglob("entry.json")) and not list(cache.rglob("model"))
        assert item.path is None and not item.downloading
        assert panel.banner.isVisible() and panel.banner.title.text() == "Download cancelled"
        assert "cancelled" in window.statusBar().currentMessage()
        assert not [c for c in prompter.calls if c.kind == "error"]

        panel.open_button.click()
        qtbot.waitUntil(lambda: item.path is not None, timeout=120_000)
        assert _tree(Path(item.path)) == _tree(local)
