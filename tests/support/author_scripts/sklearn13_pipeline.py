"""A scikit-learn 1.3 pipeline as a 2023 author saved it (MLflow 2.9, Python 3.10).

SimpleImputer + StandardScaler on the numbers, OneHotEncoder on a category, LogisticRegression.
scikit-learn >= 1.6 cannot predict with this pickle (SimpleImputer lacks `_fill_dtype`).
"""

import mlflow.sklearn
import numpy as np
import pandas as pd
from author_common import output_paths, write_input
from mlflow.models import infer_signature
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

model_dir, input_path = output_paths()
rng = np.random.RandomState(13)
n = 240
frame = pd.DataFrame({
    "age": rng.randint(18, 80, n).astype("int64"),
    "income": rng.normal(50000, 15000, n).round(2),
    "city": rng.choice(["paris", "lyon", "nice"], n),
})
frame.loc[::17, "income"] = np.nan
target = ((frame["age"] > 45) ^ (frame["city"] == "nice")).astype("int64")

numbers = Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())])
features = ColumnTransformer([
    ("numbers", numbers, ["age", "income"]),
    ("city", OneHotEncoder(handle_unknown="ignore"), ["city"]),
])
model = Pipeline([("features", features), ("classify", LogisticRegression())]).fit(frame, target)

# `income` is a double with missing values; `age` is a long
mlflow.sklearn.save_model(
    model, model_dir, signature=infer_signature(frame, model.predict(frame)),
    input_example=frame.head(3),
)
write_input(frame.head(24), input_path)
