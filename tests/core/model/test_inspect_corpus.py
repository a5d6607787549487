"""Acceptance: ``inspect_model`` agrees with what real MLflow computed for every corpus model."""

from __future__ import annotations

import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from corpus_paths import MODELS, WILD

from mlmanager.cli.inspect import format_inspect
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.model.summary import inspect_model


def _expected() -> list[tuple[str, dict]]:
    out: list[tuple[str, dict]] = []
    if not MODELS.is_dir():
        return out
    for f in sorted(MODELS.glob("*.expected.json")):
        e = json.loads(f.read_text())
        if e.get("kind") != "tracking":
            out.append((f.name.removesuffix(".expected.json"), e))
    return out


EXPECTED = _expected()
WILD_INDEX = json.loads((WILD / "index.json").read_text()) if WILD.is_dir() else []


def test_corpus_is_complete() -> None:
    assert len(EXPECTED) >= 16
    assert len(WILD_INDEX) == 35


@pytest.mark.parametrize(("name", "e"), EXPECTED, ids=[n for n, _ in EXPECTED])
def test_inspect_agrees_with_mlflow(name: str, e: dict) -> None:
    d = inspect_model(MODELS / e["model_dir"])
    assert d["flavors"] == e["flavors"]
    assert sorted(d["flavors"]) == sorted(e["flavor_names"])
    assert d["signature"] == e["signature_parsed"]
    assert d["saved_input_example_info"] == e["saved_input_example_info"]
    attrs = e["mlmodel_attributes"]
    for key in ("run_id", "model_uuid", "utc_time_created", "mlflow_version", "model_id",
                "metadata", "artifact_path", "model_size_bytes"):
        if key in attrs:
            assert d[key] == attrs[key], key
    got = sorted((a["path"], a["size"]) for a in d["artifacts"])
    assert got == sorted((a["path"], a["size"]) for a in e["artifacts"])
    assert [a["path"] for a in d["artifacts"]] == sorted(a["path"] for a in d["artifacts"])
    assert all(a["kind"] != "other" or a["path"].startswith("metadata/") for a in d["artifacts"])
    assert not [p for p in d["problems"] if "escapes" in p or "missing" in p]
    json.dumps(d, allow_nan=False)  # strict JSON
    text = format_inspect(d)
    assert str(d["path"]) in text and "Artifacts" in text


@pytest.mark.parametrize("entry", WILD_INDEX, ids=[e["slug"] for e in WILD_INDEX])
def test_wild_files_read_like_mlflow(entry: dict) -> None:
    mlflow = entry["mlflow_3_17_2"]
    doc = load_model(WILD / entry["slug"])
    assert doc.flavor_names == mlflow["flavor_names"]
    sig = doc.signature.to_canonical() if doc.signature is not None else None
    assert sig == mlflow["signature"]
    assert doc.saved_input_example_info == mlflow["saved_input_example_info"]
    d = inspect_model(WILD / entry["slug"])
    json.dumps(d, allow_nan=False)
    assert format_inspect(d)


def test_dialect_and_problems_reported() -> None:
    d = inspect_model(MODELS / "v1_bikes_linreg")
    assert d["signature_dialect"] == "none"
    env = d["environment"]
    assert env["source"] == "requirements.txt"
    assert any(r["name"] == "scikit-learn" and r["status"] == "mismatch" for r in env["requirements"])
    assert env["message"].startswith("Detected one or more mismatches")
    assert inspect_model(MODELS / "scaler_logreg_nosig")["signature"] is None


def test_jsonable() -> None:
    import datetime

    value = {1: float("nan"), "d": datetime.date(2020, 1, 2), "b": b"\x00", "s": {2, 1}, "i": float("-inf")}
    assert to_jsonable(value, non_finite_as_text=True) == {"1": "NaN", "d": "2020-01-02", "b": "AA==", "s": [1, 2], "i": "-Infinity"}


def test_yaml_typed_values_are_json_safe(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    (folder / "MLmodel").write_text(
        "flavors: {}\nutc_time_created: 2020-01-01 10:00:00\nmetadata:\n  when: 2020-01-02\n  x: .nan\n"
    )
    d = inspect_model(folder)
    json.dumps(d, allow_nan=False)
    assert d["metadata"] == {"when": "2020-01-02", "x": "NaN"}
    assert any("utc_time_created" in p for p in d["problems"])


@pytest.mark.skipif(sys.platform == "win32", reason="FIFOs need POSIX")
def test_inspect_never_opens_fifos(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(MODELS / "churn_pipeline_onehot", folder)
    for p in [folder, *folder.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    for name in ("requirements.txt", "conda.yaml", "model.pkl"):
        (folder / name).unlink()
        os.mkfifo(folder / name)
    d = inspect_model(folder)  # would block forever if any FIFO were opened
    kinds = {a["path"]: a["kind"] for a in d["artifacts"]}
    assert kinds["model.pkl"] == "special"
    assert any("not a regular file inside the model folder" in p for p in d["problems"])


def test_inspect_does_not_import_heavy_modules() -> None:
    repo = Path(__file__).resolve().parents[3]
    code = (
        "import sys, json\n"
        "from mlmanager.cli.inspect import format_inspect\n"
        "from mlmanager.core.model.summary import inspect_model\n"
        f"d = inspect_model({str(MODELS / 'ticket_triage_pyfunc_params')!r})\n"
        "format_inspect(d)\n"
        "heavy = [m for m in ('pandas', 'numpy', 'sklearn', 'scipy', 'mlflow', 'PySide6') if m in sys.modules]\n"
        "print(json.dumps(heavy))\n"
    )
    env = {**os.environ, "PYTHONPATH": str(repo)}
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout.strip().splitlines()[-1]) == []


def test_zip_inspect(tmp_path: Path) -> None:
    import zipfile

    src = MODELS / "ticket_triage_pyfunc_params"
    zpath = tmp_path / "model.zip"
    with zipfile.ZipFile(zpath, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(src.rglob("*")):
            if p.is_file():
                zf.write(p, "ticket/" + p.relative_to(src).as_posix())
    d = inspect_model(zpath)
    folder = inspect_model(src)
    assert d["artifacts"] == folder["artifacts"]
    assert d["signature"] == folder["signature"]
    assert d["environment"]["requirements"] == folder["environment"]["requirements"]
    with load_model(zpath) as doc:
        assert doc.root is None
