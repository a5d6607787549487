"""A scikit-learn pipeline converted to ONNX with skl2onnx, as a 2024 author saved it with the
onnx flavor (MLflow 2.19, Python 3.13, onnxruntime): float32 columns in, one float32 output.
"""

import mlflow.onnx
import numpy as np
from author_common import output_paths, write_input
from mlflow.models import infer_signature
from skl2onnx import to_onnx
from sklearn.datasets import load_diabetes
from sklearn.linear_model import Ridge
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

model_dir, input_path = output_paths()
frame = load_diabetes(as_frame=True).frame.drop(columns="target").astype(np.float32)
target = load_diabetes().target
pipeline = make_pipeline(StandardScaler(), Ridge(alpha=0.5)).fit(frame.values, target)
onnx_model = to_onnx(pipeline, frame.values[:1], target_opset=17)

mlflow.onnx.save_model(
    onnx_model, model_dir,
    signature=infer_signature(frame, pipeline.predict(frame.values).astype(np.float32)),
    input_example=frame.head(3),
)
write_input(frame.head(16), input_path)
