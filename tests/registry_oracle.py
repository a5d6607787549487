"""What MlflowClient sees (the oracle of the registry tests), in mlmanager's ``--json`` shape.

Runs under the test venv's MLflow 3 and, as a script's import, under the MLflow 2.x server's
own environment (``mlflow2_client.py``): keep it to what both generations offer.
"""

from __future__ import annotations

import numpy as np


def mlflowclient_view(tracking_uri: str, filter_string: str | None = None,
                      versions_filter: str | None = None) -> dict:
    """``search_registered_models`` (paged) + ``search_model_versions`` (one search per model,
    or one ``versions_filter`` search for all); version aliases from ``get_model_version`` when
    searching per model, else from the registered model's aliases."""
    from mlflow import MlflowClient

    client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)
    models = []
    token = None
    while True:
        page = client.search_registered_models(filter_string=filter_string, max_results=100,
                                               page_token=token)
        models.extend(page)
        token = page.token
        if not token:
            break
    by_name: dict[str, list] = {}
    if versions_filter is not None:
        token = None
        while True:
            page = client.search_model_versions(versions_filter, max_results=10_000,
                                                page_token=token)
            for v in page:
                by_name.setdefault(v.name, []).append(v)
            token = page.token
            if not token:
                break
    out = []
    for rm in models:
        aliases = {k: str(v) for k, v in rm.aliases.items()}  # sqlite gives ints
        if versions_filter is None:
            versions = client.search_model_versions(f"name = '{rm.name}'")
            version_aliases = {str(v.version): sorted(client.get_model_version(
                rm.name, v.version).aliases) for v in versions}
        else:
            versions = by_name.get(rm.name, [])
            version_aliases = {}
            for alias, number in aliases.items():
                version_aliases.setdefault(number, []).append(alias)
        out.append({
            "name": rm.name,
            "description": rm.description or "",
            "tags": dict(rm.tags),
            "aliases": aliases,
            "versions": [
                {
                    "version": str(v.version),
                    "status": v.status,
                    "source": v.source,
                    "run_id": v.run_id or None,
                    "tags": dict(v.tags),
                    "aliases": sorted(version_aliases.get(str(v.version), [])),
                    "description": v.description or "",
                    "creation_timestamp": v.creation_timestamp,
                }
                for v in sorted(versions, key=lambda v: int(v.version))
            ],
        })
    return {"registered_models": sorted(out, key=lambda m: m["name"])}


def register_churn_and_friends(client, prefix: str, first, second) -> None:
    """The registry the listing tests compare: ``churn`` (versions 1 and 2 from the logged
    models ``first`` and ``second``, aliases, tags, a description), ``fraud`` (one version) and
    ``empty`` (none), each name after ``prefix``; ``client`` is MLflow's own (2.x or 3.x)."""
    import mlflow

    mlflow.register_model(first.model_uri, f"{prefix}churn")
    mlflow.register_model(second.model_uri, f"{prefix}churn")
    mlflow.register_model(second.model_uri, f"{prefix}fraud")
    client.create_registered_model(f"{prefix}empty", description="no versions yet")
    client.set_registered_model_alias(f"{prefix}churn", "champion", "2")
    client.set_registered_model_alias(f"{prefix}churn", "baseline", "1")
    client.set_registered_model_tag(f"{prefix}churn", "team", "risk")
    client.set_model_version_tag(f"{prefix}churn", "1", "validated", "true")
    client.update_model_version(f"{prefix}churn", "2", description="better")


def log_sklearn_model(name: str = "model", extra_bytes: int = 0, extra_dir: bool = False):
    """Log a small LinearRegression into the current tracking URI (a logged model on MLflow 3,
    run artifacts under ``name/`` on MLflow 2); returns the ModelInfo. ``extra_bytes``: an
    extra random artifact of that size (``code/data/blob.bin``)."""
    import tempfile
    from pathlib import Path

    import mlflow
    from sklearn.linear_model import LinearRegression

    x = np.arange(20, dtype=float).reshape(10, 2)
    est = LinearRegression().fit(x, x @ [1.0, 2.0])
    with mlflow.start_run():
        mlflow.log_param("alpha", 1)
        for step in range(3):
            mlflow.log_metric("rmse", 1.0 / (step + 1), step=step)
        extra = None
        if extra_bytes or extra_dir:
            folder = Path(tempfile.mkdtemp())
            (folder / "data").mkdir()
            (folder / "data" / "blob.bin").write_bytes(np.random.default_rng(0).bytes(
                max(extra_bytes, 1)))
            (folder / "data" / "nested").mkdir()
            (folder / "data" / "nested" / "note.txt").write_text("nested file\n")
            extra = [str(folder / "data")]
        where = {"name": name} if int(mlflow.__version__.split(".")[0]) >= 3 else \
            {"artifact_path": name}
        return mlflow.sklearn.log_model(
            est, **where, input_example=x[:2], serialization_format="cloudpickle",
            pip_requirements=["scikit-learn"], code_paths=extra)
