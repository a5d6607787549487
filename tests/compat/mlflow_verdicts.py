"""What MLflow itself makes of request bodies for one model: ``validate_serving_input`` on one
body, and the scoring server's JSON parser + ``predict`` (on the model loaded once) on others.

The compat tests import it (the test environment's MLflow, in-process) and run it as a script in
another environment, one whose libraries can load the model (a corpus model pickled by an older
scikit-learn)::

    python mlflow_verdicts.py MODEL_DIR REQUEST.json   # {"validate": BODY, "bodies": {LABEL: BODY}}

which prints one JSON object (``verdicts``' result). Only MLflow is imported: that environment
has no mlmanager.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path
from typing import Any


def mlflow_accepts(pyfunc_model: Any, body: str) -> tuple[bool, str]:
    """What ``validate_serving_input`` does, on a model loaded once: parse as the server, predict."""
    from mlflow.pyfunc.scoring_server import _parse_json_data
    from mlflow.pyfunc.utils.environment import _simulate_serving_environment

    try:
        parsed = _parse_json_data(body, pyfunc_model.metadata, pyfunc_model.metadata.get_input_schema())
        with _simulate_serving_environment():
            pyfunc_model.predict(parsed.data, params=parsed.params)
    except Exception as exc:  # noqa: BLE001 - any MLflow failure is a rejection
        return False, f"{type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}"
    return True, ""


def verdicts(model_dir: str, validate: str | None, bodies: dict[str, str]) -> dict[str, Any]:
    """``validate_rows``: the length of ``validate_serving_input``'s result for ``validate`` (None
    when not asked); ``verdicts``: label -> [accepted, MLflow's reason] for each body."""
    import mlflow
    from mlflow.models import validate_serving_input

    out: dict[str, Any] = {"mlflow": mlflow.__version__, "validate_rows": None, "verdicts": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if validate is not None:
            out["validate_rows"] = len(validate_serving_input(model_dir, validate))
        if bodies:
            model = mlflow.pyfunc.load_model(model_dir)
            out["verdicts"] = {label: list(mlflow_accepts(model, body)) for label, body in bodies.items()}
    return out


if __name__ == "__main__":
    request = json.loads(Path(sys.argv[2]).read_text(encoding="utf-8"))
    sys.stdout.write(json.dumps(verdicts(sys.argv[1], request.get("validate"), request.get("bodies") or {})) + "\n")
