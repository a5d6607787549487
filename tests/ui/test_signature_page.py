"""The Signature tab as a user drives it: row actions and shortcuts, undo/redo, drag-and-drop
inference, the proposal and save dialogs (through the prompter seam, never a modal exec),
predicting outputs in the worker, and every bad-input path of saving."""

from __future__ import annotations

import errno
import json
import os
import shutil
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from PySide6.QtCore import QMimeData, QPoint, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QApplication
from signature_support import Harness, answer_with

from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.safety import CONTAINS_CODE, SafetyReport
from mlmanager.core.signature.edits import ReplaceSection, SetColumnName, SetRequired
from mlmanager.core.signature.schema import ColSpec, ScalarType, Schema, TensorSpec
from mlmanager.ui.dnd import mime_for_paths
from mlmanager.ui.pages.signature.infer_dialog import InferDialog
from mlmanager.ui.pages.signature.save_dialog import SaveDialog


@pytest.fixture
def h(qtbot):
    harness = Harness(qtbot)
    yield harness
    harness.close()


def names(model) -> list:
    return [model.index(i, 0).data() for i in range(model.rowCount())]


def _drag(target, mime: QMimeData, drop: bool = True) -> bool:
    enter = QDragEnterEvent(QPoint(30, 30), Qt.DropAction.CopyAction, mime,
                            Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    enter.setAccepted(False)
    QApplication.sendEvent(target, enter)
    if not enter.isAccepted() or not drop:
        return enter.isAccepted()
    event = QDropEvent(QPointF(30, 30), Qt.DropAction.CopyAction, mime,
                       Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    event.setAccepted(False)
    QApplication.sendEvent(target, event)
    return event.isAccepted()


# -- editing ------------------------------------------------------------------------------------


def test_row_actions_shortcuts_and_undo(h, models_dir, copy_model) -> None:
    entry = h.open(copy_model(models_dir / "ticket_triage_pyfunc_params"))
    page = h.page
    panel = page.panels["inputs"]
    view = panel.view()
    model = panel.model()
    view.setCurrentIndex(model.index(0, 0))
    view.setFocus()
    panel.add_button.click()
    assert names(model)[:2] == ["priority", "column_5"] and view.currentIndex().row() == 1
    QTest.keyClick(view, Qt.Key.Key_D, Qt.KeyboardModifier.ControlModifier)  # duplicate
    assert names(model)[2] == "column_5_copy"
    QTest.keyClick(view, Qt.Key.Key_Up, Qt.KeyboardModifier.ControlModifier)  # move up
    assert names(model)[:3] == ["priority", "column_5_copy", "column_5"] and view.currentIndex().row() == 1
    QTest.keyClick(view, Qt.Key.Key_Delete)
    assert "column_5_copy" not in names(model)
    # several rows at once: set type from the menu
    view.selectionModel().clearSelection()
    for row in (0, 2):
        view.selectionModel().select(model.index(row, 0), view.selectionModel().SelectionFlag.Select
                                     | view.selectionModel().SelectionFlag.Rows)
    action = next(a for a in panel.type_menu.actions() if a.text() == "double")
    action.trigger()
    assert [s.type.name for s in h.doc.sig.inputs.specs[:3]] == ["double", "double", "double"]
    assert page.undo_action.text() == "&Undo Set type of 2 inputs rows to double"
    depth = h.doc.stack.index()
    page.undo_action.trigger()
    assert h.doc.stack.index() == depth - 1 and h.doc.sig.inputs.specs[2].type == ScalarType("long")
    page.redo_action.trigger()
    assert h.doc.sig.inputs.specs[2].type == ScalarType("double")
    # convert to a tensor: the explanation is shown and confirmed; one undo step
    h.prompter.answers = [True]
    page.convert_section("inputs", "tensor")
    assert "Column names are lost" in h.prompter.calls[-1].text
    assert panel.kind() == "tensors" and h.doc.sig.inputs.specs == (TensorSpec("object", (-1, 5)),)
    assert panel.stack.currentWidget() is panel.views["tensors"]
    page.undo_action.trigger()
    assert panel.kind() == "columns"
    # remove every row: the section goes; the placeholder shows; undo brings it back
    view = panel.view()
    view.selectAll()
    panel.remove_button.click()
    assert h.doc.sig.inputs is None and panel.stack.currentWidget() is panel.placeholder
    panel.placeholder_buttons["tensor"].click()
    assert h.doc.sig.inputs == Schema((TensorSpec("float64", (-1,)),))
    page.remove_sig_button.click()
    assert h.doc.sig is None and not page.remove_sig_button.isEnabled()
    assert "no signature" in page.banner.title.text()
    page.panels["params"].add_button.click()  # creates a signature with a param only
    assert h.doc.sig.params.params[0].name == "param_1" and h.doc.sig.inputs is None
    h.doc.stack.setIndex(0)
    assert h.doc.sig == entry.doc.signature and not h.doc.dirty


def test_object_properties_and_the_params_view(h, models_dir, copy_model) -> None:
    h.open(copy_model(models_dir / "ticket_triage_pyfunc_params"))
    panel = h.page.panels["inputs"]
    model = panel.model()
    assert model.setData(model.index(3, 1), "object")
    obj = model.index(3, 0)
    panel.view().setCurrentIndex(obj)
    panel.add_property()
    assert [p.name for p in h.doc.sig.inputs.specs[3].type.properties] == ["field", "field2"]
    panel.view().setCurrentIndex(model.index(1, 0, obj))
    assert panel.remove_button.isEnabled()
    panel.remove_rows()  # removes the selected property, not the column
    assert [p.name for p in h.doc.sig.inputs.specs[3].type.properties] == ["field"]
    params = h.page.panels["params"]
    assert params.views["params"].isColumnHidden(4)  # "Required" only shows for object params
    assert params.model().setData(params.model().index(0, 1), "object")
    assert not params.views["params"].isColumnHidden(4)


def test_two_models_keep_separate_undo_stacks(h, models_dir, copy_model) -> None:
    a = h.open(copy_model(models_dir / "ticket_triage_pyfunc_params"))
    h.model("inputs").setData(h.model("inputs").index(0, 0), "renamed")
    doc_a = h.doc
    b = h.open(copy_model(models_dir / "iris_logreg_colspec"))
    assert h.doc is not doc_a and not h.doc.dirty
    assert not h.page.undo_action.isEnabled()
    assert h.page.has_unsaved_changes() and h.page.has_unsaved_changes(a) and not h.page.has_unsaved_changes(b)
    h.page.show_entry(a)
    assert h.doc is doc_a and h.page.undo_action.isEnabled()
    assert names(h.model("inputs"))[0] == "renamed"
    h.page.discard_changes(a)
    assert not h.page.has_unsaved_changes()
    h.store.close(b)
    assert h.page.document_for_key(b.key) is None


def test_window_title_and_close_prompt(qtbot, prompter, models_dir, copy_model) -> None:
    from mlmanager.ui.main_window import MainWindow
    from mlmanager.ui.pages import tabs
    from mlmanager.ui.pages.signature.page import SignaturePage
    from mlmanager.ui.settings import Settings

    with tabs.page_override("signature", SignaturePage):  # restores the tabs afterwards
        win = MainWindow(Settings(), prompter)
    qtbot.addWidget(win)
    win.show()
    assert "signature" in win.view.page_keys()
    entry = win.open_model(copy_model(models_dir / "iris_logreg_colspec"))
    qtbot.waitUntil(lambda: not win.is_busy(), timeout=15000)
    win.view.set_current_page("signature")
    page = win.view.page("signature")
    assert page.document is not None
    win.setWindowTitle("iris[*] — mlmanager")  # the lead's title format (see the report)
    page.push(SetRequired("inputs", 0, False))
    assert win.isWindowModified() and win.has_unsaved_changes()
    prompter.answers = [False]
    assert not win.close()  # asked, and the user said no
    assert prompter.calls[-1].title == "Unsaved changes"
    page.undo_action.trigger()
    assert not win.isWindowModified() and not win.has_unsaved_changes()
    assert page.has_unsaved_changes(entry) is False
    win.shutdown()


# -- inference ----------------------------------------------------------------------------------


def test_drop_a_csv_proposes_a_signature(h, models_dir, copy_model, tmp_path) -> None:
    model_dir = copy_model(models_dir / "scaler_logreg_nosig")
    h.open(model_dir)
    assert h.doc.sig is None
    csv = tmp_path / "data.csv"
    shutil.copy(models_dir / "scaler_logreg_nosig.input.csv", csv)
    viewport = h.page.panels["inputs"].views["columns"].viewport()
    # not accepted: a folder, a remote URL, no URLs at all
    assert not _drag(h.page, mime_for_paths([model_dir]), drop=False)
    remote = QMimeData()
    remote.setUrls([QUrl("https://example.com/data.csv")])
    assert not _drag(h.page, remote, drop=False)
    assert not _drag(h.page, QMimeData(), drop=False)

    def check(dialog: InferDialog) -> None:
        assert isinstance(dialog, InferDialog) and "data.csv" in dialog.title.text()
        assert dialog.take["inputs"].isChecked() and not dialog.take["outputs"].isEnabled()
        assert any("added" in dialog.changes_list.item(i).text() for i in range(dialog.changes_list.count()))

    h.prompter.dialogs = [answer_with(check)]
    assert _drag(h.page.panels["inputs"], mime_for_paths([csv]))  # propagates up to the page
    h.idle()
    assert h.prompter.titles("dialog") == ["Inferred signature"]
    assert h.doc.sig.inputs == Schema(tuple(ColSpec(ScalarType("double"), n) for n in ("x1", "x2", "x3")))
    assert h.doc.stack.count() == 1  # ONE undo step
    assert names(h.model("inputs")) == ["x1", "x2", "x3"]
    del viewport
    # a cancelled proposal changes nothing
    h.prompter.dialogs = [False]
    h.page.infer_from_file(csv)
    h.idle()
    assert h.doc.stack.count() == 1
    # a broken file: a clear message, no dialog
    bad = tmp_path / "bad.json"
    bad.write_text("{nope")
    h.page.infer_from_file(bad)
    h.idle()
    assert h.prompter.calls[-1].kind in ("warning", "error") and "bad.json" in h.prompter.calls[-1].title


class FakeClient:
    """Stands in for WorkerClient: a model file that contains code, predicting 0/1 labels."""

    instances: list[FakeClient] = []

    def __init__(self) -> None:
        self.report = SafetyReport(CONTAINS_CODE, sha256="ab" * 32, reasons=("contains code",), code=("f",))
        self.trusted: tuple[str, ...] | None = None
        self.closed = False
        FakeClient.instances.append(self)

    def scan(self, model_dir):
        return self.report

    def load(self, model_dir, trusted, cancelled=None):
        self.trusted = tuple(trusted)

    def predict(self, data, cancelled=None):
        return SimpleNamespace(predictions=np.zeros(len(data), dtype="int64"), warnings=())

    def cancel(self):
        self.closed = True

    def close(self):
        self.closed = True


def test_infer_from_example_and_outputs_by_predicting(h, models_dir, copy_model) -> None:
    h.open(copy_model(models_dir / "iris_logreg_colspec"))
    h.page.worker_factory = FakeClient
    FakeClient.instances.clear()
    seen = {}

    def drive(dialog: InferDialog) -> None:
        assert dialog.predict_button.isEnabled()
        h.prompter.answers = [True]  # trust the model file
        dialog.predict_button.click()
        h.qtbot.waitUntil(lambda: dialog.take["outputs"].isChecked(), timeout=10000)
        seen["status"] = dialog.predict_status.text()
        dialog.take["inputs"].setChecked(False)

    h.prompter.dialogs = [answer_with(drive)]
    assert h.page.infer_example_action.isEnabled()
    h.page.infer_from_example()
    h.idle()
    assert h.prompter.titles("confirm") == ["Run the model's code?"]
    client = FakeClient.instances[-1]
    assert client.trusted == ("ab" * 32,) and client.closed
    assert "predictions" in seen["status"]
    assert h.doc.sig.outputs == Schema((TensorSpec("int64", (-1,)),))
    assert h.doc.sig.inputs == h.doc.original.inputs  # inputs were not taken
    assert h.doc.stack.count() == 1


def test_predicting_is_disabled_for_zips(h, models_dir, tmp_path) -> None:
    archive = Path(shutil.make_archive(str(tmp_path / "iris"), "zip", models_dir / "iris_logreg_colspec"))
    h.open(archive)
    csv = tmp_path / "x.csv"
    csv.write_text("a,b\n1,2\n")

    def check(dialog: InferDialog) -> None:
        assert not dialog.predict_button.isEnabled() and "zip" in dialog.predict_button.toolTip()

    h.prompter.dialogs = [answer_with(check, result=False)]
    h.page.infer_from_file(csv)
    h.idle()
    assert h.prompter.titles("dialog") == ["Inferred signature"]


# -- saving -------------------------------------------------------------------------------------


def test_save_keeps_the_legacy_dialect_when_it_can(h, models_dir, copy_model) -> None:
    model_dir = copy_model(models_dir / "v1_bikes_linreg")
    before = (model_dir / "MLmodel").read_text()
    h.open(model_dir)
    assert h.page.format_badge.text() == "legacy format"
    model = h.model("inputs")
    assert model.setData(model.index(0, 0), "temperature")
    assert h.page.save_button.isEnabled()

    def keep(dialog: SaveDialog) -> None:
        assert dialog.format_box.isVisibleTo(dialog) and dialog.keep_radio.isChecked()
        assert "temperature" in dialog.diff.toPlainText()

    h.prompter.dialogs = [answer_with(keep)]
    h.prompter.answers = [False]  # do not fix the examples
    h.page.save_button.click()
    h.idle()
    after = (model_dir / "MLmodel").read_text()
    assert '"name": "temperature", "type": "double"' in after and '"required"' not in after
    assert (model_dir / "MLmodel.bak").read_text() == before
    assert [ln for ln in after.splitlines() if "signature" not in ln and "inputs" not in ln][:5] == \
        before.splitlines()[:5]
    assert not h.doc.dirty and not h.page.save_button.isEnabled()
    # the example still names "temp_c": reported, with a fix offered (declined above)
    assert h.prompter.titles("confirm") == ["The input examples no longer match"]
    assert "renamed column 'temp_c' to 'temperature'" in h.prompter.calls[-1].text
    # an optional column needs the newer format: the choice is forced, with a warning
    assert h.doc.push(SetRequired("inputs", 1, False))

    def forced(dialog: SaveDialog) -> None:
        assert not dialog.keep_radio.isEnabled() and dialog.current_radio.isChecked()
        text = dialog.format_warning.title.text() + dialog.format_warning.message.text()
        assert "1.30.1" in text and "no longer load" in text and "optional" in text

    h.prompter.dialogs = [answer_with(forced)]
    h.prompter.answers = [True]  # fix the examples this time
    assert h.page.save()
    h.idle()
    written = load_model(model_dir)
    assert written.signature_dialect == "required"
    assert written.signature.inputs.specs[1].required is False
    assert json.loads((model_dir / "input_example.json").read_text())["columns"][0] == "temperature"
    assert any("Updated input_example.json" in s for s in h.statuses)


def test_type_hint_flag_is_kept_unless_changed(h, models_dir, copy_model) -> None:
    model_dir = copy_model(models_dir / "iris_logreg_colspec")
    text = (model_dir / "MLmodel").read_text().replace("is_signature_from_type_hint: false",
                                                       "is_signature_from_type_hint: true")
    (model_dir / "MLmodel").write_text(text)
    h.open(model_dir)
    assert "type hints" in h.page.banner.title.text()
    h.doc.push(SetColumnName("inputs", 0, "sl"))
    kept = {}

    def keep(dialog: SaveDialog) -> None:
        assert dialog.flags_box.isVisibleTo(dialog) and dialog.keep_hint.isChecked()
        kept["warning"] = dialog.hint_warning.message.text()

    h.prompter.dialogs = [answer_with(keep)]
    assert h.page.save()
    h.idle()
    assert "does not enforce" in kept["warning"]
    assert load_model(model_dir).is_signature_from_type_hint is True
    h.doc.push(SetColumnName("inputs", 0, "sepal"))

    def clear(dialog: SaveDialog) -> None:
        dialog.keep_hint.setChecked(False)
        assert "starts enforcing" in dialog.hint_warning.message.text()
        assert "+is_signature_from_type_hint: false" in dialog.diff.toPlainText()

    h.prompter.dialogs = [answer_with(clear)]
    assert h.page.save()
    h.idle()
    doc = load_model(model_dir)
    assert doc.is_signature_from_type_hint is False and doc.type_hint_from_example is False


def test_file_changed_on_disk_asks_what_to_do(h, models_dir, copy_model, tmp_path) -> None:
    model_dir = copy_model(models_dir / "iris_logreg_colspec")
    entry = h.open(model_dir)
    h.doc.push(SetRequired("inputs", 0, False))
    mlmodel = model_dir / "MLmodel"
    external = mlmodel.read_text() + "extra_key: 1\n"
    mlmodel.write_text(external)
    # cancel: nothing written
    h.prompter.dialogs = [True]
    assert not h.page.save()
    assert h.prompter.titles("choose") == ["MLmodel changed on disk"] and mlmodel.read_text() == external
    # save as copy: the original stays as the other program wrote it
    h.prompter.dialogs = [True]
    h.prompter.choices = [2]
    h.prompter.paths = [str(tmp_path / "copy")]
    assert h.page.save()
    h.idle()
    assert mlmodel.read_text() == external
    assert load_model(tmp_path / "copy").signature.inputs.specs[0].required is False
    # overwrite: my version wins (the external key is gone), MLmodel.bak holds theirs
    h.page.show_entry(entry)
    h.doc.stack.redo() if h.doc.stack.canRedo() else h.doc.push(SetRequired("inputs", 0, False))
    h.prompter.dialogs = [True]
    h.prompter.choices = [1]
    assert h.page.save()
    h.idle()
    assert "extra_key" not in mlmodel.read_text() and "extra_key" in (model_dir / "MLmodel.bak").read_text()
    # reload: edits are dropped, the file on disk wins
    h.doc.push(SetRequired("inputs", 1, False))
    mlmodel.write_text(mlmodel.read_text() + "other: 2\n")
    h.prompter.dialogs = [True]
    h.prompter.choices = [0]
    assert not h.page.save()
    h.qtbot.waitUntil(lambda: h.doc is not None and not h.doc.dirty
                      and "other" in h.doc.base_doc.text, timeout=10000)
    assert h.doc.sig.inputs.specs[1].required is True


def test_disk_change_while_editing_keeps_the_edits(h, models_dir, copy_model) -> None:
    model_dir = copy_model(models_dir / "iris_logreg_colspec")
    entry = h.open(model_dir)
    mlmodel = model_dir / "MLmodel"
    # not dirty: the editor follows the file
    mlmodel.write_text(mlmodel.read_text().replace('"name": "sepal length (cm)"', '"name": "sl"'))
    h.store.reload(entry)
    h.qtbot.waitUntil(lambda: h.doc.sig.inputs.specs[0].name == "sl", timeout=10000)
    # dirty: the edits stay, a banner explains, Discard reloads
    h.doc.push(SetRequired("inputs", 0, False))
    mlmodel.write_text(mlmodel.read_text() + "x: 1\n")
    h.store.reload(entry)
    h.qtbot.waitUntil(lambda: h.doc.disk_changed, timeout=10000)
    h.page.show_entry(entry)
    assert "changed on disk" in h.page.banner.title.text() and h.doc.dirty
    h.page.banner.button.click()
    h.qtbot.waitUntil(lambda: not h.doc.dirty and "x: 1" in h.doc.base_doc.text, timeout=10000)


def test_zip_models_are_read_only_and_save_as_copy(h, models_dir, tmp_path) -> None:
    archive = Path(shutil.make_archive(str(tmp_path / "churn"), "zip", models_dir / "churn_pipeline_onehot"))
    data = archive.read_bytes()
    entry = h.open(archive)
    assert "zip archive" in h.page.banner.title.text()
    h.doc.push(SetColumnName("inputs", 0, "renamed"))
    assert not h.page.save_button.isEnabled() and "read-only" in h.page.save_button.toolTip()
    h.prompter.answers = [False]
    assert not h.page.save()
    assert h.prompter.titles("confirm") == ["This model is read-only"]
    dest_parent = tmp_path / "out"
    dest_parent.mkdir()
    (dest_parent / "something").write_text("x")  # not empty: a subfolder is made
    h.prompter.paths = [str(dest_parent)]
    h.prompter.dialogs = [True]
    assert h.page.banner.button.text() == "Save as copy…"
    h.page.banner.button.click()
    h.idle()
    copy = dest_parent / "churn-edited"
    assert load_model(copy).signature.inputs.specs[0].name == "renamed"
    assert archive.read_bytes() == data
    assert h.store.find(copy) is not None  # opened in the app
    # the original shows what is on disk; redo re-applies the edit
    assert not h.doc.dirty and h.doc.stack.canRedo()
    del entry


def test_symlinked_mlmodel_is_refused_and_nothing_is_lost(h, models_dir, copy_model, tmp_path) -> None:
    model_dir = copy_model(models_dir / "iris_logreg_colspec")
    h.open(model_dir)
    h.doc.push(SetRequired("inputs", 0, False))
    elsewhere = tmp_path / "elsewhere.yaml"
    shutil.move(model_dir / "MLmodel", elsewhere)
    os.symlink(elsewhere, model_dir / "MLmodel")
    target = elsewhere.read_bytes()
    h.prompter.dialogs = [True]
    assert not h.page.save()
    assert h.prompter.titles("error") == ["Could not save the signature"]
    assert "symlink" in h.prompter.calls[-1].text and "edits are still here" in h.prompter.calls[-1].text
    assert elsewhere.read_bytes() == target and h.doc.dirty


@pytest.mark.parametrize("failure", ["read-only", "disk-full"])
def test_write_failures_leave_the_file_intact(h, models_dir, copy_model, monkeypatch, failure) -> None:
    import mlmanager.core.atomic as atomic

    model_dir = copy_model(models_dir / "iris_logreg_colspec")
    before = (model_dir / "MLmodel").read_bytes()
    h.open(model_dir)
    h.doc.push(ReplaceSection("outputs", None))
    if failure == "read-only":
        def deny(*a, **k):
            raise PermissionError(errno.EACCES, "Permission denied")

        import tempfile  # atomic imports it when it writes

        monkeypatch.setattr(tempfile, "mkstemp", deny)
        words = "Permission denied"
    else:
        real_write = os.write

        def full(fd, data):
            if len(data) > 100:
                raise OSError(errno.ENOSPC, "No space left on device")
            return real_write(fd, data)

        monkeypatch.setattr(atomic.os, "write", full)
        words = "No space left"
    h.prompter.dialogs = [True]
    assert not h.page.save()
    assert h.prompter.titles("error") == ["Could not save the signature"]
    assert words in h.prompter.calls[-1].text and "intact" in h.prompter.calls[-1].text
    assert (model_dir / "MLmodel").read_bytes() == before
    assert not [p for p in model_dir.iterdir() if p.name.endswith(".tmp")]
    assert h.doc.dirty and h.doc.sig.outputs is None

