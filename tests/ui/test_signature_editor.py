"""DONE-WHEN for the visual signature editor, offscreen and through the UI:

a model without a signature (scaler_logreg_nosig) gets one inferred from its input CSV; the user
changes a column's type (through the type combo editor), adds a column and makes it optional,
adds a param with a default, undoes everything, redoes everything and saves. Then mlmanager
reads the same signature back, and the real ``mlflow`` loads the model and ENFORCES it.
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from corpus_paths import MODELS
from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtWidgets import QComboBox
from signature_support import Harness

from mlmanager.core.inputs.validation import validate_input
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.schema import ColSpec, ParamSpec, ScalarType

MODEL = "scaler_logreg_nosig"
CHECK = Qt.ItemDataRole.CheckStateRole


class _Bot:
    """The two qtbot calls the harness needs, usable from a module-scoped fixture."""

    def addWidget(self, widget) -> None:  # noqa: N802
        self.widget = widget

    def waitUntil(self, predicate, timeout: int = 15000) -> None:  # noqa: N802
        deadline = time.monotonic() + timeout / 1000
        loop = QEventLoop()
        while not predicate():
            if time.monotonic() > deadline:
                raise TimeoutError("condition not met in time")
            QTimer.singleShot(10, loop.quit)  # run the event loop in short slices (no sleep)
            loop.exec()


@pytest.fixture(scope="module")
def edited(qapp, tmp_path_factory, request):
    shared = MODELS
    from mlmanager.ui.compat import protect_none

    protect_none()
    tmp = tmp_path_factory.mktemp("done-when")
    model_dir = tmp / MODEL
    shutil.copytree(shared / MODEL, model_dir)
    for p in [model_dir, *model_dir.iterdir()]:
        p.chmod(p.stat().st_mode | 0o200)
    original = (model_dir / "MLmodel").read_bytes()
    csv = tmp / "input.csv"
    shutil.copy(shared / f"{MODEL}.input.csv", csv)

    h = Harness(_Bot())
    page = h.page
    h.open(model_dir)
    assert h.doc.sig is None and "no signature" in page.banner.title.text()

    # 1. infer from the CSV (a proposal, applied as one step)
    h.prompter.dialogs = [True]
    page.infer_from_file(csv)
    h.idle()
    assert [s.name for s in h.doc.sig.inputs.specs] == ["x1", "x2", "x3"]

    # 2. change x1's type through the combo editor of the view
    panel = page.panels["inputs"]
    view, cols = panel.view(), panel.model()
    view.edit(cols.index(0, 1))
    combo = view.viewport().findChild(QComboBox)
    combo.setCurrentIndex(combo.findText("float"))
    combo.activated.emit(combo.currentIndex())  # the delegate commits at once
    assert h.doc.sig.inputs.specs[0].type == ScalarType("float")

    # 3. add a column and make it optional
    view.setCurrentIndex(cols.index(2, 0))
    panel.add_button.click()
    assert cols.setData(cols.index(3, 0), "comment")
    assert cols.setData(cols.index(3, 1), "string")
    assert cols.setData(cols.index(3, 2), Qt.CheckState.Unchecked, CHECK)

    # 4. add a param with a default
    params = page.panels["params"]
    params.placeholder_buttons["params"].click()
    pm = params.model()
    assert pm.setData(pm.index(0, 0), "threshold")
    assert pm.setData(pm.index(0, 1), "double")
    assert not pm.setData(pm.index(0, 3), "high")  # refused: MLflow would not load it
    assert pm.setData(pm.index(0, 3), 0.5)
    final = h.doc.sig
    steps = h.doc.stack.count()

    # 5. undo all, redo all
    while page.undo_action.isEnabled():
        page.undo_action.trigger()
    assert h.doc.sig is None and not h.doc.dirty and page.panels["inputs"].kind() == "placeholder"
    while page.redo_action.isEnabled():
        page.redo_action.trigger()
    assert h.doc.sig == final and h.doc.stack.index() == steps and h.doc.dirty

    # 6. save (preview accepted)
    h.prompter.dialogs = [True]
    assert page.save_button.isEnabled()
    page.save_button.click()
    h.idle()
    assert not h.doc.dirty
    h.close()
    yield SimpleResult(model_dir, original, final, steps)


class SimpleResult:
    def __init__(self, model_dir: Path, original: bytes, final, steps: int) -> None:
        self.model_dir, self.original, self.final, self.steps = model_dir, original, final, steps


def _frame(model_dir: Path) -> pd.DataFrame:
    shared = MODELS
    df = pd.read_csv(shared / f"{MODEL}.input.csv")
    return df.astype({"x1": "float32"})


def test_done_when_saved_signature_reads_back(edited) -> None:
    doc = load_model(edited.model_dir)
    sig = doc.signature
    assert edited.steps == 10
    assert sig.to_canonical() == edited.final.to_canonical()
    assert sig.inputs.specs == (
        ColSpec(ScalarType("float"), "x1", True),
        ColSpec(ScalarType("double"), "x2", True),
        ColSpec(ScalarType("double"), "x3", True),
        ColSpec(ScalarType("string"), "comment", False),
    )
    assert sig.outputs is None
    assert sig.params.params == (ParamSpec("threshold", ScalarType("double"), 0.5),)
    assert doc.signature_dialect == "required" and doc.problems == []
    # only the signature was added; every other line is as MLflow wrote it
    before = edited.original.decode().splitlines()
    after = doc.text.splitlines()
    assert [ln for ln in after if ln in before] == before
    assert (edited.model_dir / "MLmodel.bak").read_bytes() == edited.original
    # our own enforcement agrees with the new signature
    df = _frame(edited.model_dir)
    assert validate_input(sig, df).valid
    assert not validate_input(sig, df.astype({"x1": "float64"})).valid


def test_done_when_mlflow_loads_and_enforces(edited) -> None:
    mlflow = pytest.importorskip("mlflow")
    from mlflow.exceptions import MlflowException
    from mlflow.models import Model

    model = Model.load(str(edited.model_dir))
    inputs = model.signature.inputs
    assert inputs.input_names() == ["x1", "x2", "x3", "comment"]
    assert [c.required for c in inputs.inputs] == [True, True, True, False]
    assert model.signature.params.params[0].default == 0.5
    pyfunc = mlflow.pyfunc.load_model(str(edited.model_dir))
    df = _frame(edited.model_dir)
    # the optional column may be left out, and the params default is filled in
    assert list(pyfunc.predict(df)) == [1, 0, 1, 1]
    # a wrong type is rejected by MLflow's enforcement of the edited signature
    with pytest.raises(MlflowException, match="x1"):
        pyfunc.predict(df.astype({"x1": "float64"}))
    with pytest.raises(MlflowException, match="x2"):
        pyfunc.predict(df.assign(x2=["a", "b", "c", "d"]))
