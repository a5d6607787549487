"""A new MLflow model folder from a bare estimator file, written as MLflow 3.17.2 writes it.

``package_estimator(estimator_file, sample_data_file, out_dir, format=...)`` produces what
``mlflow.sklearn.save_model(est, path, serialization_format=format, signature=
infer_signature(X, est.predict(X)), input_example=X.head(5))`` produces (mlflow-format.md §1-§7):
``MLmodel`` (``sklearn`` + ``python_function`` flavors, exact keys), ``model.skops`` or
``model.pkl``, ``input_example.json``, ``serving_input_example.json``, ``requirements.txt``,
``conda.yaml`` and ``python_env.yaml``.

The estimator is never loaded here. A *runner* loads it in the prediction worker under the same
safety rules as predictions (scan, classification, restricted unpickler / skops trusted types;
untrusted files are refused unless the user trusts that exact SHA-256), predicts on the sample
there (the outputs of the signature), re-serializes it into the chosen format and reports the
worker environment's versions. Callers inject the runner (the CLI and the app pass
:class:`mlmanager.predict.estimator_runner.WorkerEstimatorRunner`): the core never imports the worker.

Choices where MLflow is not the writer:

* ``mlflow_version`` is ``3.17.2`` (:data:`MLFLOW_FORMAT_VERSION`): the version whose writer is
  reproduced here, key for key. MLflow never checks the value; writing the worker's mlflow
  version instead could claim a writer that never produced this layout (or none at all).
* requirements pin the worker environment's versions (``scikit-learn``, ``numpy``, ``pandas``,
  ``scipy``, plus ``cloudpickle`` or ``skops`` for that format), the packages MLflow's own
  inference finds for an sklearn model. ``mlflow`` is pinned to the worker's mlflow when it has
  one, else written ``mlflow>=3.17.2``: a floor at the format version, not a pin to a version
  nobody installed.
* ``skops_trusted_types`` lists what skops does not trust by default in the dumped file (e.g.
  ``sklearn.tree._tree.Tree``) so ``mlflow.pyfunc.load_model`` can load it, as MLflow writes it
  when the user passes that list; only types of the app's own trusted list are accepted, any
  other type (custom code) makes the skops format fail with advice to use cloudpickle.
* The example is the first rows of the sample (5); the whole sample (up to 10,000 rows) is used
  for the signature, so missing values in it make columns optional as MLflow infers them.
* When the estimator was fitted without feature names (on a numpy array) the sample is passed
  as a numpy array, giving a tensor signature, like ``infer_signature(X_numpy, ...)``.
"""

from __future__ import annotations

import base64
import datetime as _dt
import json
import os
import stat
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InvalidError, ModelReadError, UnsafePathError, WriteError
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.model.yamlio import dump_mlflow_yaml
from mlmanager.core.safety import sha256_file
from mlmanager.core.signature.infer import infer_signature, load_data_file
from mlmanager.core.transfer.estimator_input import (
    FORMATS,
    model_input,
)
from mlmanager.core.transfer.staging import (
    CancelFn,
    ProgressFn,
    Ticker,
    check_new_folder,
    make_staging,
    publish,
    remove_quietly,
)

MLFLOW_FORMAT_VERSION = "3.17.2"
MODEL_FILES = {"skops": "model.skops", "cloudpickle": "model.pkl", "pickle": "model.pkl"}
EXAMPLE_ROWS = 5
MAX_SAMPLE_ROWS = 10_000
INPUT_EXAMPLE = "input_example.json"
SERVING_EXAMPLE = "serving_input_example.json"
CONDA = "conda.yaml"
PYTHON_ENV = "python_env.yaml"
REQUIREMENTS = "requirements.txt"


# ---------------------------------------------------------------------------------------------
# The runner interface (implemented by the worker side)


@dataclass
class EstimatorJob:
    """What the runner must do: load ``estimator_file`` (only if the safety rules allow it),
    predict on ``sample`` (as :func:`model_input` shapes it), write the model re-serialized as
    ``format`` to the new file ``model_out``."""

    estimator_file: Path
    sample: Any
    format: str
    trusted_sha256s: tuple[str, ...]
    model_out: Path
    progress: Callable[[float | None, str], None] | None = None
    cancel: CancelFn | None = None


@dataclass
class EstimatorRun:
    """What the runner reports back (all plain data)."""

    predictions: Any
    input_kind: str  # dataframe | ndarray: how the sample was given to the estimator
    versions: dict[str, str | None]  # python, scikit-learn, numpy, pandas, scipy, skops, cloudpickle, mlflow, pip, setuptools, wheel
    model_type: str
    classification: str
    sha256: str | None
    source_format: str  # pickle | joblib | skops
    skops_trusted_types: list[str] | None = None
    trusted: bool = False
    warnings: list[str] = field(default_factory=list)


EstimatorRunner = Callable[[EstimatorJob], EstimatorRun]


@dataclass
class PackageResult:
    document: Any  # ModelDocument of the new folder
    run: EstimatorRun
    warnings: list[str] = field(default_factory=list)

    @property
    def path(self) -> Path:
        return Path(self.document.location)


# ---------------------------------------------------------------------------------------------
# Sample data


def read_sample(path: str | os.PathLike[str]) -> Any:
    """Read the sample file as a user would (CSV/Parquet/JSON -> DataFrame, .npy -> array)."""
    loaded = load_data_file(path)
    data = loaded.data
    import numpy as np
    import pandas as pd

    if isinstance(data, pd.Series):
        data = data.to_frame()
    if isinstance(data, list) and data and all(isinstance(r, list) for r in data):
        data = np.asarray(data)
    if not isinstance(data, (pd.DataFrame, np.ndarray)):
        raise InvalidError(
            "the sample must be a table (CSV, Parquet, JSON records or dataframe_split) or an "
            f"array (.npy, JSON 'inputs'); found {type(data).__name__}", path,
        )
    if len(data) == 0:
        raise InvalidError("the sample has no rows", path)
    if isinstance(data, np.ndarray) and data.ndim == 1:
        data = data.reshape(-1, 1)
    return data[:MAX_SAMPLE_ROWS] if isinstance(data, np.ndarray) else data.head(MAX_SAMPLE_ROWS)


# ---------------------------------------------------------------------------------------------
# Writers (exact MLflow formats)


class _Encoder(json.JSONEncoder):
    """MLflow's ``NumpyEncoder``: numpy -> Python, bytes -> base64 (with its newline), dates -> ISO."""

    def default(self, o: Any) -> Any:
        import numpy as np
        import pandas as pd

        if isinstance(o, np.ndarray):
            if o.dtype == object:
                return [self.default(x) if not isinstance(x, (str, int, float, bool, type(None))) else x
                        for x in o.tolist()]
            return o.tolist()
        if isinstance(o, np.generic):
            return o.item()
        if isinstance(o, (bytes, bytearray)):
            return base64.encodebytes(bytes(o)).decode("ascii")
        if isinstance(o, np.datetime64):
            return np.datetime_as_string(o)
        if isinstance(o, (pd.Timestamp, _dt.date, _dt.datetime, _dt.time)):
            return o.isoformat()
        return super().default(o)


def example_files(data: Any) -> tuple[str, str, dict[str, Any]]:
    """``(input_example.json text, serving_input_example.json text, saved_input_example_info)``
    exactly as MLflow 3.17.2's ``_Example`` writes them for a DataFrame or an ndarray."""
    import numpy as np
    import pandas as pd

    info: dict[str, Any] = {"artifact_path": INPUT_EXAMPLE}
    if isinstance(data, pd.DataFrame):
        split = data.where(data.notnull(), None).to_dict(orient="split")
        del split["index"]
        if list(data.columns) == list(range(len(data.columns))):  # default integer labels
            del split["columns"]
        serving: Any = {"dataframe_split": split}
        info.update({"type": "dataframe", "pandas_orient": "split" if "columns" in split else "values"})
        example: Any = split
    elif isinstance(data, np.ndarray):
        example = (np.where(np.isnan(data), None, data) if np.issubdtype(data.dtype, np.number)
                   else data).tolist()
        serving = {"inputs": example}
        info["type"] = "ndarray"
    else:
        raise InvalidError(f"cannot write an input example for {type(data).__name__}")
    info["serving_input_path"] = SERVING_EXAMPLE
    return (json.dumps(example, cls=_Encoder), json.dumps(serving, cls=_Encoder, indent=2), info)


def requirements_for(fmt: str, versions: dict[str, str | None]) -> list[str]:
    """``requirements.txt`` lines: mlflow first, then the rest sorted (MLflow's order)."""
    def pin(dist: str) -> str:
        v = versions.get(dist)
        return f"{dist}=={v}" if v else dist

    extra = {"cloudpickle": ["cloudpickle"], "skops": ["skops"]}.get(fmt, [])
    others = sorted(pin(d) for d in ["numpy", "pandas", "scikit-learn", "scipy", *extra])
    mlflow_v = versions.get("mlflow")
    mlflow_req = f"mlflow=={mlflow_v}" if mlflow_v else f"mlflow>={MLFLOW_FORMAT_VERSION}"
    return [mlflow_req, *others]


def conda_yaml(python: str, reqs: list[str], pip_version: str | None) -> str:
    env = {
        "channels": ["conda-forge"],
        "dependencies": [f"python={python}", f"pip<={pip_version}" if pip_version else "pip",
                         {"pip": list(reqs)}],
        "name": "mlflow-env",
    }
    return dump_mlflow_yaml(env)


def python_env_yaml(python: str, versions: dict[str, str | None]) -> str:
    build = [f"{d}=={versions[d]}" if versions.get(d) else d for d in ("pip", "setuptools", "wheel")]
    env = {"python": python, "build_dependencies": build, "dependencies": [f"-r {REQUIREMENTS}"]}
    return dump_mlflow_yaml(env, sort_keys=False)


def build_mlmodel(
    *,
    fmt: str,
    python_version: str,
    sklearn_version: str,
    skops_trusted_types: list[str] | None,
    signature: Any,
    example_info: dict[str, Any] | None,
    model_size_bytes: int,
    created: _dt.datetime | None = None,
    model_uuid: str | None = None,
) -> dict[str, Any]:
    """The MLmodel mapping of ``mlflow.sklearn.save_model`` (3.17.2), key for key."""
    model_file = MODEL_FILES[fmt]
    when = created or _dt.datetime.now(_dt.timezone.utc).replace(tzinfo=None)
    data: dict[str, Any] = {
        "flavors": {
            "python_function": {
                "env": {"conda": CONDA, "virtualenv": PYTHON_ENV},
                "loader_module": "mlflow.sklearn",
                "model_path": model_file,
                "predict_fn": "predict",
                "python_version": python_version,
            },
            "sklearn": {
                "code": None,
                "pickled_model": model_file,
                "serialization_format": fmt,
                "sklearn_version": sklearn_version,
                "skops_trusted_types": list(skops_trusted_types) if skops_trusted_types else None,
            },
        },
        "mlflow_version": MLFLOW_FORMAT_VERSION,
        "model_id": None,
        "model_size_bytes": model_size_bytes,
        "model_uuid": model_uuid or uuid.uuid4().hex,
        "prompts": None,
        "utc_time_created": str(when),
    }
    if signature is not None:
        data["signature"] = signature.to_mlmodel("current")
        data["is_signature_from_type_hint"] = False
        data["type_hint_from_example"] = False
    if example_info is not None:
        data["saved_input_example_info"] = example_info
    return data


# ---------------------------------------------------------------------------------------------
# The whole operation


def _write(path: Path, text: str) -> None:
    with open(path, "x", encoding="utf-8", newline="") as fh:
        fh.write(text)


def _trusted(trust: bool | Iterable[str], estimator: Path) -> tuple[str, ...]:
    if trust is True:
        return (sha256_file(estimator),)
    if trust is False or trust is None:
        return ()
    return tuple(trust)


def package_estimator(
    estimator_file: str | os.PathLike[str],
    sample_data_file: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    format: str = "skops",  # noqa: A002 - the name users know from mlflow (serialization_format)
    name: str | None = None,
    trust: bool | Iterable[str] = False,
    python: str | None = None,
    *,
    runner: EstimatorRunner | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> Any:
    """Package ``estimator_file`` as a new MLflow model folder; returns its ModelDocument.

    The folder is ``out_dir/name`` when ``name`` is given, else ``out_dir`` itself (it must not
    exist, or be empty). ``trust``: True trusts this file's current SHA-256 (or pass the
    trusted SHA-256s); ``python``: the interpreter of the worker. ``progress(step, 4, text)``
    reports the four steps (sample, worker, files, done) and the worker's own messages;
    ``cancel()`` is polled (it also kills the worker mid-job). See :func:`build_package`.
    """
    return build_package(estimator_file, sample_data_file, out_dir, format, name, trust, python,
                         runner=runner, progress=progress, cancel=cancel).document


def build_package(
    estimator_file: str | os.PathLike[str],
    sample_data_file: str | os.PathLike[str],
    out_dir: str | os.PathLike[str],
    format: str = "skops",  # noqa: A002
    name: str | None = None,
    trust: bool | Iterable[str] = False,
    python: str | None = None,
    *,
    runner: EstimatorRunner | None = None,
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> PackageResult:
    """:func:`package_estimator`, returning the document plus the worker's report and warnings.

    Raises InvalidError (bad format, unusable sample, signature), ModelReadError (unreadable
    files), the worker's errors (ModelRefusedError when the safety rules refuse the file: the
    message gives its SHA-256 to trust), WriteError or TransferCancelled. Nothing is left behind
    on failure: the folder is built in a staging folder and renamed at the end.
    """
    if format not in FORMATS:
        raise InvalidError(f"unknown format {format!r}; choose one of {', '.join(FORMATS)}")
    est = Path(estimator_file)
    try:
        st = os.lstat(est)
    except OSError as exc:
        raise ModelReadError(f"cannot read the estimator file: {exc.strerror or exc}", est) from None
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePathError("the estimator must be a regular file (not a link, folder or FIFO)", est)
    if name is not None and (not name or name in (".", "..") or "/" in name or "\\" in name):
        raise InvalidError(f"invalid model name {name!r}")
    target = Path(out_dir) / name if name else Path(out_dir)
    check_new_folder(target)
    ticker = Ticker(progress, cancel, 4, what="packaging")
    ticker.step("reading the sample", 1)
    sample = read_sample(sample_data_file)
    trusted = _trusted(trust, est)
    if runner is None:
        raise ValueError(
            "package_estimator needs a runner (e.g. mlmanager.predict.estimator_runner."
            "WorkerEstimatorRunner): the core never loads model code itself"
        )
    run_with = runner
    staging = make_staging(target)
    try:
        model_path = staging / MODEL_FILES[format]

        def worker_progress(fraction: float | None, text: str) -> None:
            if progress is not None:
                progress(2, 4, text)

        ticker.step("loading the estimator in the worker", 1)
        run = run_with(EstimatorJob(est, sample, format, trusted, model_path, worker_progress, cancel))
        ticker.check()
        if not model_path.is_file():
            raise WriteError("the worker did not write the model file", model_path)
        ticker.step("writing the model folder", 1)
        data = model_input(sample, run.input_kind)
        warnings = list(run.warnings)
        sig, sig_warnings = infer_signature(data, run.predictions)
        warnings += sig_warnings
        example_data = data.head(EXAMPLE_ROWS) if hasattr(data, "head") else data[:EXAMPLE_ROWS]
        example, serving, info = example_files(example_data)
        _write(staging / INPUT_EXAMPLE, example)
        _write(staging / SERVING_EXAMPLE, serving)
        size = sum(p.stat().st_size for p in staging.iterdir() if p.is_file())
        versions = run.versions
        python_version = versions.get("python") or ""
        sklearn_version = versions.get("scikit-learn") or ""
        if not python_version or not sklearn_version:
            raise InvalidError("the worker did not report its Python and scikit-learn versions")
        mlmodel = build_mlmodel(
            fmt=format, python_version=python_version, sklearn_version=sklearn_version,
            skops_trusted_types=run.skops_trusted_types, signature=sig, example_info=info,
            model_size_bytes=size,
        )
        reqs = requirements_for(format, versions)
        _write(staging / "MLmodel", dump_mlflow_yaml(mlmodel))
        _write(staging / CONDA, conda_yaml(python_version, reqs, versions.get("pip")))
        _write(staging / REQUIREMENTS, "\n".join(reqs))
        _write(staging / PYTHON_ENV, python_env_yaml(python_version, versions))
        if not versions.get("mlflow"):
            warnings.append(
                f"the worker's Python has no mlflow: requirements.txt asks for "
                f"mlflow>={MLFLOW_FORMAT_VERSION}, the format this folder is written in"
            )
        ticker.check()
        publish(staging, target)
    except OSError as exc:
        remove_quietly(staging)
        raise WriteError(f"could not write the model folder: {exc.strerror or exc}", target) from None
    except BaseException:
        remove_quietly(staging)
        raise
    ticker.step("done", 1)
    return PackageResult(load_model(target), run, warnings)
