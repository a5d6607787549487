"""The Predict tab's editors and models: the row grid, params, fixes, tables, summary."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from corpus_paths import MODELS
from predict_support import (
    copy_tree,
    load,
    open_predict,
    predict_services,
    predict_window,
    wait_page,
    xdg_cache,
)
from PySide6.QtCore import QDateTime, Qt
from PySide6.QtWidgets import QDateTimeEdit, QLineEdit, QStyleOptionViewItem

from mlmanager.core.inputs.fixes import Fix
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.signature.schema import Signature
from mlmanager.predict.input_helper import CheckArgs
from mlmanager.ui.pages.predict.grid_editor import GridEditor, layout_for, parse_cell
from mlmanager.ui.pages.predict.input_model import InputModel
from mlmanager.ui.pages.predict.problems_view import SignatureFixRequest, data_fixes_for
from mlmanager.ui.pages.predict.results_model import ResultsModel, join_results
from mlmanager.ui.pages.predict.summary_chart import SummaryChart, chart_lib, summarize

FIXTURES = (predict_services, predict_window, xdg_cache)  # shared fixtures from predict_support

ALL_TYPES = [
    {"type": "integer", "name": "i", "required": True},
    {"type": "long", "name": "n", "required": True},
    {"type": "float", "name": "f", "required": True},
    {"type": "double", "name": "d", "required": True},
    {"type": "boolean", "name": "b", "required": True},
    {"type": "string", "name": "s", "required": True},
    {"type": "datetime", "name": "t", "required": True},
    {"type": "array", "items": {"type": "long"}, "name": "arr", "required": True},
    {"type": "double", "name": "opt", "required": False},
]


def _signature(inputs: list[dict]) -> Signature:
    return Signature.from_canonical({"inputs": inputs})


def _model_with_signature(folder: Path, inputs: list[dict]) -> Path:
    folder.mkdir(parents=True)
    doc = {"flavors": {"python_function": {"loader_module": "mlflow.sklearn", "model_path": "model.pkl",
                                           "python_version": "3.11.7"}},
           "mlflow_version": "3.17.2", "signature": {"inputs": json.dumps(inputs)}}
    (folder / "MLmodel").write_text(yaml.safe_dump(doc))
    return folder


def test_grid_layout_follows_the_signature() -> None:
    layout = layout_for(_signature(ALL_TYPES))
    assert [c.kind for c in layout.columns] == ["integer", "long", "float", "double", "boolean", "string",
                                                "datetime", "json", "double"]
    assert [c.required for c in layout.columns][-1] is False
    tensor = layout_for(Signature.from_canonical(
        {"inputs": [{"type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 4]}}]}))
    assert [c.name for c in tensor.columns] == ["0", "1", "2", "3"] and tensor.tensor_dtype == "float64"
    images = layout_for(Signature.from_canonical(
        {"inputs": [{"type": "tensor", "tensor-spec": {"dtype": "uint8", "shape": [-1, 2, 2]}}]}))
    assert [c.kind for c in images.columns] == ["json"] and "[2, 2]" in images.note
    assert layout_for(None).columns == [] and "no input signature" in layout_for(None).note


@pytest.mark.parametrize("text,kind,value,ok", [
    ("12", "integer", 12, True), ("3000000000", "integer", "3000000000", False),
    ("3000000000", "long", 3000000000, True), ("1.5", "long", "1.5", False),
    ("2.5e3", "double", 2500.0, True), ("abc", "float", "abc", False),
    ("yes", "boolean", True, True), ("maybe", "boolean", "maybe", False),
    ("2024-03-05 14:00:00", "datetime", dt.datetime(2024, 3, 5, 14), True),
    ("[1, 2]", "json", [1, 2], True), ("[1, ", "json", "[1, ", False), ("", "double", None, True),
    ("AAE=", "binary", "AAE=", True), ("no base64!", "binary", "no base64!", False),
])
def test_parse_cell(text: str, kind: str, value, ok: bool) -> None:
    parsed, error = parse_cell(text, kind)
    assert parsed == value
    assert (error is None) == ok


def test_grid_has_an_editor_per_type(qtbot, qtmodeltester) -> None:
    grid = GridEditor()
    qtbot.addWidget(grid)
    grid.set_signature(_signature(ALL_TYPES))
    model, view = grid.model, grid.view
    delegate = view.itemDelegate()
    assert model.rowCount() == 1 and grid.use_button.isEnabled()

    def edit(column: int, text: str) -> None:
        index = model.index(0, column)
        editor = delegate.createEditor(view.viewport(), QStyleOptionViewItem(), index)
        assert isinstance(editor, QLineEdit), column
        editor.setText(text)
        delegate.setModelData(editor, model, index)
        editor.deleteLater()

    int_editor = delegate.createEditor(view.viewport(), QStyleOptionViewItem(), model.index(0, 0))
    assert int_editor.validator() is not None and int_editor.objectName() == "grid-integer-editor"
    edit(0, "7")
    edit(1, "9000000000")
    edit(2, "1.25")
    edit(3, "nan")
    edit(5, "hello")
    edit(7, "[1, 2, 3]")
    assert model.flags(model.index(0, 4)) & Qt.ItemFlag.ItemIsUserCheckable
    assert model.setData(model.index(0, 4), Qt.CheckState.Checked.value, Qt.ItemDataRole.CheckStateRole)
    dt_editor = delegate.createEditor(view.viewport(), QStyleOptionViewItem(), model.index(0, 6))
    assert isinstance(dt_editor, QDateTimeEdit)
    dt_editor.setDateTime(QDateTime(2024, 3, 5, 14, 30, 0))
    delegate.setModelData(dt_editor, model, model.index(0, 6))
    assert [model.value(0, c) for c in range(9)][:8] == [7, 9_000_000_000, 1.25, model.value(0, 3), True, "hello",
                                                          dt.datetime(2024, 3, 5, 14, 30), [1, 2, 3]]
    assert np.isnan(model.value(0, 3)) and model.value(0, 8) is None
    assert model.errors() == {}

    edit(7, "[1, oops]")  # a bad cell keeps its text, turns red and says why
    assert (0, 7) in model.errors() and "JSON" in model.errors()[(0, 7)]
    assert model.index(0, 7).data(Qt.ItemDataRole.BackgroundRole) is not None
    grid.add_button.click()
    assert model.rowCount() == 2
    rows = model.rows_json()
    assert rows[0][6] == "2024-03-05T14:30:00" and rows[0][3] is None  # JSON-safe for the helper
    view.setCurrentIndex(model.index(1, 0))
    grid.remove_button.click()
    assert model.rowCount() == 1
    qtmodeltester.check(model)


def test_typed_rows_get_the_signature_types(predict_services, tmp_path: Path) -> None:
    model = _model_with_signature(tmp_path / "typed", ALL_TYPES)
    rows = [[1, 2, 1.5, 2.5, True, "a", "2024-03-05T14:00:00", [1, 2], None],
            [3, 4, 0.5, None, False, "b", "2024-03-06T00:00:00", [], 1.0]]
    names = [c["name"] for c in ALL_TYPES]
    types = [c.signature_type for c in layout_for(_signature(ALL_TYPES)).columns]
    helper = predict_services.input_helper
    for mode in ("python", "serving"):
        opened = helper.open_rows(names, types, rows, check=CheckArgs(str(model), mode))
        dtypes = {k: str(v) for k, v in opened.display.dtypes.items()}
        assert dtypes["i"] == "int32" and dtypes["n"] == "int64" and dtypes["f"] == "float32"
        assert dtypes["d"] == "float64" and dtypes["b"] == "bool" and dtypes["t"] == "datetime64[ns]"
        assert opened.checked.result.valid, (mode, opened.checked.result.to_json())


def test_tensor_rows(predict_services, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "sensor_tensor_logreg", tmp_path / "sensor")
    for mode in ("python", "serving"):
        opened = predict_services.input_helper.open_rows(["0", "1", "2", "3"], [None] * 4,
                                                 [[0.1, 0.2, 0.3, 0.4], [1, 2, 3, 4]], tensor_dtype="float64",
                                                 check=CheckArgs(str(model), mode))
        assert opened.kind == "tensor" and opened.display.shape == (2, 4)
        assert opened.checked.result.valid, opened.checked.result.to_json()
        assert opened.checked.data.dtype == np.float64


def test_grid_rows_are_checked_and_predicted(qtbot, predict_window, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    page = open_predict(qtbot, predict_window, model, autorun=True)
    page.show_grid()
    grid = page.input.grid.model
    for c, text in enumerate(["3", "80.5", "2", "true", "10.5"]):
        grid.setData(grid.index(0, c), text)
    page.input.grid.use_button.click()
    wait_page(qtbot, page)
    assert page._state.opened.origin == "rows"
    assert page._state.check.result.valid, page._state.check.result.to_json()
    assert page._state.outcome is not None and len(page._state.outcome.predictions) == 1
    grid.setData(grid.index(0, 0), "three")  # not a number: kept as text, reported by validation
    page.use_grid_rows()
    wait_page(qtbot, page)
    assert not page._state.check.result.valid
    assert "rooms" in {str(p.column) for p in page.problems.problems()}


def test_params_form_defaults_input_params_and_bad_values(qtbot, predict_window, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "ticket_triage_pyfunc_params", tmp_path / "triage")
    page = open_predict(qtbot, predict_window, model)
    form = page.input.params
    assert page.input.tabs.isTabVisible(page.input.params_index)
    assert form.values() == {"threshold": 0.5, "urgent_label": "urgent", "max_rows": 100}
    load(qtbot, page, MODELS / "ticket_triage_pyfunc_params.input.json", "serving")
    assert form.field("threshold").text() == "0.3" and form.field("urgent_label").text() == "P1"
    assert page._state.check.result.valid and page._state.check.result.params["threshold"] == 0.3
    with qtbot.waitSignal(page.checked, timeout=30_000):  # the debounced re-check
        form.field("threshold").setText("high")
    wait_page(qtbot, page)
    result = page._state.check.result
    assert not result.valid and "threshold" in {str(p.column) for p in result.errors}
    form.reset()
    wait_page(qtbot, page)
    assert page._state.check.result.valid
    assert page._state.check.result.params == {"threshold": 0.5, "urgent_label": "urgent", "max_rows": 100}


def test_data_side_fixes_apply_in_one_click_and_revert(qtbot, predict_window, tmp_path: Path) -> None:
    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    src = pd.read_csv(MODELS / "housing_rf_regressor.input.csv")
    data = tmp_path / "renamed.csv"
    src.rename(columns={"rooms": "Rooms"}).assign(price=1).to_csv(data, index=False)
    page = open_predict(qtbot, predict_window, model)
    check = load(qtbot, page, data, "serving")
    assert not check.result.valid
    assert {p.kind for p in check.result.errors} == {"case_mismatch"}
    assert page.problems.fixes() == [Fix("rename", "Rooms", "rooms"), Fix("drop", "price")]
    assert page.problems.fix_button.isEnabled() and page.problems.fix_button.text() == "Apply 2 data fixes"
    page.problems.fix_button.click()
    wait_page(qtbot, page)
    assert page._state.opened.origin == "fixed" and page._state.check.result.valid
    assert list(page._state.opened.display.columns) == ["rooms", "area_m2", "floor", "has_garden", "age_years"]
    # python semantics: the int64/float64 columns need casts; one more click fixes those too
    page.set_mode("python")
    wait_page(qtbot, page)
    assert {p.column for p in page._state.check.result.errors} == {"floor", "age_years"}
    assert page.problems.fixes() == [Fix("cast", "floor", "integer"), Fix("cast", "age_years", "float")]
    page.problems.fix_button.click()
    wait_page(qtbot, page)
    assert page._state.check.result.valid
    assert str(page._state.opened.display["floor"].dtype) == "int32"
    assert page.problems.revert_button.isVisibleTo(page)
    page.problems.revert_button.click()
    wait_page(qtbot, page)
    assert page._state.opened.origin == "file" and not page._state.check.result.valid


def test_signature_side_fix_opens_the_signature_editor(qtbot, predict_window, prompter, predict_services,
                                                       tmp_path: Path) -> None:
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.pages import base as pages_base
    from mlmanager.ui.pages import tabs
    from mlmanager.ui.settings import Settings

    model = copy_tree(MODELS / "housing_rf_regressor", tmp_path / "housing")
    page = open_predict(qtbot, predict_window, model)
    requests: list[SignatureFixRequest] = []
    page.signature_fix_requested.connect(requests.append)
    load(qtbot, page, MODELS / "housing_rf_regressor.input.csv", "python")
    item = page.problems.tree.topLevelItem(0)
    page.problems.tree.setCurrentItem(item)
    assert page.problems.signature_button.isEnabled()
    page.problems.signature_button.click()
    assert requests and requests[0].column == "floor" and requests[0].to_type == "long"
    view = predict_window.view
    if "signature" in view.page_keys():  # the real editor: its tab opens at the column's row
        assert view.current_page_key() == "signature"
        panel = view.page("signature").panels["inputs"]
        assert panel.current_row() == 2  # floor is the third input
        view.set_current_page("predict")
    else:
        assert page.banner.title.text() == "Change the signature"

    class FakeSignaturePage(pages_base.ModelPage):
        def __init__(self, ctx):
            super().__init__(ctx)
            self.fixes: list = []

        def show_entry(self, entry):
            self.entry = entry

        def show_fix(self, request):
            self.fixes.append(request)

    with tabs.page_override("signature", FakeSignaturePage, "Signature", 25):
        win = MainWindow(Settings(), prompter)
    qtbot.addWidget(win)
    win.show()
    page2 = open_predict(qtbot, win, model)
    load(qtbot, page2, MODELS / "housing_rf_regressor.input.csv", "python")
    page2.problems.tree.setCurrentItem(page2.problems.tree.topLevelItem(1))
    page2.problems.signature_button.click()
    assert win.view.current_page_key() == "signature"
    fixes = win.view.page("signature").fixes
    assert fixes and fixes[0].column == "age_years" and fixes[0].to_type == "double"
    wait_page(qtbot, page2)
    win.shutdown()


def test_data_fixes_for_problems() -> None:
    problems = [
        Problem("case_mismatch", "missing", column="rooms", found="Rooms"),
        Problem("extra_column", "extra", column="id", severity="warning"),
        Problem("type_mismatch", "x", column="floor", expected="integer", found="int64"),
        Problem("type_mismatch", "x", column="area", expected="double", found="str", values=["'abc'"]),
        Problem("nan_in_integer", "x", column="visits", expected="long", found="float64"),
    ]
    fixes = data_fixes_for(problems, ["Rooms", "id", "floor", "area", "visits"])
    assert fixes == [Fix("rename", "Rooms", "rooms"), Fix("drop", "id"), Fix("cast", "floor", "integer")]


def test_input_model_is_virtual_and_paints_problems(qtmodeltester) -> None:
    n = 200_000
    frame = pd.DataFrame({"x": np.arange(n, dtype=np.float64), "label": pd.array(["a", "b"] * (n // 2), dtype="str")})
    model = InputModel()
    model.set_frame(frame, column_types={"x": "double"})
    assert model.rowCount() == n and not model._getters  # nothing read up front
    assert model.index(n - 1, 0).data() == f"{n - 1}" and model.index(3, 1).data() == "b"
    assert len(model._getters) == 2
    problem = Problem("type_mismatch", "bad label", column="label", rows=[3, 7], values=["'b'"])
    model.set_problems([problem])
    assert model.problem_columns() == [1]
    assert model.headerData(1, Qt.Orientation.Horizontal, Qt.ItemDataRole.DecorationRole) is not None
    assert model.index(3, 1).data(Qt.ItemDataRole.BackgroundRole) is not None
    assert model.index(4, 1).data(Qt.ItemDataRole.BackgroundRole) is None
    assert "bad label" in model.index(7, 1).data(Qt.ItemDataRole.ToolTipRole)
    small = InputModel()
    small.set_frame(frame.head(50), row_labels=list(range(10, 60)))
    small.set_problems([problem])
    assert small.frame_row(12) == 2 and small.headerData(0, Qt.Orientation.Vertical) == "10"
    qtmodeltester.check(small)


def test_results_sort_and_filter_in_the_model(qtmodeltester) -> None:
    inputs = pd.DataFrame({"city": ["Oslo", "Rome", "Lima", "Oslo"], "x": [1.0, 2.0, 3.0, 4.0]})
    preds = pd.DataFrame({"prediction": [0.9, 0.1, np.nan, 0.5]})
    table, pred_cols, note = join_results(inputs, preds)
    assert pred_cols == ["prediction"] and note is None and list(table.columns) == ["city", "x", "prediction"]
    model = ResultsModel()
    model.set_results(table, pred_cols)
    qtmodeltester.check(model)
    model.sort(2, Qt.SortOrder.DescendingOrder)  # what a sortable QTableView calls
    assert [model.index(r, 2).data() for r in range(4)] == ["0.9", "0.5", "0.1", "NaN"]
    assert [model.source_row(r) for r in range(4)] == [0, 3, 1, 2]
    assert model.set_filter_text("oslo", 0) == 2
    assert [model.index(r, 2).data() for r in range(2)] == ["0.9", "0.5"]  # still sorted
    assert model.set_filter_text("> 0.3", 2) == 2
    assert model.set_filter_text("", 0) == 4
    clash, cols, _ = join_results(pd.DataFrame({"prediction": [1]}), pd.DataFrame({"prediction": [2]}))
    assert cols == ["prediction (prediction)"]
    alone, _, note = join_results(inputs, pd.DataFrame({"prediction": [1, 2]}))
    assert list(alone.columns) == ["prediction"] and "2 predictions for 4 input rows" in note
    qtmodeltester.check(model)


def test_summary_counts_classes_and_bins_numbers(qtbot) -> None:
    labels = summarize(pd.Series(["spam", "ham", "spam", None], name="label"))
    assert labels.kind == "classes" and labels.labels == ["spam", "ham"] and labels.counts == [2, 1]
    assert labels.missing == 1 and "66.7 %" in labels.text() or "50.0 %" in labels.text()
    ints = summarize(pd.Series([0, 1, 1, 2], name="cls"))
    assert ints.kind == "classes" and ints.counts == [2, 1, 1]
    numbers = summarize(pd.Series(np.linspace(0, 1, 101), name="score"))
    assert numbers.kind == "distribution" and sum(numbers.hist) == 101 and numbers.stats["max"] == 1.0
    text_only = SummaryChart(use_chart=False)
    qtbot.addWidget(text_only)
    text_only.set_summaries([labels])
    assert "█" in text_only.text.text() and not text_only.has_chart
    chart = SummaryChart()
    qtbot.addWidget(chart)
    chart.show()
    chart.set_summaries([labels, numbers])
    lib = chart_lib()
    qtbot.waitUntil(lambda: lib.module is not None or lib.failed, timeout=60_000)
    if lib.failed:
        pytest.skip("pyqtgraph is not installed")
    qtbot.waitUntil(lambda: chart.has_chart, timeout=5_000)
    assert chart.column_combo.isVisible() and chart.column_combo.count() == 2
    chart.column_combo.setCurrentIndex(1)
    assert chart.current().kind == "distribution" and chart.has_chart
