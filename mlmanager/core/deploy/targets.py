"""The rule sets of each deployment target, and running them on a model.

Targets and their deployment kinds:

* ``mlflow`` — ``serving``: ``mlflow models serve`` (default env manager: virtualenv);
* ``azureml`` — ``online`` (managed online endpoint, no-code MLflow deployment) and ``batch``
  (batch endpoint, no-code);
* ``databricks`` — ``uc`` (Unity Catalog registration) and ``serving`` (Model Serving).

Every rule's ``source`` names the section of docs/deploy-targets.md (and through it the official
doc or source file) or docs/mlflow-format.md / docs/security.md it implements; docs/deploy-rules.md
lists them all. A test keeps that file and this table in step.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from mlmanager.core.deploy import checks as c
from mlmanager.core.deploy.rules import (
    KIND_TITLES,
    TARGET_NAMES,
    DeployContext,
    Outcome,
    Rule,
)
from mlmanager.core.model.mlmodel import ModelDocument, load_model

DT = "deploy-targets.md"
MF = "mlflow-format.md"
SEC = "security.md"
AZ_SCRIPT = (
    "Azure/azureml-assets assets/inference/environments/mlflow-py312-inference/context/"
    "mlflow_score_script.py, run with azureml-inference-server-http 1.5.1"
)


def _rule(rid: str, target: str, kind: str, title: str, source: str, check: Any, verified: bool = True) -> Rule:
    return Rule(rid, target, kind, title, source, check, verified)


def _mlflow_rules() -> list[Rule]:
    t, k = "mlflow", "serving"
    return [
        _rule("mlflow.pyfunc-flavor", t, k, "python_function flavor with a loader",
              f"{DT} §1 'Readiness check' [V-src MLF-server]; {MF} §3.1", c.check_pyfunc),
        _rule("mlflow.loader-module", t, k, "the loader module exists where the model is served",
              f"{MF} §3.1 loader_module table; mlflow 3.17.2 modules defining _load_pyfunc",
              c.check_loader_module),
        _rule("mlflow.model-files", t, k, "files named by MLmodel exist inside the folder",
              f"{MF} §1, §3.1 (paths are relative to the model directory)", c.check_model_files),
        _rule("mlflow.code-paths", t, k, "code paths inside the model folder",
              f"{MF} §3.1 'code' (put on sys.path at load); {SEC} §1", c.check_code_paths),
        _rule("mlflow.loadable", t, k, "MLflow 3 can load the MLmodel",
              f"{MF} §2.2 (mlflow.model.isExternal), §4.1 (signature JSON), §4.2 ('optional' key fails in >= 2.19)",
              c.check_loadable),
        _rule("mlflow.protocol-version", t, k, "written by MLflow >= 2 (request protocol)",
              f"{DT} §5 R2; {DT} §1 content types (1.x 'format=pandas-split' gets 415)",
              c.check_protocol_version),
        _rule("mlflow.signature", t, k, "signature present (schema enforcement)",
              f"{MF} §6.1 ('No signature -> data is passed unchanged')", c.check_signature_present),
        _rule("mlflow.signature-types", t, k, "input types expressible in JSON requests",
              f"{MF} §4.4, §4.6, §5.4 (binary base64, datetime pd.to_datetime)", c.check_signature_types_json),
        _rule("mlflow.env-files", t, k, "environment files for the default virtualenv env manager",
              f"{DT} §1 Environment [V-src utils/cli_args.py]; mlflow 3.17.2 utils/virtualenv.py::_get_python_env",
              c.check_env_files_virtualenv),
        _rule("mlflow.env-consistent", t, k, "environment files agree",
              f"{MF} §7 (conda.yaml, python_env.yaml, requirements.txt written together)", c.check_env_consistent),
        _rule("mlflow.mlflow-requirement", t, k, "mlflow pinned in the requirements",
              f"{MF} §7 (mlflow pinned since 2.x); mlflow 3.17.2 pyfunc/backend.py (install_mlflow=False by default)",
              c.make_mlflow_requirement(t)),
        _rule("mlflow.python-version", t, k, "Python version recorded",
              f"{MF} §3.1 python_version, §7 python_env.yaml", c.check_python_recorded),
        _rule("mlflow.serialization", t, k, "serialization format and trust",
              f"{MF} §3.2 (pickle/cloudpickle/skops, skops needs skops); {SEC} §0, §1", c.check_serialization),
        _rule("mlflow.input-example", t, k, "the input example as a request is accepted",
              f"{MF} §5.3, §5.4 (serving casts before it enforces); {DT} §1 JSON body",
              c.make_example_request(t)),
        _rule("mlflow.serving-example", t, k, "serving_input_example.json is accepted",
              f"{MF} §5.3 (log_model only warns when it fails)", c.make_serving_example(t)),
        _rule("mlflow.type-hint", t, k, "type-hint signatures use 'inputs'",
              f"{DT} §1 ('Models whose signature comes from type hints need {{\"inputs\": ...}}'); {MF} §6.8",
              c.make_type_hint(t)),
        _rule("mlflow.params", t, k, "params schema usable",
              f"{DT} §1 (params sibling), §5 R9; {MF} §4.8, §6.7", c.make_params(t, k)),
    ]


def _azure_online_rules() -> list[Rule]:
    t, k = "azureml", "online"
    return [
        _rule("azureml.online.pyfunc-flavor", t, k, "pyfunc flavor (no-code deployment)",
              f"{DT} §2.2 [V-doc AML-online NOTE: autogeneration only for pyfunc]", c.check_pyfunc),
        _rule("azureml.online.loadable", t, k, "MLflow can load the MLmodel",
              f"{MF} §2.2, §4.1, §4.2; {DT} §2.3 (the script calls Model.load)", c.check_loadable),
        _rule("azureml.online.model-files", t, k, "files named by MLmodel exist inside the folder",
              f"{MF} §1, §3.1", c.check_model_files),
        _rule("azureml.online.conda-env", t, k, "conda.yaml present",
              f"{DT} §2.5 R5 [V-doc AML-guide/AML-online/AML-concept; fallback UNVERIFIED]",
              c.check_azure_conda, verified=False),
        _rule("azureml.online.env-consistent", t, k, "environment files agree",
              f"{MF} §7; {DT} §2.5 (Azure reads conda.yaml)", c.check_env_consistent),
        _rule("azureml.online.mlflow-requirement", t, k, "mlflow pinned when listed",
              f"{DT} §2.5 MLflow version [UNVERIFIED exact precedence]", c.make_mlflow_requirement(t),
              verified=False),
        _rule("azureml.online.mlflow-version", t, k, "written by MLflow >= 2 (request protocol)",
              f"{DT} §2.5 + §5 R2 [V-doc AML-online: formats differ between 1.x and 2.x]", c.check_protocol_version),
        _rule("azureml.online.python-version", t, k, "Python version vs the curated images",
              f"{DT} §2.5 MLflow version [UNVERIFIED that a mismatch fails]; azureml-assets mlflow-py312/py39 images",
              c.check_azure_python, verified=False),
        _rule("azureml.online.signature", t, k, "signature present (swagger, type checks)",
              f"{DT} §2.4 R4 [V-doc AML-concept, V-src AML-script]", c.check_azure_signature),
        _rule("azureml.online.startup", t, k, "the no-code scoring script starts",
              f"{DT} §2.3-§2.4 [V-src {AZ_SCRIPT}: start-up sample from example/signature]; verified "
              "by running the real script (docs/deploy-rules.md 'Azure oracle')", c.check_azure_startup),
        _rule("azureml.online.signature-types", t, k, "input types read the same way as MLflow",
              f"[V-src {AZ_SCRIPT} + inference-schema 1.8 PandasParameterType (no base64 decoding)]",
              c.check_azure_signature_types),
        _rule("azureml.online.input-example", t, k, "the input example as input_data is accepted",
              f"{DT} §2.3 input structure [V-doc AML-guide, V-src AML-script]; oracle-checked",
              c.make_example_request(t)),
        _rule("azureml.online.type-hint", t, k, "type-hint signatures",
              f"{MF} §6.8; {DT} §2.3 (input_data is turned into DataFrame/arrays) [UNVERIFIED]",
              c.make_type_hint(t), verified=False),
        _rule("azureml.online.params", t, k, "params passed as a sibling of input_data",
              f"{DT} §2.3 [V-src AML-script: @input_schema('params', optional=True)]", c.make_params(t, k)),
        _rule("azureml.online.code-paths", t, k, "code paths",
              f"{DT} §2.5 R12 [UNVERIFIED]; {MF} §3.1", c.check_azure_code, verified=False),
        _rule("azureml.online.flavor", t, k, "flavors that need a custom environment",
              f"{DT} §2.2 (Spark/MLlib etc.) [UNVERIFIED]", c.check_azure_flavor, verified=False),
        _rule("azureml.online.serialization", t, k, "serialization format and trust",
              f"{MF} §3.2; {SEC} §0, §1", c.check_serialization),
    ]


def _azure_batch_rules() -> list[Rule]:
    t, k = "azureml", "batch"
    return [
        _rule("azureml.batch.pyfunc-flavor", t, k, "pyfunc flavor (no-code batch)",
              f"{DT} §3 [V-doc AML-batch 'Examine flavor support']", c.check_pyfunc),
        _rule("azureml.batch.conda-env", t, k, "conda.yaml present",
              f"{DT} §2.5 R5 [UNVERIFIED fallback]", c.check_azure_conda, verified=False),
        _rule("azureml.batch.file-input", t, k, "signature fits file inputs (CSV/Parquet or images)",
              f"{DT} §3 R7 file types [V-doc AML-batch; matrix edges UNVERIFIED]", c.check_batch_input,
              verified=False),
        _rule("azureml.batch.csv-types", t, k, "column types a CSV cell can hold",
              f"{DT} §3 (signature enforced while reading files) [UNVERIFIED]", c.check_batch_csv_types,
              verified=False),
        _rule("azureml.batch.csv-example", t, k, "the input example as a CSV file reads back",
              f"{DT} §3 (enforcement while reading, e.g. 'invalid literal for int()') [UNVERIFIED reader]; "
              f"{MF} §5.4 CSV read with the schema's dtypes", c.check_batch_csv_example, verified=False),
        _rule("azureml.batch.params", t, k, "params cannot be passed",
              f"{DT} §3 [UNVERIFIED: params not documented for no-code batch]", c.make_params(t, k),
              verified=False),
        _rule("azureml.batch.serialization", t, k, "serialization format and trust",
              f"{MF} §3.2; {SEC} §0, §1", c.check_serialization),
    ]


def _databricks_rules() -> list[Rule]:
    t = "databricks"
    return [
        _rule("databricks.uc.signature", t, "uc", "signature with inputs and outputs",
              f"{DT} §4.1 R3 [V-src mlflow 3.17.2 store/_unity_catalog/registry/rest_store.py "
              "_validate_model_signature; V-doc DBX-upgrade]", c.check_uc_signature),
        _rule("databricks.uc.loadable", t, "uc", "MLflow can load the MLmodel",
              f"{DT} §4.1 (Model.load must succeed); {MF} §4.1, §4.2", c.check_loadable),
        _rule("databricks.serving.pyfunc-flavor", t, "serving", "pyfunc flavor (custom model)",
              f"{DT} §4.2 (custom = pyfunc models) [V-doc DBX-score]", c.check_pyfunc),
        _rule("databricks.serving.model-files", t, "serving", "files named by MLmodel exist inside the folder",
              f"{MF} §1, §3.1", c.check_model_files),
        _rule("databricks.serving.code-paths", t, "serving", "code paths inside the model folder",
              f"{MF} §3.1; {SEC} §1", c.check_code_paths),
        _rule("databricks.serving.requirements", t, "serving", "pinned, reachable requirements",
              f"{DT} §4.2 'Other checks' [UNVERIFIED]", c.check_dbx_requirements, verified=False),
        _rule("databricks.serving.mlflow-requirement", t, "serving", "mlflow pinned",
              f"{MF} §7; {DT} §4.2 [UNVERIFIED]", c.make_mlflow_requirement(t), verified=False),
        _rule("databricks.serving.env-consistent", t, "serving", "environment files agree",
              f"{MF} §7", c.check_env_consistent),
        _rule("databricks.serving.signature-types", t, "serving", "input types expressible in JSON requests",
              f"{DT} §4.2 (MLflow protocol); {MF} §4.6, §5.4", c.check_signature_types_json),
        _rule("databricks.serving.input-example", t, "serving", "the input example as a request is accepted",
              f"{DT} §4.2 body keys [V-doc DBX-sdk-r, DBX-score]; {MF} §5.4; 16 MB limit "
              "(docs.databricks.com model-serving-limits)", c.make_example_request(t)),
        _rule("databricks.serving.serving-example", t, "serving", "serving_input_example.json is accepted",
              f"{MF} §5.3; {DT} §4.2", c.make_serving_example(t)),
        _rule("databricks.serving.type-hint", t, "serving", "type-hint signatures use 'inputs'",
              f"{DT} §1, §4.2 (same protocol)", c.make_type_hint(t)),
        _rule("databricks.serving.params", t, "serving", "params",
              f"{DT} §4.2 [UNVERIFIED from Databricks docs]", c.make_params(t, "serving"), verified=False),
        _rule("databricks.serving.model-size", t, "serving", "model fits CPU endpoint memory",
              "docs.databricks.com/aws/en/machine-learning/model-serving/model-serving-limits "
              "(CPU endpoint model memory 4 GB) [UNVERIFIED: disk size vs memory]",
              c.check_dbx_model_size, verified=False),
        _rule("databricks.serving.serialization", t, "serving", "serialization format and trust",
              f"{MF} §3.2; {SEC} §0, §1", c.check_serialization),
    ]


RULES: dict[str, list[Rule]] = {
    "mlflow": _mlflow_rules(),
    "azureml": _azure_online_rules() + _azure_batch_rules(),
    "databricks": _databricks_rules(),
}
ALL_RULES: list[Rule] = [r for rules in RULES.values() for r in rules]

#: informational notes per target/kind (not rules: nothing in the folder can make them fail)
NOTES: dict[tuple[str, str], list[tuple[str, str]]] = {
    ("mlflow", "serving"): [
        ("Try it locally: mlflow models serve -m MODEL --env-manager local (or mlmanager's 'try on a local server').",
         f"{DT} §1"),
    ],
    ("azureml", "online"): [
        ("Only registered models (type mlflow_model) can be deployed without code: register the folder first "
         "(az ml model create --type mlflow_model --path MODEL).", f"{DT} §2.1 [V-doc AML-online]"),
        ("Packages are installed at container start; workspaces without public network access must package the "
         "model first (--with-package).", f"{DT} §2.5 R10 [V-doc AML-egress]"),
        ("Local endpoints (--local) do not support no-code MLflow deployment.", f"{DT} §2.6 R11 [V-doc AML-online]"),
        ("The response is a plain JSON list (no 'predictions' key).", f"{DT} §2.3 [V-doc + V-src]"),
    ],
    ("azureml", "batch"): [
        ("Inputs are files in a flat folder (nested folders are not read); predict() runs once per file, and one "
         "unsupported file fails the whole job.", f"{DT} §3 [V-doc AML-batch]"),
        ("The azureml-mlflow deployment client cannot create batch deployments; use the az ml CLI or SDK v2.",
         f"{DT} §2.6 [V-doc AML-guide]"),
    ],
    ("databricks", "uc"): [
        ("Unity Catalog model names have three levels: catalog.schema.model (registry URI databricks-uc).",
         f"{DT} §4.1"),
    ],
    ("databricks", "serving"): [
        ("Requests: POST <workspace>/serving-endpoints/<name>/invocations with a bearer token; at most 16 MB each.",
         f"{DT} §4.2; model-serving-limits"),
    ],
}


def rules_for(target: str) -> list[Rule]:
    if target not in RULES:
        raise ValueError(f"unknown target {target!r}; choose one of {TARGET_NAMES}")
    return list(RULES[target])


def rule_by_id(rule_id: str) -> Rule:
    for r in ALL_RULES:
        if r.id == rule_id:
            return r
    raise KeyError(rule_id)


@dataclass
class TargetReport:
    target: str
    outcomes: list[Outcome] = field(default_factory=list)

    @property
    def status(self) -> str:
        statuses = {o.status for o in self.outcomes}
        return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"

    def kind_status(self, kind: str) -> str:
        statuses = {o.status for o in self.outcomes if o.rule.kind == kind}
        return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"

    @property
    def kinds(self) -> list[str]:
        out: list[str] = []
        for o in self.outcomes:
            if o.rule.kind not in out:
                out.append(o.rule.kind)
        return out


@dataclass
class DeployReport:
    """The readiness verdict of one model for one or more targets."""

    location: str
    targets: list[TargetReport]
    size_bytes: int = 0

    @property
    def status(self) -> str:
        statuses = {t.status for t in self.targets}
        return "fail" if "fail" in statuses else "warn" if "warn" in statuses else "pass"

    @property
    def outcomes(self) -> list[Outcome]:
        return [o for t in self.targets for o in t.outcomes]

    def outcome(self, rule_id: str) -> Outcome:
        for o in self.outcomes:
            if o.rule.id == rule_id:
                return o
        raise KeyError(rule_id)

    def to_json(self) -> dict[str, Any]:
        return {
            "model": self.location,
            "status": self.status,
            "size_bytes": self.size_bytes,
            "targets": [
                {
                    "target": t.target,
                    "status": t.status,
                    "kinds": [
                        {
                            "kind": k,
                            "title": KIND_TITLES[(t.target, k)],
                            "status": t.kind_status(k),
                            "notes": [{"text": n, "source": s} for n, s in NOTES.get((t.target, k), [])],
                        }
                        for k in t.kinds
                    ],
                    "rules": [o.to_json() for o in t.outcomes],
                }
                for t in self.targets
            ],
        }


def check_deploy(model: Any, targets: str | list[str] | tuple[str, ...] = TARGET_NAMES) -> DeployReport:
    """Run every rule of ``targets`` on ``model`` (a path or a loaded ModelDocument).

    Raises the loader's errors (ModelReadError and subclasses) when the model cannot be read.
    """
    names = [targets] if isinstance(targets, str) else list(targets)
    if names == ["all"]:
        names = list(TARGET_NAMES)
    for n in names:
        if n not in RULES:
            raise ValueError(f"unknown target {n!r}; choose one of {TARGET_NAMES}")
    if isinstance(model, ModelDocument):
        return _run(model, names)
    with load_model(os.fspath(model)) as doc:
        return _run(doc, names)


def _run(doc: Any, names: list[str]) -> DeployReport:
    ctx = DeployContext(doc)
    reports = [TargetReport(n, [r.evaluate(ctx) for r in RULES[n]]) for n in names]
    return DeployReport(doc.location, reports, ctx.total_size)
