"""The check functions behind the readiness rules (``targets.py`` binds them to targets/kinds).

Each takes a :class:`DeployContext` and returns a :class:`Result`; the ``make_*`` factories
build the target-specific variants. Sources are given where the rules are declared.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any

from mlmanager.core.deploy.azure_scoring import azure_sample
from mlmanager.core.deploy.pins import normalize_name, parse_requirement_line, version_tuple
from mlmanager.core.deploy.request_bodies import check_request, request_for_model
from mlmanager.core.deploy.rules import (
    DeployContext,
    Result,
    fail,
    not_applicable,
    passed,
    warn,
)
from mlmanager.core.environments.requirements import parse_requirements_text
from mlmanager.core.errors import MlmanagerError
from mlmanager.core.inputs.reader import read_csv_input
from mlmanager.core.inputs.validation import validate_input
from mlmanager.core.signature.schema import ColSpec, ScalarType, SparkVectorType
from mlmanager.core.signature.schema.parsing import raw_column_specs
from mlmanager.core.sizes import format_size

Check = Callable[[DeployContext], Result]

#: modules with ``_load_pyfunc`` in mlflow 3.17.2, plus the package names older MLmodels use
MLFLOW_LOADERS = frozenset(
    {
        "mlflow.catboost", "mlflow.diffusers", "mlflow.dspy", "mlflow.dspy.load", "mlflow.h2o",
        "mlflow.johnsnowlabs", "mlflow.keras", "mlflow.keras.load", "mlflow.langchain",
        "mlflow.langchain.model", "mlflow.lightgbm", "mlflow.llama_index",
        "mlflow.llama_index.model", "mlflow.onnx", "mlflow.openai", "mlflow.openai.model",
        "mlflow.paddle", "mlflow.pmdarima", "mlflow.prompt.promptlab_model", "mlflow.prophet",
        "mlflow.pyfunc.loaders.chat_agent", "mlflow.pyfunc.loaders.chat_model",
        "mlflow.pyfunc.loaders.code_model", "mlflow.pyfunc.loaders.responses_agent",
        "mlflow.pyfunc.model", "mlflow.pytorch", "mlflow.sentence_transformers", "mlflow.shap",
        "mlflow.sklearn", "mlflow.spacy", "mlflow.spark", "mlflow.statsmodels",
        "mlflow.tensorflow", "mlflow.transformers", "mlflow.xgboost",
    }
)
#: flavors that need a JVM, GPUs or system packages beyond a pip environment
HEAVY_FLAVORS = ("spark", "h2o", "mleap", "johnsnowlabs", "paddle", "diffusers")
#: Databricks Model Serving: CPU endpoint model memory 4 GB (model-serving-limits page)
DATABRICKS_MEMORY_BYTES = 4 * 1024**3
#: Python versions of Azure's curated MLflow inference images (azureml-assets environment names)
AZURE_IMAGE_PYTHONS = ("3.9", "3.12")




# ---------------------------------------------------------------------------------------------
# MLmodel and files


def check_pyfunc(ctx: DeployContext) -> Result:
    pyfunc = ctx.doc.pyfunc
    if pyfunc is None:
        flavors = ", ".join(ctx.flavor_names) or "none"
        return fail(
            f"no python_function flavor (flavors: {flavors}): the target loads models through "
            "mlflow.pyfunc only",
            "re-log the model with a pyfunc flavor (e.g. an sklearn estimator with predict, or a "
            "custom mlflow.pyfunc.PythonModel), or deploy with your own scoring script",
            "files",
        )
    if not pyfunc.get("loader_module"):
        return fail(
            "flavors.python_function has no loader_module: pyfunc cannot load the model",
            "re-log the model; loader_module names the module with _load_pyfunc (e.g. mlflow.sklearn)",
            "files",
        )
    return passed(f"python_function flavor, loaded by {pyfunc.get('loader_module')}")


def check_loader_module(ctx: DeployContext) -> Result:
    module = ctx.doc.loader_module
    if ctx.doc.pyfunc is None or not module:
        return not_applicable("no python_function loader (see the pyfunc rule)")
    if module in MLFLOW_LOADERS:
        return passed(f"{module} is an MLflow pyfunc loader")
    top = module.split(".")[0]
    if top == "mlflow":
        return warn(
            f"loader_module {module} is not a pyfunc loader of mlflow 3.17.2 (removed or misspelled?)",
            "pin the mlflow version that provides it in requirements.txt, or re-log the model",
            "environment",
        )
    if top in getattr(sys, "stdlib_module_names", ()):
        return fail(
            f"loader_module {module} is a standard-library module without _load_pyfunc: pyfunc cannot load the model",
            "set loader_module to the MLflow module that wrote the model (e.g. mlflow.sklearn)",
            "files",
        )
    names = {r.name for r in ctx.requirement_lines if r.name}
    wanted = normalize_name(top)
    if any(n == wanted or n.startswith(wanted + "-") for n in names):
        return passed(f"third-party loader {module}; {top} is in the requirements")
    return warn(
        f"loader_module {module} is third-party and no requirement provides {top!r}: the serving "
        "environment must install it",
        f"add the package that provides {top} to requirements.txt / conda.yaml",
        "environment",
    )


def _is_code_problem(message: str) -> bool:
    return ".code = " in message or message.startswith(("missing code folder", "code path"))


def check_model_files(ctx: DeployContext) -> Result:
    bad = [p for p in ctx.path_problems if not _is_code_problem(p)]
    if bad:
        return fail(
            "; ".join(bad[:3]) + (f" (and {len(bad) - 3} more)" if len(bad) > 3 else ""),
            "restore the missing files or fix the paths in MLmodel; every path must stay inside the model folder",
            "files",
        )
    return passed("every file the flavors name is inside the model folder")


def check_code_paths(ctx: DeployContext) -> Result:
    code = [p for p in ctx.path_problems if _is_code_problem(p)]
    fields = [
        (name, cfg.get("code")) for name, cfg in ctx.doc.flavors.items()
        if isinstance(cfg, dict) and cfg.get("code") is not None
    ]
    if code:
        return fail(
            "; ".join(code[:3]),
            "put the code folder inside the model folder and name it by a relative path (flavors.*.code)",
            "files",
        )
    if not fields:
        return not_applicable("no code paths")
    return passed(f"code paths inside the model folder: {sorted({str(v) for _, v in fields})}")


def _uses_optional_key(raw: Any) -> bool:
    """Any column written with the 2.5–2.9 ``optional`` key (3.x refuses it wherever it is)."""
    return any("optional" in spec for spec in raw_column_specs(raw))


def check_loadable(ctx: DeployContext) -> Result:
    """MLflow (3.x) must load the MLmodel: signature JSON, dialect, external models."""
    doc = ctx.doc
    meta = doc.metadata
    if isinstance(meta, dict) and meta.get("mlflow.model.isExternal") is True:
        return fail(
            "metadata marks the model as external (mlflow.model.isExternal): mlflow.pyfunc refuses to load it",
            "register the real model artifacts, not the external placeholder",
            "files",
        )
    if doc.signature_raw is not None and doc.signature is None:
        return fail(
            f"the signature cannot be read, so MLflow cannot load the MLmodel: {doc.signature_error}",
            "fix or re-save the signature (mlmanager signature set/edit)",
            "signature",
        )
    if _uses_optional_key(doc.signature_raw):
        pinned = ctx.pinned_version("mlflow")
        if pinned is None or pinned >= (2, 19):
            return fail(
                "the signature uses the 2.5–2.9 'optional' key, which mlflow >= 2.19 (3.x included) "
                "cannot load; the serving environment installs "
                + (f"mlflow {'.'.join(map(str, pinned))}" if pinned else "an unpinned (latest) mlflow"),
                "re-save the signature in the current dialect",
                "signature",
            )
        return warn(
            "the signature uses the 2.5–2.9 'optional' key; it loads with the pinned mlflow but not with mlflow >= 2.19",
            "re-save the signature in the current dialect",
            "signature",
        )
    return passed("MLmodel and its signature load in MLflow 3")


def check_protocol_version(ctx: DeployContext) -> Result:
    v = version_tuple(ctx.doc.mlflow_version)
    if v is None:
        return warn(
            "mlflow_version is not recorded: the request protocol (MLflow 1.x vs 2.x+) is unknown",
            "re-log the model with mlflow >= 2",
            None,
        )
    if v < (2, 0):
        return warn(
            f"written by mlflow {ctx.doc.mlflow_version}: MLflow 1.x used a different request "
            "protocol (pandas-split content types); clients written for it break on 2.x+ servers",
            "re-log the model with mlflow >= 2 (and send the 2.x request bodies shown by `mlmanager payload`)",
            None,
        )
    return passed(f"written by mlflow {ctx.doc.mlflow_version} (2.x+ request protocol)")


def check_signature_present(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None:
        return warn(
            "no signature: the server passes requests to the model unchecked (no schema enforcement)",
            "add a signature (mlmanager signature infer / the signature editor)",
            "signature",
        )
    if sig.inputs is None:
        return warn("the signature has no inputs: requests are not checked", "add an input schema", "signature")
    return passed(f"signature with {len(sig.inputs)} input(s)" + (f" and {len(sig.outputs)} output(s)" if sig.outputs else ""))


def check_signature_types_json(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None or sig.inputs is None:
        return not_applicable("no input schema")
    spark = [s for s in sig.inputs.specs if isinstance(s, ColSpec) and isinstance(s.type, SparkVectorType)]
    if spark:
        return warn(
            f"input {spark[0].describe()} is a Spark ML vector: JSON requests carry plain lists, and "
            "the model needs pyspark in the serving environment",
            "serve this model from Spark, or change the column to array<double>",
            "signature",
        )
    return passed("every input type can be sent in JSON (binary as base64, datetime as ISO text)")


# ---------------------------------------------------------------------------------------------
# Environment


def check_env_files_virtualenv(ctx: DeployContext) -> Result:
    """``mlflow models serve`` default env manager (virtualenv): python_env.yaml, else conda.yaml."""
    names = ctx.env_names
    if ctx.has_python_env:
        penv = ctx.python_env
        refs_requirements = penv is not None and any("requirements.txt" in d for d in penv[1])
        if refs_requirements and not ctx.has_requirements_txt:
            return warn(
                f"{names['virtualenv']} is present but requirements.txt is missing: its "
                "'-r requirements.txt' line cannot be resolved",
                "add requirements.txt (one pinned package per line)",
                "environment",
            )
        return passed(f"{names['virtualenv']} + requirements.txt (used by the default virtualenv env manager)")
    if ctx.has_conda:
        conda = ctx.conda
        if conda is not None and conda[2]:
            return fail(
                f"no {names['virtualenv']}, and {names['conda']} has conda-only packages "
                f"({', '.join(conda[2][:3])}) that the virtualenv env manager cannot install",
                "add python_env.yaml + requirements.txt, or serve with --env-manager conda",
                "environment",
            )
        return warn(
            f"no {names['virtualenv']}: MLflow falls back to {names['conda']} (written by mlflow < 1.26)",
            "add python_env.yaml + requirements.txt",
            "environment",
        )
    return fail(
        "no environment file (python_env.yaml, requirements.txt or conda.yaml): `mlflow models "
        "serve` cannot build the model's environment (only --env-manager local works)",
        "add python_env.yaml + requirements.txt (mlmanager's environment editor)",
        "environment",
    )


def _req_set(lines: list[str]) -> set[str]:
    out = set()
    for line in lines:
        r = parse_requirement_line(line)
        if r.name:
            out.add(f"{r.name}=={r.pinned}" if r.pinned else r.name + ("" if r.line.strip() == r.name else " " + r.line))
    return out


def check_env_consistent(ctx: DeployContext) -> Result:
    problems: list[str] = []
    pythons: dict[str, str] = {}
    if ctx.doc.python_version:
        pythons["MLmodel"] = ctx.doc.python_version
    conda = ctx.conda
    if conda is not None and conda[0]:
        pythons[ctx.env_names["conda"]] = conda[0]
    penv = ctx.python_env
    if penv is not None and penv[0]:
        pythons[ctx.env_names["virtualenv"]] = penv[0]
    minors = {k: ".".join(v.split(".")[:2]) for k, v in pythons.items()}
    if len(set(minors.values())) > 1:
        problems.append("Python versions differ: " + ", ".join(f"{k} {v}" for k, v in pythons.items()))
    req = ctx.requirements_txt
    if req is not None and conda is not None and conda[1]:
        pip = parse_requirements_text("\n".join(conda[1]), ctx._read_text_or_raise)
        a, b = _req_set(req), _req_set(pip)
        if a != b:
            only_r = sorted(a - b)[:4]
            only_c = sorted(b - a)[:4]
            problems.append(
                f"requirements.txt and {ctx.env_names['conda']} list different packages"
                + (f" (only in requirements.txt: {', '.join(only_r)})" if only_r else "")
                + (f" (only in {ctx.env_names['conda']}: {', '.join(only_c)})" if only_c else "")
            )
    if not pythons and req is None and conda is None:
        return not_applicable("no environment files to compare")
    if problems:
        return warn(
            "; ".join(problems) + ": targets read different files (MLflow serve: python_env.yaml + "
            "requirements.txt; Azure: conda.yaml), so they build different environments",
            "make the environment files agree (mlmanager's environment editor rewrites them together)",
            "environment",
        )
    return passed("environment files agree (Python version and packages)")


def make_mlflow_requirement(target: str) -> Check:
    def check(ctx: DeployContext) -> Result:
        req = ctx.requirement("mlflow") or ctx.requirement("mlflow-skinny")
        if req is None:
            if target == "mlflow":
                return fail(
                    "mlflow is not in the model's requirements: `mlflow models serve` does not "
                    "install it (unless --install-mlflow), so the server cannot start",
                    "add mlflow==<version> to requirements.txt and conda.yaml",
                    "environment",
                )
            if target == "azureml":
                return passed("mlflow is not listed; Azure's image provides mlflow-skinny")
            return warn(
                "mlflow is not in the model's requirements; the serving container may install a different version",
                "add mlflow==<version> to requirements.txt",
                "environment",
            )
        if not req.pinned:
            return warn(
                f"mlflow is not pinned ({req.line!r}): the target installs the latest mlflow, which "
                "may not read this model the same way",
                "pin it: mlflow==<the version that wrote the model>",
                "environment",
            )
        return passed(f"mlflow pinned ({req.line})")

    return check


def check_python_recorded(ctx: DeployContext) -> Result:
    version = ctx.requirements.python
    if not version:
        return warn(
            "no Python version recorded (MLmodel python_version, python_env.yaml, conda.yaml): the "
            "environment manager cannot recreate the training interpreter",
            "record python_version (the version the model was trained with)",
            "environment",
        )
    v = version_tuple(version)
    if v is not None and v < (3, 8):
        return warn(
            f"Python {version}: MLflow 2.x and later need Python >= 3.8",
            "re-train or re-log the model with a current Python",
            "environment",
        )
    return passed(f"Python {version} recorded; the environment manager installs it")


def check_serialization(ctx: DeployContext) -> Result:
    doc = ctx.doc
    sk = doc.flavor("sklearn")
    fmt = doc.sklearn_serialization_format
    notes: list[str] = []
    if fmt == "skops" or (doc.flavor("lightgbm") or {}).get("serialization_format") == "skops":
        if ctx.requirement("skops") is None:
            return fail(
                "the model is saved with skops, and skops is not in the requirements: the target "
                "cannot load it",
                "add skops==<version> to requirements.txt and conda.yaml",
                "environment",
            )
        trusted = (sk or {}).get("skops_trusted_types")
        if trusted:
            return warn(
                f"skops_trusted_types lists types MLflow will trust when loading ({trusted!r}); a "
                "hostile list runs code on the server (security.md §0)",
                "remove skops_trusted_types unless you wrote the list yourself",
                "files",
            )
        return passed("skops format (no pickle), skops is in the requirements")
    if fmt in ("pickle", "cloudpickle"):
        notes.append(f"the sklearn model is a {fmt} file")
    if (doc.pyfunc or {}).get("python_model"):
        notes.append("the custom PythonModel is a cloudpickle file")
    if doc.loader_module == "mlflow.pytorch":
        notes.append("the PyTorch model is pickled")
    if notes:
        return warn(
            "; ".join(notes) + ": loading it on the server runs code stored in the file. Deploy "
            "only models whose origin you trust (check it with `mlmanager scan` / the safety panel)",
            "prefer skops for sklearn models (mlflow 3 default), or deploy only trusted files",
            "files",
        )
    return passed("no pickle-based model file found")


# ---------------------------------------------------------------------------------------------
# Requests


def make_example_request(target: str) -> Check:
    def check(ctx: DeployContext) -> Result:
        request, error = ctx.request_for(target)
        if request is None:
            if ctx.signature is None and ctx.doc.saved_input_example_info is None:
                return warn(
                    "no input example and no signature: no request can be built or checked",
                    "log an input example (or add a signature) so requests can be generated",
                    "signature",
                )
            return fail(
                f"the input example cannot be turned into a {target} request: {error}",
                "fix input_example.json or the signature",
                "signature",
            )
        result = check_request(ctx.doc, request.json_text(indent=None), target)
        where = request.source
        if not result.valid:
            first = result.errors[0]
            fix = first.fix or "make the input example and the signature agree"
            if target == "azureml" and first.stage == "schema":
                sample = azure_sample(ctx.doc, ctx.pandas_major)
                fix = (
                    f"Azure's script casts input_data to the dtypes of its {sample.source} sample "
                    f"(pandas {ctx.pandas_major}) and then MLflow enforces the signature strictly: "
                    "declare integer columns as long and decimal columns as double"
                )
            return fail(
                f"the request built from the {where} is rejected: {first.message.splitlines()[0]}",
                fix,
                "signature",
            )
        if request.source == "signature":
            return warn(
                "no input example: the request was built from the signature with placeholder values (it is accepted)",
                "log an input example with real values",
                "files",
            )
        return passed(f"the request built from the {where} is accepted ({request.orient} form)")

    return check


def make_serving_example(target: str) -> Check:
    def check(ctx: DeployContext) -> Result:
        raw = ctx.serving_example_raw
        if raw is None:
            return not_applicable("no serving_input_example.json")
        result = check_request(ctx.doc, raw, target)
        if not result.valid:
            return fail(
                f"serving_input_example.json is rejected: {result.errors[0].message.splitlines()[0]}",
                result.errors[0].fix or "regenerate it from the input example (mlmanager payload)",
                "files",
            )
        return passed("serving_input_example.json is accepted as a request")

    return check


def make_type_hint(target: str) -> Check:
    def check(ctx: DeployContext) -> Result:
        if not ctx.type_hint:
            return not_applicable("the signature does not come from type hints")
        if target == "azureml":
            return fail(
                "the signature comes from PythonModel type hints: the model validates its own input "
                "(e.g. a list of pydantic objects), but Azure's script turns input_data into a "
                "DataFrame or arrays first",
                "deploy with a scoring script that passes the JSON through, or test the endpoint carefully",
                None,
            )
        raw = ctx.serving_example_raw
        if raw is not None:
            import json

            try:
                doc = json.loads(raw)
            except ValueError:
                doc = None
            if isinstance(doc, dict) and "inputs" not in doc and not any(k in doc for k in ("messages", "prompt", "input")):
                return fail(
                    "type-hint signature, but serving_input_example.json does not use 'inputs': the "
                    "server rejects it",
                    'wrap the example as {"inputs": ...}',
                    "files",
                )
        return passed('type-hint signature: requests must use {"inputs": ...} (the generator does)')

    return check


def make_params(target: str, kind: str) -> Check:
    def check(ctx: DeployContext) -> Result:
        sig = ctx.signature
        if sig is None or sig.params is None:
            return not_applicable("no params schema")
        fatal = [i for i in sig.validate() if i.section == "params" and i.fatal]
        if fatal:
            return fail(
                f"the params schema is invalid: {fatal[0].message} (MLflow refuses to load the MLmodel)",
                "fix the param defaults in the signature editor",
                "signature",
            )
        names = ", ".join(p.name for p in sig.params)
        pinned = ctx.pinned_version("mlflow")
        if pinned is not None and pinned < (2, 6):
            return fail(
                f"params ({names}) need mlflow >= 2.6, and the model pins mlflow {'.'.join(map(str, pinned))}",
                "pin mlflow >= 2.6",
                "environment",
            )
        if target == "azureml" and kind == "batch":
            return fail(
                f"the model takes params ({names}), but no-code batch deployments cannot pass them: "
                "every file is scored with the defaults",
                "use an online endpoint, or a batch deployment with a scoring script",
                None,
            )
        if target == "databricks":
            return fail(
                f"params ({names}) are sent as a 'params' sibling by MLflow's protocol; Databricks' "
                "docs do not state this for custom models",
                "test one request with params on the endpoint",
                None,
            )
        where = "a top-level 'params' sibling of input_data" if target == "azureml" else "a top-level 'params' sibling"
        return passed(f"params ({names}) are sent as {where}")

    return check


# ---------------------------------------------------------------------------------------------
# Databricks


def check_uc_signature(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if ctx.doc.signature_raw is not None and sig is None:
        return fail(
            "the signature cannot be read: Unity Catalog registration loads the MLmodel first",
            "fix the signature",
            "signature",
        )
    if sig is None:
        return fail(
            "Model passed for registration did not contain any signature metadata: Unity Catalog "
            "requires a signature with both inputs and outputs",
            "add a signature with inputs and outputs (mlmanager signature infer --outputs)",
            "signature",
        )
    if sig.outputs is None:
        return fail(
            "the signature has only inputs: Unity Catalog requires both input and output type specifications",
            "add an output schema (infer it from predictions)",
            "signature",
        )
    if sig.inputs is None:
        return fail(
            "the signature has no inputs: Unity Catalog requires both input and output type specifications",
            "add an input schema",
            "signature",
        )
    return passed("signature with inputs and outputs (Unity Catalog's requirement)")


def check_dbx_requirements(ctx: DeployContext) -> Result:
    if not ctx.requirements.lines:
        return fail(
            "no requirements (requirements.txt / conda.yaml pip section): the serving container "
            "cannot rebuild the model's environment",
            "add requirements.txt with pinned packages",
            "environment",
        )
    risky = [
        r.line for r in ctx.requirement_lines
        if r.name is None and r.line and not r.line.startswith(("-r", "-c", "--requirement", "--constraint"))
    ]
    unpinned = [r.line for r in ctx.requirement_lines if r.name and not r.pinned and r.name not in ("mlflow",)]
    if risky:
        return fail(
            f"requirements the serving container may not reach: {', '.join(risky[:3])} (local paths, "
            "URLs, private indexes)",
            "publish the packages to a reachable index or bundle wheels with the model",
            "environment",
        )
    if unpinned:
        return fail(
            f"unpinned requirements ({', '.join(unpinned[:4])}): the container installs today's "
            "versions, which may not load the model",
            "pin every package (name==version)",
            "environment",
        )
    return passed("every requirement is a pinned public package")


def check_dbx_model_size(ctx: DeployContext) -> Result:
    size = ctx.total_size
    if size > DATABRICKS_MEMORY_BYTES:
        return fail(
            f"the model folder is {format_size(size)}; CPU serving endpoints give a model 4 GB of memory",
            "use a GPU/large workload size, or shrink the model",
            None,
        )
    return passed(f"model folder {format_size(size)} (CPU endpoints: 4 GB model memory)")


# ---------------------------------------------------------------------------------------------
# Azure ML


def check_azure_conda(ctx: DeployContext) -> Result:
    name = ctx.env_names["conda"]
    if ctx.has_conda:
        conda = ctx.conda
        if conda is None:
            return fail(f"{name} cannot be read as YAML", "rewrite it", "environment")
        return passed(f"{name} present: Azure builds the environment from it (at container start)")
    return fail(
        f"no {name}: Azure ML builds a no-code deployment's environment from the model's conda "
        "dependencies; what it does without them is undocumented (high risk)",
        "add conda.yaml (python + pip section matching requirements.txt)",
        "environment",
    )


def _azure_sample(ctx: DeployContext) -> Any:
    return azure_sample(ctx.doc, ctx.pandas_major)


def check_azure_signature(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None:
        return warn(
            "no signature: Azure generates no swagger schema, checks no types, and parses "
            "input_data by heuristics",
            "add a signature",
            "signature",
        )
    return passed("signature present: Azure generates a swagger contract and checks inputs")


def check_azure_startup(ctx: DeployContext) -> Result:
    if ctx.doc.pyfunc is None:
        return not_applicable("no pyfunc flavor (see the pyfunc rule)")
    sample = _azure_sample(ctx)
    if sample.kind == "crash":
        return fail(
            f"Azure's no-code scoring script would fail to start: {sample.crash}",
            "keep inputs and outputs to scalar column types (or tensors), or deploy with a scoring script",
            "signature",
        )
    if sample.kind in (None, "none") or sample.source in (None, "none"):
        return passed("the scoring script starts (no signature or example: the input is passed through as given)")
    return passed(f"the scoring script starts (input read with a {sample.kind} sample from the {sample.source})")


def check_azure_signature_types(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None or sig.inputs is None or sig.inputs.is_tensor:
        return not_applicable("no ColSpec inputs")
    binary = [s for s in sig.inputs.specs if isinstance(s, ColSpec) and isinstance(s.type, ScalarType) and s.type.name == "binary"]
    if binary:
        return fail(
            f"binary column {binary[0].describe()}: Azure's script does not base64-decode JSON "
            "strings (MLflow's server does), so the model receives the base64 text instead of bytes",
            "decode base64 inside the model, or declare the column as string",
            "signature",
        )
    return passed("every input column type is read the same way by Azure's script")


def check_azure_python(ctx: DeployContext) -> Result:
    version = ctx.requirements.python
    if not version:
        return fail(
            "no Python version recorded; Azure's curated MLflow images run Python 3.9 or 3.12",
            "record python in conda.yaml",
            "environment",
        )
    minor = ".".join(version.split(".")[:2])
    if minor not in AZURE_IMAGE_PYTHONS:
        return fail(
            f"the model wants Python {version}; Azure's curated MLflow images run Python "
            f"{' / '.join(AZURE_IMAGE_PYTHONS)}, so conda installs {minor} at container start (slower start)",
            "nothing to do if the deployment starts; otherwise re-train on Python 3.12",
            "environment",
        )
    return passed(f"Python {version} matches a curated Azure MLflow image")


def check_azure_code(ctx: DeployContext) -> Result:
    base = check_code_paths(ctx)
    if base.status == "fail" or not base.applicable:
        return base
    return fail(
        "the model bundles code paths; Azure's script loads through mlflow.pyfunc.load_model, "
        "which puts them on sys.path, but Azure documents no guarantee",
        "test the deployment once; move the code into a package listed in requirements if it fails",
        "files",
    )


def check_azure_flavor(ctx: DeployContext) -> Result:
    heavy = [f for f in ctx.flavor_names if f in HEAVY_FLAVORS]
    if heavy:
        return fail(
            f"flavor {heavy[0]} needs a JVM, GPUs or system packages that a pip/conda environment "
            "may not provide: no-code deployment may need a custom environment",
            "deploy with a custom environment (and scoring script)",
            "environment",
        )
    return passed("no flavor that needs system packages beyond conda/pip")


def check_batch_input(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None or sig.inputs is None:
        return fail(
            "no input schema: CSV/Parquet files are read without enforcing column types",
            "add a signature",
            "signature",
        )
    if sig.inputs.is_tensor:
        if sig.inputs.has_names:
            return fail(
                "named tensor inputs cannot be fed from CSV/Parquet or image files without a custom batch driver",
                "use a batch deployment with a scoring script",
                None,
            )
        return fail(
            "a TensorSpec input means image files (.png/.jpg/...) on a no-code batch endpoint; "
            "CSV/Parquet files are outside the documented matrix",
            "feed image files, or give the model a ColSpec signature for tabular files",
            "signature",
        )
    if not sig.inputs.has_names:
        return fail(
            "unnamed columns: batch files are matched by header, and this schema has no column names",
            "name the input columns in the signature",
            "signature",
        )
    return passed("ColSpec inputs: score CSV/Parquet files whose header is " + ", ".join(map(str, sig.inputs.names()[:6])))


def check_batch_csv_types(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None or sig.inputs is None or sig.inputs.is_tensor:
        return not_applicable("no ColSpec inputs")
    bad = [
        s for s in sig.inputs.specs
        if isinstance(s, ColSpec) and not (isinstance(s.type, ScalarType) and s.type.name != "binary")
    ]
    if bad:
        return fail(
            f"column {bad[0].describe()} cannot be written in a CSV cell as the model expects it",
            "use Parquet files, or scalar column types",
            "signature",
        )
    return passed("every input column is a scalar type a CSV cell can hold")


def check_batch_csv_example(ctx: DeployContext) -> Result:
    sig = ctx.signature
    if sig is None or sig.inputs is None or sig.inputs.is_tensor:
        return not_applicable("no ColSpec inputs")
    try:
        request = request_for_model(ctx.doc, "mlflow", orient="split")
        text = request.csv_text()
    except MlmanagerError as exc:
        return fail(f"the input example cannot be written as CSV: {exc.message}", "fix input_example.json", "files")
    result = validate_input(sig, read_csv_input(text.encode("utf-8")), "serving")
    if not result.valid:
        return fail(
            "the input example written as a CSV file is rejected when read the way MLflow reads "
            "CSV (with the signature's dtypes; Azure's batch reader is not documented): "
            f"{result.errors[0].message.splitlines()[0]}",
            result.errors[0].fix or "make the example and the signature agree",
            "signature",
        )
    src = "signature placeholders" if request.source == "signature" else "input example"
    return passed(f"the {src} written as CSV reads back with the signature's types")
