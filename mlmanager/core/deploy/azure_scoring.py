"""How Azure ML's no-code MLflow deployment turns a request into model input: a port of the
parsing rules of Azure/azureml-assets ``assets/inference/environments/mlflow-*-inference/context/
mlflow_score_script.py`` (MIT) and of the ``inference-schema`` 1.8 parameter types it uses, run
by ``azureml-inference-server-http`` 1.5.1. Checked against the real script and server (see
docs/deploy-rules.md "Azure oracle").

At start-up the script builds a *sample* input, which fixes how ``input_data`` is read:

1. from ``input_example.json``: a DataFrame example is read with ``pd.read_json(<literal JSON
   text>, orient="split"|"values", dtype=False)``. pandas 3 no longer reads literal JSON text
   (``FileNotFoundError``), so this sample exists only in pandas-2 environments; an ndarray
   example is read from its ``inputs`` key (absent since MLflow 2.16, so it fails); any other
   example is used as is;
2. else from the signature: zeros arrays for TensorSpecs (``-1`` -> 1), an empty DataFrame typed
   with ``Schema.pandas_types()`` for ColSpecs (composite types raise, and the fallback dict
   sample then crashes ``NumpyParameterType``), nothing without a signature.

Start-up also fails when the signature has no ``inputs`` (the script reads
``signature.inputs.inputs[0]``) and when the output schema has composite types.

Per request (``ObjectInput``): the body must be a JSON object with ``input_data``; ``params`` is
optional. DataFrame samples: ``pd.read_json(orient="split", dtype=False)`` then ``astype`` to the
sample's dtypes; ndarray samples: ``np.array(data, dtype=sample.dtype)``; dict samples: the same
per key; no sample: lists become arrays, ``{"columns","index","data"}`` a DataFrame (again via
literal JSON text), other dicts named arrays. Then ``model.predict(data, params=params)``, whose
schema enforcement is MLflow's strict Python one.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from mlmanager.core.errors import MlmanagerError
from mlmanager.core.inputs.problems import Problem
from mlmanager.core.inputs.reader import input_from_object
from mlmanager.core.inputs.validation import validate_input
from mlmanager.core.signature.examples import MAX_EXAMPLE_BYTES, parse_json_bytes
from mlmanager.core.signature.schema import PANDAS_DTYPES, ColSpec, ScalarType, TensorSpec

if TYPE_CHECKING:
    from mlmanager.core.deploy.request_bodies import RequestCheck
    from mlmanager.core.model.mlmodel import ModelDocument

LLM_FLAVORS = ("transformers", "langchain", "openai", "hftransformersv2")


@dataclass
class AzureSample:
    """The sample the script builds at start-up.

    ``kind``: ``dataframe`` (``dtypes``), ``ndarray`` (``dtype``), ``tensors`` (``tensor_dtypes``),
    ``none`` (pass-through), ``crash`` (the deployment fails to start: ``crash`` says why).
    """

    kind: str
    source: str  # "input example" | "signature" | "none"
    dtypes: dict[Any, str] | None = None
    dtype: str | None = None
    tensor_dtypes: dict[str, str] | None = None
    crash: str | None = None
    has_params_sample: bool = False
    notes: list[str] = field(default_factory=list)


def _read_example_json(doc: ModelDocument) -> Any:
    info = doc.saved_input_example_info or {}
    rel = info.get("artifact_path")
    if not isinstance(rel, str) or not rel:
        raise MlmanagerError("no artifact_path")
    return parse_json_bytes(doc.files.read_bytes(rel, max_bytes=MAX_EXAMPLE_BYTES), rel)


def _dtype_name(dtype: Any) -> str:
    text = str(dtype)
    return "object" if text in ("str", "string") else text


def _example_sample(doc: ModelDocument, pandas_major: int) -> tuple[AzureSample | None, Any, str | None]:
    """``(sample or None, raw example object or None, why it was not used)``."""
    import numpy as np
    import pandas as pd

    info = doc.saved_input_example_info
    if not info:
        return None, None, None
    try:
        loaded = _read_example_json(doc)
    except MlmanagerError as exc:
        return None, None, f"the input example cannot be read ({exc.message})"
    etype = info.get("type")
    if etype == "dataframe":
        if pandas_major >= 3:
            return None, loaded, (
                "Azure's script reads the DataFrame example with pd.read_json(<JSON text>), which "
                "pandas 3 no longer supports, so the sample comes from the signature"
            )
        try:
            orient = "split" if "columns" in loaded else "values"
            frame = pd.read_json(io.StringIO(json.dumps(loaded)), orient=orient, dtype=False)
        except Exception as exc:  # noqa: BLE001 - the script catches everything here
            return None, loaded, f"the DataFrame example cannot be read by pandas ({exc})"
        dtypes = {c: _dtype_name(t) for c, t in frame.dtypes.items()}
        return AzureSample("dataframe", "input example", dtypes=dtypes), loaded, None
    if etype == "ndarray":
        if not isinstance(loaded, dict) or "inputs" not in loaded:
            return None, loaded, (
                "Azure's script looks for an 'inputs' key in the ndarray example (MLflow <= 2.15 "
                "layout); this one has none, so the sample comes from the signature"
            )
        inputs = loaded["inputs"]
        try:
            if isinstance(inputs, dict):
                return AzureSample(
                    "tensors", "input example",
                    tensor_dtypes={k: str(np.asarray(v).dtype) for k, v in inputs.items()},
                ), loaded, None
            return AzureSample("ndarray", "input example", dtype=str(np.asarray(inputs).dtype)), loaded, None
        except Exception as exc:  # noqa: BLE001
            return None, loaded, f"the ndarray example cannot be read ({exc})"
    # any other example type is used as it is
    if isinstance(loaded, dict):
        return AzureSample(
            "crash", "input example",
            crash=(
                f"the input example is a JSON object ({etype}); Azure's script wraps each of its "
                "values in NumpyParameterType, which refuses non-array samples, so the scoring "
                "script fails to start"
            ),
        ), loaded, None
    return AzureSample("none", "input example"), loaded, None


def azure_sample(doc: ModelDocument, pandas_major: int = 3) -> AzureSample:
    """The start-up sample (and start-up failures) of Azure's scoring script for this model."""
    sig = doc.signature
    flavors = doc.flavor_names
    notes: list[str] = []
    if any(f in flavors for f in LLM_FLAVORS):
        notes.append("LLM flavors take special branches in Azure's script that mlmanager does not emulate")
    sample, _raw, why = _example_sample(doc, pandas_major)
    if why:
        notes.append(why)
    if sig is not None and sig.inputs is None:
        return AzureSample(
            "crash", "signature",
            crash=(
                "the signature has no inputs: Azure's script reads signature.inputs.inputs[0] at "
                "start-up and fails ('NoneType' object has no attribute 'inputs')"
            ),
            notes=notes,
        )
    if sig is not None and sig.outputs is not None and not sig.outputs.is_tensor:
        bad = [s for s in sig.outputs.specs if _composite(s)]
        if bad:
            return AzureSample(
                "crash", "signature",
                crash=(
                    f"the output schema has a non-scalar column ({bad[0].describe()}): Azure's "
                    "script builds an output sample with Schema.pandas_types(), which raises, so "
                    "the scoring script fails to start"
                ),
                notes=notes,
            )
    if sample is not None and sample.kind == "crash":
        sample.notes = notes
        return sample
    if sample is None and sig is not None:
        sample = _signature_sample(sig)
    if sample is None:
        sample = AzureSample("none", "none")
        notes.append(
            "no signature and no usable example: the request is parsed by heuristics (lists -> "
            "array, split dict with index -> DataFrame, other dicts -> named arrays)"
        )
    sample.has_params_sample = bool(sig is not None and sig.params is not None)
    sample.notes = notes + sample.notes
    return sample


def _composite(spec: Any) -> bool:
    return isinstance(spec, ColSpec) and not isinstance(spec.type, ScalarType)


def _signature_sample(sig: Any) -> AzureSample:
    schema = sig.inputs
    if schema.is_tensor:
        specs = [s for s in schema.specs if isinstance(s, TensorSpec)]
        if schema.has_names:
            return AzureSample("tensors", "signature", tensor_dtypes={s.name: s.dtype for s in specs})
        return AzureSample("ndarray", "signature", dtype=specs[0].dtype)
    composite = [s for s in schema.specs if _composite(s)]
    if not composite:
        names = schema.names()
        return AzureSample(
            "dataframe", "signature",
            dtypes={n: PANDAS_DTYPES[s.type.name] for n, s in zip(names, schema.specs)},
        )
    if schema.has_names:
        return AzureSample(
            "crash", "signature",
            crash=(
                f"input column {composite[0].describe()} is not a scalar type: Azure's script "
                "cannot build a DataFrame sample (Schema.pandas_types() raises) and its fallback "
                "dict sample is refused by NumpyParameterType, so the scoring script fails to start"
            ),
        )
    return AzureSample("none", "signature", notes=["unnamed non-scalar columns: the input is passed through"])


# ---------------------------------------------------------------------------------------------
# Per request


class _Reject(Exception):
    def __init__(self, message: str, kind: str = "parse_error", fix: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind
        self.fix = fix


def _read_split(value: Any, pandas_major: int, literal: bool) -> Any:
    import pandas as pd

    if literal and pandas_major >= 3:
        raise _Reject(
            "Azure's script reads this DataFrame with pd.read_json(<JSON text>), which pandas 3 "
            "treats as a file name (FileNotFoundError): the request fails",
            "azure_pandas3",
            "give the model a signature (then Azure reads input_data with inference-schema), or pin pandas<3",
        )
    try:
        return pd.read_json(io.StringIO(json.dumps(value)), orient="split", dtype=False)
    except Exception as exc:  # noqa: BLE001
        raise _Reject(
            f"pandas cannot read input_data as a split DataFrame: {str(exc).splitlines()[0]}",
            "parse_error",
            'send {"input_data": {"columns": [...], "index": [0, ...], "data": [[...], ...]}}',
        ) from None


def _numpy(value: Any, dtype: str) -> Any:
    import numpy as np

    if isinstance(value, np.ndarray):
        return value
    if not isinstance(value, list):
        raise _Reject(
            "Invalid input format: expected an array of items.",
            "parse_error",
            'send input_data as a (nested) list: {"input_data": [[...], ...]}',
        )
    try:
        if dtype.startswith("datetime"):
            value = [np.datetime64(v) if not isinstance(v, list) else v for v in value]
        return np.array(value, dtype=np.dtype(dtype))
    except Exception as exc:  # noqa: BLE001
        raise _Reject(
            f"input_data cannot be read as a {dtype} array: {str(exc).splitlines()[0]}",
            "parse_error",
            f"send {dtype} values of the same shape",
        ) from None


def parse_request(doc: ModelDocument, body: Any, sample: AzureSample, pandas_major: int = 3) -> tuple[Any, Any]:
    """``(model input, params)`` as the script passes them to ``model.predict``; raises _Reject."""
    import numpy as np
    import pandas as pd

    if not isinstance(body, dict):
        raise _Reject("POST body should be a JSON dictionary.", "payload_format",
                      '{"input_data": ...}')
    if "input_data" not in body:
        raise _Reject(
            "A value is not provided for the 'input_data' parameter.",
            "payload_format",
            "wrap the input: {\"input_data\": ...} (dataframe_split/inputs are MLflow-server keys)",
        )
    data = body["input_data"]
    params = body.get("params")
    params = params if params else None  # the decorator skips a missing or falsy optional param
    if params is not None and sample.has_params_sample and not isinstance(params, dict):
        raise _Reject(
            f"Invalid input data type to parse. Expected: <class 'dict'> but got {type(params)}",
            "params_format",
            '"params": {"name": value}',
        )
    if sample.kind == "dataframe":
        if not isinstance(data, (list, dict)):
            raise _Reject(
                f"Error, unable to convert input of type {type(data)} into Pandas Dataframe",
                "payload_format",
                "send input_data as a split dict",
            )
        frame = _read_split(data, pandas_major, literal=False)
        types = {c: (sample.dtypes or {}).get(c, "object") for c in frame.columns}
        try:
            frame = frame.astype(types)
        except Exception as exc:  # noqa: BLE001
            raise _Reject(
                f"input_data columns cannot be converted to the deployment sample's types {types}: "
                f"{str(exc).splitlines()[0]}",
                "type_mismatch",
                "send values of the signature's types (no nulls in integer/boolean columns)",
            ) from None
        return frame, params
    if sample.kind == "ndarray":
        return _numpy(data, sample.dtype or "float64"), params
    if sample.kind == "tensors":
        if not isinstance(data, dict):
            raise _Reject(
                f"Invalid input data type to parse. Expected: <class 'dict'> but got {type(data)}",
                "payload_format",
                'send named tensors: {"input_data": {"name": [...], ...}}',
            )
        out = dict(data)
        for k, dtype in (sample.tensor_dtypes or {}).items():
            if k in out:
                out[k] = _numpy(out[k], dtype)
        data = out
        first = next(iter(data.values()), None) if data else None
        if isinstance(first, np.ndarray):
            return data, params
    # pass-through: parse_model_input_from_input_data_traditional
    if isinstance(data, str):
        try:
            data = json.loads(data)
        except ValueError:
            raise _Reject("input_data is a string that is not JSON", "payload_format") from None
    if not isinstance(data, (dict, list, str)):
        raise _Reject(
            f"argument of type '{type(data).__name__}' is not iterable (input_data must be a list or an object)",
            "payload_format",
            'send {"input_data": [[...]]} or a split dict',
        )
    if isinstance(data, dict) and "input_data" in data:
        data = data["input_data"]
    if isinstance(data, list):
        try:
            return np.asarray(data), params
        except Exception as exc:  # noqa: BLE001
            raise _Reject(f"input_data cannot be turned into an array: {exc}", "parse_error") from None
    if isinstance(data, dict) and {"columns", "index", "data"} <= set(data):
        return _read_split(data, pandas_major, literal=True), params
    if isinstance(data, dict):
        try:
            return {k: np.asarray(v) for k, v in data.items()}, params
        except Exception as exc:  # noqa: BLE001
            raise _Reject(f"input_data values cannot be turned into arrays: {exc}", "parse_error") from None
    _ = pd  # imported for the DataFrame branch above
    raise _Reject("input_data must be a list or an object", "payload_format")


def validate_azure(
    doc: ModelDocument,
    body: Any,
    check: RequestCheck,
    *,
    pandas_major: int = 3,
    read_problems: list[Problem] | None = None,
) -> RequestCheck:
    """Fill ``check`` with Azure's verdict on ``body`` (a decoded JSON document)."""
    check.form = "input_data" if isinstance(body, dict) and "input_data" in body else None
    for p in read_problems or []:
        (check.errors if p.severity == "error" else check.warnings).append(p)
    sample = azure_sample(doc, pandas_major)
    check.notes.extend(sample.notes)
    check.notes.append(
        f"environment pandas {pandas_major}.x; request read with a {sample.kind} sample from the {sample.source}"
        if sample.kind != "crash" else "the scoring script does not start"
    )
    if sample.kind == "crash":
        check.errors.append(Problem(
            kind="azure_startup", message=sample.crash or "the scoring script fails to start",
            fix="fix the signature (scalar column types, inputs present) or deploy with a scoring script",
            stage="parse", target="input",
        ))
        return check
    if isinstance(body, dict) and body.get("params") and sample.has_params_sample is False and doc.signature is not None:
        check.warnings.append(Problem(
            kind="params_ignored",
            message="the model has no params schema: MLflow drops the params with a warning",
            stage="params", target="param", severity="warning",
        ))
    try:
        data, params = parse_request(doc, body, sample, pandas_major)
    except _Reject as exc:
        check.errors.append(Problem(kind=exc.kind, message=exc.message, fix=exc.fix, stage="parse", target="input"))
        check.valid = False
        return check
    if params is not None and not isinstance(params, dict):
        check.errors.append(Problem(
            kind="params_format", message="params must be a JSON object", fix='"params": {"name": value}',
            stage="params", target="param",
        ))
        return check
    result = validate_input(
        doc.signature, input_from_object(data, params), "python",
        doc.is_signature_from_type_hint is True, params=params,
    )
    check.result = result
    check.errors.extend(result.errors)
    check.warnings.extend(p for p in result.warnings if p.kind != "no_signature" or doc.signature is not None)
    if doc.signature is None:
        check.warnings.append(Problem(
            kind="no_signature",
            message="no signature: Azure passes the parsed input to the model unchecked (and shows no swagger schema)",
            stage="schema", target="input", severity="warning",
        ))
    check.valid = not check.errors
    return check
