"""Where a prediction runs by default: this app's Python, or the model's own environment.

The model's environment is the default when this app does not match the model (another Python
minor, or a requirement MLflow would warn about: missing or at another version) and the
environment is built. When it is not built yet, the app's Python stays the default (a
prediction never starts an install on its own, least of all one triggered by "predict when
valid"); the reason says so, and a failure that comes from the mismatch offers the build.
"""

from __future__ import annotations

from dataclasses import dataclass

from mlmanager.core.environments.model_state import READY, ModelEnvironmentState
from mlmanager.core.environments.requirements import IGNORED_IN_MESSAGE, EnvironmentCheck
from mlmanager.core.environments.requirements import _normalize as normal_name
from mlmanager.predict.session import APP, MODEL


@dataclass(frozen=True)
class WhereDefault:
    """The default place to run one model, and why (one sentence for people)."""

    where: str  # app | model
    reason: str
    app_matches: bool
    environment_ready: bool
    environment_python: str | None = None  # the built environment's Python version


#: named first: the packages a model's predictions depend on most
FIRST = ("scikit-learn", "xgboost", "lightgbm", "catboost", "torch", "tensorflow", "keras",
         "onnxruntime", "statsmodels", "prophet", "numpy", "pandas", "scipy", "mlflow")


def _wanted(line: str, name: str) -> str:
    rest = line.strip()[len(name):].strip() if line.strip().lower().startswith(name.lower()) else line
    return rest[2:].strip() if rest.startswith("==") else rest


def app_differences(check: EnvironmentCheck) -> list[str]:
    """How this app's Python differs from what the model was saved with, in short phrases,
    the model's main libraries first: ``scikit-learn 1.3.2 (this app: 1.9.1)``."""
    out = []
    py = check.python
    if py.status == "mismatch":
        out.append(f"Python {py.required} (this app: {py.current})")
    rank = {name: i for i, name in enumerate(FIRST)}
    mismatches = [r for r in check.mismatches if normal_name(r.name or "") not in IGNORED_IN_MESSAGE]
    mismatches.sort(key=lambda r: rank.get(normal_name(r.name or ""), len(rank)))
    for r in mismatches:
        name = r.name or r.required
        wanted = _wanted(r.required, name)
        out.append(f"{name} {wanted}".strip()
                   + (f" (this app: {r.installed})" if r.installed else " (not in this app)"))
    return out


def default_where(check: EnvironmentCheck, state: ModelEnvironmentState | None) -> WhereDefault:
    """``model`` when the app differs from the model and the model's environment is ready."""
    differences = app_differences(check)
    ready = state is not None and state.state == READY
    python = state.python_version if ready and state is not None else None
    if not differences:
        return WhereDefault(APP, "this app's Python has what the model was saved with", True,
                            ready, python)
    shown = ", ".join(differences[:3]) + (f" and {len(differences) - 3} more"
                                          if len(differences) > 3 else "")
    if ready:
        return WhereDefault(MODEL, f"the model was saved with {shown}: its own environment "
                            "has them", False, True, python)
    return WhereDefault(APP, f"the model was saved with {shown}; build its own environment "
                        "(Environment tab) to run it as saved", False, False)
