"""Live validation: every rule of spec §4.5/§4.8 is flagged on the offending cell (background,
icon, tooltip with the reason), listed under the editor, and Save is disabled meanwhile."""

from __future__ import annotations

import pytest
from PySide6.QtCore import Qt
from signature_support import Harness

from mlmanager.core.signature.edits import (
    AddColumn,
    AddParam,
    ReplaceSection,
    ReplaceSignature,
    SetColumnName,
    SetColumnType,
    SetParam,
    SetRequired,
)
from mlmanager.core.signature.schema import (
    ColSpec,
    ObjectType,
    ParamSpec,
    Property,
    ScalarType,
    Schema,
    Signature,
    TensorSpec,
)
from mlmanager.ui.pages.signature.base_model import ISSUE_ROLE

DECO = Qt.ItemDataRole.DecorationRole
TIP = Qt.ItemDataRole.ToolTipRole
BG = Qt.ItemDataRole.BackgroundRole


@pytest.fixture
def env(qtbot, models_dir, copy_model):
    h = Harness(qtbot)
    h.open(copy_model(models_dir / "ticket_triage_pyfunc_params"))
    yield h
    h.close()


def flagged(model, row: int, column: int) -> list:
    index = model.index(row, column)
    return index.data(ISSUE_ROLE)


def assert_flag(h: Harness, section: str, row: int, column: int, words: str, kind: str | None = None) -> None:
    model = h.model(section, kind)
    issues = flagged(model, row, column)
    assert issues and any(words in i.message for i in issues), (section, row, column, issues)
    index = model.index(row, column)
    assert index.data(DECO) is not None and index.data(BG) is not None
    assert words in index.data(TIP)
    # only that cell of the row is flagged
    others = [c for c in range(model.columnCount()) if c != column and flagged(model, row, c)]
    assert others == []
    assert not h.page.save_button.isEnabled() and not h.page.save_copy_button.isEnabled()
    assert any(words in i.message for i in h.page.issues.issues)
    assert h.page.issues.label.text().startswith(("1 problem", "2 problems", "3 problems"))


RULES = [
    # (edits, section, row, column, words in the message, view kind)
    ([SetColumnName("inputs", 1, None)], "inputs", 1, 0, "must be named", "columns"),
    ([AddColumn("inputs", None, TensorSpec("float64", (-1,), "t"))], "inputs", 4, 1, "cannot be mixed", "columns"),
    ([SetColumnName("inputs", 2, "priority")], "inputs", 2, 0, "duplicate name", "columns"),
    ([SetColumnName("inputs", 2, "")], "inputs", 2, 0, "name is empty", "columns"),
    ([SetColumnType("inputs", 0, ObjectType(()))], "inputs", 0, 1, "at least one property", "columns"),
    ([SetColumnType("inputs", 0, ObjectType((Property("k", ScalarType("long")), Property("k", ScalarType("string")))))],
     "inputs", 0, 1, "duplicate object properties", "columns"),
    ([ReplaceSection("inputs", Schema((ColSpec(ScalarType("long")), ColSpec(ScalarType("string"), None, False))))],
     "inputs", 1, 2, "cannot be optional", "columns"),
    ([ReplaceSection("outputs", Schema((TensorSpec("float64", (-1,), "a"), TensorSpec("int64", (-1,)))))],
     "outputs", 1, 0, "every tensor needs a name", "tensors"),
    ([SetParam(1, name="threshold")], "params", 1, 0, "duplicate param name", "params"),
    ([SetParam(0, name="")], "params", 0, 0, "param name is empty", "params"),
    ([SetParam(1, type=ScalarType("binary"), default=None)], "params", 1, 1, "binary is not supported", "params"),
    ([SetParam(0, shape=(2, 2))], "params", 0, 2, "shape must be scalar", "params"),
    ([SetParam(2, default=1.5)], "params", 2, 3, "invalid default", "params"),
    ([SetParam(0, default="0.7")], "params", 0, 3, "can not safely convert", "params"),
]


@pytest.mark.parametrize("edits,section,row,column,words,kind", RULES,
                         ids=[r[4].replace(" ", "-") for r in RULES])
def test_rule_flagged_on_the_cell(env, edits, section, row, column, words, kind) -> None:
    h = env
    assert h.page.panels["inputs"].models["columns"].setData(
        h.model("inputs").index(3, 0), "channel_name")  # a valid edit: Save is possible
    assert h.page.save_button.isEnabled()
    assert h.doc.push_all(edits, "break a rule")
    assert h.page.panels[section].kind() == kind
    assert_flag(h, section, row, column, words, kind)
    h.doc.stack.undo()
    assert h.page.save_button.isEnabled() and h.page.issues.issues == []
    assert flagged(h.model(section, kind), row, column) == [] if h.model(section, kind).rowCount() > row else True


def test_section_level_rules_and_jump_to_cell(env) -> None:
    h = env
    # an empty schema: flagged in the section header and the list
    assert h.doc.push(ReplaceSection("outputs", Schema(())))
    panel = h.page.panels["outputs"]
    assert panel.problem.isVisible() and "empty" in panel.problem.text()
    assert not h.page.save_button.isEnabled()
    h.doc.stack.undo()
    assert not panel.problem.isVisible()
    # an empty signature (all sections removed)
    assert h.doc.push(ReplaceSignature(Signature()))
    assert any("signature is empty" in i.message for i in h.page.issues.issues)
    assert not h.page.save_button.isEnabled()
    h.doc.stack.undo()
    # activating an issue selects the offending cell
    assert h.doc.push(AddParam(None, ParamSpec("max_rows", ScalarType("long"), 1)))
    item = h.page.issues.list.item(0)
    h.page.issues.list.itemClicked.emit(item)
    view = h.page.panels["params"].view()
    assert view.currentIndex().row() == 3 and view.currentIndex().column() == 0


def test_warnings_do_not_block_saving(env) -> None:
    h = env
    h.doc.push(ReplaceSection("outputs", Schema((TensorSpec("complex128", (-1,)),))))
    model = h.model("outputs", "tensors")
    issues = flagged(model, 0, 1)
    assert issues and not issues[0].fatal and "unusual" in issues[0].message
    assert h.page.save_button.isEnabled()
    assert h.page.issues.label.text().startswith("Valid, with 1 warning")


def test_optional_unnamed_via_the_checkbox(env) -> None:
    h = env
    h.doc.push(ReplaceSection("inputs", Schema((ColSpec(ScalarType("long")), ColSpec(ScalarType("string"))))))
    model = h.model("inputs")
    assert model.setData(model.index(1, 2), Qt.CheckState.Unchecked, Qt.ItemDataRole.CheckStateRole)
    assert h.doc.sig.inputs.specs[1] == ColSpec(ScalarType("string"), None, False)
    assert_flag(h, "inputs", 1, 2, "cannot be optional", "columns")
    assert h.doc.push(SetRequired("inputs", 1, True))
    assert h.page.issues.issues == []
