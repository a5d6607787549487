"""OpenAPI documents of the scoring endpoint: valid OpenAPI 3, examples that match their schemas."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus_paths import MODELS as CORPUS  # noqa: E402

from mlmanager.core.deploy.openapi import build_openapi, input_schemas, tensor_schema, value_schema
from mlmanager.core.model.mlmodel import load_model
from mlmanager.core.signature.schema import parse_schema, parse_value_type

REPO = Path(__file__).resolve().parents[3]


def public_models() -> list[tuple[str, Path]]:
    out = []
    for f in sorted(CORPUS.glob("*.expected.json")):
        data = json.loads(f.read_text())
        if data.get("kind") != "tracking":
            out.append((f.name[: -len(".expected.json")], CORPUS / data["model_dir"]))
    return out


MODELS = public_models()
PATHS = {"mlflow": "/invocations", "databricks": "/invocations", "azureml": "/score"}


def request_validator(document: dict, schema: dict):
    from openapi_schema_validator import OAS30Validator

    return OAS30Validator({**schema, "components": document["components"]})


@pytest.mark.parametrize("target", ["mlflow", "databricks", "azureml"])
@pytest.mark.parametrize("name,model", MODELS, ids=[m[0] for m in MODELS])
def test_document_is_valid_openapi_and_examples_match(name: str, model: Path, target: str) -> None:
    validator = pytest.importorskip("openapi_spec_validator")
    document = build_openapi(load_model(model), target)
    plain = json.loads(json.dumps(document))  # strict JSON, no Python-only values
    validator.validate(plain)
    content = plain["paths"][PATHS[target]]["post"]["requestBody"]["content"]["application/json"]
    check = request_validator(plain, content["schema"])
    for key, example in content.get("examples", {}).items():
        errors = [e.message for e in check.iter_errors(example["value"])]
        assert errors == [], f"{name}/{target}/{key}: {errors[:2]}"


def test_mlflow_document_lists_every_form_csv_and_health_routes() -> None:
    document = build_openapi(load_model(CORPUS / "iris_logreg_colspec"), "mlflow")
    post = document["paths"]["/invocations"]["post"]
    content = post["requestBody"]["content"]
    assert set(content) == {"application/json", "text/csv", "application/vnd.apache.parquet"}
    refs = [r["$ref"].split("/")[-1] for r in content["application/json"]["schema"]["oneOf"]]
    assert refs == ["Request_dataframe_split", "Request_dataframe_records", "Request_instances", "Request_inputs"]
    assert set(content["application/json"]["examples"]) == {"split", "records", "instances", "inputs"}
    assert {"/ping", "/health", "/version"} <= set(document["paths"])
    response = post["responses"]["200"]["content"]["application/json"]["schema"]
    assert response["required"] == ["predictions"]
    assert document["components"]["schemas"]["Predictions"] == {
        "type": "array", "items": {"type": "integer", "format": "int64"}
    }


def test_request_schema_rejects_wrong_bodies() -> None:
    pytest.importorskip("openapi_schema_validator")
    document = json.loads(json.dumps(build_openapi(load_model(CORPUS / "housing_rf_regressor"), "mlflow")))
    schema = document["components"]["schemas"]["Request_dataframe_records"]
    check = request_validator(document, schema)
    good = {"dataframe_records": [{"rooms": 3, "area_m2": 50.0, "floor": 1, "has_garden": True, "age_years": 3.5}]}
    assert list(check.iter_errors(good)) == []
    assert list(check.iter_errors({"dataframe_records": [{"rooms": "three"}]}))  # type + missing columns
    azure = json.loads(json.dumps(build_openapi(load_model(CORPUS / "housing_rf_regressor"), "azureml")))
    azure_check = request_validator(azure, azure["components"]["schemas"]["Request"])
    assert list(azure_check.iter_errors({"input_data": {"columns": ["rooms"], "data": [[1]]}}))  # no index


def test_params_and_dataframe_outputs() -> None:
    document = build_openapi(load_model(CORPUS / "ticket_triage_pyfunc_params"), "mlflow")
    params = document["components"]["schemas"]["Params"]["properties"]
    assert params["threshold"]["default"] == 0.5 and params["max_rows"]["format"] == "int64"
    assert document["components"]["schemas"]["Request_inputs"]["properties"]["params"] == {"$ref": "#/components/schemas/Params"}
    out = document["components"]["schemas"]["Predictions"]
    assert out["type"] == "array" and set(out["items"]["properties"]) == {"label", "score"}


def test_tensor_model_has_fixed_inner_dimensions() -> None:
    document = build_openapi(load_model(CORPUS / "sensor_tensor_logreg"), "mlflow")
    inputs = document["components"]["schemas"]["Request_inputs"]["properties"]["inputs"]
    assert inputs["type"] == "array" and "minItems" not in inputs
    assert inputs["items"]["minItems"] == inputs["items"]["maxItems"] == 4
    assert "Request_dataframe_records" not in document["components"]["schemas"]


def test_type_hint_models_document_only_inputs(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    shutil.copytree(CORPUS / "iris_logreg_colspec", folder)
    (folder / "MLmodel").chmod(0o644)
    text = (folder / "MLmodel").read_text().replace("is_signature_from_type_hint: false", "is_signature_from_type_hint: true")
    (folder / "MLmodel").write_text(text)
    document = build_openapi(load_model(folder), "mlflow")
    schema = document["paths"]["/invocations"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert schema == {"$ref": "#/components/schemas/Request_inputs"}
    assert "type hints" in document["info"]["description"]


def test_value_schemas_of_composite_types() -> None:
    t = parse_value_type(
        {"type": "array", "items": {"type": "object", "properties": {
            "role": {"type": "string", "required": True}, "n": {"type": "long", "required": False}}}},
        "x",
    )
    schema = value_schema(t)
    assert schema["items"]["required"] == ["role"]
    assert schema["items"]["properties"]["n"] == {"type": "integer", "format": "int64", "nullable": True}
    assert value_schema(parse_value_type({"type": "map", "values": {"type": "double"}}, "x")) == {
        "type": "object", "additionalProperties": {"type": "number", "format": "double"}
    }
    assert value_schema(parse_value_type({"type": "binary"}, "x"))["format"] == "byte"
    assert tensor_schema("float32", (-1, 2))["items"] == {
        "type": "array", "items": {"type": "number", "nullable": True}, "minItems": 2, "maxItems": 2
    }


def test_named_tensor_forms() -> None:
    schema = parse_schema(
        [{"name": "a", "type": "tensor", "tensor-spec": {"dtype": "int64", "shape": [-1, 2]}},
         {"name": "b", "type": "tensor", "tensor-spec": {"dtype": "str", "shape": [-1]}}],
    )
    forms = input_schemas(schema)
    assert forms["inputs"]["required"] == ["a", "b"]
    assert forms["instances"]["items"]["properties"]["b"] == {"type": "string"}


def test_cli_openapi(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from mlmanager.cli import entry as cli

    if "mlmanager.cli.deploy" not in cli.COMMAND_MODULES:
        monkeypatch.setattr(cli, "COMMAND_MODULES", (*cli.COMMAND_MODULES, "mlmanager.cli.deploy"))
    model = str(CORPUS / "iris_logreg_colspec")
    assert cli.main(["openapi", model]) == 0
    assert json.loads(capsys.readouterr().out)["openapi"] == "3.0.3"
    out = tmp_path / "api.json"
    assert cli.main(["openapi", model, "--target", "azureml", "--output", str(out)]) == 0
    assert "/score" in json.loads(out.read_text())["paths"]
    assert cli.main(["openapi", str(tmp_path)]) == 2
