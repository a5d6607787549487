"""An xgboost 1.7 regressor as a 2023 author saved it (MLflow 2.4, Python 3.9, xgboost flavor).

xgboost 1.x and MLflow 2.4 import `pkg_resources`: a bare environment without setuptools < 81
cannot load it.
"""

import mlflow.xgboost
import pandas as pd
import xgboost
from author_common import output_paths, write_input
from mlflow.models import infer_signature
from sklearn.datasets import load_diabetes

model_dir, input_path = output_paths()
data = load_diabetes(as_frame=True)
frame, target = data.frame.drop(columns="target"), data.frame["target"]
model = xgboost.XGBRegressor(n_estimators=40, max_depth=3, learning_rate=0.2, random_state=0)
model.fit(frame, target)

mlflow.xgboost.save_model(
    model, model_dir, signature=infer_signature(frame, model.predict(frame)),
    input_example=frame.head(3),
)
write_input(pd.concat([frame.head(12), frame.tail(8)]), input_path)
