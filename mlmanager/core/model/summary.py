"""One JSON-ready summary of a model (``mlmanager inspect --json``; the text form is the CLI's).

Fast path: reads MLmodel, lists files, reads the small environment files and asks
importlib.metadata for installed versions. It never imports pandas, numpy or sklearn.
"""

from __future__ import annotations

import os

from mlmanager.core.environments.requirements import check_environment
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.artifacts import doc_artifacts
from mlmanager.core.model.mlmodel import load_model

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing (start-up: inspect --json)
if TYPE_CHECKING:
    from typing import Any


def inspect_model(path: str | os.PathLike[str]) -> dict[str, Any]:
    """The ``inspect --json`` object. Raises the loader's errors (MLmodel missing, bad YAML...)."""
    with load_model(path) as doc:
        sig = doc.signature
        try:
            env = check_environment(doc).to_dict()
        except MlmanagerError as exc:  # never fatal for inspect
            env = {"error": exc.message}
        problems = list(doc.problems)
        for p in env.get("problems", []) if isinstance(env, dict) else []:
            if p not in problems:
                problems.append(p)
        result = {
            "path": str(doc.location),
            "flavors": doc.data.get("flavors"),
            "signature": sig.to_canonical() if sig is not None else None,
            "signature_dialect": doc.signature_dialect if doc.signature_raw is not None else None,
            "signature_error": doc.signature_error,
            "saved_input_example_info": doc.data.get("saved_input_example_info"),
            "metadata": doc.metadata,
            "run_id": doc.run_id,
            "model_uuid": doc.model_uuid,
            "model_id": doc.model_id,
            "utc_time_created": doc.utc_time_created,
            "mlflow_version": doc.mlflow_version,
            "artifact_path": doc.artifact_path,
            "model_size_bytes": doc.model_size_bytes,
            "is_signature_from_type_hint": doc.is_signature_from_type_hint,
            "type_hint_from_example": doc.type_hint_from_example,
            "artifacts": [a.to_dict() for a in doc_artifacts(doc)],
            "environment": env,
            "problems": problems,
        }
    return to_jsonable(result, non_finite_as_text=True)
