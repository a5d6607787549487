"""Artifact listing (kinds, symlinks, special files) and MLmodel path-field checks."""

from __future__ import annotations

import os
import shutil
import stat
import sys
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.core.model.artifacts import doc_artifacts, lexical_escape, path_problems
from mlmanager.core.model.mlmodel import load_model

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks/FIFOs")


def copy_model(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


def kinds(folder: Path) -> dict[str, str]:
    return {a.path: a.kind for a in doc_artifacts(load_model(folder))}


def test_kinds_sklearn() -> None:
    assert kinds(MODELS / "churn_pipeline_onehot") == {
        "MLmodel": "mlmodel",
        "conda.yaml": "env",
        "input_example.json": "example",
        "model.pkl": "model",
        "python_env.yaml": "env",
        "requirements.txt": "env",
        "serving_input_example.json": "example",
    }


def test_kinds_custom_pyfunc_with_artifacts() -> None:
    k = kinds(MODELS / "ticket_triage_pyfunc_params")
    assert k["python_model.pkl"] == "model"
    assert k["artifacts/classifier.pkl"] == "model"  # named in python_function.artifacts
    assert k["artifacts/labels.json"] == "model"


def test_kinds_code_data_other(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "ticket_triage_pyfunc_params", tmp_path / "m")
    text = (folder / "MLmodel").read_text().replace("    code: null\n", "    code: code\n")
    (folder / "MLmodel").write_text(text)
    (folder / "code").mkdir()
    (folder / "code" / "helpers.py").write_text("x = 1\n")
    (folder / "artifacts" / "extra.bin").write_bytes(b"123")
    (folder / "data").mkdir()
    (folder / "data" / "table.csv").write_text("a\n1\n")
    (folder / "notes.md").write_text("hi")
    (folder / "environment_variables.txt").write_text("# header\nHOME\n")
    k = kinds(folder)
    assert k["code/helpers.py"] == "code"
    assert k["artifacts/extra.bin"] == "data"
    assert k["data/table.csv"] == "data"
    assert k["notes.md"] == "other"
    assert k["environment_variables.txt"] == "env"
    sizes = {a.path: a.size for a in doc_artifacts(load_model(folder))}
    assert sizes["artifacts/extra.bin"] == 3


def test_listing_is_sorted_and_matches_sizes() -> None:
    arts = doc_artifacts(load_model(MODELS / "ticket_triage_pyfunc_params"))
    assert [a.path for a in arts] == sorted(a.path for a in arts)
    for a in arts:
        assert a.size == (MODELS / "ticket_triage_pyfunc_params" / a.path).stat().st_size


@pytest.mark.parametrize(
    ("value", "escapes"),
    [
        ("model.pkl", False),
        ("data/model.pth", False),
        ("a/../model.pkl", False),
        ("../x", True),
        ("../../outside.pkl", True),
        ("/etc/passwd", True),
        ("C:\\x", True),
        ("\\\\server\\share", True),
        ("a\\..\\..\\x", True),
        ("/tmp", True),
    ],
)
def test_lexical_escape(value: str, escapes: bool) -> None:
    assert lexical_escape(value) is escapes


def test_path_fields_escaping(tmp_path: Path) -> None:  # T16
    folder = copy_model(MODELS / "churn_pipeline_onehot", tmp_path / "m")
    text = (folder / "MLmodel").read_text()
    text = text.replace("    pickled_model: model.pkl", "    pickled_model: ../../outside.pkl")
    text = text.replace("    model_path: model.pkl", "    model_path: /etc/passwd")
    text = text.replace("    code: null", "    code: /tmp")
    text = text.replace("  artifact_path: input_example.json", "  artifact_path: ../input.json")
    (folder / "MLmodel").write_text(text)
    problems = path_problems(load_model(folder))
    assert "path escapes the model folder: flavors.sklearn.pickled_model = ../../outside.pkl" in problems
    assert "path escapes the model folder: flavors.python_function.model_path = /etc/passwd" in problems
    assert "path escapes the model folder: flavors.sklearn.code = /tmp" in problems
    assert "path escapes the model folder: saved_input_example_info.artifact_path = ../input.json" in problems
    doc = load_model(folder)
    assert set(problems) <= set(doc.problems)


def test_missing_model_file(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "churn_pipeline_onehot", tmp_path / "m")
    (folder / "model.pkl").unlink()
    problems = load_model(folder).problems
    assert "missing model file: flavors.sklearn.pickled_model = model.pkl" in problems
    assert "missing model file: flavors.python_function.model_path = model.pkl" in problems


def test_non_string_path_field(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "churn_pipeline_onehot", tmp_path / "m")
    text = (folder / "MLmodel").read_text().replace("    pickled_model: model.pkl", "    pickled_model: 12")
    (folder / "MLmodel").write_text(text)
    assert any(p.startswith("path field is not a string: flavors.sklearn.pickled_model") for p in load_model(folder).problems)


@posix_only
def test_symlink_and_fifo_model_files(tmp_path: Path) -> None:  # T19
    folder = copy_model(MODELS / "churn_pipeline_onehot", tmp_path / "m")
    (folder / "model.pkl").unlink()
    os.symlink("/etc/passwd", folder / "model.pkl")
    os.mkfifo(folder / "conda.yaml.fifo")
    (folder / "conda.yaml").unlink()
    os.mkfifo(folder / "conda.yaml")
    doc = load_model(folder)
    problems = doc.problems
    assert (
        "not a regular file inside the model folder: flavors.sklearn.pickled_model = model.pkl "
        "(symlink to /etc/passwd)"
    ) in problems
    assert (
        "not a regular file inside the model folder: flavors.python_function.env.conda = conda.yaml (fifo)"
    ) in problems
    arts = {a.path: a for a in doc_artifacts(doc)}
    assert arts["model.pkl"].kind == "symlink" and arts["model.pkl"].target == "/etc/passwd"
    assert arts["conda.yaml"].kind == "special" and arts["conda.yaml"].detail == "fifo"


@posix_only
def test_symlink_loop_listing_terminates(tmp_path: Path) -> None:  # T18
    folder = copy_model(MODELS / "churn_pipeline_onehot", tmp_path / "m")
    (folder / "sub").mkdir()
    os.symlink("..", folder / "sub" / "loop")
    arts = {a.path: a for a in doc_artifacts(load_model(folder))}
    assert arts["sub/loop"].kind == "symlink" and arts["sub/loop"].target == ".."
    assert len(arts) == 8


@posix_only
def test_symlink_inside_folder_is_fine(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "churn_pipeline_onehot", tmp_path / "m")
    (folder / "model.pkl").rename(folder / "real.pkl")
    os.symlink("real.pkl", folder / "model.pkl")
    assert not any("model.pkl" in p for p in load_model(folder).problems)
