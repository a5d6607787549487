"""ModelFiles: folders (no symlink following, no FIFO opening) and zips read in place."""

from __future__ import annotations

import os
import shutil
import stat
import sys
import zipfile
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.core.errors import (
    MlmanagerError,
    MLmodelNotFoundError,
    ModelReadError,
    UnsafePathError,
)
from mlmanager.core.model.files import FolderFiles, ZipFiles, open_model_files

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="symlinks/FIFOs need POSIX")


@pytest.fixture
def model(tmp_path: Path) -> Path:
    dest = tmp_path / "model"
    shutil.copytree(MODELS / "churn_pipeline_onehot", dest)
    for p in dest.rglob("*"):
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    dest.chmod(0o755)
    return dest


def test_folder_entries_match_files(model: Path) -> None:
    src = open_model_files(model)
    assert isinstance(src, FolderFiles)
    entries = {e.path: e for e in src.entries()}
    assert "MLmodel" in entries and "model.pkl" in entries
    assert entries["MLmodel"].size == (model / "MLmodel").stat().st_size
    assert all(e.kind == "file" for e in entries.values())
    assert src.exists("MLmodel") and not src.exists("nope.txt")
    assert src.read_bytes("MLmodel") == (model / "MLmodel").read_bytes()


def test_open_mlmodel_file_path(model: Path) -> None:
    src = open_model_files(model / "MLmodel")
    assert isinstance(src, FolderFiles)
    assert src.root == model


def test_missing_mlmodel_lists_folder(tmp_path: Path) -> None:
    (tmp_path / "model.skops").write_bytes(b"PK")
    with pytest.raises(MLmodelNotFoundError) as err:
        open_model_files(tmp_path)
    assert "MLmodel missing" in str(err.value)
    assert "model.skops" in str(err.value)


def test_nonexistent_path(tmp_path: Path) -> None:
    with pytest.raises(ModelReadError):
        open_model_files(tmp_path / "nope")


def test_read_cap(model: Path) -> None:
    src = open_model_files(model)
    with pytest.raises(ModelReadError, match="limit"):
        src.read_bytes("model.pkl", max_bytes=10)


def test_relative_escape_refused(model: Path) -> None:
    src = open_model_files(model)
    for bad in ("../x", "/etc/passwd", "a/../../x", "..\\x"):
        with pytest.raises(UnsafePathError):
            src.read_bytes(bad)
        assert not src.exists(bad)


@posix_only
def test_symlink_loop_terminates(model: Path) -> None:  # T18
    (model / "sub").mkdir()
    os.symlink("..", model / "sub" / "loop")
    os.symlink("loop2", model / "loop1")
    os.symlink("loop1", model / "loop2")
    entries = {e.path: e for e in open_model_files(model).entries()}
    assert entries["sub/loop"].kind == "symlink"
    assert entries["sub/loop"].target == ".."
    assert entries["loop1"].kind == "symlink"
    assert not any(p.startswith("sub/loop/") for p in entries)


@posix_only
def test_symlink_outside_and_fifo_never_opened(model: Path) -> None:  # T19
    os.remove(model / "model.pkl")
    os.symlink("/etc/passwd", model / "model.pkl")
    os.mkfifo(model / "pipe.pkl")
    os.symlink("/dev/zero", model / "zero.pkl")
    src = open_model_files(model)
    entries = {e.path: e for e in src.entries()}
    assert entries["model.pkl"].kind == "symlink" and entries["model.pkl"].target == "/etc/passwd"
    assert entries["pipe.pkl"].kind == "special" and entries["pipe.pkl"].detail == "fifo"
    for name in ("model.pkl", "pipe.pkl", "zero.pkl"):
        assert not src.is_readable_file(name)
        with pytest.raises(UnsafePathError, match="not a regular file inside the model folder"):
            src.read_bytes(name)  # would block (FIFO) or leak (/etc/passwd) if opened


@posix_only
def test_symlink_inside_is_readable(model: Path) -> None:
    os.symlink("conda.yaml", model / "alias.yaml")
    src = open_model_files(model)
    assert src.is_readable_file("alias.yaml")
    assert src.read_bytes("alias.yaml") == (model / "conda.yaml").read_bytes()


@posix_only
def test_directory_symlink_escape(model: Path, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text("x")
    os.symlink(outside, model / "data")
    src = open_model_files(model)
    assert not src.resolves_inside("data/secret.txt")
    with pytest.raises(UnsafePathError):
        src.read_bytes("data/secret.txt")


def _zip(path: Path, members: dict[str, bytes]) -> Path:
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return path


def test_zip_root_and_top_folder(model: Path, tmp_path: Path) -> None:
    mlmodel = (model / "MLmodel").read_bytes()
    z1 = _zip(tmp_path / "a.zip", {"MLmodel": mlmodel, "model.pkl": b"x" * 10})
    z2 = _zip(
        tmp_path / "b.zip",
        {
            "m/MLmodel": mlmodel,
            "m/model.pkl": b"x" * 10,
            "m/metadata/MLmodel": mlmodel,
            "metadata/MLmodel": mlmodel,
        },
    )
    with open_model_files(z1) as s1:
        assert isinstance(s1, ZipFiles) and s1.prefix == ""
        assert s1.read_bytes("MLmodel") == mlmodel
        assert {e.path for e in s1.entries()} == {"MLmodel", "model.pkl"}
    with open_model_files(z2) as s2:
        assert s2.prefix == "m/"
        assert {e.path for e in s2.entries()} == {"MLmodel", "model.pkl", "metadata/MLmodel"}
        assert s2.stat("metadata").kind == "dir"
        assert s2.stat("model.pkl").size == 10
        assert not s2.exists("x")


def test_zip_without_model(tmp_path: Path) -> None:
    z = _zip(tmp_path / "c.zip", {"a/b/MLmodel": b"x", "readme.txt": b"hi", "metadata/MLmodel": b""})
    with pytest.raises(MLmodelNotFoundError, match="MLmodel missing"):
        open_model_files(z)


def test_zip_two_models_is_ambiguous(tmp_path: Path) -> None:
    z = _zip(tmp_path / "d.zip", {"a/MLmodel": b"x", "b/MLmodel": b"y"})
    with pytest.raises(ModelReadError, match="several models"):
        open_model_files(z)


def test_zip_unsafe_names_and_symlinks(tmp_path: Path) -> None:
    path = tmp_path / "e.zip"
    with zipfile.ZipFile(path, "w") as zf:
        zf.writestr("MLmodel", b"flavors: {}\n")
        zf.writestr("../evil.txt", b"x")
        link = zipfile.ZipInfo("model.pkl")
        link.external_attr = (stat.S_IFLNK | 0o777) << 16
        zf.writestr(link, b"/etc/passwd")
    with open_model_files(path) as src:
        entries = {e.path: e for e in src.entries()}
        assert entries["model.pkl"].kind == "symlink"
        assert entries["model.pkl"].target == "/etc/passwd"
        assert entries["../evil.txt"].kind == "special"
        with pytest.raises(UnsafePathError):
            src.read_bytes("model.pkl")
        with pytest.raises(UnsafePathError):
            src.read_bytes("../evil.txt")


def test_zip_streamed_cap(tmp_path: Path) -> None:
    z = _zip(tmp_path / "f.zip", {"MLmodel": b"flavors: {}\n", "big.bin": b"\0" * (4 << 20)})
    assert z.stat().st_size < 100_000  # highly compressed
    with open_model_files(z) as src, pytest.raises(ModelReadError, match="limit"):
        src.read_bytes("big.bin", max_bytes=1 << 20)


def test_not_a_zip(tmp_path: Path) -> None:
    bad = tmp_path / "x.zip"
    bad.write_bytes(b"not a zip at all")
    with pytest.raises(MlmanagerError):
        open_model_files(bad)
