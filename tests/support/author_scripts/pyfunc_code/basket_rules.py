"""The custom model's own code, shipped in the model folder through `code_paths`.

Runs in the author's environment (Python 3.12, MLflow 2.16) and wherever the model is loaded:
plain syntax. The model cannot be unpickled without this module: it defines the class.
"""

import json

import mlflow.pyfunc
import pandas as pd


def band(score):
    """A score's band: low, mid or high."""
    if score < 0.35:
        return "low"
    if score < 0.7:
        return "mid"
    return "high"


class BasketScorer(mlflow.pyfunc.PythonModel):
    """Scores a shopping basket from weights kept in an artifact (weights.json)."""

    def load_context(self, context):
        with open(context.artifacts["weights"]) as handle:
            self.weights = json.load(handle)

    def predict(self, context, model_input):
        weights = self.weights
        country = model_input["country"].map(weights["country"]).fillna(weights["other_country"])
        raw = (weights["bias"] + weights["per_item"] * model_input["items"]
               + weights["per_unit"] * model_input["amount"] + country)
        score = 1.0 / (1.0 + (-raw).map(lambda value: 2.718281828459045 ** value))
        return pd.DataFrame({"score": score.round(6), "band": score.map(band)})
