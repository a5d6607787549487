"""Export, import, packaging, copy and compare in the app: real files, real tasks, the prompter
seam for every question, real drag-and-drop events (no modal exec, no sleeps)."""

from __future__ import annotations

import shutil
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from ui_helpers import drag_enter, drop, wait_idle

from mlmanager.core.library.paths import model_key
from mlmanager.ui.dnd import LIBRARY_MIME, library_mime_data, mime_for_paths
from mlmanager.ui.models.library import ScanRecord
from mlmanager.ui.store import EntryState

# -- helpers -------------------------------------------------------------------------------------


_enter, _drop = drag_enter, drop


def _open(qtbot, window, path: Path):
    entry = window.open_model(path)
    wait_idle(qtbot, window)
    assert entry.state is EntryState.READY, entry.error
    return entry


def _finish(qtbot, window, timeout: int = 20000):
    task = window.transfer.last_task
    assert task is not None
    qtbot.waitUntil(lambda: task.done, timeout=timeout)
    wait_idle(qtbot, window, timeout)
    return task


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


def _tar_gz(src: Path, out: Path, top: str) -> Path:
    with tarfile.open(out, "w:gz") as tf:
        tf.add(src, arcname=top)
    return out


# -- dragging out --------------------------------------------------------------------------------


def test_library_drag_carries_the_model_folder_or_zip(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    entry = _open(qtbot, window, tmp_model)
    library = window.library
    idx = library.index_for_key(entry.key)
    assert library.flags(idx) & Qt.ItemFlag.ItemIsDragEnabled
    assert not library.flags(library.index_of(library.open_group)) & Qt.ItemFlag.ItemIsDragEnabled
    assert library.supportedDragActions() == Qt.DropAction.CopyAction  # never Move
    # through the tree's model (the filter proxy while a filter is typed), as QTreeView.startDrag asks
    panel = window.library_panel
    for text in ("", "iris"):
        panel.filter.setText(text)
        panel.apply_filter()
        assert panel.is_filtered() == bool(text)
        view_model = panel.tree.model()
        mime = view_model.mimeData([panel.view_index(idx)])
        assert [Path(u.toLocalFile()) for u in mime.urls()] == [tmp_model]
    assert [Path(u.toLocalFile()) for u in mime.urls()] == [tmp_model]
    assert mime.hasFormat(LIBRARY_MIME) and mime.text() == str(tmp_model)
    # our own window ignores a drag that started in the library
    assert not _enter(window, mime) and not _drop(window, mime)

    archive = Path(shutil.make_archive(str(tmp_path / "iris-zip"), "zip", tmp_model))
    zentry = _open(qtbot, window, archive)
    zmime = library.mimeData([library.index_for_key(zentry.key)])
    assert [Path(u.toLocalFile()) for u in zmime.urls()] == [archive]


def test_drag_of_an_artifacts_folder_makes_a_named_zip(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    logged = tmp_path / "m-0123" / "artifacts"  # MLflow 3 logged model layout
    shutil.copytree(tmp_model, logged)
    source = window.library.add_source(str(tmp_path), "store")
    window.library.add_records(source, [ScanRecord(str(logged), "churn model", experiment_name="exp")])
    (node,) = window.library.nodes_for_key(model_key(logged))
    mime = library_mime_data([node], window.library.path_of, window.library.drag_files)
    (carried,) = [Path(u.toLocalFile()) for u in mime.urls()]
    assert carried.name == "churn model.zip" and carried.is_file()
    with zipfile.ZipFile(carried) as zf:
        assert "churn model/MLmodel" in zf.namelist()
    again = library_mime_data([node], window.library.path_of, window.library.drag_files)
    assert [Path(u.toLocalFile()) for u in again.urls()] == [carried]  # made once, reused
    window.library.drag_files.cleanup()
    assert not carried.exists()
    # without a temp place (or for a big model) the folder itself travels
    plain = library_mime_data([node], window.library.path_of, None)
    assert [Path(u.toLocalFile()) for u in plain.urls()] == [logged]


# -- dropping in ---------------------------------------------------------------------------------


def test_drop_tar_gz_imports_and_opens(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    archive = _tar_gz(tmp_model, tmp_path / "iris.tar.gz", "iris")
    dest = tmp_path / "models"
    dest.mkdir()
    window.prompter.paths = [str(dest)]
    mime = mime_for_paths([archive])
    assert _enter(window, mime)
    assert _drop(window, mime)
    assert window.prompter.kinds() == ["open_folder"]  # where to extract it
    _finish(qtbot, window)
    assert _files(dest / "iris") == _files(tmp_model)
    entry = window.view.entry
    assert entry is not None and entry.path == dest / "iris" and entry.state is EntryState.READY
    assert not [c for c in window.prompter.calls if c.kind in ("error", "warning")]


def test_drop_zip_reads_in_place_then_extract_from_the_library(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    archive = Path(shutil.make_archive(str(tmp_path / "iris"), "zip", tmp_model))
    mime = mime_for_paths([archive])
    assert _enter(window, mime) and _drop(window, mime)
    wait_idle(qtbot, window)
    assert window.view.entry.is_zip and window.prompter.calls == []
    node = window.library_panel.current_node()
    menu = window.library_panel.context_menu_for(node)
    texts = [a.text() for a in menu.actions()]
    assert "Import (Extract) to a Folder…" in texts and "Export as Zip…" not in texts
    dest = tmp_path / "extracted"
    dest.mkdir()
    window.prompter.paths = [str(dest)]
    next(a for a in menu.actions() if a.text().startswith("Import")).trigger()
    _finish(qtbot, window)
    assert _files(dest / "iris") == _files(tmp_model)
    assert window.view.entry.path == dest / "iris" and not window.view.entry.is_zip


# -- export --------------------------------------------------------------------------------------


def test_export_zip_and_folder_through_the_file_menu(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    _open(qtbot, window, tmp_model)
    assert window.act_export_zip.isEnabled()
    out = tmp_path / "out" / "shared-iris.zip"
    out.parent.mkdir()
    window.prompter.paths = [str(out)]
    window.act_export_zip.trigger()
    _finish(qtbot, window)
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
        assert "shared-iris/MLmodel" in names
        assert zf.read("shared-iris/MLmodel") == (tmp_model / "MLmodel").read_bytes()
    assert "Exported iris" in window.statusBar().currentMessage()

    folder = tmp_path / "copies"
    folder.mkdir()
    (folder / "iris").mkdir()  # taken: the export picks the next free name
    window.prompter.paths = [str(folder)]
    window.act_export_folder.trigger()
    _finish(qtbot, window)
    assert _files(folder / "iris-2") == _files(tmp_model)
    assert not [c for c in window.prompter.calls if c.kind == "error"]


def test_cancelled_export_leaves_nothing(qtbot, window, tmp_model: Path, tmp_path: Path, monkeypatch) -> None:
    from mlmanager.core.transfer import export

    gate = threading.Event()
    real = export.export_zip

    def gated(model, out, progress=None, cancel=None, **kw):
        def held(done, total, item):
            progress(done, total, item)
            gate.wait(10)  # the first file is being written: hold until the user cancels

        return real(model, out, held, cancel, **kw)

    monkeypatch.setattr(export, "export_zip", gated)
    _open(qtbot, window, tmp_model)
    out = tmp_path / "out"
    out.mkdir()
    window.prompter.paths = [str(out / "iris.zip")]
    window.act_export_zip.trigger()
    dialog = window.transfer.last_progress
    qtbot.waitUntil(lambda: dialog.item.full_text() != "", timeout=10000)  # progress arrived
    dialog.cancel_button.click()
    gate.set()
    task = _finish(qtbot, window)
    assert task.was_cancelled
    assert list(out.iterdir()) == []  # no zip, no temp file
    assert "cancelled; nothing was written" in window.statusBar().currentMessage()
    assert not [c for c in window.prompter.calls if c.kind == "error"]


# -- import --------------------------------------------------------------------------------------


def test_import_menu_refuses_an_evil_archive_entry_by_entry(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("model/MLmodel", (tmp_model / "MLmodel").read_bytes())
        zf.writestr("../evil", b"payload")
        zf.writestr("/abs/path", b"payload")
    dest = tmp_path / "dest"
    dest.mkdir()
    window.prompter.paths = [str(archive), str(dest)]
    window.act_import.trigger()
    _finish(qtbot, window)
    (err,) = [c for c in window.prompter.calls if c.kind == "error"]
    assert err.title == "Archive refused"
    assert "evil.zip was not imported: 2 entries cannot be extracted safely" in err.text
    assert "• ../evil\n    '..' would escape the destination folder" in err.text
    assert "• /abs/path\n    absolute path" in err.text
    assert list(dest.iterdir()) == [] and not (tmp_path / "evil").exists()
    assert window.library.open_group.children == []


def test_import_into_a_taken_name_offers_another(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    archive = _tar_gz(tmp_model, tmp_path / "iris.tgz", "iris")
    dest = tmp_path / "dest"
    (dest / "iris").mkdir(parents=True)
    window.prompter.choices = [0]  # "Import as iris-2"
    window.transfer.import_archive(archive, dest)
    _finish(qtbot, window)
    qtbot.waitUntil(lambda: window.transfer.last_task.done, timeout=20000)
    wait_idle(qtbot, window)
    assert window.prompter.titles("choose") == ["Folder exists"]
    assert _files(dest / "iris-2") == _files(tmp_model)
    assert window.view.entry.path == dest / "iris-2"
    assert window.statusBar().currentMessage().startswith(f"Imported iris.tgz to {dest / 'iris-2'}")


# -- new model from an estimator (the real worker) ------------------------------------------------


def _estimator_files(tmp_path: Path, note: object = None) -> tuple[Path, Path]:
    import pickle

    import pandas as pd
    from sklearn.linear_model import LinearRegression

    x = pd.DataFrame({"rooms": [1.0, 2.0, 3.0, 4.0, 5.0], "garden": [0.0, 1.0, 0.0, 1.0, 1.0]})
    est = LinearRegression().fit(x, [1.0, 2.1, 2.9, 4.2, 5.1])
    if note is not None:
        est.note = note  # an attribute whose class is outside the allowlist
    path = tmp_path / ("lr_note.pkl" if note is not None else "lr.pkl")
    path.write_bytes(pickle.dumps(est))
    sample = tmp_path / "sample.csv"
    x.to_csv(sample, index=False)
    return path, sample


def test_new_model_from_estimator_with_the_worker(qtbot, window, tmp_path: Path) -> None:
    est, sample = _estimator_files(tmp_path)
    out = tmp_path / "models"
    out.mkdir()
    seen = {}

    def fill(dialog) -> bool:
        assert not dialog.ok_button.isEnabled()  # empty form
        window.prompter.paths = [str(est)]
        dialog._pick_estimator()  # Browse… goes through the prompter too
        dialog.set_values(est, sample, out, "skops", "")
        seen["target"] = dialog.target.text()
        assert dialog.ok_button.isEnabled(), dialog.problems()
        return True

    window.prompter.dialogs = [fill]
    window.act_new_model.trigger()
    assert window.prompter.titles("dialog") == ["New Model from Estimator"]
    assert seen["target"] == f"Creates {out / 'lr'}"
    _finish(qtbot, window, 90000)
    model = out / "lr"
    assert (model / "MLmodel").is_file() and (model / "model.skops").is_file()
    entry = window.view.entry
    assert entry.path == model and entry.state is EntryState.READY
    assert [c.name for c in entry.doc.signature.inputs.specs] == ["rooms", "garden"]
    assert not [c for c in window.prompter.calls if c.kind == "error"]
    assert "Created" in window.statusBar().currentMessage()


def test_estimator_needing_trust_asks_and_runs_after_consent(qtbot, window, tmp_path: Path) -> None:
    import decimal

    est, sample = _estimator_files(tmp_path, decimal.Decimal("1.5"))
    out = tmp_path / "models"
    out.mkdir()
    window.prompter.dialogs = [lambda d: d.set_values(est, sample, out, "pickle", "decimal-note") or True]
    window.prompter.answers = [False]  # first time: do not trust
    window.act_new_model.trigger()
    _finish(qtbot, window, 90000)
    (ask,) = [c for c in window.prompter.calls if c.kind == "confirm"]
    assert ask.title == "Trust this estimator file?"
    assert "decimal.Decimal" in ask.text and "SHA-256" in ask.text
    assert "running the file's code with your permissions" in ask.text
    assert not (out / "decimal-note").exists()
    # again, and trust it this time: the exact SHA-256 from the report is trusted
    window.prompter.dialogs = [lambda d: d.set_values(est, sample, out, "pickle", "decimal-note") or True]
    window.prompter.answers = [True]
    window.act_new_model.trigger()
    first = window.transfer.last_task
    qtbot.waitUntil(lambda: first.done and window.transfer.last_task is not first, timeout=90000)
    _finish(qtbot, window, 90000)
    assert (out / "decimal-note" / "MLmodel").is_file()
    assert window.view.entry.path == out / "decimal-note"
    assert "UNTRUSTED-IMPORTS, trusted)" in window.statusBar().currentMessage()


# -- copy to -------------------------------------------------------------------------------------


def test_copy_to_a_folder_and_into_a_tracking_folder(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    _open(qtbot, window, tmp_model)
    target = tmp_path / "elsewhere"
    target.mkdir()
    window.prompter.dialogs = [lambda d: d.set_values(target) or True]
    window.act_copy_to.trigger()
    _finish(qtbot, window)
    assert _files(target / "iris") == _files(tmp_model)

    store = tmp_path / "mlruns"
    window.prompter.dialogs = [lambda d: d.set_values(store, tracking=True, experiment="shared") or True]
    node = window.library_panel.current_node()
    window.library_panel.context_menu_for(node)  # built without error
    window.library_panel.action_requested.emit("copy-to", [node])
    _finish(qtbot, window)
    metas = list(store.glob("*/meta.yaml"))
    assert any("name: shared" in m.read_text() for m in metas)
    (copied,) = store.glob("*/*/artifacts/iris/MLmodel")
    assert copied.read_bytes() == (tmp_model / "MLmodel").read_bytes()
    assert "experiment “shared”" in window.statusBar().currentMessage()
    # the tracking folder opens in the library with the copy under its experiment
    window.open_tracking(store)
    wait_idle(qtbot, window)
    source = window.library.source_for(str(store.resolve()))
    assert window.library.model_count(source) == 1
    assert source.children[0].label == "shared"


# -- compare -------------------------------------------------------------------------------------


def test_compare_two_corpus_models(qtbot, window, models_dir: Path, copy_model) -> None:
    a = _open(qtbot, window, copy_model(models_dir / "iris_logreg_colspec"))
    b = _open(qtbot, window, copy_model(models_dir / "housing_rf_regressor"))
    lib = window.library
    window.library_panel.select_source_indexes([lib.index_for_key(a.key), lib.index_for_key(b.key)])
    nodes = window.library_panel.selected_model_nodes()
    assert [n.key for n in nodes] == [a.key, b.key]
    menu = window.library_panel.context_menu_for(nodes[0])
    compare = next(x for x in menu.actions() if x.text() == "Compare the Two Models…")
    compare.trigger()
    _finish(qtbot, window)
    dlg = window.transfer.last_compare
    assert dlg is not None and dlg.isVisible()
    assert dlg.windowTitle() == "Compare iris_logreg_colspec with housing_rf_regressor"
    assert "rejects" in dlg.verdict.title.text()
    sig = dlg.rows("signature")
    assert ["inputs ▸ column 'rooms'", "added", "—", "long at position 1"] in sig
    assert ["inputs ▸ column 'sepal length (cm)'", "removed", "double (position 1)", "—"] in sig
    assert ["outputs", "kind changed", "columns (long)", "tensors (tensor float64 [-1])"] in sig
    assert ["serialization_format", "changed", "skops", "cloudpickle"] in dlg.rows("environment")
    assert ["model.skops", "removed", "11,078 bytes", "—"] in dlg.rows("files")
    breaks = dlg.groups["breaks"]
    assert breaks.text(0) == "What breaks: inputs valid for A that B rejects (5)"
    assert "B requires column 'rooms' (long)" in breaks.child(0).text(0)
    assert dlg.groups["warnings"].childCount() == 4
    assert "B drops it" in dlg.groups["warnings"].child(0).text(0)
    dlg.copy_text()
    assert QGuiApplication.clipboard().text() == dlg.comparison.format()
    dlg.close()


def test_compare_with_a_copy_is_identical_and_asks_for_the_second(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    _open(qtbot, window, tmp_model)
    twin = tmp_path / "twin"
    shutil.copytree(tmp_model, twin)
    window.prompter.paths = [str(twin / "MLmodel")]
    window.act_compare.trigger()  # one model selected: asks for the other
    assert window.prompter.kinds() == ["open_file"]
    _finish(qtbot, window)
    dlg = window.transfer.last_compare
    assert dlg.verdict.title.text() == "The models are identical"
    assert dlg.comparison.identical


# -- prompter seam -------------------------------------------------------------------------------


def test_recording_prompter_forms_and_choices_default_to_cancel(qtbot) -> None:
    from PySide6.QtWidgets import QDialog

    from mlmanager.ui.prompter import RecordingPrompter, StderrPrompter

    p = RecordingPrompter()
    dialog = QDialog()
    dialog.setWindowTitle("Form")
    assert p.run_dialog(dialog) is False and p.choose(None, "Pick", "?", ["a", "b"]) is None
    p.dialogs, p.choices = [True], [1]
    assert p.run_dialog(dialog) is True and p.choose(None, "Pick", "?", ["a", "b"]) == 1
    assert p.kinds() == ["dialog", "choose", "dialog", "choose"] and p.shown == [dialog, dialog]
    quiet = StderrPrompter()
    assert quiet.run_dialog(dialog) is False and quiet.choose(None, "t", "x", ["a"]) is None


@pytest.mark.parametrize("name", ["a.tar.gz", "b.TGZ", "c.tar.xz"])
def test_tar_names_route_to_import(name: str, tmp_path: Path) -> None:
    from mlmanager.ui.dnd import is_tar_archive

    assert is_tar_archive(tmp_path / name)
    assert not is_tar_archive(tmp_path / "model.zip")


def test_drag_of_a_scanned_logged_model_carries_a_zip_named_after_it(qtbot, window, models_dir: Path,
                                                                      copy_model) -> None:
    store = copy_model(models_dir / "mlruns")
    window.open_tracking(store)
    qtbot.waitUntil(lambda: not window.scans.is_scanning(), timeout=20000)
    # the scan selects its first model on a later event-loop turn
    qtbot.waitUntil(lambda: getattr(window.library_panel.current_node(), "kind", None) == "model",
                    timeout=20000)
    wait_idle(qtbot, window)
    node = window.library_panel.current_node()
    assert node.kind == "model" and window.library.path_of(node).name == "artifacts"
    mime = window.library.mimeData([window.library.index_of(node)])
    (carried,) = [Path(u.toLocalFile()) for u in mime.urls()]
    assert carried.name == f"{node.label}.zip"
    with zipfile.ZipFile(carried) as zf:
        assert f"{node.label}/MLmodel" in zf.namelist()
    window.shutdown()
    assert not carried.exists()  # the temp zips go at quit
