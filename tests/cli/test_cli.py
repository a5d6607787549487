"""The command line: exit codes, JSON shapes, and predictions equal to MLflow's on the corpus."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from mlmanager.cli import main

REPO = Path(__file__).resolve().parents[2]


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def _expected(shared: Path) -> list[dict]:
    out = []
    for f in sorted(shared.glob("*.expected.json")):
        exp = json.loads(f.read_text())
        if exp.get("kind") != "tracking":
            out.append(exp)
    return out


def _close(a, b) -> bool:
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, float) or isinstance(b, float):
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    return a == b


def test_version_and_help(capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["--version"])
    assert exc.value.code == 0
    assert "mlmanager" in capsys.readouterr().out
    code, out, _ = _run(capsys, "--help")
    assert code == 0 and "inspect" in out and "validate" in out


def test_inspect_json_and_exit_codes(capsys, models_dir: Path, tmp_path: Path) -> None:
    code, out, _ = _run(capsys, "inspect", str(models_dir / "iris_logreg_colspec"), "--json")
    assert code == 0
    data = json.loads(out)
    assert set(data["flavors"]) == {"python_function", "sklearn"}
    assert data["signature"]["outputs"] == [{"type": "long", "required": True}]
    code, _, err = _run(capsys, "inspect", str(tmp_path))
    assert code == 2 and "MLmodel" in err and "Traceback" not in err
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "MLmodel").write_text("flavors: [unclosed\n")
    code, _, err = _run(capsys, "inspect", str(bad))
    assert code == 2 and "invalid YAML" in err


def test_scan_json_shape(capsys, models_dir: Path) -> None:
    code, out, _ = _run(capsys, "scan", str(models_dir / "mlruns"), "--json")
    assert code == 0
    data = json.loads(out)
    assert len(data["models"]) == 3
    first = data["models"][0]
    assert set(first) >= {"path", "kind", "experiment", "run", "model_id", "name", "flavors", "has_signature"}
    code, _, err = _run(capsys, "scan", str(models_dir / "nope"))
    assert code == 2


def test_validate_exit_codes(capsys, models_dir: Path) -> None:
    m = models_dir / "iris_logreg_colspec"
    code, out, _ = _run(capsys, "validate", str(m), "--input", str(models_dir / "iris_logreg_colspec.input.csv"), "--json")
    assert code == 0 and json.loads(out)["valid"] is True
    code, out, _ = _run(capsys, "validate", str(m), "--input", str(models_dir / "iris_logreg_colspec.bad1.csv"), "--json")
    data = json.loads(out)
    assert code == 1 and data["valid"] is False
    assert any(e["column"] == "petal width (cm)" for e in data["errors"])
    assert all({"column", "kind", "expected", "found", "rows", "message", "fix"} <= set(e) for e in data["errors"])
    # edge2: whole numbers -> int64 columns: python mode rejects, serving accepts (as MLflow)
    edge = str(models_dir / "iris_logreg_colspec.edge2.csv")
    assert _run(capsys, "validate", str(m), "--input", edge, "--mode", "python")[0] == 1
    assert _run(capsys, "validate", str(m), "--input", edge, "--mode", "serving")[0] == 0
    assert _run(capsys, "validate", str(m), "--input", str(models_dir / "missing.csv"))[0] == 2


# One model per serialization format / signature kind, plus one MLflow cannot load; the
# worker tests predict every corpus model on a warm worker (tests/worker/test_worker_predict.py).
CLI_PREDICT_MODELS = {
    "iris_logreg_colspec",  # skops, colspec
    "churn_pipeline_onehot",  # pickle, string columns
    "housing_rf_regressor",  # cloudpickle, forest, int32/float32/bool columns
    "sensor_tensor_logreg",  # tensor signature
    "mlruns.knn-k5",  # no signature, inside a tracking folder
    "v2_loans_gbc",  # written by sklearn 1.5: MLflow 3.17.2 cannot load it either
}


def test_predict_equals_mlflow(capsys, models_dir: Path) -> None:
    checked = 0
    for exp in _expected(models_dir):
        if exp["name"] not in CLI_PREDICT_MODELS:
            continue
        model = models_dir / exp["model_dir"]
        pred = exp["predictions"]
        argv = ["predict", str(model), "--input", str(models_dir / pred["file"]), "--json", "--trust"]
        code, out, err = _run(capsys, *argv)
        if exp["load_error"].get(exp["canonical_reader"]):
            # MLflow itself cannot load it here (e.g. a pickle of an older scikit-learn)
            reason = exp["load_error"][exp["canonical_reader"]]["reason"]
            assert code == 2 and reason in err and "Traceback" not in err, (exp["name"], err)
            continue
        assert code == 0, (exp["name"], err)
        got = json.loads(out)
        assert _close(got["predictions"], pred["predictions"]), exp["name"]
        checked += 1
    assert checked == len(CLI_PREDICT_MODELS) - 1


def test_predict_refuses_code_without_trust(capsys, models_dir: Path) -> None:
    model = models_dir / "events_datetime_pipeline"
    argv = ["predict", str(model), "--input", str(models_dir / "events_datetime_pipeline.input.json"), "--json"]
    code, out, _ = _run(capsys, *argv)
    data = json.loads(out)
    assert code == 1 and data["refused"] is True
    assert data["safety"]["classification"] == "CONTAINS-CODE"
    assert data["safety"]["imports"]


def test_predict_invalid_input_exits_1_before_running(capsys, models_dir: Path) -> None:
    model = models_dir / "housing_rf_regressor"
    code, _, err = _run(capsys, "predict", str(model), "--input", str(models_dir / "housing_rf_regressor.bad1.csv"))
    assert code == 1 and "area_m2" in err


def test_predict_output_files(capsys, models_dir: Path, tmp_path: Path) -> None:
    model = models_dir / "iris_logreg_colspec"
    src = str(models_dir / "iris_logreg_colspec.input.csv")
    assert _run(capsys, "predict", str(model), "--input", src, "--output", str(tmp_path / "p.csv"))[0] == 0
    assert (tmp_path / "p.csv").read_text().splitlines() == ["prediction", "0", "1", "2", "2", "0"]
    assert _run(capsys, "predict", str(model), "--input", src, "--output", str(tmp_path / "p.json"))[0] == 0
    assert json.loads((tmp_path / "p.json").read_text()) == {"predictions": [0, 1, 2, 2, 0]}


def test_python_dash_m_entry_point(models_dir: Path) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "mlmanager", "inspect", str(models_dir / "v1_bikes_linreg")],
        capture_output=True, text=True, cwd=REPO, timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert "temp_c" in proc.stdout


@pytest.mark.parametrize("command", ["predict", "payload"])
@pytest.mark.parametrize(("params", "why"), [("{not json", "not valid JSON"), ("[1]", "must be a JSON object")])
def test_bad_params_exit_2_the_same_way_for_every_command(capsys, models_dir: Path, command: str, params: str,
                                                          why: str) -> None:
    """One ``--params`` parser: the same mistake gives the same exit code (2, the arguments could
    not be read) and message whichever command it is given to (predict said 2, payload 1)."""
    model = str(models_dir / "ticket_triage_pyfunc_params")
    extra = ["--input", str(models_dir / "iris_logreg_colspec.input.csv")] if command == "predict" else ["--target", "mlflow"]
    with pytest.raises(SystemExit) as exc:
        main([command, model, *extra, "--params", params])
    out, err = capsys.readouterr()
    assert exc.value.code == 2 and out == ""
    assert "argument --params" in err and why in err

