"""Every input of the shared corpus through the Predict tab, with the real worker.

Each case file is loaded into the tab and checked in the semantics MLflow recorded for it
(``pandas_read_csv`` -> "as Python predict() sees it", the scoring-server methods -> "as the
deployed endpoint sees it"). Invalid inputs must name, in the problem list and on the grid
header, the column their description names; the first valid input is predicted and must give
MLflow's own predictions.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from corpus_paths import MODELS
from predict_support import (
    copy_tree,
    corpus_names,
    expected,
    load,
    open_predict,
    predict_services,
    predict_window,
    recheck,
    run,
    same_values,
    xdg_cache,
)

from mlmanager.core.jsonsafe import to_jsonable

FIXTURES = (predict_services, predict_window, xdg_cache)  # shared fixtures from predict_support

METHOD_MODE = {"pandas_read_csv": "python", "scoring_server_csv": "serving", "serving_json": "serving"}
# models the worker cannot load in this environment, and why (the tab must say so)
UNLOADABLE = {
    "v2_loans_gbc": "saved by scikit-learn 1.5, whose pickles reference sklearn._loss modules "
                    "this scikit-learn no longer has",
}


def _mlflow_says_valid(rec: dict) -> bool:
    if rec.get("stage") == "load":
        return bool(rec["schema_check"]["ok"])
    if rec.get("accepted"):
        return True
    if rec.get("stage") == "parse":
        return False
    return rec.get("exception_class") != "MlflowException"


def _named(description: str) -> set[str]:
    return set(re.findall(r"(?:column|param) '([^']+)'", description))


def _model_copy(tmp_path: Path, exp: dict) -> Path:
    return copy_tree(MODELS / exp["model_dir"], tmp_path / exp["name"])


@pytest.mark.parametrize("name", corpus_names())
def test_corpus_inputs_in_the_predict_tab(qtbot, predict_window, prompter, tmp_path: Path, name: str) -> None:
    exp = expected(name)
    model = _model_copy(tmp_path, exp)
    page = open_predict(qtbot, predict_window, model)
    reader = exp.get("canonical_reader", "3.17.2")
    model_failures = []
    for case in exp["cases"]:
        for i, (method, rec) in enumerate(case["results"].get(reader, {}).items()):
            mode = METHOD_MODE[method]
            if i == 0:
                outcome = load(qtbot, page, MODELS / case["file"], mode)
            else:
                outcome = recheck(qtbot, page, mode)
            assert outcome is not None, (case["file"], page.banner.message.text())
            result = outcome.result
            want = _mlflow_says_valid(rec)
            assert result.valid == want, (case["file"], method, rec.get("message_first_line"), result.to_json())
            named = _named(case["description"])
            listed = {str(p.column) for p in page.problems.problems()}
            if not result.valid and named and case["kind"] == "invalid":
                assert named & listed, (case["file"], named, result.to_json())
                shown = {str(page.input.model.column_name(c)) for c in page.input.model.problem_columns()}
                present = {str(c) for c in page._state.opened.display.columns}
                if named & present:
                    assert named & shown, (case["file"], named, shown)
            if result.valid and case["kind"] == "invalid":
                model_failures.append((case, named))
    # invalid inputs only the model itself rejects (no signature): the prediction error names them
    for case, named in model_failures:
        load(qtbot, page, MODELS / case["file"], "serving")
        run(qtbot, page)
        assert page._state.outcome is None
        text = page.banner.message.text()
        assert page.banner.isVisible() and any(n in text for n in named), (case["file"], text)
        assert page.input.model.rowCount() == page._state.opened.rows  # the input stays

    first = exp["predictions"]
    load(qtbot, page, MODELS / first["file"], METHOD_MODE[first["method"]])
    assert page._state.check.result.valid, page._state.check.result.to_json()
    report = page._state.report
    assert report is not None
    prompter.answers[:] = [True]
    run(qtbot, page)
    if report.needs_trust:
        assert [c.kind for c in prompter.calls].count("confirm") == 1, prompter.calls
        assert "your permissions" in prompter.calls[-1].text
    if name in UNLOADABLE:
        assert page._state.outcome is None
        assert "could not be loaded" in page.banner.title.text(), page.banner.message.text()
        assert page.input.model.rowCount() == page._state.opened.rows
        return
    outcome = page._state.outcome
    assert outcome is not None, page.banner.message.text()
    assert same_values(to_jsonable(outcome.result.predictions), first["predictions"]), (
        to_jsonable(outcome.result.predictions), first["predictions"])
    # the results table joins the predictions to the input rows
    results = page.results.model
    assert results.rowCount() == len(outcome.predictions)
    assert page.results.view.model().rowCount() == len(outcome.predictions)  # what the view shows
    assert results.prediction_columns
    assert page.results.summary.current() is not None
