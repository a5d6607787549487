"""Running models from the Predict tab: drops, trust, cancel, timeout, crash, refusal.

The worker is real: hostile and slow models are built at test time (tests/worker_builders.py).
"""

from __future__ import annotations

import json
import platform
from pathlib import Path

import pytest
from corpus_paths import MODELS
from predict_support import (
    copy_tree,
    load,
    open_predict,
    predict_services,
    predict_window,
    run,
    slow_model_folder,
    wait_page,
    wb,
    write_xy_csv,
    xdg_cache,
)
from PySide6.QtCore import QMimeData, QPoint, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent
from ui_helpers import drag_enter, drop

from mlmanager.ui.dnd import mime_for_paths
from mlmanager.ui.pages.predict.trust_panel import trust_store_path

FIXTURES = (predict_services, predict_window, xdg_cache)  # shared fixtures from predict_support


def _enter(widget, mime: QMimeData) -> bool:
    return drag_enter(widget, mime, at=30)


def _drop(widget, mime: QMimeData) -> bool:
    return drop(widget, mime, at=30)


def _page_takes(page, mime: QMimeData) -> bool:
    """Whether the tab itself accepts the drag (ignored drags go on to the window)."""
    event = QDragEnterEvent(QPoint(30, 30), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    event.setAccepted(False)
    page.dragEnterEvent(event)
    return event.isAccepted()


def _failures(page) -> list:
    out: list = []
    page.run_failed.connect(out.append)
    return out


def test_drop_an_input_file_checks_and_predicts_it(qtbot, predict_window, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    page = open_predict(qtbot, predict_window, model, autorun=True)
    data = tmp_path / "houses.csv"
    data.write_bytes((MODELS / "housing_rf_regressor.input.csv").read_bytes())

    remote = QMimeData()
    remote.setUrls([QUrl("https://example.com/houses.csv")])
    assert not _page_takes(page, remote)  # remote URLs are refused
    assert not _page_takes(page, mime_for_paths([model]))  # a model folder goes on to the window
    text = tmp_path / "notes.txt"
    text.write_text("x")
    assert not _page_takes(page, mime_for_paths([text]))

    mime = mime_for_paths([data])
    assert _enter(page, mime)
    assert _drop(page, mime)
    wait_page(qtbot, page)
    st = page._state
    assert st.opened is not None and st.opened.label == "houses.csv"
    assert st.check.result.valid
    assert st.outcome is not None  # valid + safe model + "Predict when valid": predicted at once
    assert page.results.model.rowCount() == 5
    assert page.results.isVisibleTo(page)
    assert "5 predictions" in page.results.header.text()
    # every result says what ran it
    assert f"Python {platform.python_version()}, scikit-learn" in page.results.header.text()
    assert "(this app's Python)" in page.results.header.text()
    assert predict_window.prompter.calls == []


def test_slow_model_timeout_and_cancel_leave_the_input(qtbot, predict_window, prompter, tmp_path: Path) -> None:
    model = slow_model_folder(tmp_path / "slow")
    three = write_xy_csv(tmp_path / "three.csv", rows=3)
    two = write_xy_csv(tmp_path / "two.csv", rows=2)
    page = open_predict(qtbot, predict_window, model)
    assert page._state.report.classification == "CONTAINS-CODE"
    failures = _failures(page)

    prompter.answers[:] = [True]
    load(qtbot, page, three)
    run(qtbot, page)  # three rows do not sleep: the model is now loaded (and trusted)
    assert page._state.outcome is not None, page.banner.message.text()
    assert trust_store_path().is_file()

    load(qtbot, page, two)
    page.timeout.setValue(2)
    run(qtbot, page)
    assert failures and failures[-1].kind == "timeout", failures
    assert page.banner.isVisible() and "took too long" in page.banner.title.text()
    assert "timed out after 2 s" in page.banner.message.text()
    assert page._state.outcome is None
    assert page.input.model.rowCount() == 2 and page._state.check.result.valid  # input as it was

    page.timeout.setValue(120)
    page.run()
    qtbot.waitUntil(lambda: "Predicting" in page.progress_text.text(), timeout=60_000)
    assert page.cancel_button.isEnabled()
    page.cancel_button.click()
    wait_page(qtbot, page)
    assert failures[-1].kind == "cancelled"
    assert page.banner.title.text() == "Cancelled"
    assert page.input.model.rowCount() == 2
    assert page.run_button.isEnabled()
    assert [c.kind for c in prompter.calls] == ["confirm"]  # trusted once, remembered


def test_crashing_model_leaves_the_tab_usable(qtbot, predict_window, tmp_path: Path) -> None:
    model = wb.write_model(tmp_path / "m16", wb.m16(), fmt="pickle")
    data = write_xy_csv(tmp_path / "x.csv", rows=4)
    page = open_predict(qtbot, predict_window, model)
    assert page._state.report.classification == "SAFE-LISTED"
    failures = _failures(page)
    load(qtbot, page, data)
    run(qtbot, page)
    assert failures[-1].kind == "crashed", failures
    assert page.banner.title.text() == "The model crashed the worker"
    assert "SIGSEGV" in page.banner.message.text()
    assert page.banner.button.text() == "Details…"
    assert page.input.model.rowCount() == 4 and page._state.check.result.valid
    assert page.run_button.isEnabled()  # usable: the next run starts a fresh worker
    page.banner.button.click()  # the worker's stderr (faulthandler) goes to an error dialog
    call = predict_window.prompter.calls[-1]
    assert call.kind == "error" and ("Fatal Python error" in call.details or "Segmentation" in call.details)


def test_trust_is_asked_once_remembered_and_revocable(qtbot, predict_window, prompter, predict_services,
                                                      tmp_path: Path) -> None:
    model = copy_tree(MODELS / "events_datetime_pipeline", tmp_path / "events")
    data = MODELS / "events_datetime_pipeline.input.json"
    page = open_predict(qtbot, predict_window, model, autorun=True)
    report = page._state.report
    assert report.classification == "CONTAINS-CODE"
    assert page.trust.trust_button.isVisible()
    assert page.trust.imports_button.text().endswith("imports")

    load(qtbot, page, data)  # valid, but autorun never asks: it says why and offers the action
    assert page._state.outcome is None
    assert page.banner.title.text() == "The model runs only if you trust it"
    assert page.banner.button.text() == "Trust and run…"
    assert prompter.calls == []

    prompter.answers[:] = [False]
    page.banner.button.click()
    wait_page(qtbot, page)
    assert [c.kind for c in prompter.calls] == ["confirm"]
    assert report.sha256 in prompter.calls[0].text and "your permissions" in prompter.calls[0].text
    assert page._state.outcome is None and page.banner.title.text() == "Not run"
    assert not trust_store_path().exists()

    prompter.answers[:] = [True]
    page.trust.trust_button.click()
    wait_page(qtbot, page, timeout=120_000)
    assert page._state.outcome is not None, page.banner.message.text()
    stored = json.loads(trust_store_path().read_text())["trusted"]
    assert report.sha256 in stored and stored[report.sha256]["classification"] == "CONTAINS-CODE"
    assert page.trust.badge.text() == "Trusted" and page.trust.revoke_button.isVisible()

    # a new window remembers the trust: it predicts without asking
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.settings import Settings

    win2 = MainWindow(Settings(), prompter)
    qtbot.addWidget(win2)
    win2.show()
    try:
        page2 = open_predict(qtbot, win2, model, autorun=True)
        load(qtbot, page2, data)
        wait_page(qtbot, page2, timeout=120_000)
        assert page2._state.outcome is not None, page2.banner.message.text()
        assert [c.kind for c in prompter.calls] == ["confirm", "confirm"]

        dialog = page2.show_trusted_models()
        assert dialog is not None and dialog.shas() == [report.sha256]
        dialog.table.selectRow(0)
        dialog.revoke_selected()
        assert dialog.shas() == []
        assert json.loads(trust_store_path().read_text())["trusted"] == {}
        assert page2.trust.trust_button.isVisible()
        prompter.answers[:] = [False]
        page2.run(ask=True)
        wait_page(qtbot, page2)
        assert [c.kind for c in prompter.calls] == ["confirm", "confirm", "confirm"]  # asked again
        dialog.close()
    finally:
        wait_page(qtbot, page2)
        win2.shutdown()


def test_known_dangerous_file_is_never_loaded(qtbot, predict_window, prompter, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    model = wb.write_model(tmp_path / "m01", wb.m01(marker))
    page = open_predict(qtbot, predict_window, model, autorun=True)
    assert page._state.report.classification == "KNOWN-DANGEROUS"
    assert page.trust.badge.text() == "Blocked" and not page.trust.trust_button.isVisible()
    load(qtbot, page, write_xy_csv(tmp_path / "x.csv"))
    assert page._state.check.result.valid
    page.run(ask=True)
    wait_page(qtbot, page)
    assert page.banner.title.text() == "This model file is never loaded"
    assert "posix.system" in page.banner.message.text()
    assert prompter.calls == [] and not marker.exists()


@pytest.mark.parametrize("encoding_bytes", [b"city,x\nM\xfcnchen,1\n"])
def test_unreadable_input_offers_the_encoding_retry(qtbot, predict_window, tmp_path: Path, encoding_bytes) -> None:
    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    data = tmp_path / "latin1.csv"
    data.write_bytes(encoding_bytes)
    page = open_predict(qtbot, predict_window, model)
    page.load_input_file(data)
    wait_page(qtbot, page)
    assert page.banner.title.text() == "The input cannot be read"
    assert "latin-1" in page.banner.message.text() and page.banner.button.text() == "Retry as latin-1"
    page.banner.button.click()
    wait_page(qtbot, page)
    assert page._state.opened is not None and page._state.opened.rows == 1
    assert page.input.model.index(0, 0).data() == "München"


def test_unreadable_signature_is_refused_until_ignored(qtbot, predict_window, tmp_path: Path) -> None:
    """As `predict` (exit 2 unless --ignore-signature): the tab refuses with validate's message
    and offers to ignore the signature; then it predicts, saying the signature was ignored."""
    model = copy_tree(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    mlmodel = model / "MLmodel"
    mlmodel.write_text(mlmodel.read_text().replace('"type": "double"', '"type": "decimal128"', 1))
    page = open_predict(qtbot, predict_window, model, autorun=True)
    outcome = load(qtbot, page, MODELS / "iris_logreg_colspec.input.csv")
    assert not outcome.result.valid and page._state.outcome is None  # not predicted
    (problem,) = outcome.result.errors
    assert problem.message.startswith("the signature cannot be read:") and "decimal128" in problem.message
    assert page.banner.title.text() == "The model's signature cannot be read"
    assert page.banner.message.text() == problem.message
    assert page.banner.button.text() == "Ignore the signature"
    assert not page.run_button.isEnabled()

    page.banner.button.click()
    wait_page(qtbot, page, timeout=120_000)
    result = page._state.check.result
    assert result.valid and any(w.kind == "signature_ignored" for w in result.warnings)
    assert page._state.outcome is not None  # "Predict when valid": predicted
    assert page.results.model.rowCount() == 5
