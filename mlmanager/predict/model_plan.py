"""Read ``MLmodel`` and decide what the worker must load: the parent side of the model plan.

The worker (``mlmanager.worker.plan``) re-checks every path before it reads a byte; this side
has PyYAML (the core's strict YAML reader), which the model's own interpreter may lack.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from mlmanager.core.errors import InvalidError, MLmodelNotFoundError, ModelReadError
from mlmanager.core.model.yamlio import load_yaml_bytes
from mlmanager.worker.plan import (
    COMPRESSIONS,
    DEFAULT_MAX_MODEL_BYTES,
    MAX_MLMODEL_BYTES,
    SERIALIZATION_FORMATS,
    SKLEARN_PREDICT_FNS,
    ModelPlan,
    check_inside,
    read_inside,
)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


#: flavor -> the package its ``*_version`` key names (MLflow writes e.g. ``xgb_version``)
FLAVOR_PACKAGES = {
    "sklearn": "scikit-learn", "xgboost": "xgboost", "lightgbm": "lightgbm", "catboost": "catboost",
    "onnx": "onnx", "pytorch": "torch", "tensorflow": "tensorflow", "keras": "keras",
    "statsmodels": "statsmodels", "spacy": "spacy", "prophet": "prophet", "h2o": "h2o",
    "transformers": "transformers", "sentence_transformers": "sentence-transformers",
    "paddle": "paddlepaddle", "fastai": "fastai", "spark": "pyspark", "pmdarima": "pmdarima",
}


def saved_versions(doc: dict[str, Any], flavors: dict[str, Any]) -> tuple[str, ...]:
    """``package==version`` for what saved the model: each flavor's version and MLflow's."""
    out = {}
    for name, conf in flavors.items():
        package = FLAVOR_PACKAGES.get(str(name))
        if package is None or not isinstance(conf, dict):
            continue
        for key, value in conf.items():
            if str(key).endswith("_version") and key not in ("python_version", "onnx_runtime_version") \
                    and isinstance(value, (str, int, float)):
                out[package] = str(value)
                break
    if isinstance(doc.get("mlflow_version"), (str, int, float)):
        out["mlflow"] = str(doc["mlflow_version"])
    return tuple(f"{k}=={v}" for k, v in sorted(out.items()))


_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*==\s*([A-Za-z0-9][A-Za-z0-9.+!_-]*)\s*(?:;.*)?$")


def required_versions(root: Path) -> tuple[str, ...]:
    """``package==version`` for every exact pin of the model's requirements (requirements.txt,
    else conda.yaml's pip list, else python_env.yaml: what MLflow reads), so a load or predict
    failure can name the version of the library it came from (worker/mismatch.py)."""
    from mlmanager.core.environments.requirements import model_requirements
    from mlmanager.core.errors import MlmanagerError
    from mlmanager.core.model.mlmodel import load_model

    try:
        with load_model(root) as doc:
            lines = model_requirements(doc).lines
    except MlmanagerError:
        return ()
    pins = {}
    for line in lines:
        match = _PIN.match(line.strip())
        if match:
            pins.setdefault(match.group(1), match.group(2))
    return tuple(f"{name}=={version}" for name, version in pins.items())


def read_plan(model_dir: str | os.PathLike[str], *, max_model_bytes: int = DEFAULT_MAX_MODEL_BYTES) -> ModelPlan:
    """Read ``MLmodel`` (strict YAML) and decide what the worker must load."""
    root = Path(model_dir).resolve()
    if not root.is_dir():
        raise ModelReadError("not a folder", root)
    try:
        mlmodel = read_inside(root, "MLmodel", "MLmodel", MAX_MLMODEL_BYTES)
    except ModelReadError as exc:
        if not (root / "MLmodel").exists() and not (root / "MLmodel").is_symlink():
            raise MLmodelNotFoundError("not an MLflow model (MLmodel missing)", root) from None
        raise exc
    doc = load_yaml_bytes(mlmodel, root / "MLmodel")
    if not isinstance(doc, dict):
        raise InvalidError("MLmodel is not a mapping", root / "MLmodel")
    flavors = doc.get("flavors")
    if not isinstance(flavors, dict) or not flavors:
        raise InvalidError("MLmodel has no flavors mapping", root / "MLmodel")
    pyfunc = flavors.get("python_function")
    pyfunc = pyfunc if isinstance(pyfunc, dict) else None
    sk = flavors.get("sklearn")
    sk = sk if isinstance(sk, dict) else None
    names = tuple(str(k) for k in flavors)
    saved = saved_versions(doc, flavors)
    required = required_versions(root)
    loader = _str_or_none(pyfunc.get("loader_module")) if pyfunc else None
    python_version = _str_or_none(pyfunc.get("python_version")) if pyfunc else None
    warnings: list[str] = []

    def checked_code(conf: dict[str, Any] | None) -> str | None:
        if not conf or conf.get("code") is None:
            return None
        return check_inside(root, conf["code"], "code", kind="dir")

    if sk is not None and (pyfunc is None or loader in (None, "mlflow.sklearn")):
        rel = sk.get("pickled_model") or (pyfunc or {}).get("model_path") or (pyfunc or {}).get("data")
        if rel is None:
            raise InvalidError("the sklearn flavor names no pickled_model", root / "MLmodel")
        fmt = sk.get("serialization_format") or "pickle"
        if fmt not in SERIALIZATION_FORMATS:
            raise InvalidError(f"unknown serialization_format {fmt!r}", root / "MLmodel")
        predict_fn = (pyfunc or {}).get("predict_fn") or "predict"
        if predict_fn not in SKLEARN_PREDICT_FNS:
            raise InvalidError(
                f"predict_fn {predict_fn!r} is not one of {', '.join(SKLEARN_PREDICT_FNS)}",
                root / "MLmodel",
            )
        model_file = check_inside(root, rel, "pickled_model", max_bytes=max_model_bytes)
        for key in ("model_path", "data"):
            other = (pyfunc or {}).get(key)
            if other is not None and other != rel:
                check_inside(root, other, f"python_function.{key}", max_bytes=max_model_bytes)
        listed = sk.get("skops_trusted_types") or []
        if not isinstance(listed, list):
            listed = [listed]
        return ModelPlan(
            root=str(root), kind="sklearn", model_file=model_file, serialization_format=fmt,
            predict_fn=str(predict_fn), loader_module=loader,
            sklearn_version=_str_or_none(sk.get("sklearn_version")),
            python_version=python_version,
            skops_trusted_types=tuple(str(t) for t in listed),
            code=checked_code(sk) or checked_code(pyfunc), flavors=names, saved_versions=saved,
            required_versions=required, warnings=tuple(warnings),
        )
    if pyfunc is None:
        raise ModelReadError(
            f"no flavor mlmanager can run (flavors: {', '.join(names)}); it needs sklearn or python_function",
            root,
        )
    if not loader:
        raise InvalidError("python_function has no loader_module", root / "MLmodel")
    primary = None  # only a custom PythonModel pickle is scanned; other loaders read their own files
    for key in ("python_model", "model_path", "data"):
        if pyfunc.get(key) is not None:
            kind = "file"
            target = root / str(pyfunc[key])
            if key != "python_model" and target.is_dir() and not target.is_symlink():
                kind = "dir"
            rel = check_inside(root, pyfunc[key], f"python_function.{key}", kind=kind,
                               max_bytes=max_model_bytes)
            if key == "python_model":
                primary = rel
    compression = pyfunc.get("python_model_compression")
    if compression is not None and compression not in COMPRESSIONS:
        raise InvalidError(f"unknown python_model_compression {compression!r}", root / "MLmodel")
    artifacts = pyfunc.get("artifacts")
    if isinstance(artifacts, dict):
        for name, spec in artifacts.items():
            if isinstance(spec, dict) and spec.get("path") is not None:
                target = root / str(spec["path"])
                kind = "dir" if target.is_dir() and not target.is_symlink() else "file"
                check_inside(root, spec["path"], f"artifacts.{name}", kind=kind, max_bytes=max_model_bytes)
    return ModelPlan(
        root=str(root), kind="pyfunc", model_file=primary,
        serialization_format=None, predict_fn="predict", loader_module=str(loader),
        sklearn_version=_str_or_none(sk.get("sklearn_version")) if sk else None,
        python_version=python_version, code=checked_code(pyfunc), flavors=names, saved_versions=saved,
        required_versions=required, compression=compression, warnings=tuple(warnings),
    )
