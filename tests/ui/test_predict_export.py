"""Exports from the Predict tab: predictions like the CLI writes them, the input as a request
(JSON and curl), the input saved as the model's input example, and the screenshot run."""

from __future__ import annotations

import json
import shlex
from pathlib import Path

import pandas as pd
from corpus_paths import MODELS
from predict_support import (
    copy_tree,
    load,
    open_predict,
    predict_services,
    predict_window,
    run,
    wait_page,
    xdg_cache,
)
from PySide6.QtGui import QGuiApplication

from mlmanager.core.inputs.reader import read_json_input
from mlmanager.core.inputs.validation import validate_input
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.examples import load_input_example, load_serving_example
from mlmanager.ui.pages.predict.page import prepare_for_screenshot
from mlmanager.ui.pages.predict.trust_panel import trust_store_path

FIXTURES = (predict_services, predict_window, xdg_cache)  # shared fixtures from predict_support


def test_exported_predictions_are_byte_identical_to_the_cli(qtbot, predict_window, tmp_path: Path, xdg_cache,
                                                            monkeypatch) -> None:
    from mlmanager.cli import main

    model = copy_tree(MODELS / "churn_pipeline_onehot", tmp_path / "churn")
    data = MODELS / "churn_pipeline_onehot.input.csv"
    monkeypatch.setenv("XDG_CACHE_HOME", str(xdg_cache))  # the CLI's worker finds the allowlist
    for suffix in ("csv", "json"):
        assert main(["predict", str(model), "--input", str(data), "--output",
                     str(tmp_path / f"cli.{suffix}")]) == 0

    page = open_predict(qtbot, predict_window, model)
    load(qtbot, page, data, "serving")
    run(qtbot, page)
    assert page._state.outcome is not None, page.banner.message.text()
    assert page.act_export_csv.isEnabled() and page.act_export_json.isEnabled()
    for suffix in ("csv", "json"):
        page.export_predictions_as(suffix, str(tmp_path / f"app.{suffix}"))
        wait_page(qtbot, page)
        assert (tmp_path / f"app.{suffix}").read_bytes() == (tmp_path / f"cli.{suffix}").read_bytes(), suffix
    page.export_table_as(str(tmp_path / "table.csv"))
    wait_page(qtbot, page)
    table = pd.read_csv(tmp_path / "table.csv")
    assert list(table.columns)[-1] == "prediction" and len(table) == len(pd.read_csv(data))


def test_input_is_copied_as_a_request_and_a_curl_command(qtbot, predict_window, predict_services,
                                                         tmp_path: Path) -> None:
    model = copy_tree(MODELS / "ticket_triage_pyfunc_params", tmp_path / "triage")
    page = open_predict(qtbot, predict_window, model)
    load(qtbot, page, MODELS / "ticket_triage_pyfunc_params.input.csv", "python")
    page.input.params.field("threshold").setText("0.25")
    wait_page(qtbot, page)
    page.copy_request(curl=False)
    wait_page(qtbot, page)
    text = QGuiApplication.clipboard().text()
    assert text == page.last_copied
    request = json.loads(text)
    assert set(request) == {"dataframe_split", "params"}
    assert request["params"] == {"threshold": 0.25, "urgent_label": "urgent", "max_rows": 100}
    split = request["dataframe_split"]
    assert split["columns"] == ["priority", "length_chars", "has_attachment", "channel"]
    assert len(split["data"]) == page._state.opened.rows
    result = validate_input(load_model(model).signature, read_json_input(text), "serving")
    assert result.valid and result.params["threshold"] == 0.25, result.to_json()

    page.copy_request(curl=True)
    wait_page(qtbot, page)
    words = shlex.split(QGuiApplication.clipboard().text())
    assert words[:7] == ["curl", "-X", "POST", "http://127.0.0.1:5000/invocations", "-H",
                         "Content-Type: application/json", "--data"]
    assert json.loads(words[7]) == request

    sensor = copy_tree(MODELS / "sensor_tensor_logreg", tmp_path / "sensor")
    opened = predict_services.input_helper.open_file(MODELS / "sensor_tensor_logreg.input2.json")
    tensor = json.loads(predict_services.input_helper.request_body_text(opened.input_id))
    assert set(tensor) == {"inputs"} and len(tensor["inputs"][0]) == 4
    assert validate_input(load_model(sensor).signature, read_json_input(json.dumps(tensor)), "serving").valid


def test_input_saved_as_the_models_input_example(qtbot, predict_window, prompter, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    old_text = (model / "MLmodel").read_text()
    page = open_predict(qtbot, predict_window, model)
    load(qtbot, page, MODELS / "housing_rf_regressor.input.csv", "serving")
    page.save_as_example()
    wait_page(qtbot, page)
    qtbot.waitUntil(lambda: not predict_window.is_busy(), timeout=30_000)
    doc = load_model(model)
    info = doc.saved_input_example_info
    assert info == {"artifact_path": "input_example.json", "type": "dataframe", "pandas_orient": "split",
                    "serving_input_path": "serving_input_example.json"}
    assert (model / "MLmodel.bak").read_text() == old_text
    example = load_input_example(doc).to_dataframe()
    expected = pd.read_csv(MODELS / "housing_rf_regressor.input.csv")
    assert example.shape == expected.shape and list(example["rooms"]) == list(expected["rooms"])
    serving = load_serving_example(doc)
    assert serving is not None and serving.kind == "dataframe"
    assert validate_input(doc.signature, read_json_input((model / "serving_input_example.json").read_bytes()),
                          "serving").valid
    # everything but the example info is as it was (minimal-diff save)
    assert old_text.replace("saved_input_example_info", "") in doc.text or "flavors:" in doc.text

    big = tmp_path / "big.csv"
    pd.concat([expected] * 20, ignore_index=True).to_csv(big, index=False)
    load(qtbot, page, big, "serving")
    prompter.answers[:] = [False]
    page.save_as_example()
    assert prompter.calls[-1].kind == "confirm" and "100 rows" in prompter.calls[-1].text
    assert len(load_input_example(load_model(model)).data) == 5  # declined: unchanged
    prompter.answers[:] = [True]
    page.save_as_example()
    wait_page(qtbot, page)
    qtbot.waitUntil(lambda: not predict_window.is_busy(), timeout=30_000)
    assert len(load_input_example(load_model(model)).data) == 50


def test_params_are_saved_with_the_example(qtbot, predict_window, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "ticket_triage_pyfunc_params", tmp_path / "triage")
    page = open_predict(qtbot, predict_window, model)
    load(qtbot, page, MODELS / "ticket_triage_pyfunc_params.input.json", "serving")
    page.save_as_example()
    wait_page(qtbot, page)
    qtbot.waitUntil(lambda: not predict_window.is_busy(), timeout=30_000)
    doc = load_model(model)
    assert doc.saved_input_example_info["params"] == "true"
    ex = load_input_example(doc)
    assert ex.params == {"threshold": 0.3, "urgent_label": "P1", "max_rows": 100}
    assert json.loads((model / "serving_input_example.json").read_text())["params"] == ex.params


def _screenshot_window(qtbot, prompter):
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.settings import Settings

    win = MainWindow(Settings(read_only=True), prompter)
    qtbot.addWidget(win)
    win.resize(1280, 800)
    win.show()
    return win


def test_screenshot_run_checks_and_predicts_before_the_picture(qtbot, predict_window, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    win = predict_window
    win.open_paths([str(model)])
    job = prepare_for_screenshot(win, str(MODELS / "housing_rf_regressor.bad3.csv"))
    assert job.wait(120_000)
    page = win.view.page("predict")
    assert win.view.current_page_key() == "predict"
    assert not page._state.check.result.valid and page.problems.isVisibleTo(page)
    job2 = prepare_for_screenshot(win, str(MODELS / "housing_rf_regressor.input.csv"))
    assert job2.wait(120_000)
    assert page._state.outcome is not None and page.results.isVisibleTo(page)
    png = tmp_path / "predict.png"
    assert win.grab().save(str(png)) and png.stat().st_size > 10_000


def test_screenshot_trust_is_for_this_run_only(qtbot, predict_window, prompter, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "events_datetime_pipeline", tmp_path / "events")
    win = predict_window
    win.open_paths([str(model)])
    job = prepare_for_screenshot(win, None, trust=False)  # no input: the model's example
    assert job.wait(120_000)
    page = win.view.page("predict")
    assert page._state.opened.origin == "example" and page._state.outcome is None
    assert page.banner.title.text() == "The model runs only if you trust it"
    job = prepare_for_screenshot(win, str(MODELS / "events_datetime_pipeline.input.json"), trust=True)
    assert job.wait(120_000)
    assert page._state.outcome is not None, page.banner.message.text()
    assert prompter.calls == [] and not trust_store_path().exists()
    assert page.trust.badge.text() == "Trusted"  # for this run only
