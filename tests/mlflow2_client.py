"""MLflow 2.x's own client, run by the tests in the MLflow 2.x server's environment: the oracle
of ``core/remote/test_mlflow2_server.py`` and ``ui/test_registry_mlflow2.py`` (what that
generation's ``MlflowClient`` and pyfunc see; the ``mlflow2_client`` fixture runs it).

    python mlflow2_client.py TRACKING_URI '[["view", {"filter_string": "..."}], ...]' ANSWERS

runs each ``[command, arguments]`` in turn and writes one JSON list of their answers to the file
ANSWERS (stdout is MLflow's to print on). Only this
environment's packages are used (it has no mlmanager): ``registry_oracle`` sits beside it in
``tests/``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

import mlflow
import numpy as np
from mlflow import MlflowClient
from registry_oracle import log_sklearn_model, mlflowclient_view, register_churn_and_friends

X = np.arange(20, dtype=float).reshape(10, 2)


def seed(prefix: str) -> dict:
    """Registered models as a team on MLflow 2 makes them (runs, versions, aliases, tags), and
    what this client then sees: the listing of ``prefix*`` (``view``), the first run (``run``)
    and the download of ``churn`` version 2 (``download``). ``{prefix}tagged-1`` and ``-2`` (one
    version each) lie outside that listing: the tests write to them."""
    client = MlflowClient()
    experiment_id = mlflow.set_experiment(f"{prefix}exp").experiment_id
    first = log_sklearn_model()
    second = log_sklearn_model(extra_bytes=3_000_000)
    register_churn_and_friends(client, prefix, first, second)
    source = client.get_model_version(f"{prefix}churn", "1").source
    for n in range(12):  # more models than mlmanager asks for one by one on a 2.x server
        client.create_registered_model(f"{prefix}bulk-{n:02d}")
        client.create_model_version(f"{prefix}bulk-{n:02d}", source, run_id=first.run_id)
    for n in (1, 2):
        mlflow.register_model(first.model_uri, f"x{prefix}tagged-{n}")
    return {"experiment_id": experiment_id, "runs": [first.run_id, second.run_id],
            "view": view(f"name LIKE '{prefix}%'"), "version": version(),
            "run": run(first.run_id), "download": download(f"models:/{prefix}churn/2")}


def view(filter_string: str) -> dict:
    return mlflowclient_view(mlflow.get_tracking_uri(), filter_string)


def save_model(folder: str) -> list:
    """An sklearn model saved by this MLflow into ``folder``; its predictions on ``X``."""
    from sklearn.linear_model import LinearRegression

    est = LinearRegression().fit(X, X @ [1.0, 2.0] + 0.5)
    # pip_requirements given: inferring them loads the model again in a child process
    mlflow.sklearn.save_model(est, folder, input_example=X[:2], serialization_format="cloudpickle",
                              pip_requirements=["scikit-learn"])
    return est.predict(X).tolist()


def predict(model_uri: str) -> list:
    return np.asarray(mlflow.pyfunc.load_model(model_uri).predict(X)).tolist()


def download(artifact_uri: str) -> str:
    return mlflow.artifacts.download_artifacts(artifact_uri=artifact_uri,
                                               dst_path=tempfile.mkdtemp())


def read(name: str, version: str) -> dict:
    client = MlflowClient()
    rm = client.get_registered_model(name)
    mv = client.get_model_version(name, version)
    return {"aliases": {k: str(v) for k, v in rm.aliases.items()}, "tags": dict(rm.tags),
            "description": rm.description or "", "version_tags": dict(mv.tags),
            "version_aliases": sorted(mv.aliases), "version_description": mv.description or "",
            "run_id": mv.run_id, "source": mv.source, "status": mv.status}


def run(run_id: str) -> dict:
    client = MlflowClient()
    got = client.get_run(run_id)
    return {"run_id": got.info.run_id, "name": got.info.run_name, "status": got.info.status,
            "experiment_id": got.info.experiment_id, "metrics": got.data.metrics,
            "params": got.data.params, "tags": got.data.tags,
            "history": {key: sorted([m.step, m.value] for m in client.get_metric_history(
                run_id, key)) for key in got.data.metrics}}


def version() -> str:
    return mlflow.__version__


COMMANDS = {f.__name__: f for f in (seed, view, save_model, predict, download, read, run,
                                     version)}


def main(argv: list[str]) -> int:
    mlflow.set_tracking_uri(argv[1])
    answers = [COMMANDS[name](**kwargs) for name, kwargs in json.loads(argv[2])]
    Path(argv[3]).write_text(json.dumps(answers), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
