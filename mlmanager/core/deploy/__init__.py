"""Deployment readiness: will a model deploy to MLflow serving, Azure ML and Databricks, and the
exact request to send it.

* ``targets.check_deploy(model, targets)`` -> :class:`targets.DeployReport` (rule by rule);
* ``request_bodies.request_for_model(doc, target, ...)`` -> :class:`request_bodies.TargetRequest` (JSON, curl,
  Python ``requests``, CSV); ``request_bodies.check_request(doc, body, target)`` -> RequestCheck;
* ``openapi.build_openapi(doc, target)`` -> an OpenAPI 3.0 document (dict);
* ``local_server.try_local_server(model_dir, body, python=..., trusted=True)`` -> the answer of a
  real ``mlflow models serve`` on 127.0.0.1.

Submodules are imported on use (nothing heavy at package import).
"""

from __future__ import annotations

TARGETS = ("mlflow", "azureml", "databricks")
