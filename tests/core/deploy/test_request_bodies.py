"""Request bodies per target (MLflow, Azure ML, Databricks) and their validation, on real models."""

from __future__ import annotations

import json
import math
import os
import shlex
import shutil
import sys
import types
from pathlib import Path

import pytest
from corpus_paths import MODELS as CORPUS  # noqa: E402

from mlmanager.core.deploy import request_bodies as pl
from mlmanager.core.deploy.azure_scoring import azure_sample
from mlmanager.core.deploy.local_server import (
    LocalServer,
    LocalServerError,
    free_port,
    mlflow_available,
)
from mlmanager.core.deploy.request_bodies import (
    check_request,
    from_json_document,
    request_for_model,
)
from mlmanager.core.errors import InvalidError
from mlmanager.core.jsonsafe import to_jsonable
from mlmanager.core.model.mlmodel import load_model

REPO = Path(__file__).resolve().parents[3]


def corpus_models() -> list[tuple[str, Path, Path | None]]:
    """(name, model dir, an input file next to it) for every model in the corpus."""
    out = []
    for f in sorted(CORPUS.glob("*.expected.json")):
        data = json.loads(f.read_text())
        if data.get("kind") == "tracking":
            continue
        name = f.name[: -len(".expected.json")]
        inputs = sorted(CORPUS.glob(f"{name}.input*.json")) + sorted(CORPUS.glob(f"{name}.input*.csv"))
        out.append((name, CORPUS / data["model_dir"], inputs[0] if inputs else None))
    return out


MODELS = corpus_models()


def copy(tmp_path: Path, name: str) -> Path:
    dest = tmp_path / name
    shutil.copytree(CORPUS / name, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)
    return dest


def strict_json(text: str) -> object:
    def refuse(name: str) -> None:
        raise ValueError(f"non-strict JSON constant {name}")

    return json.loads(text, parse_constant=refuse)


# ---------------------------------------------------------------------------------------------
# Every corpus model, every target


@pytest.mark.parametrize("target", pl.TARGETS)
@pytest.mark.parametrize("name,model,input_file", MODELS, ids=[m[0] for m in MODELS])
def test_generated_request_is_accepted_by_the_target(name: str, model: Path, input_file: Path | None, target: str) -> None:
    doc = load_model(model)
    payload = request_for_model(doc, target, input_path=None if doc.saved_input_example_info else input_file)
    body = strict_json(payload.json_text())
    assert body == payload.body
    check = check_request(doc, payload.json_text(), target)
    if name == "v2_loans_gbc" and target == "azureml":
        # pandas 2 (pinned by the model) makes Azure's script read the example's int64 dtypes
        assert not check.valid and "credit_lines" in check.errors[0].message
        return
    assert check.valid, check.to_json()
    if target == "azureml":
        assert set(body) <= {"input_data", "params"}
    else:
        assert len([k for k in body if k in ("dataframe_split", "dataframe_records", "instances", "inputs")]) == 1


@pytest.mark.parametrize("orient", pl.ORIENTS)
def test_every_orient_of_a_colspec_model_is_accepted_by_mlflow_and_databricks(orient: str) -> None:
    doc = load_model(CORPUS / "housing_rf_regressor")
    for target in ("mlflow", "databricks"):
        payload = request_for_model(doc, target, orient=orient)
        key = {"split": "dataframe_split", "records": "dataframe_records"}.get(orient, orient)
        assert key in payload.body
        assert check_request(doc, payload.json_text(), target).valid


def documented_azure_format(body: object, tensor: bool) -> list[str]:
    """An independent oracle of the documented Azure body (deploy-targets.md §2.3 table)."""
    problems = []
    if not isinstance(body, dict) or "input_data" not in body:
        return ["input_data is required"]
    if set(body) - {"input_data", "params"}:
        problems.append("only input_data and params are top-level keys")
    data = body["input_data"]
    if tensor:
        if not isinstance(data, (list, dict)):
            problems.append("a tensor is a list or a dict of lists")
    else:
        if not (isinstance(data, dict) and {"columns", "index", "data"} <= set(data)):
            problems.append("a DataFrame is a split dict with columns, index and data")
        elif data["index"] != list(range(len(data["data"]))):
            problems.append("index must number the rows")
    if "params" in body and not isinstance(body["params"], dict):
        problems.append("params is an object")
    return problems


@pytest.mark.parametrize("name,model,input_file", MODELS, ids=[m[0] for m in MODELS])
def test_azure_bodies_follow_the_documented_format(name: str, model: Path, input_file: Path | None) -> None:
    doc = load_model(model)
    payload = request_for_model(doc, "azureml", input_path=None if doc.saved_input_example_info else input_file)
    assert documented_azure_format(payload.body, tensor=payload.orient == "inputs") == []
    if doc.signature is None:  # pandas 3 cannot read a split DataFrame here: rows are sent
        assert payload.orient == "inputs" and any("pandas 3" in n for n in payload.notes)


def test_params_are_a_sibling_with_defaults_and_overrides() -> None:
    doc = load_model(CORPUS / "ticket_triage_pyfunc_params")
    for target in pl.TARGETS:
        payload = request_for_model(doc, target, params={"max_rows": 3})
        assert payload.body["params"] == {"threshold": 0.4, "urgent_label": "urgent", "max_rows": 3}
    bad = request_for_model(doc, "mlflow", params={"threshold": "high"})
    check = check_request(doc, bad.json_text(), "mlflow")
    assert not check.valid and any(p.stage == "params" for p in check.errors)
    check = check_request(doc, request_for_model(doc, "azureml", params={"threshold": "high"}).json_text(), "azureml")
    assert not check.valid


def test_tensor_model_uses_inputs_and_azure_a_bare_list() -> None:
    doc = load_model(CORPUS / "sensor_tensor_logreg")
    assert list(request_for_model(doc, "mlflow").body) == ["inputs"]
    body = request_for_model(doc, "azureml").body
    assert isinstance(body["input_data"], list) and len(body["input_data"][0]) == 4
    wrong = {"input_data": [[1.0, 2.0]]}
    check = check_request(doc, json.dumps(wrong), "azureml")
    assert not check.valid and "shape" in check.errors[0].message


def test_azure_refuses_records_and_instances_forms() -> None:
    doc = load_model(CORPUS / "iris_logreg_colspec")
    for orient in ("records", "instances"):
        with pytest.raises(InvalidError, match="Azure"):
            request_for_model(doc, "azureml", orient=orient)


def test_type_hint_models_get_inputs_only(tmp_path: Path) -> None:
    folder = copy(tmp_path, "iris_logreg_colspec")
    text = (folder / "MLmodel").read_text().replace(
        "is_signature_from_type_hint: false", "is_signature_from_type_hint: true"
    )
    (folder / "MLmodel").write_text(text)
    doc = load_model(folder)
    payload = request_for_model(doc, "mlflow")
    assert payload.orient == "inputs" and "inputs" in payload.body
    with pytest.raises(InvalidError, match="type hints"):
        request_for_model(doc, "mlflow", orient="split")
    split = request_for_model(load_model(CORPUS / "iris_logreg_colspec"), "mlflow").json_text()
    check = check_request(doc, split, "mlflow")
    assert not check.valid and "'inputs' key" in check.errors[0].message


def test_placeholders_from_the_signature_when_there_is_no_example(tmp_path: Path) -> None:
    folder = copy(tmp_path, "churn_pipeline_onehot")
    text = (folder / "MLmodel").read_text()
    start = text.index("saved_input_example_info:")
    end = text.index("signature:")
    (folder / "MLmodel").write_text(text[:start] + text[end:])
    doc = load_model(folder)
    payload = request_for_model(doc, "mlflow")
    assert payload.source == "signature" and any("placeholder" in n for n in payload.notes)
    assert len(payload.body["dataframe_split"]["data"]) == 1
    assert check_request(doc, payload.json_text(), "mlflow").valid


def test_no_example_and_no_signature_needs_an_input_file() -> None:
    doc = load_model(CORPUS / "scaler_logreg_nosig")
    with pytest.raises(InvalidError, match="--input"):
        request_for_model(doc, "mlflow")
    payload = request_for_model(doc, "mlflow", input_path=CORPUS / "scaler_logreg_nosig.input.csv")
    assert "dataframe_split" in payload.body


def test_nan_in_the_example_becomes_null() -> None:
    doc = load_model(CORPUS / "optional_cols_imputer")
    assert "NaN" in (CORPUS / "optional_cols_imputer" / "input_example.json").read_text()
    payload = request_for_model(doc, "mlflow")
    strict_json(payload.json_text())
    assert any("null" in n for n in payload.notes)
    assert check_request(doc, payload.json_text(), "mlflow").valid


def test_inputs_from_files_in_every_form(tmp_path: Path) -> None:
    doc = load_model(CORPUS / "iris_logreg_colspec")
    reference = request_for_model(doc, "mlflow").body["dataframe_split"]
    forms = {
        "split.json": {"dataframe_split": reference},
        "records.json": request_for_model(doc, "mlflow", orient="records").body,
        "instances.json": request_for_model(doc, "mlflow", orient="instances").body,
        "inputs.json": request_for_model(doc, "mlflow", orient="inputs").body,
        "azure.json": request_for_model(doc, "azureml").body,
        "example.json": {"columns": reference["columns"], "data": reference["data"]},
    }
    for fname, body in forms.items():
        path = tmp_path / fname
        path.write_text(json.dumps(body))
        again = request_for_model(doc, "mlflow", input_path=path).body["dataframe_split"]
        assert again == reference, fname
    csv_path = tmp_path / "x.csv"
    csv_path.write_text(request_for_model(doc, "mlflow").render("csv"))
    assert request_for_model(doc, "mlflow", input_path=csv_path).body["dataframe_split"] == reference


def test_parquet_input(tmp_path: Path) -> None:
    pd = pytest.importorskip("pandas")
    pytest.importorskip("pyarrow")
    doc = load_model(CORPUS / "events_datetime_pipeline")
    src = CORPUS / "events_datetime_pipeline.input.csv"
    df = pd.read_csv(src, parse_dates=["timestamp"])
    path = tmp_path / "in.parquet"
    df.to_parquet(path)
    payload = request_for_model(doc, "mlflow", input_path=path)
    assert isinstance(payload.body["dataframe_split"]["data"][0][0], str)  # ISO datetime text
    assert check_request(doc, payload.json_text(), "mlflow").valid


def test_string_columns_keep_leading_zeros_from_csv(tmp_path: Path) -> None:
    doc = load_model(CORPUS / "churn_pipeline_onehot")
    header = (CORPUS / "churn_pipeline_onehot.input.csv").read_text().splitlines()[0]
    names = header.split(",")
    string_cols = [s.name for s in doc.signature.inputs.specs if str(s.type) == "string"]
    row = ["007" if n in string_cols else "1" for n in names]
    path = tmp_path / "zeros.csv"
    path.write_text(header + "\n" + ",".join(row) + "\n")
    data = request_for_model(doc, "mlflow", input_path=path).body["dataframe_split"]
    assert data["data"][0][names.index(string_cols[0])] == "007"


# ---------------------------------------------------------------------------------------------
# Rendering


def test_curl_carries_the_exact_body() -> None:
    doc = load_model(CORPUS / "ticket_triage_pyfunc_params")
    for target in pl.TARGETS:
        payload = request_for_model(doc, target)
        words = shlex.split(payload.curl())
        assert words[:4] == ["curl", "-sS", "-X", "POST"]
        body = words[words.index("--data-binary") + 1]
        assert json.loads(body) == payload.body
        assert "Content-Type: application/json" in words
    assert "$DATABRICKS_TOKEN" in request_for_model(doc, "databricks").curl()
    assert "/serving-endpoints/" in request_for_model(doc, "databricks").curl()
    assert "$AZUREML_SCORING_URI" in request_for_model(doc, "azureml").curl()
    assert "http://127.0.0.1:5000/invocations" in request_for_model(doc, "mlflow").curl()
    assert "https://x/score" in request_for_model(doc, "azureml").curl(url="https://x/score")


def test_curl_quotes_single_quotes_in_values(tmp_path: Path) -> None:
    doc = load_model(CORPUS / "churn_pipeline_onehot")
    mi = pl.ModelInput("table", ["a"], [["it's"]])
    payload = pl.build_request(mi, "mlflow", signature=doc.signature)
    words = shlex.split(payload.curl())
    assert json.loads(words[words.index("--data-binary") + 1])["dataframe_split"]["data"] == [["it's"]]


@pytest.mark.parametrize("target", pl.TARGETS)
def test_python_snippet_posts_the_body(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    doc = load_model(CORPUS / "ticket_triage_pyfunc_params")
    payload = request_for_model(doc, target)
    calls = []

    class Response:
        def raise_for_status(self) -> None:
            pass

        def json(self) -> object:
            return {"predictions": [1]} if target != "azureml" else [1]

    fake = types.ModuleType("requests")
    fake.post = lambda url, headers, json, timeout: calls.append((url, headers, json)) or Response()
    monkeypatch.setitem(sys.modules, "requests", fake)
    for var in ("DATABRICKS_HOST", "DATABRICKS_TOKEN", "ENDPOINT_NAME", "AZUREML_SCORING_URI", "AZUREML_ENDPOINT_KEY"):
        monkeypatch.setenv(var, f"<{var}>")
    exec(compile(payload.python(), "snippet", "exec"), {})  # noqa: S102 - our own generated code
    url, headers, body = calls[0]
    assert body == payload.body
    assert headers["Content-Type"] == "application/json"
    if target == "databricks":
        assert url == "<DATABRICKS_HOST>/serving-endpoints/<ENDPOINT_NAME>/invocations"
        assert headers["Authorization"] == "Bearer <DATABRICKS_TOKEN>"
    elif target == "azureml":
        assert url == "<AZUREML_SCORING_URI>"


def test_csv_rendering_reads_back() -> None:
    pd = pytest.importorskip("pandas")
    import io

    doc = load_model(CORPUS / "housing_rf_regressor")
    payload = request_for_model(doc, "azureml")
    df = pd.read_csv(io.StringIO(payload.render("csv")))
    assert list(df.columns) == payload.body["input_data"]["columns"]
    assert len(df) == len(payload.body["input_data"]["data"])
    with pytest.raises(InvalidError):
        request_for_model(load_model(CORPUS / "sensor_tensor_logreg"), "mlflow").render("csv")


# ---------------------------------------------------------------------------------------------
# Validation of bodies written by hand


def test_mlflow_protocol_errors() -> None:
    doc = load_model(CORPUS / "iris_logreg_colspec")
    split = request_for_model(doc, "mlflow").body
    two = {**split, "inputs": [[1, 2, 3, 4]]}
    assert "exactly one" in check_request(doc, json.dumps(two), "mlflow").errors[0].message
    azure = request_for_model(doc, "azureml").json_text()
    check = check_request(doc, azure, "databricks")
    assert not check.valid and "Azure" in check.errors[0].message
    check = check_request(doc, split, "azureml")
    assert not check.valid and "input_data" in check.errors[0].message
    assert not check_request(doc, "{not json", "mlflow").valid
    assert not check_request(doc, "[[1, 2]]", "mlflow").valid


def test_mlflow_accepts_csv_bodies_other_targets_do_not() -> None:
    doc = load_model(CORPUS / "iris_logreg_colspec")
    text = (CORPUS / "iris_logreg_colspec.input.csv").read_text()
    assert check_request(doc, text, "mlflow").valid
    for target in ("azureml", "databricks"):
        assert not check_request(doc, text, target).valid


def test_databricks_size_limit_and_list_wrapped_split(monkeypatch: pytest.MonkeyPatch) -> None:
    doc = load_model(CORPUS / "iris_logreg_colspec")
    body = request_for_model(doc, "databricks").body
    wrapped = {"dataframe_split": [body["dataframe_split"]]}
    check = check_request(doc, json.dumps(wrapped), "databricks")
    assert not check.valid and "wrapped in a list" in check.errors[0].message
    assert from_json_document(wrapped, "x").rows == body["dataframe_split"]["data"]  # still readable
    monkeypatch.setattr(pl, "DATABRICKS_MAX_REQUEST_BYTES", 100)
    check = check_request(doc, json.dumps(body), "databricks")
    assert not check.valid and "16 MB" in check.errors[0].message
    assert check_request(doc, json.dumps(body), "mlflow").valid


def test_azure_without_signature_depends_on_pandas() -> None:
    doc = load_model(CORPUS / "scaler_logreg_nosig")
    payload = request_for_model(doc, "azureml", input_path=CORPUS / "scaler_logreg_nosig.input.csv", orient="split")
    check = check_request(doc, payload.json_text(), "azureml", pandas_major=3)
    assert not check.valid and check.errors[0].kind == "azure_pandas3"
    assert check_request(doc, payload.json_text(), "azureml", pandas_major=2).valid
    rows = {"input_data": payload.body["input_data"]["data"]}
    check = check_request(doc, json.dumps(rows), "azureml", pandas_major=3)
    assert check.valid and any(w.kind == "no_signature" for w in check.warnings)


def test_azure_sample_comes_from_the_example_only_under_pandas_2() -> None:
    doc = load_model(CORPUS / "v2_loans_gbc")
    assert azure_sample(doc, 2).source == "input example"
    assert azure_sample(doc, 3).source == "signature"
    body = request_for_model(doc, "azureml").json_text()
    assert check_request(doc, body, "azureml", pandas_major=3).valid
    assert not check_request(doc, body, "azureml", pandas_major=2).valid


def test_azure_casts_to_the_sample_then_enforces_strictly() -> None:
    doc = load_model(CORPUS / "housing_rf_regressor")
    body = request_for_model(doc, "azureml").body
    body["input_data"]["data"][0][0] = None  # a null in a long column: astype(int64) fails
    check = check_request(doc, json.dumps(body), "azureml")
    assert not check.valid and check.errors[0].kind == "type_mismatch"
    body = request_for_model(doc, "azureml").body
    del body["input_data"]["columns"][0]
    for row in body["input_data"]["data"]:
        del row[0]
    check = check_request(doc, json.dumps(body), "azureml")
    assert not check.valid and "missing" in check.errors[0].message.lower()


# ---------------------------------------------------------------------------------------------
# Local server guards (no server is started here)


def test_local_server_refuses_untrusted_models() -> None:
    with pytest.raises(InvalidError, match="trust"):
        LocalServer(CORPUS / "iris_logreg_colspec", trusted=False)
    with pytest.raises(InvalidError, match="trust"):
        LocalServer(CORPUS / "iris_logreg_colspec")


def test_local_server_refuses_a_folder_without_mlmodel(tmp_path: Path) -> None:
    with pytest.raises(InvalidError, match="MLmodel"):
        LocalServer(tmp_path, trusted=True)


@pytest.mark.skipif(os.name != "posix", reason="uses a shell wrapper")
def test_local_server_needs_mlflow_in_the_interpreter(tmp_path: Path) -> None:
    wrapper = tmp_path / "python-without-site"
    wrapper.write_text(f'#!/bin/sh\nexec "{sys.executable}" -S "$@"\n')
    wrapper.chmod(0o755)
    assert not mlflow_available(str(wrapper))
    server = LocalServer(CORPUS / "iris_logreg_colspec", python=str(wrapper), trusted=True)
    with pytest.raises(LocalServerError, match="mlflow is not importable"):
        server.start()
    assert server.pid is None


def test_free_port_is_on_loopback() -> None:
    import socket

    port = free_port()
    with socket.socket() as s:
        s.bind(("127.0.0.1", port))  # still free


def test_to_jsonable_is_strict() -> None:
    import datetime as dt

    value = to_jsonable({"a": float("nan"), "b": [float("inf"), b"\x00\x01"], "c": dt.date(2024, 1, 2), 3: (1, 2)})
    assert value == {"a": None, "b": [None, "AAE="], "c": "2024-01-02", "3": [1, 2]}
    assert not any(isinstance(v, float) and math.isnan(v) for v in value.values())


# ---------------------------------------------------------------------------------------------
# CLI: payload


def run_cli(monkeypatch: pytest.MonkeyPatch, argv: list[str]) -> int:
    from mlmanager.cli import entry as cli

    if "mlmanager.cli.deploy" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "mlmanager.cli.deploy"))
    return cli.main(argv)


def test_cli_payload_formats(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    model = str(CORPUS / "ticket_triage_pyfunc_params")
    assert run_cli(monkeypatch, ["payload", model, "--target", "azureml"]) == 0
    body = json.loads(capsys.readouterr().out)
    assert set(body) == {"input_data", "params"}
    assert run_cli(monkeypatch, ["payload", model, "--target", "databricks", "--format", "curl", "--orient", "records"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("curl") and "dataframe_records" in out
    assert run_cli(monkeypatch, ["payload", model, "--target", "mlflow", "--format", "python", "--params", '{"max_rows": 1}']) == 0
    out = capsys.readouterr().out
    assert "'max_rows': 1" in out and "requests.post" in out
    assert run_cli(monkeypatch, ["payload", model, "--target", "azureml", "--orient", "records"]) == 1
    assert "Azure" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:  # one --params parser: a bad value is a bad argument
        run_cli(monkeypatch, ["payload", model, "--target", "mlflow", "--params", "[1]"])
    assert exc.value.code == 2


def test_cli_payload_from_input_and_check(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    model = str(CORPUS / "scaler_logreg_nosig")
    csv = str(CORPUS / "scaler_logreg_nosig.input.csv")
    assert run_cli(monkeypatch, ["payload", model, "--target", "mlflow"]) == 1
    assert "--input" in capsys.readouterr().err
    assert run_cli(monkeypatch, ["payload", model, "--target", "mlflow", "--input", csv, "--validate"]) == 0
    body = capsys.readouterr().out
    path = tmp_path / "req.json"
    path.write_text(body)
    assert run_cli(monkeypatch, ["payload", model, "--target", "mlflow", "--input", str(path), "--check"]) == 0
    assert "accepted" in capsys.readouterr().out
    assert run_cli(monkeypatch, ["payload", model, "--target", "azureml", "--input", str(path), "--check", "--format", "json"]) == 1
    assert json.loads(capsys.readouterr().out)["valid"] is False
    assert run_cli(monkeypatch, ["payload", model, "--target", "mlflow", "--input", str(tmp_path / "missing.csv")]) == 2
