"""A scikit-learn 1.0 pipeline with a function of the author's own, as a 2022 author saved it
(MLflow 1.30, Python 3.8, cloudpickle): cloudpickle stores the function's Python 3.8 bytecode, so
no other Python minor can unpickle it ("code() argument 13 must be str" on 3.11).
"""

import mlflow.sklearn
import numpy as np
import pandas as pd
from author_common import output_paths, write_input
from mlflow.models.signature import infer_signature
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, StandardScaler


def soften_outliers(values):
    """log1p of the magnitude, sign kept: the author's own feature step."""
    return np.sign(values) * np.log1p(np.abs(values))


model_dir, input_path = output_paths()
rng = np.random.RandomState(8)
n = 200
frame = pd.DataFrame({
    "temperature": rng.normal(15.0, 8.0, n).round(1),
    "humidity": rng.uniform(20.0, 95.0, n).round(1),
    "windspeed": rng.exponential(12.0, n).round(2),
})
target = 200 + 9.0 * frame["temperature"] - 1.5 * frame["humidity"] + rng.normal(0, 10, n)
model = Pipeline([
    ("soften", FunctionTransformer(soften_outliers)),
    ("scale", StandardScaler()),
    ("regress", Ridge(alpha=1.0)),
]).fit(frame, target)

mlflow.sklearn.save_model(
    model, model_dir, serialization_format=mlflow.sklearn.SERIALIZATION_FORMAT_CLOUDPICKLE,
    signature=infer_signature(frame, model.predict(frame)), input_example=frame.head(3),
)
write_input(frame.head(15), input_path)
