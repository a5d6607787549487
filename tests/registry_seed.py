"""A small team registry on a real tracking server, as MLflow's own client fills it (tests, the
GUI benchmark's download, screenshots for the docs).

``seed_team_registry(uri)`` logs three runs with params and stepped metrics (sparklines) and
registers ``<prefix>churn`` (versions 1-3: @champion on 2, @challenger on 3, tags, descriptions;
version 2's signature declares ``monthly_fee`` a ``long`` although the model is fed fees such as
19.99: the signature a user fixes), ``<prefix>fraud`` (2 versions) and ``<prefix>house-prices``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Seeded:
    churn: str
    fraud: str
    houses: str


def _churn_frame():
    import pandas as pd

    return pd.DataFrame({
        "plan": ["basic", "pro", "basic", "team", "pro", "basic"],
        "monthly_fee": [19.99, 49.5, 19.99, 99.0, 49.5, 21.0],
        "usage_gb": [1.5, 20.0, 3.2, 55.1, 18.4, 0.7],
    })


def _log_churn(mlflow, c: float, wrong_fee_type: bool):
    import numpy as np
    from mlflow.models import infer_signature
    from mlflow.types.schema import ColSpec, Schema
    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = _churn_frame()
    target = np.array([0, 1, 0, 1, 1, 0])
    pipe = Pipeline([
        ("prep", ColumnTransformer([("plan", OneHotEncoder(handle_unknown="ignore"), ["plan"])],
                                   remainder="passthrough")),
        ("clf", LogisticRegression(C=c, max_iter=200)),
    ]).fit(frame, target)
    signature = infer_signature(frame, pipe.predict(frame))
    if wrong_fee_type:  # what a hurried notebook logged: the fee as a whole number
        signature.inputs = Schema([ColSpec("string", "plan"), ColSpec("long", "monthly_fee"),
                                   ColSpec("double", "usage_gb")])
    with mlflow.start_run(run_name=f"logreg-C{c:g}"):
        mlflow.log_params({"C": c, "encoder": "onehot", "features": "plan,monthly_fee,usage_gb"})
        for step, acc in enumerate([0.61, 0.7, 0.74, 0.79 + c / 100]):
            mlflow.log_metric("val_accuracy", acc, step=step)
        mlflow.log_metric("train_accuracy", 0.83)
        mlflow.set_tag("team", "growth")
        return mlflow.sklearn.log_model(pipe, name="model", signature=signature,
                                        serialization_format="cloudpickle",
                                        pip_requirements=["scikit-learn", "pandas"])


def _log_regressor(mlflow, run_name: str, alpha: float):
    import numpy as np
    from sklearn.linear_model import Ridge

    x = np.arange(40, dtype=float).reshape(20, 2)
    est = Ridge(alpha=alpha).fit(x, x @ [1.5, -2.0])
    with mlflow.start_run(run_name=run_name):
        mlflow.log_param("alpha", alpha)
        for step in range(5):
            mlflow.log_metric("rmse", 10.0 / (step + 1) + alpha, step=step)
        return mlflow.sklearn.log_model(est, name="model", input_example=x[:2],
                                        serialization_format="cloudpickle",
                                        pip_requirements=["scikit-learn"])


def seed_team_registry(uri: str, prefix: str = "") -> Seeded:
    import mlflow
    from mlflow import MlflowClient

    before = mlflow.get_tracking_uri()
    mlflow.set_tracking_uri(uri)
    try:
        client = MlflowClient(uri, registry_uri=uri)
        mlflow.set_experiment(f"{prefix}churn" if prefix else "churn")
        churn = f"{prefix}churn"
        client.create_registered_model(churn, tags={"team": "growth", "domain": "retention"},
                                       description="Who cancels next month (weekly retrain).")
        for c, wrong in ((1.0, False), (0.5, True), (0.25, False)):
            info = _log_churn(mlflow, c, wrong)
            mlflow.register_model(info.model_uri, churn)
        client.set_registered_model_alias(churn, "champion", "2")
        client.set_registered_model_alias(churn, "challenger", "3")
        client.update_model_version(churn, "2", description="Balanced classes; serving since May.")
        client.set_model_version_tag(churn, "2", "validated", "true")
        mlflow.set_experiment(f"{prefix}fraud" if prefix else "fraud")
        fraud = f"{prefix}fraud"
        client.create_registered_model(fraud, tags={"team": "risk"})
        for alpha in (1.0, 0.1):
            info = _log_regressor(mlflow, f"ridge-{alpha:g}", alpha)
            mlflow.register_model(info.model_uri, fraud)
        client.set_registered_model_alias(fraud, "champion", "1")
        houses = f"{prefix}house-prices"
        info = _log_regressor(mlflow, "ridge-houses", 3.0)
        mlflow.register_model(info.model_uri, houses)
        while mlflow.active_run():
            mlflow.end_run()
        return Seeded(churn, fraud, houses)
    finally:
        mlflow.set_tracking_uri(before)
