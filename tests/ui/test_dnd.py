"""Drag-and-drop with real QDragEnterEvent/QDropEvent carrying real QMimeData."""

from __future__ import annotations

import shutil
import zipfile
from pathlib import Path

from PySide6.QtCore import QMimeData, QUrl
from ui_helpers import drag_enter, drop, wait_idle

from mlmanager.core.library.paths import MODEL, REJECT, TRACKING, classify_path
from mlmanager.ui.dnd import mime_for_paths
from mlmanager.ui.store import EntryState

_enter, _drop = drag_enter, drop


def _drag_and_drop(win, paths) -> bool:
    mime = mime_for_paths(paths)
    assert _enter(win, mime)
    return _drop(win, mime)


def test_drop_model_folder(qtbot, window, tmp_model: Path) -> None:
    assert _drag_and_drop(window, [tmp_model])
    wait_idle(qtbot, window)
    assert window.view.entry is not None and window.view.entry.path == tmp_model
    assert window.view.entry.state is EntryState.READY
    assert window.prompter.calls == []


def test_drop_mlmodel_file_opens_its_folder(qtbot, window, tmp_model: Path) -> None:
    assert _drag_and_drop(window, [tmp_model / "MLmodel"])
    wait_idle(qtbot, window)
    assert window.view.entry.path == tmp_model


def test_drop_zip(qtbot, window, tmp_model: Path, tmp_path: Path) -> None:
    archive = Path(shutil.make_archive(str(tmp_path / "iris"), "zip", tmp_model))
    assert _drag_and_drop(window, [archive])
    wait_idle(qtbot, window)
    entry = window.view.entry
    assert entry.path == archive and entry.is_zip
    assert entry.state is EntryState.READY
    assert entry.doc.flavor_names == ["python_function", "sklearn"]


def test_drop_same_model_twice_focuses_it(qtbot, window, tmp_model: Path) -> None:
    _drag_and_drop(window, [tmp_model])
    wait_idle(qtbot, window)
    _drag_and_drop(window, [tmp_model / "MLmodel"])
    wait_idle(qtbot, window)
    assert len(window.library.open_group.children) == 1
    assert window.library_panel.current_node().key == window.view.entry.key


def test_non_local_url_is_not_accepted(window) -> None:
    mime = QMimeData()
    mime.setUrls([QUrl("https://example.com/model.zip")])
    assert not _enter(window, mime)
    text_only = QMimeData()
    text_only.setText("/some/path")
    assert not _enter(window, text_only)
    assert not _drop(window, mime)
    assert window.library.open_group.children == []


def test_drop_text_file_says_why(window, tmp_path: Path) -> None:
    note = tmp_path / "notes.txt"
    note.write_text("hello")
    assert _drag_and_drop(window, [note])
    assert window.prompter.kinds() == ["warning"]
    assert "notes.txt" in window.prompter.calls[0].text
    assert "not an MLflow model" in window.prompter.calls[0].text
    assert window.library.open_group.children == []


def test_drop_folder_without_model_says_why(window, tmp_path: Path) -> None:
    empty = tmp_path / "just-data"
    (empty / "sub").mkdir(parents=True)
    (empty / "sub" / "data.csv").write_text("a\n1\n")
    assert _drag_and_drop(window, [empty])
    assert window.prompter.kinds() == ["warning"]
    assert "holds no MLflow model" in window.prompter.calls[0].text


def test_drop_zip_without_model_says_why(window, tmp_path: Path) -> None:
    archive = tmp_path / "other.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("readme.txt", "nothing here")
    assert _drag_and_drop(window, [archive])
    assert window.prompter.kinds() == ["warning"]
    assert "other.zip" in window.prompter.calls[0].text


def test_classify_paths(tmp_path: Path, tmp_model: Path) -> None:
    assert classify_path(tmp_model).kind == MODEL
    assert classify_path(tmp_model / "MLmodel").path == tmp_model
    tracking = tmp_path / "mlruns" / "1" / "abc" / "artifacts" / "model"
    tracking.mkdir(parents=True)
    (tracking / "MLmodel").write_text("flavors: {}\n")
    assert classify_path(tmp_path / "mlruns").kind == TRACKING
    assert classify_path(tmp_path / "missing").kind == REJECT
    db_dir = tmp_path / "store"
    db_dir.mkdir()
    (db_dir / "mlflow.db").write_bytes(b"")
    assert classify_path(db_dir / "mlflow.db") .kind == TRACKING
