"""The Predict tab's "Run in": this app's Python, the model's own environment, or a picked
interpreter, stated beside every result. A real old model (scikit-learn 1.3 / MLflow 2.9 /
Python 3.10, from the test model factory) fails in this app's Python for the version mismatch;
the failure offers the model's environment, which is built (after asking) with uv, and the
prediction runs again there and gives what MLflow predicted in the author's environment."""

from __future__ import annotations

from pathlib import Path

import pytest
from predict_support import (
    load,
    open_predict,
    predict_services,
    predict_window,
    wait_page,
    xdg_cache,
)

pytestmark = [pytest.mark.envbuild]
FIXTURES = (predict_services, predict_window, xdg_cache)  # shared fixtures from predict_support

BUILD_MS = 300_000


@pytest.fixture
def env_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "environments"
    monkeypatch.setenv("MLMANAGER_ENV_CACHE", str(root))
    return root


def oracle_values(model) -> list:
    return model.oracle["output"]["data"]


def test_a_mismatched_model_is_offered_its_environment_and_predicts_like_mlflow_there(
        qtbot, predict_window, prompter, built_model, env_cache: Path, tmp_path: Path) -> None:
    model = built_model("sklearn13-py310")
    page = open_predict(qtbot, predict_window, model.model_dir)
    qtbot.waitUntil(lambda: page._state.where_default is not None, timeout=60_000)
    default = page._state.where_default
    assert default.where == "app" and not default.app_matches and not default.environment_ready
    assert page.where.current() == "app"
    assert "scikit-learn" in page.where_note.text()

    check = load(qtbot, page, model.input_path)
    assert check.result.valid
    page.run(ask=True)
    qtbot.waitUntil(lambda: not page.is_busy() and page.banner.isVisibleTo(page), timeout=120_000)
    assert page.banner.button.isVisibleTo(page)
    assert page.banner.button.text() == "Predict in the model's environment…"

    prompter.dialogs.append(True)  # the list of packages: agreed
    qtbot.mouseClick(page.banner.button, left())
    qtbot.waitUntil(lambda: page._state.outcome is not None, timeout=BUILD_MS)
    wait_page(qtbot, page, timeout=120_000)
    assert prompter.titles("dialog") == ["Build the model's environment?"]
    outcome = page._state.outcome
    ran_by = outcome.ran_by
    assert ran_by.runtime.kind == "model"
    assert ran_by.python_version.startswith("3.10.")
    assert ran_by.packages["scikit-learn"] == "1.3.2"
    assert "Python 3.10" in page.results.header.text()
    assert "scikit-learn 1.3.2" in page.results.header.text()
    assert page.where.current() == "model"
    predicted = outcome.predictions.iloc[:, 0].tolist()
    assert predicted == pytest.approx(oracle_values(model))

    # the model's environment is now the default for this model (the app still differs)
    qtbot.waitUntil(lambda: page._state.where_default is not None
                    and page._state.where_default.environment_ready, timeout=60_000)
    assert page._state.where_default.where == "model"


def test_choosing_the_model_environment_before_it_is_built_offers_the_build(
        qtbot, predict_window, prompter, built_model, env_cache: Path) -> None:
    model = built_model("sklearn13-py310")
    page = open_predict(qtbot, predict_window, model.model_dir)
    page.where.choose("model")
    load(qtbot, page, model.input_path)
    page.run(ask=True)
    qtbot.waitUntil(lambda: not page.is_busy() and page.banner.isVisibleTo(page), timeout=120_000)
    assert page.banner.title.text() == "The model's environment is not built yet"
    assert page.banner.button.text() == "Build it and predict…"
    prompter.dialogs.append(False)  # declined: nothing is installed, nothing runs
    qtbot.mouseClick(page.banner.button, left())
    qtbot.waitUntil(lambda: "dialog" in prompter.kinds(), timeout=120_000)
    wait_page(qtbot, page)
    assert page.banner.title.text() == "Nothing was installed"
    assert page._state.outcome is None
    assert not [p for p in env_cache.glob("py*")]


def test_a_picked_interpreter_runs_the_model_and_says_so(
        qtbot, predict_window, prompter, built_model, env_cache: Path) -> None:
    model = built_model("sklearn13-py310")
    page = open_predict(qtbot, predict_window, model.model_dir)
    python = str(model.env_python())  # the author's own environment: Python 3.10 + its packages
    prompter.paths.append(python)
    page.where_combo.setCurrentIndex(page.where_combo.findData("pick"))
    page.where._on_activated(page.where_combo.currentIndex())
    assert page.where.current() == python
    from mlmanager.ui.settings import Settings

    assert Settings().predict_pythons == [python]  # offered again next time
    load(qtbot, page, model.input_path)
    page.run(ask=True)
    qtbot.waitUntil(lambda: page._state.outcome is not None or page.banner.isVisibleTo(page),
                    timeout=120_000)
    wait_page(qtbot, page)
    outcome = page._state.outcome
    assert outcome is not None, page.banner.message.text()
    assert outcome.ran_by.runtime.kind == "python"
    assert outcome.ran_by.python_version.startswith("3.10.")
    assert python in page.results.header.text()
    assert outcome.predictions.iloc[:, 0].tolist() == pytest.approx(oracle_values(model))


def left():
    from PySide6.QtCore import Qt

    return Qt.MouseButton.LeftButton


def test_a_missing_package_offers_the_model_environment(
        qtbot, predict_window, prompter, built_model, env_cache: Path) -> None:
    model = built_model("xgboost17-py39")  # this app has no xgboost
    page = open_predict(qtbot, predict_window, model.model_dir)
    load(qtbot, page, model.input_path)
    prompter.answers.extend([True, True])  # trust the model file (it is not a plain pickle)
    page.run(ask=True)
    qtbot.waitUntil(lambda: not page.is_busy() and page.banner.isVisibleTo(page), timeout=120_000)
    text = page.banner.title.text() + " " + page.banner.message.text()
    assert "xgboost" in text, text
    assert page.banner.button.text() == "Predict in the model's environment…"
