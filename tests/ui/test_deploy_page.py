"""The Deploy tab in the main window: readiness per target, fixes that open the right tab,
the request view (forms, copy, edits, input files, drops) and the OpenAPI export."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from corpus_paths import MODELS
from deploy_helpers import open_deploy, wait_page
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent, QGuiApplication
from PySide6.QtWidgets import QApplication

from mlmanager.resources_path import demo_model_path
from mlmanager.ui.pages.deploy.checklist_model import StatusRole

NOSIG = MODELS / "scaler_logreg_nosig"
IRIS = MODELS / "iris_logreg_colspec"

pytest_plugins = ["deploy_fixtures"]  # deploy_window, signature_stub, no_signature_page


def _badges(page) -> dict[str, tuple[str, str]]:
    return {b.objectName().rsplit("-", 1)[1]: (b.level, b.text()) for b in page._target_badges}


def test_demo_model_is_ready_with_one_azure_warning(qtbot, deploy_window) -> None:
    page = open_deploy(qtbot, deploy_window, demo_model_path())
    assert page.report.status == "warn"
    assert _badges(page) == {"mlflow": ("ok", "MLflow: ready"),
                             "azureml": ("warning", "Azure ML: 1 warning"),
                             "databricks": ("ok", "Databricks: ready")}
    m = page.model
    statuses = {m.index(i, 0).data(): m.index(i, 0).data(StatusRole) for i in range(m.rowCount())}
    assert statuses == {"MLflow scoring server": "pass", "Azure ML online endpoint": "warn",
                        "Azure ML batch endpoint": "pass", "Databricks Unity Catalog": "pass",
                        "Databricks Model Serving": "pass"}
    # the warning is expanded, selected and explained
    current = page.tree.currentIndex()
    assert current.data(StatusRole) == "warn"
    assert page.detail.outcome.rule.id == "azureml.online.python-version"
    assert "Python 3.11" in page.detail.reason.text()
    assert page.tree.isExpanded(current.parent())
    assert not page.tree.isExpanded(m.group_index("mlflow"))
    # the report is cached per model generation: showing the tab again does not re-run it
    entry = deploy_window.view.entry
    assert entry.cache["deploy-report"] is page.report
    page.show_entry(entry)
    assert page._task is None and page.report is entry.cache["deploy-report"]


def test_failing_rule_shows_its_fix_and_opens_the_signature_tab(qtbot, signature_stub, deploy_window) -> None:
    page = open_deploy(qtbot, deploy_window, NOSIG)
    assert page.report.status == "fail"
    assert _badges(page)["databricks"] == ("error", "Databricks: not ready")
    # the first failing rule is selected, with its reason and fix
    assert page.detail.outcome.rule.id == "databricks.uc.signature"
    assert page.detail.badge.text() == "Fails"
    assert "did not contain any signature" in page.detail.reason.text()
    assert page.detail.fix.text().startswith("add a signature with inputs and outputs")
    assert not page.detail.fix_box.isHidden()
    assert page.detail.fix_button.text() == "Open the signature editor"
    requests = []
    page.fix_requested.connect(lambda key, o: requests.append((key, o.rule.id)))
    qtbot.mouseClick(page.detail.fix_button, Qt.MouseButton.LeftButton)
    assert requests == [("signature", "databricks.uc.signature")]
    view = deploy_window.view
    assert view.current_page_key() == "signature"
    assert [o.rule.id for o in signature_stub.fixes] == ["databricks.uc.signature"]
    # an environment fix opens the Environment tab
    view.set_current_page("deploy")
    assert page.select_rule("azureml.online.python-version")
    assert page.detail.fix_button.text() == "Open the Environment tab"
    page.detail.fix_button.click()
    assert view.current_page_key() == "environment"


def test_fix_without_a_signature_tab_is_explained(qtbot, no_signature_page, deploy_window) -> None:
    page = open_deploy(qtbot, deploy_window, NOSIG)
    requests = []
    page.fix_requested.connect(lambda key, o: requests.append(key))
    page.detail.fix_button.click()
    assert requests == ["signature"]
    assert deploy_window.view.current_page_key() == "deploy"
    assert not page.banner.isHidden()
    assert "not available" in page.banner.title.text()
    assert "add a signature" in page.banner.message.text()


def test_only_problems_filter(qtbot, deploy_window) -> None:
    page = open_deploy(qtbot, deploy_window, NOSIG)
    page.only_problems.setChecked(True)
    m = page.model
    rules = [m.index(r, 0, m.index(i, 0)) for i in range(m.rowCount()) for r in range(m.rowCount(m.index(i, 0)))]
    assert rules and all(r.data(StatusRole) != "pass" for r in rules)
    assert page.detail.outcome is not None and page.detail.outcome.status == "fail"


@pytest.mark.parametrize("target", ["mlflow", "azureml", "databricks"])
def test_request_renders_and_copies_for_each_target(qtbot, deploy_window, target: str) -> None:
    page = open_deploy(qtbot, deploy_window, demo_model_path())
    view = page.request_view
    view.set_target(target)
    wait_page(qtbot, page)
    body = json.loads(view.text())
    key = "input_data" if target == "azureml" else "dataframe_split"
    assert list(body) == [key]
    assert body[key]["columns"] == ["sepal_length", "sepal_width", "petal_length", "petal_width"]
    assert view.check is not None and view.check.valid and view.badge.text() == "Accepted"
    clipboard = QGuiApplication.clipboard()
    for fmt, marker in (("json", f'"{key}"'), ("curl", "curl -sS -X POST"), ("python", "requests.post(")):
        button = getattr(view, f"copy_{fmt}")
        assert button.isEnabled()
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
        text = clipboard.text()
        assert marker in text, (fmt, text[:200])
        assert text == view.last_copied
    assert json.loads(clipboard.text().split("payload = ", 1)[0] and view.render("json")) == body
    url = {"mlflow": "http://127.0.0.1:5000/invocations", "azureml": "$AZUREML_SCORING_URI",
           "databricks": "$DATABRICKS_HOST/serving-endpoints/$ENDPOINT_NAME/invocations"}[target]
    assert url in view.render("curl")
    assert url in view.endpoint.text()


def test_request_forms_edits_and_validation(qtbot, deploy_window) -> None:
    page = open_deploy(qtbot, deploy_window, demo_model_path())
    view = page.request_view
    view.set_orient("records")
    wait_page(qtbot, page)
    assert "dataframe_records" in json.loads(view.text())
    assert "deprecated" in view.notes.text()
    view.set_target("azureml")  # records is not an Azure form: back to automatic
    wait_page(qtbot, page)
    assert view.orient is None and "input_data" in json.loads(view.text())
    view.set_target("mlflow")
    wait_page(qtbot, page)
    # an edit that breaks the schema is rejected, with the column named
    body = json.loads(view.text())
    body["dataframe_split"]["data"][0][0] = "not a number"
    view.editor.setPlainText(json.dumps(body))
    assert view.edited and not view.reset_button.isHidden()
    qtbot.waitUntil(lambda: view.check is not None and not view.check.valid and not view.is_busy(), timeout=10_000)
    assert view.badge.text() == "Rejected"
    assert "sepal_length" in view.verdict.text()
    assert "not a number" in view.render("curl")  # copies use the edited body
    # text that is not JSON: curl/python are disabled, the verdict says why
    view.editor.setPlainText("{not json")
    qtbot.waitUntil(lambda: not view.is_busy(), timeout=10_000)
    assert not view.copy_curl.isEnabled() and view.copy_json.isEnabled()
    assert view.check is not None and not view.check.valid
    view.reset_edits()
    assert not view.edited and view.badge.text() == "Accepted"
    assert json.loads(view.text())["dataframe_split"]["data"][0] == [5.1, 3.5, 1.4, 0.2]


def test_model_without_example_takes_an_input_file(qtbot, deploy_window, prompter) -> None:
    page = open_deploy(qtbot, deploy_window, NOSIG)
    view = page.request_view
    assert view.text() == "" and view.badge.text() == "No request"
    assert "no input example" in view.editor.placeholderText()
    assert not view.copy_json.isEnabled()
    prompter.paths.append(str(MODELS / "scaler_logreg_nosig.input.csv"))
    view.choose_button.click()
    wait_page(qtbot, page)
    body = json.loads(view.text())
    assert len(body["dataframe_split"]["data"]) > 0
    assert "scaler_logreg_nosig.input.csv" in view.input_label.full_text()
    assert view.check.valid  # no signature: nothing is enforced
    view.example_button.click()
    wait_page(qtbot, page)
    assert view.text() == ""


def _drag_events(widget, paths: list[Path]):
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(p)) for p in paths])
    pos = QPointF(widget.rect().center())
    enter = QDragEnterEvent(QPoint(int(pos.x()), int(pos.y())), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    return mime, enter, drop


def test_dropping_an_input_file_builds_the_request_from_it(qtbot, deploy_window, tmp_path: Path) -> None:
    page = open_deploy(qtbot, deploy_window, demo_model_path())
    view = page.request_view
    page.tabs.setCurrentWidget(view)
    other = tmp_path / "model.txt"
    other.write_text("x")
    _mime, enter, _drop = _drag_events(view, [other])
    view.dragEnterEvent(enter)
    assert not enter.isAccepted()  # not an input file: left to the window (which opens models)
    csv = tmp_path / "two.csv"
    csv.write_text("sepal_length,sepal_width,petal_length,petal_width\n1,2,3,4\n5,6,7,8\n")
    _mime, enter, drop = _drag_events(view, [csv])
    QApplication.sendEvent(view, enter)
    assert enter.isAccepted()
    QApplication.sendEvent(view, drop)
    wait_page(qtbot, page)
    assert view.input_path == str(csv)
    assert json.loads(view.text())["dataframe_split"]["data"] == [[1, 2, 3, 4], [5, 6, 7, 8]]


@pytest.mark.parametrize(("name", "target"), [("spec.json", "mlflow"), ("spec.yaml", "azureml"), ("spec", "databricks")])
def test_openapi_export_writes_a_valid_document(qtbot, deploy_window, prompter, tmp_path: Path,
                                                name: str, target: str) -> None:
    from openapi_spec_validator import validate

    page = open_deploy(qtbot, deploy_window, demo_model_path())
    page.request_view.set_target(target)
    wait_page(qtbot, page)
    prompter.paths.append(str(tmp_path / name))
    qtbot.mouseClick(page.request_view.export_button, Qt.MouseButton.LeftButton)
    wait_page(qtbot, page)
    assert [c.kind for c in prompter.calls][-1] == "save_file"
    path = tmp_path / (name if "." in name else name + ".json")
    text = path.read_text(encoding="utf-8")
    if path.suffix == ".yaml":
        import yaml

        document = yaml.safe_load(text)
    else:
        document = json.loads(text)
    validate(document)
    assert ("/score" if target == "azureml" else "/invocations") in document["paths"]
    assert page.banner.isHidden()
    assert sorted(p.name for p in tmp_path.iterdir()) == [path.name]  # no temp file left


def test_openapi_export_cancelled_or_failing(qtbot, deploy_window, prompter, tmp_path: Path) -> None:
    page = open_deploy(qtbot, deploy_window, demo_model_path())
    assert page.export_openapi() is None  # the file dialog was cancelled
    prompter.paths.append(str(tmp_path / "missing-folder" / "spec.json"))
    page.export_openapi()
    wait_page(qtbot, page)
    assert not page.banner.isHidden()
    assert "could not be saved" in page.banner.title.text()


def test_broken_model_shows_no_checklist(qtbot, deploy_window, tmp_path: Path) -> None:
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "MLmodel").write_text("flavors: [unclosed\n")
    deploy_window.open_model(bad)
    qtbot.waitUntil(lambda: deploy_window.view.entry is not None
                    and deploy_window.view.entry.state.value == "error", timeout=10_000)
    deploy_window.view.set_current_page("deploy")
    page = deploy_window.view.page("deploy")
    assert page.model.rowCount() == 0 and page.report is None
    assert "cannot be read" in page.summary.text()
    assert not page.server.start_button.isEnabled()
