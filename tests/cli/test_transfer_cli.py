"""CLI: export / import / package / diff / copy (exit codes, messages, JSON)."""

from __future__ import annotations

import json
import pickle
import zipfile
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.cli import entry as cli

MODULE = "mlmanager.cli.transfer"


@pytest.fixture(autouse=True)
def registered(monkeypatch: pytest.MonkeyPatch) -> None:
    """Register the command module (the lead lists it in cli.COMMAND_MODULES)."""
    if MODULE not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, MODULE))


def _run(capsys, *argv: str) -> tuple[int, str, str]:
    code = cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_help_lists_the_commands(capsys) -> None:
    code, out, _ = _run(capsys, "--help")
    assert code == 0
    for name in ("export", "import", "package", "diff", "copy"):
        assert name in out


def test_export_import_and_diff(tmp_path: Path, capsys) -> None:
    src = MODELS / "iris_logreg_colspec"
    code, out, err = _run(capsys, "export", str(src), "--zip", str(tmp_path / "iris.zip"))
    assert code == 0, err
    assert "exported 7 files" in out
    with zipfile.ZipFile(tmp_path / "iris.zip") as zf:
        assert "iris/MLmodel" in zf.namelist()
    code, out, err = _run(capsys, "export", str(src), "--zip", str(tmp_path / "iris.zip"))
    assert code == 2 and "already exists" in err
    code, out, err = _run(capsys, "import", str(tmp_path / "iris.zip"), str(tmp_path / "lib"), "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["path"] == str(tmp_path / "lib" / "iris") and data["is_model"] is True
    assert data["flavors"] == ["python_function", "sklearn"]
    code, out, err = _run(capsys, "diff", str(src), data["path"])
    assert (code, err) == (0, "")
    assert "identical" in out
    code, out, _ = _run(capsys, "diff", str(src), str(MODELS / "housing_rf_regressor"), "--json")
    assert code == 1
    result = json.loads(out)
    assert result["identical"] is False and result["breaks"]
    code, _out, err = _run(capsys, "diff", str(src), str(tmp_path / "missing"))
    assert code == 2 and "no such file" in err
    code, out, err = _run(capsys, "export", str(src), "--to", str(tmp_path / "folder-copy"))
    assert code == 0 and (tmp_path / "folder-copy" / "MLmodel").is_file()


def test_unsafe_archive_and_symlinked_model_exit_2(tmp_path: Path, capsys) -> None:
    evil = tmp_path / "evil.zip"
    with zipfile.ZipFile(evil, "w") as zf:
        zf.writestr("m/MLmodel", "flavors: {}\n")
        zf.writestr("../../evil", "x")
    code, out, err = _run(capsys, "import", str(evil), str(tmp_path / "lib"))
    assert code == 2 and out == ""
    assert "'../../evil': '..' would escape" in err
    model = tmp_path / "m"
    model.mkdir()
    (model / "MLmodel").write_text("flavors: {}\n")
    (model / "link").symlink_to("/etc/hostname")
    code, _out, err = _run(capsys, "export", str(model), "--zip", str(tmp_path / "m.zip"))
    assert code == 2 and "link: symbolic link to '/etc/hostname'" in err
    code, _out, err = _run(capsys, "export", str(model), "--to", str(tmp_path / "x"), "--flat")
    assert code == 1 and "--flat" in err


def test_copy_into_a_tracking_folder(tmp_path: Path, capsys) -> None:
    code, out, err = _run(capsys, "copy", str(MODELS / "sensor_tensor_logreg"), str(tmp_path / "mlruns"),
                          "--tracking", "--experiment", "sensors", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["experiment"] == "sensors" and data["uri"] == f"runs:/{data['run_id']}/sensor_tensor_logreg"
    assert Path(data["path"], "MLmodel").is_file()
    code, _out, err = _run(capsys, "copy", str(MODELS / "sensor_tensor_logreg"), str(tmp_path / "x"),
                           "--experiment", "e")
    assert code == 1 and "--tracking" in err


def test_package_with_the_worker(tmp_path: Path, capsys, monkeypatch: pytest.MonkeyPatch) -> None:
    import cloudpickle
    import numpy as np
    import pandas as pd
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import FunctionTransformer

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    frame = pd.DataFrame({"x": np.arange(10.0), "y": np.arange(10.0) % 3})
    est = LinearRegression().fit(frame, frame.x * 2)
    (tmp_path / "est.pkl").write_bytes(pickle.dumps(est))
    frame.to_csv(tmp_path / "sample.csv", index=False)
    code, out, err = _run(capsys, "package", str(tmp_path / "est.pkl"), "--data", str(tmp_path / "sample.csv"),
                          "--out", str(tmp_path / "models"), "--name", "reg", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert data["path"] == str(tmp_path / "models" / "reg")
    assert data["classification"] == "SAFE-LISTED" and data["format"] == "skops"
    assert [s["name"] for s in data["signature"]["inputs"]] == ["x", "y"]
    lam = Pipeline([("f", FunctionTransformer(lambda v: v)), ("lr", LinearRegression())]).fit(frame, frame.x)
    (tmp_path / "lam.pkl").write_bytes(cloudpickle.dumps(lam))
    code, out, err = _run(capsys, "package", str(tmp_path / "lam.pkl"), "--data", str(tmp_path / "sample.csv"),
                          "--out", str(tmp_path / "lam"), "--format", "cloudpickle")
    assert code == 2 and out == ""
    assert "contains Python code" in err and "--trust" in err
    assert not (tmp_path / "lam").exists()
    code, out, err = _run(capsys, "package", str(tmp_path / "lam.pkl"), "--data", str(tmp_path / "sample.csv"),
                          "--out", str(tmp_path / "lam"), "--format", "cloudpickle", "--trust")
    assert code == 0, err
    assert "CONTAINS-CODE, trusted" in out
