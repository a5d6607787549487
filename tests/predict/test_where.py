"""Where a prediction runs by default (``mlmanager.predict.where``): this app's Python unless it
differs from the model and the model's own environment is built; the reason names the
differences, the model's main library first."""

from __future__ import annotations

import sys
from pathlib import Path

from env_models import write_model

from mlmanager.core.environments.model_state import READY, ModelEnvironmentState  # noqa: E402
from mlmanager.core.environments.requirements import (  # noqa: E402
    EnvironmentCheck,
    PythonStatus,
    RequirementStatus,
    check_environment,
)
from mlmanager.core.environments.spec import EnvironmentSpec  # noqa: E402
from mlmanager.core.model.mlmodel import load_model  # noqa: E402
from mlmanager.predict.where import app_differences, default_where  # noqa: E402

SPEC = EnvironmentSpec("m", "3.10.12", "python_env.yaml", ("scikit-learn==1.3.0",), None)


def ready_state() -> ModelEnvironmentState:
    return ModelEnvironmentState(SPEC, READY)


def test_a_matching_app_runs_it_here() -> None:
    check = EnvironmentCheck(sys.executable, PythonStatus("3.11.7", "3.11.7", "ok"),
                             [RequirementStatus("numpy", "numpy", "2.0", "ok")])
    default = default_where(check, ready_state())
    assert default.where == "app" and default.app_matches and default.environment_ready


def test_a_differing_app_prefers_the_built_environment() -> None:
    check = EnvironmentCheck(sys.executable, PythonStatus("3.10.12", "3.11.7", "mismatch"), [
        RequirementStatus("mlflow", "mlflow==2.5.0", "3.1.0", "mismatch"),
        RequirementStatus("scikit-learn", "scikit-learn==1.3.0", "1.9.1", "mismatch"),
        RequirementStatus("lightgbm", "lightgbm==4.1.0", None, "missing"),
    ])
    assert app_differences(check) == [
        "Python 3.10.12 (this app: 3.11.7)", "scikit-learn 1.3.0 (this app: 1.9.1)",
        "lightgbm 4.1.0 (not in this app)", "mlflow 2.5.0 (this app: 3.1.0)"]
    built = default_where(check, ready_state())
    assert built.where == "model" and "its own environment has them" in built.reason
    # not built: never an install on its own; the reason says to build it
    unbuilt = default_where(check, ModelEnvironmentState(SPEC, "not-built"))
    assert unbuilt.where == "app" and not unbuilt.app_matches
    assert "build its own environment" in unbuilt.reason


def test_a_real_model_folder(tmp_path: Path) -> None:
    folder = write_model(tmp_path / "m", python="3.6.15", requirements=("scikit-learn==0.23.2",))
    with load_model(folder) as doc:
        check = check_environment(doc)
    default = default_where(check, None)
    assert default.where == "app" and not default.app_matches
    assert default.reason.startswith("the model was saved with Python 3.6.15")
