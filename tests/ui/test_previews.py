"""Artifacts previews: text, JSON, Markdown, CSV/Parquet tables, images, binaries, model files."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest
from PySide6.QtGui import QColor, QImage
from ui_helpers import wait_idle

from mlmanager.core.model.artifact_preview import TEXT_CAP


@pytest.fixture
def rich_model(tmp_model: Path) -> Path:
    (tmp_model / "data").mkdir()
    (tmp_model / "data" / "train.csv").write_text("a,b,label\n1,2.5,x\n3,4.5,y\n")
    (tmp_model / "README.md").write_text("# Title\n\nSome *text* and ![img](/etc/passwd)\n")
    (tmp_model / "meta.json").write_text(json.dumps({"k": [1, 2, {"n": None}]}))
    (tmp_model / "big.log").write_text("line of text\n" * (TEXT_CAP // 10))
    (tmp_model / "blob.bin").write_bytes(bytes(range(256)) * 4)
    image = QImage(40, 30, QImage.Format.Format_RGB32)
    image.fill(QColor("#3366cc"))
    image.save(str(tmp_model / "plot.png"))
    return tmp_model


def _preview(qtbot, window, rel: str):
    page = window.view.page("artifacts")
    assert page.select_path(rel), rel
    wait_idle(qtbot, window)
    return page.preview


def test_previews_by_kind(qtbot, window, rich_model: Path) -> None:
    window.open_model(rich_model)
    wait_idle(qtbot, window)
    window.view.set_current_page("artifacts")
    wait_idle(qtbot, window)

    pv = _preview(qtbot, window, "data/train.csv")
    assert pv.kind == "table"
    assert pv.table_model.rowCount() == 2 and pv.table_model.columnCount() == 3
    assert pv.table_model.index(1, 2).data() == "y"

    pv = _preview(qtbot, window, "meta.json")
    assert pv.kind == "json" and '"n": null' in pv.text.toPlainText()

    pv = _preview(qtbot, window, "README.md")
    assert pv.kind == "markdown" and "Title" in pv.markdown.toPlainText()

    pv = _preview(qtbot, window, "big.log")
    assert pv.kind == "text" and "Large file" in pv.note.text()
    assert len(pv.text.toPlainText()) <= TEXT_CAP

    pv = _preview(qtbot, window, "blob.bin")
    assert pv.kind == "hex" and pv.text.toPlainText().startswith("00000000  00 01 02")

    pv = _preview(qtbot, window, "plot.png")
    assert pv.kind == "image" and "40×30" in pv.note.text()



class FakeClient:
    """Stands in for mlmanager.predict.worker_client.WorkerClient (its own tests run the real one)."""

    instances: list[FakeClient] = []
    block = False

    def __init__(self) -> None:
        self.cancelled = threading.Event()
        self.closed = False
        FakeClient.instances.append(self)

    def scan(self, model_dir):
        from mlmanager.core.safety import SafetyReport

        if FakeClient.block:
            self.cancelled.wait(20)  # until the UI cancels (no timing involved)
            raise RuntimeError("worker killed")
        return SafetyReport("UNTRUSTED-IMPORTS", format="pickle", file="model.skops",
                            imports=("sklearn.linear_model.LogisticRegression", "evil.module.thing"),
                            untrusted=("evil.module.thing",), reasons=("imports outside the allowlist",))

    def cancel(self) -> None:
        self.cancelled.set()

    def close(self) -> None:
        self.closed = True


def test_model_file_shows_scan_not_bytes(qtbot, window, tmp_model: Path, monkeypatch) -> None:
    from mlmanager.ui.pages import artifact_preview as preview

    FakeClient.instances.clear()
    monkeypatch.setattr(preview, "worker_client_class", lambda: FakeClient)
    window.open_model(tmp_model)
    wait_idle(qtbot, window)
    window.view.set_current_page("artifacts")
    pv = _preview(qtbot, window, "model.skops")
    assert pv.kind == "safety"
    assert pv.safety.badge.text() == "Untrusted imports" and pv.safety.badge.level == "warning"
    items = [pv.safety.imports.item(i).text() for i in range(pv.safety.imports.count())]
    assert any("evil.module.thing" in t and "allowlist" in t for t in items)
    assert FakeClient.instances[-1].closed
    # cached per model generation: selecting it again does not rescan
    _preview(qtbot, window, "MLmodel")
    _preview(qtbot, window, "model.skops")
    assert len(FakeClient.instances) == 1

    # a slow scan is cancelled (the worker killed) when the user moves on
    FakeClient.block = True
    try:
        entry = window.view.entry
        entry.cache.clear()
        page = window.view.page("artifacts")
        page.select_path("MLmodel")
        wait_idle(qtbot, window)
        page.select_path("model.skops")
        qtbot.waitUntil(lambda: len(FakeClient.instances) == 2, timeout=10000)
        page.select_path("MLmodel")
        wait_idle(qtbot, window)
        assert FakeClient.instances[-1].cancelled.is_set()
        assert page.preview.title.text() == "MLmodel"
    finally:
        FakeClient.block = False


def test_scan_not_available(qtbot, window, tmp_model: Path, monkeypatch) -> None:
    from mlmanager.ui.pages import artifact_preview as preview

    def missing():
        raise ImportError("no worker")

    monkeypatch.setattr(preview, "worker_client_class", missing)
    window.open_model(tmp_model)
    wait_idle(qtbot, window)
    window.view.set_current_page("artifacts")
    pv = _preview(qtbot, window, "model.skops")
    assert pv.kind == "message" and "Scan not available" in pv.message.text()


def test_parquet_preview(qtbot, window, tmp_model: Path) -> None:
    pa = pytest.importorskip("pyarrow")
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": [1, 2, 3], "y": ["a", "b", "c"]}), tmp_model / "rows.parquet")
    window.open_model(tmp_model)
    wait_idle(qtbot, window)
    window.view.set_current_page("artifacts")
    pv = _preview(qtbot, window, "rows.parquet")
    assert pv.kind == "table" and pv.table_model.rowCount() == 3
    assert "of 3" in pv.note.text()
