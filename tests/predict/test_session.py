"""The prediction session: where it runs, trust, input by reference, what ran it; and the CLI
``predict --env``. Real workers, real interpreters (uv-built environments)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import interpreter_envs as ie
import numpy as np
import pandas as pd
import pytest
import worker_builders as wb

from mlmanager.cli import main as cli_main
from mlmanager.core.safety import CONTAINS_CODE
from mlmanager.predict.session import (
    APP,
    PYTHON,
    PredictionSession,
    runtime_for,
)
from mlmanager.worker.errors import ModelRefusedError, WorkerCrashed, WorkerStartError
from mlmanager.worker.frames import write_frames
from mlmanager.worker.versions import package_version, python_version

PYENV = Path("/root/.pyenv/versions")


def test_a_session_in_the_apps_python_states_what_ran_it(worker_cache: Path, models_dir: Path) -> None:
    model = models_dir / "housing_rf_regressor"
    frame = pd.read_csv(models_dir / "housing_rf_regressor.input.csv")
    with PredictionSession(model, runtime_for("app"), cache_dir=worker_cache) as session:
        assert session.runtime.kind == APP
        session.start()
        by_value = session.predict(frame)
        write_frames(frame, session.client._session / "prepared")  # noqa: SLF001 - a helper's folder
        by_reference = session.predict(folder=session.client._session / "prepared")  # noqa: SLF001
    np.testing.assert_array_equal(by_value.predictions, by_reference.predictions)
    ran = by_value.ran_by
    assert ran.python_version == python_version() and ran.runtime.description == "this app's Python"
    assert ran.packages["scikit-learn"] == package_version("scikit-learn")
    assert ran.loader == "restricted unpickler"
    assert ran.text().startswith(f"Python {python_version()}, scikit-learn {package_version('scikit-learn')}")


def test_trust_is_asked_then_given(make_client, tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "lambda", wb.pipe_lambda_cloud())
    session = PredictionSession(folder, client=make_client())
    report = session.scan()
    assert report.classification == CONTAINS_CODE
    with pytest.raises(ModelRefusedError):
        session.predict(wb.xy()[0])
    session.trust(report.sha256)
    result = session.predict(wb.xy()[0])
    assert result.load.trusted and result.predictions.shape == (40,)
    session.close()


def test_a_session_in_another_interpreter(tmp_path: Path, models_dir: Path) -> None:
    python = ie.env_python(ie.RECIPES["py310"])
    model = models_dir / "housing_rf_regressor"
    frame = pd.read_csv(models_dir / "housing_rf_regressor.input.csv")
    runtime = runtime_for(str(python))
    assert runtime.kind == PYTHON
    with PredictionSession(model, runtime, cache_dir=tmp_path / "cache") as session:
        result = session.predict(frame)
    assert result.ran_by.python_version.startswith("3.10.")
    assert result.ran_by.packages["numpy"].startswith("1.")
    assert str(python) in result.ran_by.text()
    assert result.predictions.shape == (len(frame),)


def test_another_venv_of_the_apps_own_interpreter_is_not_the_app(tmp_path: Path) -> None:
    """Its bin/python links to the same base interpreter as ours, but its packages differ."""
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    other = venv / "bin" / "python"
    assert other.resolve() == Path(sys.executable).resolve()  # the same file...
    runtime = runtime_for(str(other))
    assert runtime.kind == PYTHON and runtime.python == str(other)  # ...not the same environment
    assert runtime_for(sys.executable).kind == APP


def test_the_cli_predicts_with_env_path_and_says_what_ran_it(capsys, models_dir: Path) -> None:
    python = ie.env_python(ie.RECIPES["py312"])
    model = models_dir / "housing_rf_regressor"
    code = cli_main(["predict", str(model), "--input", str(models_dir / "housing_rf_regressor.input.csv"),
                     "--env", str(python), "--json"])
    out = capsys.readouterr().out
    assert code == 0
    data = json.loads(out)
    assert data["ran_by"]["where"] == "python" and data["ran_by"]["interpreter"] == str(python)
    assert data["ran_by"]["python"].startswith("3.12.")
    assert len(data["predictions"]) == len(pd.read_csv(models_dir / "housing_rf_regressor.input.csv"))


def test_the_cli_offers_the_models_environment_on_a_version_mismatch(capsys, tmp_path: Path) -> None:
    python = ie.env_python(ie.RECIPES["py37"])
    folder = tmp_path / "old"
    folder.mkdir()
    code = ("import pickle, sys\nfrom sklearn.ensemble import RandomForestClassifier\n"
            "m = RandomForestClassifier(n_estimators=3, random_state=0).fit([[0, 1], [1, 0], [1, 1]], [0, 1, 1])\n"
            "open(sys.argv[1], 'wb').write(pickle.dumps(m, protocol=4))\n")
    subprocess.run([str(python), "-I", "-c", code, str(folder / "model.pkl")], check=True, timeout=120)
    wb.write_model(folder, None, fmt="pickle", sklearn_version="0.22.2.post1", python_version="3.7.16")
    (tmp_path / "in.json").write_text(json.dumps({"inputs": [[0, 1]]}))
    exit_code = cli_main(["predict", str(folder), "--input", str(tmp_path / "in.json"), "--trust"])
    err = capsys.readouterr().err
    assert exit_code == 2
    assert "saved with scikit-learn 0.22.2.post1" in err
    assert "--env model" in err and "Traceback" not in err


def test_a_worker_that_dies_in_an_old_interpreter_says_so(tmp_path: Path) -> None:
    """A trusted model that aborts inside Python 3.7 (its own environment): a clear message."""
    python = ie.env_python(ie.RECIPES["py37"])
    folder = tmp_path / "abort"
    (folder / "code").mkdir(parents=True)
    (folder / "code" / "aborter.py").write_text(
        "import os\n\nclass Aborter:\n    def predict(self, X):\n        os.abort()\n")
    code = ("import pickle, sys\nsys.path.insert(0, sys.argv[2])\nfrom aborter import Aborter\n"
            "open(sys.argv[1], 'wb').write(pickle.dumps(Aborter(), protocol=4))\n")
    subprocess.run([str(python), "-I", "-c", code, str(folder / "model.pkl"), str(folder / "code")],
                   check=True, timeout=120)
    wb.write_model(folder, None, fmt="pickle", code="code", python_version="3.7.16")
    with PredictionSession(folder, runtime_for(str(python)), cache_dir=tmp_path / "cache", timeout=120) as session:
        session.trust(session.scan().sha256)
        with pytest.raises(WorkerCrashed) as caught:
            session.predict(np.zeros((1, 2)))
        assert "signal 6, SIGABRT" in caught.value.message and "during prediction" in caught.value.message
        # the next call starts a fresh worker in the same interpreter
        assert session.load().versions["python"].startswith("3.7.")


@pytest.mark.skipif(not (PYENV / "3.6.15" / "bin" / "python").exists(), reason="needs Python 3.6 under pyenv")
def test_an_interpreter_older_than_37_is_refused_in_words(tmp_path: Path, models_dir: Path) -> None:
    with PredictionSession(models_dir / "housing_rf_regressor", runtime_for(str(PYENV / "3.6.15/bin/python")),
                           cache_dir=tmp_path / "cache") as session, pytest.raises(WorkerStartError) as caught:
        session.scan()
    assert "Python 3.7 or later; this interpreter is Python 3.6.15" in caught.value.message
    assert sys.version_info >= (3, 7)
