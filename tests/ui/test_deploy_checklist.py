"""The readiness checklist model: qtmodeltester while it changes, and what it shows."""

from __future__ import annotations

from pathlib import Path

import pytest
from corpus_paths import MODELS
from PySide6.QtCore import QModelIndex, Qt

from mlmanager.core.deploy.targets import check_deploy
from mlmanager.resources_path import demo_model_path
from mlmanager.ui.pages.deploy.checklist_model import (
    ChecklistModel,
    FixTargetRole,
    GroupRole,
    OutcomeRole,
    RuleIdRole,
    StatusRole,
    count_text,
    sentence_case,
)

NOSIG = MODELS / "scaler_logreg_nosig"


@pytest.fixture(scope="module")
def reports():
    return check_deploy(demo_model_path()), check_deploy(NOSIG)


def _rows(model: ChecklistModel) -> list[tuple[str, list[str]]]:
    out = []
    for i in range(model.rowCount()):
        g = model.index(i, 0)
        out.append((g.data(), [model.index(r, 0, g).data(RuleIdRole) for r in range(model.rowCount(g))]))
    return out


def test_checklist_passes_the_model_tester_while_it_changes(qtmodeltester, reports) -> None:
    demo, nosig = reports
    model = ChecklistModel()
    qtmodeltester.check(model)  # empty
    model.set_report(demo)
    model.set_report(nosig)
    model.set_only_problems(True)
    model.set_report(demo)
    model.set_only_problems(False)
    model.clear()
    model.set_report(nosig)
    assert model.rowCount() == 5
    assert model.columnCount() == 2
    assert model.headerData(0, Qt.Orientation.Horizontal) == "Check"


def test_groups_and_rules_mirror_the_report(reports) -> None:
    _demo, nosig = reports
    model = ChecklistModel()
    model.set_report(nosig)
    groups = [model.index(i, 0).data(GroupRole) for i in range(model.rowCount())]
    assert groups == [("mlflow", "serving"), ("azureml", "online"), ("azureml", "batch"),
                      ("databricks", "uc"), ("databricks", "serving")]
    total = sum(model.rowCount(model.index(i, 0)) for i in range(model.rowCount()))
    assert total == len(nosig.outcomes)
    uc = model.group_index("databricks", "uc")
    assert uc.data(StatusRole) == "fail"
    assert uc.siblingAtColumn(1).data() == "1 failing"
    rule = model.rule_index("databricks.uc.signature")
    assert rule.parent() == uc
    assert rule.data(StatusRole) == "fail"
    assert rule.data(FixTargetRole) == "signature"
    assert rule.data(OutcomeRole).rule.id == "databricks.uc.signature"
    assert rule.data() == "Signature with inputs and outputs"
    tip = rule.data(Qt.ItemDataRole.ToolTipRole)
    assert "Unity Catalog requires a signature" in tip  # the reason
    assert "Fix (the signature editor): add a signature with inputs and outputs" in tip
    assert "Source: deploy-targets.md §4.1" in tip
    assert not rule.data(Qt.ItemDataRole.DecorationRole).isNull()
    # a passing rule has no fix target, and the result column shows its reason
    ok = model.rule_index("mlflow.pyfunc-flavor")
    assert ok.data(StatusRole) == "pass" and ok.data(FixTargetRole) is None
    assert "python_function flavor" in ok.siblingAtColumn(1).data()


def test_only_problems_hides_passing_rules_and_groups(reports) -> None:
    demo, _nosig = reports
    model = ChecklistModel()
    model.set_report(demo)
    model.set_only_problems(True)
    rows = _rows(model)
    assert rows == [("Azure ML online endpoint", ["azureml.online.python-version"])]
    assert model.index(0, 1).data() == "1 warning"  # the group still counts every rule
    assert model.rule_index("mlflow.pyfunc-flavor") == QModelIndex()
    model.set_only_problems(False)
    assert len(_rows(model)) == 5


def test_texts() -> None:
    assert count_text(["pass"] * 3) == "all 3 pass"
    assert count_text(["pass", "warn", "fail", "warn"]) == "1 failing, 2 warnings"
    assert sentence_case("the input example as a request is accepted").startswith("The input")
    assert sentence_case("mlflow pinned when listed") == "mlflow pinned when listed"
    assert sentence_case("conda.yaml present") == "conda.yaml present"
    assert sentence_case("serving_input_example.json is accepted").startswith("serving_")


def test_corpus_reports_fit_the_model(qtmodeltester, models_dir: Path) -> None:
    """Every corpus model's report goes through the tester (broken ones are skipped)."""
    model = ChecklistModel()
    qtmodeltester.check(model)
    for folder in sorted(p for p in models_dir.iterdir() if (p / "MLmodel").is_file()):
        model.set_report(check_deploy(folder))
        assert model.rowCount() >= 3
