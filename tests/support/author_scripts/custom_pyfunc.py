"""A custom `mlflow.pyfunc.PythonModel` with `code_paths`, as a 2024 author saved it (MLflow 2.16,
Python 3.12): its class lives in its own module (pyfunc_code/basket_rules.py), copied into the
model folder's code/ and needed to unpickle it; weights in an artifact; a DataFrame output.
"""

import json
import os
import sys
import tempfile

import mlflow.pyfunc
import numpy as np
import pandas as pd
from author_common import output_paths, write_input
from mlflow.models import infer_signature

CODE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pyfunc_code")
sys.path.insert(0, CODE)
from basket_rules import BasketScorer  # noqa: E402  (the module code_paths ships)

model_dir, input_path = output_paths()
rng = np.random.RandomState(16)
n = 30
frame = pd.DataFrame({
    "amount": rng.gamma(2.0, 40.0, n).round(2),
    "country": rng.choice(["fr", "de", "it", "es"], n),
    "items": rng.randint(1, 12, n).astype("int64"),
})
weights = {"bias": -2.0, "per_item": 0.15, "per_unit": 0.01, "other_country": 0.0,
           "country": {"fr": 0.4, "de": -0.3, "it": 0.1}}
weights_path = os.path.join(tempfile.mkdtemp(), "weights.json")
with open(weights_path, "w") as handle:
    json.dump(weights, handle)

scorer = BasketScorer()
mlflow.pyfunc.save_model(
    model_dir, python_model=scorer, artifacts={"weights": weights_path},
    code_paths=[os.path.join(CODE, "basket_rules.py")],
    signature=infer_signature(frame, pd.DataFrame({"score": [0.5], "band": ["mid"]})),
    input_example=frame.head(3),
)
write_input(frame, input_path)
