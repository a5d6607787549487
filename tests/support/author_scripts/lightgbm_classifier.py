"""A LightGBM 4.1 classifier as a 2023 author saved it (MLflow 2.7, Python 3.11, lightgbm flavor).

The app has no lightgbm at all: "No module named 'lightgbm'" until the model's own environment.
"""

import lightgbm
import mlflow.lightgbm
import numpy as np
import pandas as pd
from author_common import output_paths, write_input
from mlflow.models import infer_signature

model_dir, input_path = output_paths()
rng = np.random.RandomState(41)
n = 400
frame = pd.DataFrame({
    "sepal_ratio": rng.uniform(0.5, 2.0, n),
    "petal_area": rng.gamma(2.0, 1.5, n),
    "stem_mm": rng.normal(4.0, 1.0, n),
})
target = (frame["petal_area"] * frame["sepal_ratio"] > 3.0).astype("int64")
model = lightgbm.LGBMClassifier(n_estimators=30, num_leaves=7, random_state=0, verbose=-1)
model.fit(frame, target)

mlflow.lightgbm.save_model(
    model, model_dir, signature=infer_signature(frame, model.predict(frame)),
    input_example=frame.head(3),
)
write_input(frame.head(20), input_path)
