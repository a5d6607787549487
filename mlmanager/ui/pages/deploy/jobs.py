"""Background task bodies of the Deploy tab (run on the task pool; no widgets here).

Each takes the ``TaskState`` first (``tasks.TaskManager.start``) and the model's loaded
``ModelDocument``; they read files (input examples, environment files) but never run model code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlmanager.core.deploy.request_bodies import check_request, request_for_model
from mlmanager.core.deploy.targets import check_deploy
from mlmanager.core.errors import MlmanagerError

if TYPE_CHECKING:
    from mlmanager.core.deploy.request_bodies import RequestCheck, TargetRequest
    from mlmanager.core.deploy.targets import DeployReport
    from mlmanager.ui.tasks import TaskState


def check_task(state: TaskState, doc: Any) -> DeployReport:
    """Every rule of every target (mlflow, azureml, databricks) on ``doc``."""
    state.check()
    return check_deploy(doc, "all")


@dataclass
class RequestBuild:
    """The request built for one target, or why none could be built."""

    target: str
    request: TargetRequest | None = None
    text: str = ""
    error: str | None = None
    check: RequestCheck | None = None  # the generated request judged by the target's rules
    notes: list[str] = field(default_factory=list)


def request_task(state: TaskState, doc: Any, target: str, input_path: str | None,
                 orient: str | None, max_rows: int = 1000) -> RequestBuild:
    """Build the request for ``target`` (from ``input_path``, else the example/signature) and
    check it the way the target would."""
    try:
        request = request_for_model(doc, target, input_path=input_path, orient=orient, max_rows=max_rows)
        text = request.json_text()
    except (MlmanagerError, ValueError) as exc:
        return RequestBuild(target, error=str(exc))
    state.check()
    check = check_request(doc, text, target)
    return RequestBuild(target, request, text, None, check, list(request.notes))


def validate_task(state: TaskState, doc: Any, text: str, target: str) -> RequestCheck:
    """Judge an edited request body as ``target`` would (never raises for a bad body)."""
    state.check()
    return check_request(doc, text, target)


def parse_body(text: str) -> Any:
    """The JSON value of an edited body, or raise ValueError."""
    return json.loads(text)
