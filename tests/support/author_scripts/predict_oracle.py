"""The oracle: what MLflow itself predicts for a model, in the model author's environment.

Run as `python -I predict_oracle.py MODEL_DIR INPUT_JSON OUTPUT_JSON` with the author
environment's interpreter (Python 3.7+, MLflow 1.x-3.x: plain syntax only). The input is a
`dataframe_split` document, parsed by MLflow's own scoring-server code against the model's
signature, then `mlflow.pyfunc.load_model(MODEL_DIR).predict`; the output records the predictions as JSON (`output`, typed so a
test can rebuild a frame or an array) and the versions that made them.
"""

import json
import platform
import sys

import mlflow
import mlflow.pyfunc
import numpy as np
import pandas as pd


def main():
    model_dir, input_path, output_path = sys.argv[1:4]
    with open(input_path) as handle:
        text = handle.read()
    model = mlflow.pyfunc.load_model(model_dir)
    frame = parse_input(text, model.metadata.get_input_schema())
    predictions = model.predict(frame)
    document = {
        "python_version": platform.python_version(),
        "mlflow_version": mlflow.__version__,
        "numpy_version": np.__version__,
        "pandas_version": pd.__version__,
        "n_rows": len(frame),
        "output": to_document(predictions),
    }
    with open(output_path, "w") as handle:
        json.dump(document, handle, indent=1)


def parse_input(text, schema):
    """The input as MLflow's scoring server (and `mlflow models predict`) parses it: the
    signature's types applied (double -> float32 columns, say)."""
    from mlflow.pyfunc import scoring_server

    if int(mlflow.__version__.split(".")[0]) >= 2:  # the `dataframe_split` protocol
        return scoring_server.infer_and_parse_json_input(text, schema)
    # MLflow 1.x: the same pandas split document, without the wrapper
    split = json.loads(text)["dataframe_split"]
    return scoring_server.parse_json_input(json.dumps(split), orient="split", schema=schema)


def to_document(value):
    """Predictions as {"type": ..., ...}: dataframe (split), series, ndarray, list or dict."""
    if isinstance(value, pd.DataFrame):
        rows = [[_plain(v) for v in row] for row in value.itertuples(index=False, name=None)]
        return {"type": "dataframe", "columns": [str(c) for c in value.columns],
                "dtypes": [str(d) for d in value.dtypes], "data": rows}
    if isinstance(value, pd.Series):
        return {"type": "series", "dtype": str(value.dtype), "data": _plain_list(value.tolist())}
    if isinstance(value, np.ndarray):
        return {"type": "ndarray", "dtype": str(value.dtype), "shape": list(value.shape),
                "data": _plain_list(value.tolist())}
    if isinstance(value, dict):
        return {"type": "dict", "data": dict((str(k), to_document(v)) for k, v in value.items())}
    if isinstance(value, (list, tuple)):
        return {"type": "list", "data": _plain_list(list(value))}
    return {"type": "scalar", "data": _plain(value)}


def _plain_list(values):
    return [_plain_list(v) if isinstance(v, list) else _plain(v) for v in values]


def _plain(value):
    as_python = getattr(value, "item", None)
    if as_python is not None and not isinstance(value, (list, dict)):
        value = as_python()
    if isinstance(value, float) and value != value:
        return None
    return value


if __name__ == "__main__":
    main()
