"""Deployment-readiness rules: what a rule is, what it returns, and the facts it reads.

A :class:`Rule` belongs to one target (``mlflow`` | ``azureml`` | ``databricks``) and one
deployment kind of that target (``serving``, ``online``, ``batch``, ``uc``), names the document
or source code it comes from (``source``; the same text is in ``docs/deploy-rules.md``) and
checks a :class:`DeployContext`. Rules built on facts that deploy-targets.md marks
**UNVERIFIED** are created with ``verified=False``: their failures are reported as warnings.

The context reads each fact once (environment files, artifacts, the input example) and never
runs model code.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Any

from mlmanager.core.deploy.pins import (
    RequirementLine,
    normalize_name,
    pandas_major_of,
    parse_requirement_line,
    pinned_version_of,
)
from mlmanager.core.deploy.request_bodies import request_for_model
from mlmanager.core.environments.requirements import (
    MAX_ENV_BYTES,
    model_requirements,
    parse_python_env_yaml,
    parse_requirements_text,
)
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.model.artifacts import doc_artifacts, lexical_escape, path_problems
from mlmanager.core.model.yamlio import load_yaml_text
from mlmanager.core.signature.examples import MAX_EXAMPLE_BYTES, load_input_example

if TYPE_CHECKING:
    from mlmanager.core.environments.requirements import ModelRequirements
    from mlmanager.core.model.artifacts import Artifact
    from mlmanager.core.model.mlmodel import ModelDocument
    from mlmanager.core.signature.examples import InputExample
    from mlmanager.core.signature.schema import Signature

STATUSES = ("pass", "warn", "fail")
FIX_TARGETS = ("signature", "environment", "files")
TARGET_NAMES = ("mlflow", "azureml", "databricks")
KINDS = {
    "mlflow": ("serving",),
    "azureml": ("online", "batch"),
    "databricks": ("uc", "serving"),
}
KIND_TITLES = {
    ("mlflow", "serving"): "MLflow scoring server (mlflow models serve)",
    ("azureml", "online"): "Azure ML managed online endpoint (no-code MLflow deployment)",
    ("azureml", "batch"): "Azure ML batch endpoint (no-code MLflow deployment)",
    ("databricks", "uc"): "Databricks Unity Catalog registration",
    ("databricks", "serving"): "Databricks Model Serving (custom model endpoint)",
}


@dataclass(frozen=True)
class Result:
    """What one rule found. ``fix_target`` says which editor fixes it (signature/environment/files)."""

    status: str  # pass | warn | fail
    reason: str
    fix: str | None = None
    fix_target: str | None = None
    applicable: bool = True

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")
        if self.fix_target is not None and self.fix_target not in FIX_TARGETS:
            raise ValueError(f"unknown fix_target {self.fix_target!r}")


def passed(reason: str) -> Result:
    return Result("pass", reason)


def not_applicable(reason: str) -> Result:
    return Result("pass", reason, applicable=False)


def warn(reason: str, fix: str | None = None, fix_target: str | None = None) -> Result:
    return Result("warn", reason, fix, fix_target)


def fail(reason: str, fix: str | None = None, fix_target: str | None = None) -> Result:
    return Result("fail", reason, fix, fix_target)


@dataclass(frozen=True)
class Rule:
    """One readiness rule of one target/kind. ``verified=False``: a failure is only a warning."""

    id: str
    target: str
    kind: str
    title: str
    source: str
    check: Callable[[DeployContext], Result] = field(repr=False, compare=False)
    verified: bool = True

    def evaluate(self, ctx: DeployContext) -> Outcome:
        try:
            result = self.check(ctx)
        except MlmanagerError as exc:
            result = warn(f"the check could not run: {exc}", "fix the file named above", "files")
        except Exception as exc:  # noqa: BLE001 - one broken check must not hide the others
            result = warn(
                f"the check could not run ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''})",
                "please report this model to the mlmanager developers",
                None,
            )
        if not self.verified and result.status == "fail":
            result = Result(
                "warn",
                f"{result.reason} (not verified against the target's documentation, so only a warning)",
                result.fix,
                result.fix_target,
                result.applicable,
            )
        return Outcome(self, result)


@dataclass(frozen=True)
class Outcome:
    rule: Rule
    result: Result

    @property
    def status(self) -> str:
        return self.result.status

    def to_json(self) -> dict[str, Any]:
        r = self.result
        return {
            "id": self.rule.id,
            "target": self.rule.target,
            "kind": self.rule.kind,
            "title": self.rule.title,
            "status": r.status,
            "applicable": r.applicable,
            "reason": r.reason,
            "fix": r.fix,
            "fix_target": r.fix_target,
            "source": self.rule.source,
            "verified": self.rule.verified,
        }


# ---------------------------------------------------------------------------------------------
# The facts a rule reads


class DeployContext:
    """Lazily computed facts about one model (the document stays open while it is used)."""

    def __init__(self, doc: ModelDocument) -> None:
        self.doc = doc
        self._request_cache: dict[tuple[str, str | None], Any] = {}

    # -- MLmodel -----------------------------------------------------------------------------

    @property
    def signature(self) -> Signature | None:
        return self.doc.signature

    @property
    def type_hint(self) -> bool:
        return self.doc.is_signature_from_type_hint is True

    @cached_property
    def flavor_names(self) -> list[str]:
        return self.doc.flavor_names

    # -- files -------------------------------------------------------------------------------

    @cached_property
    def artifacts(self) -> list[Artifact]:
        try:
            return doc_artifacts(self.doc)
        except MlmanagerError:
            return []

    @cached_property
    def total_size(self) -> int:
        return sum(a.size for a in self.artifacts if a.kind not in ("symlink", "special"))

    @cached_property
    def path_problems(self) -> list[str]:
        return path_problems(self.doc)

    def exists(self, rel: str) -> bool:
        try:
            return self.doc.files.exists(rel)
        except MlmanagerError:
            return False

    # -- environment -------------------------------------------------------------------------

    @cached_property
    def env_names(self) -> dict[str, str]:
        """``{"conda": ..., "virtualenv": ...}`` file names as MLmodel names them."""
        names = {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
        env = self.doc.pyfunc_env
        if isinstance(env, str):
            names["conda"] = env
        elif isinstance(env, dict):
            for key in ("conda", "virtualenv"):
                if isinstance(env.get(key), str) and env[key]:
                    names[key] = env[key]
        return names

    @cached_property
    def has_conda(self) -> bool:
        return self.exists(self.env_names["conda"])

    @cached_property
    def has_python_env(self) -> bool:
        return self.exists(self.env_names["virtualenv"])

    @cached_property
    def has_requirements_txt(self) -> bool:
        return self.exists("requirements.txt")

    def _read_text(self, rel: str) -> str | None:
        if lexical_escape(rel) or not self.exists(rel):
            return None
        try:
            return self.doc.files.read_bytes(rel, max_bytes=MAX_ENV_BYTES).decode("utf-8", "replace")
        except MlmanagerError:
            return None

    @cached_property
    def conda(self) -> tuple[str | None, list[str], list[str]] | None:
        """``(python, pip lines, other conda deps)`` of the conda file, None when absent/unreadable."""
        text = self._read_text(self.env_names["conda"])
        if text is None:
            return None
        try:
            data = load_yaml_text(text, self.env_names["conda"])
        except MlmanagerError:
            return None
        python = None
        pip: list[str] = []
        other: list[str] = []
        deps = data.get("dependencies") if isinstance(data, dict) else None
        for dep in deps if isinstance(deps, list) else []:
            if isinstance(dep, str):
                spec = dep.replace(" ", "")
                base = re.split(r"[=<>!~]", spec, maxsplit=1)[0]
                if base == "python":
                    python = spec[len("python"):].lstrip("=<>~!") or None
                elif base not in ("pip", "setuptools", "wheel"):
                    other.append(dep)
            elif isinstance(dep, dict) and isinstance(dep.get("pip"), list):
                pip.extend(str(x) for x in dep["pip"] if x is not None)
        return python, pip, other

    @cached_property
    def python_env(self) -> tuple[str | None, list[str]] | None:
        text = self._read_text(self.env_names["virtualenv"])
        if text is None:
            return None
        try:
            python, _build, deps = parse_python_env_yaml(text.encode("utf-8"), self.env_names["virtualenv"])
        except MlmanagerError:
            return None
        return python, deps

    @cached_property
    def requirements_txt(self) -> list[str] | None:
        text = self._read_text("requirements.txt")
        if text is None:
            return None
        return parse_requirements_text(text, self._read_text_or_raise)

    def _read_text_or_raise(self, rel: str) -> str:
        text = self._read_text(rel)
        if text is None:
            raise MlmanagerError(f"cannot read {rel}")
        return text

    @cached_property
    def requirements(self) -> ModelRequirements:
        return model_requirements(self.doc)

    @cached_property
    def requirement_lines(self) -> list[RequirementLine]:
        return [parse_requirement_line(line) for line in self.requirements.lines]

    def requirement(self, name: str) -> RequirementLine | None:
        key = normalize_name(name)
        return next((req for req in self.requirement_lines if req.name == key), None)

    def pinned_version(self, name: str) -> tuple[int, ...] | None:
        return pinned_version_of(self.requirement_lines, name)

    @cached_property
    def pandas_major(self) -> int:
        """The pandas major version a fresh serving environment gets (pinned, else the latest: 3)."""
        return pandas_major_of(self.requirement_lines)

    # -- examples ------------------------------------------------------------------------------

    @cached_property
    def example(self) -> InputExample | None:
        try:
            return load_input_example(self.doc)
        except MlmanagerError as exc:
            self.example_error = str(exc)
            return None

    example_error: str | None = None

    @cached_property
    def serving_example_raw(self) -> bytes | None:
        info = self.doc.saved_input_example_info or {}
        rel = info.get("serving_input_path")
        if not isinstance(rel, str) or not rel:
            return None
        try:
            return self.doc.files.read_bytes(rel, max_bytes=MAX_EXAMPLE_BYTES)
        except MlmanagerError:
            return None

    def request_for(self, target: str) -> Any:
        """``(TargetRequest | None, error text | None)`` built from the model's own example."""
        key = (target, None)
        if key not in self._request_cache:
            try:
                self._request_cache[key] = (request_for_model(self.doc, target), None)
            except MlmanagerError as exc:
                self._request_cache[key] = (None, exc.message)
        return self._request_cache[key]
