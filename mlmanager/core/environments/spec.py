"""What a model needs to run: a Python version and requirements, read from its folder.

The order is MLflow's virtualenv manager's (what ``mlflow models predict --env-manager uv``
installs): ``python_env.yaml`` (python, build_dependencies, dependencies with its
``-r requirements.txt``), else ``requirements.txt``, else the pip section of ``conda.yaml`` (conda
packages outside it mapped to pip names), else the MLmodel's ``python_version`` and the flavor
versions. Where the files disagree (a ``python_env.yaml`` that names a missing
``requirements.txt``, Python versions that differ between files) the spec says which one it
used and why, in ``notes``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from mlmanager.core.environments.conda_names import conda_to_pip
from mlmanager.core.environments.recipe import requirement_name
from mlmanager.core.environments.requirements import (
    MAX_ENV_BYTES,
    parse_python_env_yaml,
    parse_requirements_text,
)
from mlmanager.core.errors import MlmanagerError, ModelReadError
from mlmanager.core.model.artifacts import lexical_escape
from mlmanager.core.model.mlmodel import ModelDocument, load_model
from mlmanager.core.model.yamlio import load_yaml_bytes

#: flavor -> (the MLmodel key holding its library version, the PyPI name)
FLAVOR_PACKAGES: dict[str, tuple[str, str]] = {
    "sklearn": ("sklearn_version", "scikit-learn"),
    "xgboost": ("xgb_version", "xgboost"),
    "lightgbm": ("lgb_version", "lightgbm"),
    "catboost": ("catboost_version", "catboost"),
    "pytorch": ("pytorch_version", "torch"),
    "keras": ("keras_version", "keras"),
    "tensorflow": ("tensorflow_version", "tensorflow"),
    "onnx": ("onnx_version", "onnx"),
    "statsmodels": ("statsmodels_version", "statsmodels"),
    "spark": ("pyspark_version", "pyspark"),
    "h2o": ("h2o_version", "h2o"),
    "prophet": ("prophet_version", "prophet"),
    "transformers": ("transformers_version", "transformers"),
    "paddle": ("paddle_version", "paddlepaddle"),
    "spacy": ("spacy_version", "spacy"),
    "fastai": ("fastai_version", "fastai"),
    "pmdarima": ("pmdarima_version", "pmdarima"),
    "python_function": ("cloudpickle_version", "cloudpickle"),
}
#: packages a flavor needs beyond its own library (unpinned; a dated build picks that day's)
FLAVOR_EXTRAS: dict[str, tuple[str, ...]] = {"onnx": ("onnxruntime",)}


@dataclass(frozen=True)
class EnvironmentSpec:
    """What one model needs. ``requirements`` keep the files' spelling; the recipe normalises."""

    model: str  # the model's location
    python: str | None  # e.g. "3.10.12"; None when no file says
    python_source: str | None  # "python_env.yaml", "MLmodel", "conda.yaml"
    requirements: tuple[str, ...]
    requirements_source: str | None  # e.g. "python_env.yaml + requirements.txt"
    build_dependencies: tuple[str, ...] = ()
    constraints: tuple[str, ...] = ()
    created: datetime | None = None  # the MLmodel's utc_time_created (UTC)
    mlflow_version: str | None = None
    notes: tuple[str, ...] = ()
    problems: tuple[str, ...] = ()

    @property
    def python_minor(self) -> str | None:
        return None if self.python is None else ".".join(self.python.split(".")[:2])

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "python": self.python,
            "python_source": self.python_source,
            "requirements": list(self.requirements),
            "requirements_source": self.requirements_source,
            "build_dependencies": list(self.build_dependencies),
            "constraints": list(self.constraints),
            "created": self.created.isoformat() if self.created else None,
            "mlflow_version": self.mlflow_version,
            "notes": list(self.notes),
            "problems": list(self.problems),
        }


def parse_created(value: Any) -> datetime | None:
    """The MLmodel's ``utc_time_created`` (``2023-07-31 12:00:01.123456``) as an aware UTC time."""
    if value is None:
        return None
    if isinstance(value, datetime):
        dt = value
    else:
        text = str(value).strip().replace("T", " ").rstrip("Z")
        dt = None
        for fmt in ("%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d"):
            try:
                dt = datetime.strptime(text, fmt)
                break
            except ValueError:
                continue
        if dt is None:
            return None
    return dt.replace(tzinfo=timezone.utc) if dt.tzinfo is None else dt.astimezone(timezone.utc)


@dataclass
class _Reader:
    doc: ModelDocument
    problems: list[str] = field(default_factory=list)

    def read(self, rel: str) -> bytes | None:
        if lexical_escape(rel):
            self.problems.append(f"environment file path escapes the model folder: {rel}")
            return None
        if not self.doc.files.exists(rel):
            return None
        try:
            return self.doc.files.read_bytes(rel, max_bytes=MAX_ENV_BYTES)
        except MlmanagerError as exc:
            self.problems.append(f"cannot read {rel}: {exc.message}")
            return None

    def read_reference(self, rel: str) -> str:
        if lexical_escape(rel):
            raise ModelReadError(f"path escapes the model folder: {rel}")
        if not self.doc.files.exists(rel):
            raise ModelReadError("the file is not in the model folder", rel)
        raw = self.doc.files.read_bytes(rel, max_bytes=MAX_ENV_BYTES)
        return raw.decode("utf-8", "replace")

    def requirements(self, lines: list[str], where: str) -> tuple[list[str], list[str], list[str]]:
        """``(requirements, constraints, problems)`` of requirement lines (``-r``/``-c`` read)."""
        problems: list[str] = []
        constraints: list[str] = []
        reqs = parse_requirements_text("\n".join(lines), self.read_reference,
                                       problems=problems, constraints=constraints)
        return reqs, constraints, [f"{where}: {p}" for p in problems]


def _env_file_names(doc: ModelDocument) -> tuple[str, str]:
    conda, virtualenv = "conda.yaml", "python_env.yaml"
    env = doc.pyfunc_env
    if isinstance(env, str):
        conda = env
    elif isinstance(env, dict):
        conda = env["conda"] if isinstance(env.get("conda"), str) else conda
        virtualenv = env["virtualenv"] if isinstance(env.get("virtualenv"), str) else virtualenv
    return conda, virtualenv


def _conda_file(raw: bytes, name: str) -> tuple[str | None, list[str], list[str], list[str]]:
    """``(python, pip requirements, conda packages as pip requirements, notes)``."""
    data = load_yaml_bytes(raw, name, max_bytes=MAX_ENV_BYTES)
    deps = data.get("dependencies") if isinstance(data, dict) else None
    python = None
    pip: list[str] = []
    mapped: list[str] = []
    notes: list[str] = []
    for dep in deps if isinstance(deps, list) else []:
        if isinstance(dep, dict) and isinstance(dep.get("pip"), list):
            pip.extend(str(x) for x in dep["pip"] if x is not None)
        elif isinstance(dep, str | int | float):
            text = str(dep).replace(" ", "")
            if text.startswith("python") and text[6:7] in ("=", "<", ">", "~", "!"):
                python = text[6:].lstrip("=<>~!").split("=")[0] or None
                continue
            line, note = conda_to_pip(str(dep))
            if line is not None:
                mapped.append(line)
            if note:
                notes.append(f"{name}: {note}")
    return python, pip, mapped, notes


def _flavor_requirements(doc: ModelDocument) -> list[str]:
    lines: list[str] = []
    if doc.mlflow_version:
        lines.append(f"mlflow=={doc.mlflow_version}")
    for flavor, cfg in doc.flavors.items():
        if not isinstance(cfg, dict) or flavor not in FLAVOR_PACKAGES:
            continue
        key, package = FLAVOR_PACKAGES[flavor]
        version = cfg.get(key)
        if version is not None and str(version).strip():
            lines.append(f"{package}=={version}")
        lines.extend(FLAVOR_EXTRAS.get(flavor, ()))
    seen: set[str] = set()
    out = []
    for line in lines:
        name = requirement_name(line)
        if name not in seen:
            seen.add(name or line)
            out.append(line)
    return out


def model_location(doc: ModelDocument) -> str:
    """How environments record the model that uses them: an absolute folder path (else the
    source's own location, e.g. a zip)."""
    return os.path.abspath(doc.root) if doc.root is not None else doc.location


def read_spec(model: str | os.PathLike[str] | ModelDocument) -> EnvironmentSpec:
    """Read what ``model`` (a folder, MLmodel file, zip or an open document) needs.

    Raises the model-reading errors of ``load_model``; unreadable environment files are
    ``problems``, not exceptions (the next source is used).
    """
    if isinstance(model, ModelDocument):
        return _read_spec(model)
    with load_model(Path(model)) as doc:
        return _read_spec(doc)


def _read_spec(doc: ModelDocument) -> EnvironmentSpec:
    reader = _Reader(doc)
    notes: list[str] = []
    conda_name, venv_name = _env_file_names(doc)

    # the Python version: python_env.yaml, then MLmodel, then conda.yaml (which one wins is said)
    env_python: str | None = None
    build: list[str] = []
    env_deps: list[str] | None = None
    raw = reader.read(venv_name)
    if raw is not None:
        try:
            env_python, build, deps = parse_python_env_yaml(raw, venv_name)
            env_deps = deps
        except MlmanagerError as exc:
            reader.problems.append(f"cannot read {venv_name}: {exc.message}")

    conda_python: str | None = None
    conda_pip: list[str] = []
    conda_mapped: list[str] = []
    conda_notes: list[str] = []
    conda_raw = reader.read(conda_name)
    if conda_raw is not None:
        try:
            conda_python, conda_pip, conda_mapped, conda_notes = _conda_file(conda_raw, conda_name)
        except MlmanagerError as exc:
            reader.problems.append(f"cannot read {conda_name}: {exc.message}")
            conda_raw = None

    candidates = [(env_python, venv_name), (doc.python_version, "MLmodel"),
                  (conda_python, conda_name)]
    python, python_source = next(((str(v), w) for v, w in candidates if v), (None, None))
    others = sorted({f"{w} says {v}" for v, w in candidates if v and str(v) != python})
    if python and others:
        notes.append(f"Python {python} from {python_source} is used; " + ", ".join(others))

    # the requirements
    requirements: list[str] | None = None
    constraints: list[str] = []
    source: str | None = None
    if env_deps:
        reqs, cons, problems = reader.requirements(env_deps, venv_name)
        missing = [p for p in problems if "not in the model folder" in p or "cannot read" in p]
        if missing:
            notes.append(f"{venv_name} names a requirements file that cannot be read "
                         f"({missing[0].split(': ', 1)[-1]}); using the next source instead")
            reader.problems.extend(problems)
        else:
            requirements, constraints = reqs, cons
            refs = [d.split(maxsplit=1)[1] for d in env_deps
                    if d.strip().startswith(("-r ", "--requirement "))]
            source = venv_name + (f" + {', '.join(refs)}" if refs else "")
            reader.problems.extend(problems)
    if requirements is None:
        raw = reader.read("requirements.txt")
        if raw is not None:
            reqs, cons, problems = reader.requirements(
                raw.decode("utf-8", "replace").splitlines(), "requirements.txt")
            reader.problems.extend(problems)
            requirements, constraints, source = reqs, cons, "requirements.txt"
    if requirements is None and conda_raw is not None and (conda_pip or conda_mapped):
        reqs, cons, problems = reader.requirements(conda_pip, conda_name)
        reader.problems.extend(problems)
        pip_names = {requirement_name(x) for x in reqs}
        extra = [m for m in conda_mapped if requirement_name(m) not in pip_names]
        requirements, constraints, source = extra + reqs, cons, conda_name
        notes.extend(conda_notes)
    if requirements is None:
        requirements = _flavor_requirements(doc)
        if requirements:
            source = "MLmodel (flavor versions)"
            notes.append("no requirements file in the model folder: the requirements are the "
                         "library versions the MLmodel records")
    return EnvironmentSpec(
        model=model_location(doc),
        python=python,
        python_source=python_source,
        requirements=tuple(requirements),
        requirements_source=source,
        build_dependencies=tuple(build),
        constraints=tuple(constraints),
        created=parse_created(doc.utc_time_created),
        mlflow_version=None if doc.mlflow_version is None else str(doc.mlflow_version),
        notes=tuple(notes),
        problems=tuple(reader.problems),
    )
