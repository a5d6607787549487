"""Deployment-readiness rules: every rule passes on one real model folder and fails on another.

Model folders are copies of the shared corpus with one edit each (MLmodel, env files, files).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml
from corpus_paths import MODELS

from mlmanager.cli.deploy import format_deploy_report
from mlmanager.core.deploy import checks
from mlmanager.core.deploy.pins import parse_requirement_line
from mlmanager.core.deploy.rules import DeployContext, Result, Rule
from mlmanager.core.deploy.targets import ALL_RULES, NOTES, check_deploy, rule_by_id, rules_for
from mlmanager.core.model.mlmodel import load_model

REPO = Path(__file__).resolve().parents[3]


Edit = Callable[[Path], None]


# ---------------------------------------------------------------------------------------------
# Editing helpers


def mlmodel(folder: Path, fn: Callable[[dict], None]) -> None:
    path = folder / "MLmodel"
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, default_flow_style=False))


def set_inputs(folder: Path, specs: list[dict]) -> None:
    def fn(d: dict) -> None:
        d["signature"]["inputs"] = json.dumps(specs)

    mlmodel(folder, fn)


def iris_inputs() -> list[dict]:
    names = ["sepal length (cm)", "sepal width (cm)", "petal length (cm)", "petal width (cm)"]
    return [{"type": "double", "name": n, "required": True} for n in names]


def rewrite(folder: Path, name: str, fn: Callable[[str], str]) -> None:
    path = folder / name
    path.write_text(fn(path.read_text()))


def drop_requirement(folder: Path, package: str) -> None:
    pattern = re.compile(rf"^\s*-?\s*{re.escape(package)}(==.*)?\s*$", re.MULTILINE)
    for name in ("requirements.txt", "conda.yaml"):
        rewrite(folder, name, lambda t: "\n".join(x for x in t.splitlines() if not pattern.match(x)) + "\n")


def replace_requirement(folder: Path, old: str, new: str) -> None:
    for name in ("requirements.txt", "conda.yaml"):
        rewrite(folder, name, lambda t: t.replace(old, new))


def set_python(folder: Path, version: str) -> None:
    mlmodel(folder, lambda d: d["flavors"]["python_function"].__setitem__("python_version", version))
    rewrite(folder, "conda.yaml", lambda t: re.sub(r"python=[\d.]+", f"python={version}", t))
    rewrite(folder, "python_env.yaml", lambda t: re.sub(r"python: [\d.]+", f"python: {version}", t))


def no_python(folder: Path) -> None:
    mlmodel(folder, lambda d: d["flavors"]["python_function"].pop("python_version"))
    rewrite(folder, "conda.yaml", lambda t: re.sub(r"- python=[\d.]+\n", "", t))
    rewrite(folder, "python_env.yaml", lambda t: re.sub(r"python: [\d.]+\n", "", t))


def add_code_dir(folder: Path) -> None:
    (folder / "code").mkdir()
    (folder / "code" / "helpers.py").write_text("X = 1\n")
    mlmodel(folder, lambda d: d["flavors"]["python_function"].__setitem__("code", "code"))


def rename_first_column(folder: Path) -> None:
    specs = iris_inputs()
    specs[0]["name"] = "sepal_length"
    set_inputs(folder, specs)


def add_column(folder: Path, spec: dict) -> None:
    set_inputs(folder, [*iris_inputs(), spec])


def type_hint(folder: Path) -> None:
    mlmodel(folder, lambda d: d.__setitem__("is_signature_from_type_hint", True))


def type_hint_with_inputs_example(folder: Path) -> None:
    type_hint(folder)
    (folder / "serving_input_example.json").write_text(json.dumps({"inputs": [[5.1, 3.5, 1.4, 0.2]]}))


def remove(*names: str) -> Edit:
    def fn(folder: Path) -> None:
        for n in names:
            target = folder / n
            if target.is_dir():
                shutil.rmtree(target)
            else:
                target.unlink()

    return fn


def chain(*edits: Edit) -> Edit:
    def fn(folder: Path) -> None:
        for e in edits:
            e(folder)

    return fn


def no_signature(folder: Path) -> None:
    mlmodel(folder, lambda d: [d.pop(k, None) for k in ("signature", "is_signature_from_type_hint", "type_hint_from_example")])


def no_pyfunc(folder: Path) -> None:
    mlmodel(folder, lambda d: d["flavors"].pop("python_function"))


def loader(name: str) -> Edit:
    return lambda f: mlmodel(f, lambda d: d["flavors"]["python_function"].__setitem__("loader_module", name))


def outputs(value: str | None) -> Edit:
    return lambda f: mlmodel(f, lambda d: d["signature"].__setitem__("outputs", value))


def bad_signature_json(folder: Path) -> None:
    mlmodel(folder, lambda d: d["signature"].__setitem__("inputs", '[{"type": "double"'))


def mlflow_version(v: str) -> Edit:
    return lambda f: mlmodel(f, lambda d: d.__setitem__("mlflow_version", v))


def pin_old_mlflow(folder: Path) -> None:
    replace_requirement(folder, "mlflow==3.17.2", "mlflow==2.5.0")


def unpin_mlflow(folder: Path) -> None:
    replace_requirement(folder, "mlflow==3.17.2", "mlflow")


def add_flavor(name: str) -> Edit:
    return lambda f: mlmodel(f, lambda d: d["flavors"].__setitem__(name, {"spark_version": "3.5.0"}))


def bad_serving_example(folder: Path) -> None:
    (folder / "serving_input_example.json").write_text('{"foo": 1}')


def unpinned_requirement(folder: Path) -> None:
    rewrite(folder, "requirements.txt", lambda t: t.replace("numpy==2.4.6", "numpy"))


def outside_code(folder: Path) -> None:
    mlmodel(folder, lambda d: d["flavors"]["python_function"].__setitem__("code", "../outside"))


def tiny_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(checks, "DATABRICKS_MEMORY_BYTES", 1000)


# ---------------------------------------------------------------------------------------------
# The table: rule id -> (pass case, fail case); a case = (corpus model, edit, expected status)

IRIS, TICKET, SENSOR, V2 = "iris_logreg_colspec", "ticket_triage_pyfunc_params", "sensor_tensor_logreg", "v2_loans_gbc"
Case = tuple[str, Edit | None, str]

COMMON: dict[str, tuple[Case, Case]] = {
    "pyfunc-flavor": ((IRIS, None, "pass"), (IRIS, no_pyfunc, "fail")),
    "loader-module": ((IRIS, None, "pass"), (IRIS, loader("pickle"), "fail")),
    "model-files": ((IRIS, None, "pass"), (IRIS, remove("model.skops"), "fail")),
    "code-paths": ((IRIS, add_code_dir, "pass"), (IRIS, outside_code, "fail")),
    "loadable": ((IRIS, None, "pass"), (IRIS, bad_signature_json, "fail")),
    "serialization": ((IRIS, None, "pass"), (IRIS, lambda f: drop_requirement(f, "skops"), "fail")),
    "env-consistent": ((IRIS, None, "pass"), (IRIS, lambda f: rewrite(f, "python_env.yaml", lambda t: t.replace("3.11.7", "3.10.1")), "warn")),
    "signature-types": ((IRIS, None, "pass"), (IRIS, lambda f: add_column(f, {"type": "sparkml_vector", "name": "v", "required": True}), "warn")),
    "input-example": ((IRIS, None, "pass"), (IRIS, rename_first_column, "fail")),
    "serving-example": ((IRIS, None, "pass"), (IRIS, bad_serving_example, "fail")),
    "type-hint": ((IRIS, type_hint_with_inputs_example, "pass"), (IRIS, type_hint, "fail")),
}

CASES: dict[str, tuple[Case, Case]] = {
    # MLflow scoring server
    **{f"mlflow.{k}": v for k, v in COMMON.items()},
    "mlflow.protocol-version": ((IRIS, None, "pass"), (IRIS, mlflow_version("1.30.1"), "warn")),
    "mlflow.signature": ((IRIS, None, "pass"), (IRIS, no_signature, "warn")),
    "mlflow.env-files": ((IRIS, None, "pass"), (IRIS, remove("python_env.yaml", "requirements.txt", "conda.yaml"), "fail")),
    "mlflow.mlflow-requirement": ((IRIS, None, "pass"), (IRIS, lambda f: drop_requirement(f, "mlflow"), "fail")),
    "mlflow.python-version": ((IRIS, None, "pass"), (IRIS, no_python, "warn")),
    "mlflow.params": ((TICKET, None, "pass"), (TICKET, pin_old_mlflow, "fail")),
    # Azure ML online
    "azureml.online.pyfunc-flavor": COMMON["pyfunc-flavor"],
    "azureml.online.loadable": COMMON["loadable"],
    "azureml.online.model-files": COMMON["model-files"],
    "azureml.online.conda-env": ((IRIS, None, "pass"), (IRIS, remove("conda.yaml"), "warn")),
    "azureml.online.env-consistent": COMMON["env-consistent"],
    "azureml.online.mlflow-requirement": ((IRIS, None, "pass"), (IRIS, unpin_mlflow, "warn")),
    "azureml.online.mlflow-version": ((IRIS, None, "pass"), (IRIS, mlflow_version("1.30.1"), "warn")),
    "azureml.online.python-version": ((IRIS, lambda f: set_python(f, "3.12.4"), "pass"), (IRIS, None, "warn")),
    "azureml.online.signature": ((IRIS, None, "pass"), (IRIS, no_signature, "warn")),
    "azureml.online.startup": ((IRIS, None, "pass"), (IRIS, outputs('[{"type": "array", "items": {"type": "long"}, "required": true}]'), "fail")),
    "azureml.online.signature-types": ((IRIS, None, "pass"), (IRIS, lambda f: add_column(f, {"type": "binary", "name": "blob", "required": False}), "fail")),
    "azureml.online.input-example": ((IRIS, None, "pass"), (V2, None, "fail")),
    "azureml.online.type-hint": ((IRIS, None, "pass"), (IRIS, type_hint_with_inputs_example, "warn")),
    "azureml.online.params": ((TICKET, None, "pass"), (TICKET, pin_old_mlflow, "fail")),
    "azureml.online.code-paths": ((IRIS, None, "pass"), (IRIS, add_code_dir, "warn")),
    "azureml.online.flavor": ((IRIS, None, "pass"), (IRIS, add_flavor("spark"), "warn")),
    "azureml.online.serialization": COMMON["serialization"],
    # Azure ML batch
    "azureml.batch.pyfunc-flavor": COMMON["pyfunc-flavor"],
    "azureml.batch.conda-env": ((IRIS, None, "pass"), (IRIS, remove("conda.yaml"), "warn")),
    "azureml.batch.file-input": ((IRIS, None, "pass"), (SENSOR, None, "warn")),
    "azureml.batch.csv-types": ((IRIS, None, "pass"), (IRIS, lambda f: add_column(f, {"type": "array", "items": {"type": "double"}, "name": "xs", "required": False}), "warn")),
    "azureml.batch.csv-example": ((IRIS, None, "pass"), (IRIS, rename_first_column, "warn")),
    "azureml.batch.params": ((IRIS, None, "pass"), (TICKET, None, "warn")),
    "azureml.batch.serialization": COMMON["serialization"],
    # Databricks
    "databricks.uc.signature": ((IRIS, None, "pass"), (IRIS, outputs(None), "fail")),
    "databricks.uc.loadable": COMMON["loadable"],
    "databricks.serving.pyfunc-flavor": COMMON["pyfunc-flavor"],
    "databricks.serving.model-files": COMMON["model-files"],
    "databricks.serving.code-paths": COMMON["code-paths"],
    "databricks.serving.requirements": ((IRIS, None, "pass"), (IRIS, unpinned_requirement, "warn")),
    "databricks.serving.mlflow-requirement": ((IRIS, None, "pass"), (IRIS, lambda f: drop_requirement(f, "mlflow"), "warn")),
    "databricks.serving.env-consistent": COMMON["env-consistent"],
    "databricks.serving.signature-types": COMMON["signature-types"],
    "databricks.serving.input-example": COMMON["input-example"],
    "databricks.serving.serving-example": COMMON["serving-example"],
    "databricks.serving.type-hint": COMMON["type-hint"],
    "databricks.serving.params": ((IRIS, None, "pass"), (TICKET, None, "warn")),
    "databricks.serving.model-size": ((IRIS, None, "pass"), (IRIS, None, "warn")),  # limit patched below
    "databricks.serving.serialization": COMMON["serialization"],
}


def build(tmp_path: Path, model: str, edit: Edit | None, label: str) -> Path:
    dest = tmp_path / label / model
    shutil.copytree(MODELS / model, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    if edit is not None:
        edit(dest)
    return dest


def run_rule(rule: Rule, folder: Path) -> Result:
    with load_model(folder) as doc:
        return rule.evaluate(DeployContext(doc)).result


def test_every_rule_has_a_pass_and_a_fail_case() -> None:
    ids = [r.id for r in ALL_RULES]
    assert len(ids) == len(set(ids)), "rule ids must be unique"
    assert sorted(CASES) == sorted(ids)


@pytest.mark.parametrize("rule_id", sorted(CASES))
@pytest.mark.parametrize("which", ["pass", "fail"])
def test_rule(rule_id: str, which: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    rule = rule_by_id(rule_id)
    model, edit, expected = CASES[rule_id][0 if which == "pass" else 1]
    if rule_id == "databricks.serving.model-size" and which == "fail":
        tiny_memory(monkeypatch)
    folder = build(tmp_path, model, edit, which)
    result = run_rule(rule, folder)
    assert result.status == expected, f"{rule_id} ({which}): {result.status}: {result.reason}"
    assert result.reason
    if result.status != "pass":
        assert result.fix, f"{rule_id}: a failing rule must say how to fix it"
        assert result.fix_target in (None, "signature", "environment", "files")
    if not rule.verified:
        assert result.status != "fail", "UNVERIFIED rules only warn"


def test_unverified_rules_are_marked_in_their_source() -> None:
    for rule in ALL_RULES:
        if not rule.verified:
            assert "UNVERIFIED" in rule.source, rule.id


def test_every_rule_and_source_is_documented() -> None:
    text = (REPO / "docs" / "deploy-rules.md").read_text(encoding="utf-8")
    for rule in ALL_RULES:
        assert f"`{rule.id}`" in text, f"{rule.id} missing from docs/deploy-rules.md"
        assert rule.source in text, f"source of {rule.id} differs from docs/deploy-rules.md"


def test_rule_sets_cover_every_kind() -> None:
    kinds = {(r.target, r.kind) for r in ALL_RULES}
    assert kinds == {("mlflow", "serving"), ("azureml", "online"), ("azureml", "batch"),
                     ("databricks", "uc"), ("databricks", "serving")}
    assert set(NOTES) <= kinds
    with pytest.raises(ValueError):
        rules_for("sagemaker")


# ---------------------------------------------------------------------------------------------
# Finer points of individual checks


def test_loader_module_third_party_warns_until_required(tmp_path: Path) -> None:
    folder = build(tmp_path, IRIS, loader("acme_models.loader"), "third")
    assert run_rule(rule_by_id("mlflow.loader-module"), folder).status == "warn"
    with (folder / "requirements.txt").open("a") as fh:
        fh.write("\nacme-models==1.0")
    assert run_rule(rule_by_id("mlflow.loader-module"), folder).status == "pass"


def test_optional_dialect_fails_with_mlflow_3_but_warns_with_pinned_2_9(tmp_path: Path) -> None:
    def optional(folder: Path) -> None:
        set_inputs(folder, [{"type": "double", "name": n["name"], "optional": True} for n in iris_inputs()])

    folder = build(tmp_path, IRIS, optional, "opt")
    assert run_rule(rule_by_id("mlflow.loadable"), folder).status == "fail"
    replace_requirement(folder, "mlflow==3.17.2", "mlflow==2.9.2")
    assert run_rule(rule_by_id("mlflow.loadable"), folder).status == "warn"


def test_external_model_is_not_loadable(tmp_path: Path) -> None:
    folder = build(tmp_path, IRIS, lambda f: mlmodel(f, lambda d: d.__setitem__("metadata", {"mlflow.model.isExternal": True})), "ext")
    assert run_rule(rule_by_id("databricks.uc.loadable"), folder).status == "fail"


def test_env_files_fallback_to_conda_warns_and_conda_only_packages_fail(tmp_path: Path) -> None:
    folder = build(tmp_path, IRIS, remove("python_env.yaml"), "conda")
    rule = rule_by_id("mlflow.env-files")
    assert run_rule(rule, folder).status == "warn"
    rewrite(folder, "conda.yaml", lambda t: t.replace("- pip<=", "- libgomp=13.2\n- pip<="))
    assert run_rule(rule, folder).status == "fail"


def test_skops_trusted_types_warn(tmp_path: Path) -> None:
    report = check_deploy(MODELS / "optional_cols_imputer", "mlflow")
    result = report.outcome("mlflow.serialization").result
    assert result.status == "warn" and "skops_trusted_types" in result.reason


def test_pickled_models_warn_about_trust() -> None:
    report = check_deploy(MODELS / "churn_pipeline_onehot", "mlflow")
    result = report.outcome("mlflow.serialization").result
    assert result.status == "warn" and "pickle" in result.reason


def test_uc_rejects_a_model_without_signature_and_one_with_only_inputs(tmp_path: Path) -> None:
    assert run_rule(rule_by_id("databricks.uc.signature"), MODELS / "scaler_logreg_nosig").status == "fail"
    folder = build(tmp_path, IRIS, outputs(None), "inputs-only")
    result = run_rule(rule_by_id("databricks.uc.signature"), folder)
    assert "only inputs" in result.reason and result.fix_target == "signature"


def test_azure_startup_fails_without_inputs_and_with_composite_inputs(tmp_path: Path) -> None:
    rule = rule_by_id("azureml.online.startup")
    folder = build(tmp_path, IRIS, lambda f: mlmodel(f, lambda d: d["signature"].__setitem__("inputs", None)), "no-in")
    assert "no inputs" in run_rule(rule, folder).reason
    composite = {"type": "array", "items": {"type": "double"}, "name": "xs", "required": False}
    folder = build(tmp_path, IRIS, chain(remove("input_example.json"), lambda f: add_column(f, composite)), "arr")
    assert run_rule(rule, folder).status == "fail"


def test_batch_rejects_named_tensors_and_unnamed_columns(tmp_path: Path) -> None:
    rule = rule_by_id("azureml.batch.file-input")
    named = [{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}},
             {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "float64", "shape": [-1, 2]}}]
    folder = build(tmp_path, SENSOR, lambda f: set_inputs(f, named), "named")
    assert "named tensor" in run_rule(rule, folder).reason
    folder = build(tmp_path, IRIS, lambda f: set_inputs(f, [{"type": "double", "required": True}] * 4), "unnamed")
    assert "unnamed" in run_rule(rule, folder).reason


def test_databricks_requirements_flag_local_paths(tmp_path: Path) -> None:
    folder = build(tmp_path, IRIS, lambda f: rewrite(f, "requirements.txt", lambda t: t + "\n./wheels/acme-1.0-py3-none-any.whl"), "local")
    result = run_rule(rule_by_id("databricks.serving.requirements"), folder)
    assert result.status == "warn" and "wheels" in result.reason


def test_parse_requirement_line() -> None:
    assert parse_requirement_line("mlflow==3.17.2").pinned == "3.17.2"
    assert parse_requirement_line("scikit_learn[alldeps]==1.5.2").name == "scikit-learn"
    assert parse_requirement_line("scikit_learn[alldeps]==1.5.2").pinned == "1.5.2"
    assert parse_requirement_line("numpy>=1.2").pinned is None
    assert parse_requirement_line("-r requirements.txt").name is None
    assert parse_requirement_line("git+https://x/y.git").name is None


# ---------------------------------------------------------------------------------------------
# Whole reports


def test_report_on_the_corpus() -> None:
    iris = check_deploy(MODELS / IRIS)
    assert {t.target: t.status for t in iris.targets}["mlflow"] == "pass"
    assert {t.target: t.status for t in iris.targets}["databricks"] == "pass"
    assert check_deploy(MODELS / "scaler_logreg_nosig", "databricks").status == "fail"
    v2 = check_deploy(MODELS / V2, "azureml")
    assert v2.outcome("azureml.online.input-example").status == "fail"
    assert "credit_lines" in v2.outcome("azureml.online.input-example").result.reason


def test_report_json_and_text() -> None:
    report = check_deploy(MODELS / TICKET, ["mlflow", "azureml"])
    data = report.to_json()
    json.dumps(data)  # strict JSON
    assert [t["target"] for t in data["targets"]] == ["mlflow", "azureml"]
    kinds = [k["kind"] for k in data["targets"][1]["kinds"]]
    assert kinds == ["online", "batch"]
    rule = data["targets"][0]["rules"][0]
    assert set(rule) >= {"id", "status", "reason", "fix", "fix_target", "source", "verified"}
    text = format_deploy_report(report, verbose=True)
    assert "Azure ML batch endpoint" in text and "source:" in text
    assert "azureml.batch.params" in format_deploy_report(report)


def test_check_deploy_rejects_unknown_targets() -> None:
    with pytest.raises(ValueError):
        check_deploy(MODELS / IRIS, "sagemaker")


# ---------------------------------------------------------------------------------------------
# CLI: check-deploy


def run_cli(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> int:
    from mlmanager.cli import entry as cli

    if "mlmanager.cli.deploy" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "mlmanager.cli.deploy"))
    return cli.main(argv)


def test_cli_check_deploy_exit_codes(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert run_cli(monkeypatch, ["check-deploy", str(MODELS / IRIS), "--target", "mlflow"]) == 0
    out = capsys.readouterr().out
    assert "MLflow scoring server" in out and "PASS" in out
    assert run_cli(monkeypatch, ["check-deploy", str(MODELS / "scaler_logreg_nosig")]) == 1
    out = capsys.readouterr().out
    assert "FAIL databricks.uc.signature" in out and "fix (signature)" in out
    assert run_cli(monkeypatch, ["check-deploy", str(tmp_path)]) == 2
    assert "MLmodel" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        run_cli(monkeypatch, ["check-deploy", str(MODELS / IRIS), "--target", "sagemaker"])
    assert exc.value.code == 2


def test_cli_check_deploy_json_warnings_exit_0(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    assert run_cli(monkeypatch, ["check-deploy", str(MODELS / TICKET), "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["status"] == "warn"
    assert {t["target"] for t in data["targets"]} == {"mlflow", "azureml", "databricks"}


def test_a_broken_check_becomes_a_warning_not_a_crash(tmp_path: Path) -> None:
    def boom(ctx: DeployContext) -> Result:
        raise KeyError("unexpected")

    rule = Rule("test.boom", "mlflow", "serving", "boom", "test", boom)
    with load_model(MODELS / IRIS) as doc:
        outcome = rule.evaluate(DeployContext(doc))
    assert outcome.status == "warn" and "could not run" in outcome.result.reason


def test_python_env_without_requirements_reference_needs_no_requirements_txt(tmp_path: Path) -> None:
    def inline(folder: Path) -> None:
        rewrite(folder, "python_env.yaml", lambda t: t.replace("- -r requirements.txt", "- mlflow==3.17.2"))
        (folder / "requirements.txt").unlink()

    folder = build(tmp_path, IRIS, inline, "inline")
    assert run_rule(rule_by_id("mlflow.env-files"), folder).status == "pass"
    folder = build(tmp_path, IRIS, remove("requirements.txt"), "noreq")
    assert run_rule(rule_by_id("mlflow.env-files"), folder).status == "warn"
