"""A scikit-learn 0.24 random forest as a 2021 author saved it (MLflow 1.19, Python 3.7): no
requirements.txt or python_env.yaml yet, only conda.yaml (with `mlflow` unpinned); iris column
names with spaces and parentheses.
"""

import mlflow.sklearn
from author_common import output_paths, write_input
from mlflow.models.signature import infer_signature
from sklearn.datasets import load_iris
from sklearn.ensemble import RandomForestClassifier

model_dir, input_path = output_paths()
iris = load_iris(as_frame=True)
frame, target = iris.data, iris.target
model = RandomForestClassifier(n_estimators=25, max_depth=4, random_state=0).fit(frame, target)

mlflow.sklearn.save_model(
    model, model_dir, signature=infer_signature(frame, model.predict(frame)),
    input_example=frame.head(3),
)
write_input(frame.iloc[::10], input_path)
