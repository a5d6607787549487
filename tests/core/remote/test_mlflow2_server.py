"""A real MLflow 2.x server (``mlflow server`` from its own uv-built environment, see
``mlflow_server.MLFLOW2_ENV``): what mlmanager lists, downloads, registers and tags is what
MLflow 2's own client sees. The oracle runs in that environment (``mlflow2_client.py``): its
``MlflowClient``, its ``download_artifacts`` and its ``mlflow.pyfunc.load_model``."""

from __future__ import annotations

import hashlib
import json
import uuid
from pathlib import Path

import pytest

from mlmanager.core.library.registry.entities import registry_to_json
from mlmanager.core.library.registry.opening import open_registry
from mlmanager.core.library.registry.source import RegistryNotFoundError, list_all
from mlmanager.core.remote.registry import ServerRegistry


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _json(doc: object) -> object:
    return json.loads(json.dumps(doc))


@pytest.fixture(scope="module")
def seeded(mlflow2_client) -> tuple[str, dict]:
    """Models registered by MLflow 2's client, and what that client then sees (one
    subprocess: each start of that environment's MLflow costs seconds)."""
    prefix = f"t{uuid.uuid4().hex[:8]}-"
    return prefix, mlflow2_client(("seed", {"prefix": prefix}))[0]


def test_listing_equals_mlflow2_client(mlflow2_server, seeded, client_env):
    prefix, seed = seeded
    wanted = f"name LIKE '{prefix}%'"
    source = ServerRegistry(mlflow2_server.url)
    assert (source.rest.server_version() or "").startswith("2.22.")
    assert seed["version"].startswith("2.22.")
    assert source.rest.generation() == 2
    # 15 models: their versions come from one read of all the server's versions (2.x servers
    # refuse `name IN (...)`); a few models: one `name = ...` search each
    got = registry_to_json(list_all(source, wanted))
    assert _json(got) == seed["view"]
    assert [m["name"] for m in got["registered_models"]] == [
        *(f"{prefix}bulk-{n:02d}" for n in range(12)),
        f"{prefix}churn", f"{prefix}empty", f"{prefix}fraud"]
    few = registry_to_json(list_all(source, f"name LIKE '{prefix}%r%'"))
    assert _json(few)["registered_models"] == [m for m in seed["view"]["registered_models"]
                                               if "r" in m["name"][len(prefix):]]
    assert len(few["registered_models"]) == 2  # churn, fraud
    assert source._name_in is False  # the server refused `name IN`: the fallbacks were used
    churn = got["registered_models"][12]
    assert churn["aliases"] == {"baseline": "1", "champion": "2"}
    assert [v["run_id"] for v in churn["versions"]] == seed["runs"]
    tagged = list_all(source, f"{wanted} AND tags.team = 'risk'")
    assert [m.name for m in tagged] == [f"{prefix}churn"]
    v2 = source.get_model_version(f"{prefix}churn", "2")
    assert v2.aliases == ("champion",) and v2.description == "better"
    assert v2.model_id is None and v2.run_id == seed["runs"][1]  # no logged models on 2.x
    assert source.get_model_version_by_alias(f"{prefix}churn", "baseline").version == "1"
    with pytest.raises(RegistryNotFoundError):
        source.get_model_version(f"{prefix}churn", "7")


def test_download_is_byte_identical_to_what_mlflow2_logged(mlflow2_server, seeded,
                                                          client_env: Path):
    prefix, seed = seeded
    source = open_registry(mlflow2_server.url)
    version = source.get_model_version(f"{prefix}churn", "2")
    folder = source.fetch_version(version)
    assert folder.is_relative_to(client_env) and (folder / "MLmodel").is_file()
    # what was logged: the run's files in the server's artifact store
    logged = next((mlflow2_server.folder / "artifacts").glob(
        f"*/{seed['runs'][1]}/artifacts/model"))
    assert _tree(folder) == _tree(logged)
    assert "code/data/blob.bin" in _tree(folder)  # the 3 MB artifact, nested two levels deep
    theirs = Path(seed["download"])
    (theirs / "registered_model_meta").unlink(missing_ok=True)  # MLflow's client adds it
    assert _tree(theirs) == _tree(folder)


def test_run_context_equals_mlflow2_get_run(mlflow2_server, seeded, client_env):
    prefix, seed = seeded
    source = ServerRegistry(mlflow2_server.url)
    context = source.run_context(source.get_model_version(f"{prefix}churn", "1"))
    run = seed["run"]
    assert context is not None and context.run_id == run["run_id"]
    assert (context.name, context.status, context.experiment_id) == (
        run["name"], run["status"], run["experiment_id"])
    assert (context.params, context.metrics, context.tags) == (
        run["params"], run["metrics"], run["tags"])
    assert context.params == {"alpha": "1"}
    assert _json(context.history) == {k: v for k, v in run["history"].items() if len(v) > 1}
    assert context.history == {"rmse": [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]}


def test_register_uses_the_2x_flow_and_loads_in_mlflow2(mlflow2_server, mlflow2_client,
                                                        client_env, tmp_path: Path):
    name = f"t{uuid.uuid4().hex[:8]}-published"
    local = tmp_path / "model"
    expected = mlflow2_client(("save_model", {"folder": str(local)}))[0]
    source = ServerRegistry(mlflow2_server.url)
    version = source.register_model_folder(local, name, description="from disk",
                                           tags={"origin": "mlmanager"})
    # the 2.x flow: files logged to a run, the version created from the run's artifact URI
    assert source.rest.generation() == 2
    assert version.version == "1" and version.model_id is None and version.run_id
    assert version.source == f"mlflow-artifacts:/0/{version.run_id}/artifacts/model"
    stored = mlflow2_server.folder / "artifacts" / "0" / version.run_id / "artifacts" / "model"
    assert _tree(stored) == _tree(local)
    predicted, read, run, downloaded = mlflow2_client(
        ("predict", {"model_uri": f"models:/{name}/1"}),
        ("read", {"name": name, "version": "1"}),
        ("run", {"run_id": version.run_id}),
        ("download", {"artifact_uri": f"models:/{name}/1"}),
    )
    assert predicted == pytest.approx(expected)
    assert read["version_description"] == "from disk"
    assert read["version_tags"] == {"origin": "mlmanager"}
    assert read["run_id"] == version.run_id and read["status"] == "READY"
    assert run["status"] == "FINISHED" and run["tags"]["mlflow.source.name"] == "mlmanager"
    theirs = Path(downloaded)
    (theirs / "registered_model_meta").unlink(missing_ok=True)
    assert _tree(theirs) == _tree(local)
    assert _tree(source.fetch_version(version)) == _tree(local)
    assert source.register_model_folder(local, name).version == "2"


def test_aliases_tags_descriptions_are_what_mlflow2_reads(mlflow2_server, mlflow2_client,
                                                         seeded, client_env):
    prefix, _seed = seeded
    kept, deleted = f"x{prefix}tagged-1", f"x{prefix}tagged-2"
    source = ServerRegistry(mlflow2_server.url)
    for name in (kept, deleted):
        source.set_alias(name, "champion", "1")
        source.set_alias(name, "old", "1")
        source.set_tag(name, "team", "fraud")
        source.set_tag(name, "checked", "yes", version="1")
        source.set_description(name, "the fraud model")
        source.set_description(name, "version one", version="1")
    source.delete_alias(deleted, "old")
    source.delete_tag(deleted, "team")
    source.delete_tag(deleted, "checked", version="1")
    set_, after = mlflow2_client(("read", {"name": kept, "version": "1"}),
                                 ("read", {"name": deleted, "version": "1"}))
    assert set_["aliases"] == {"champion": "1", "old": "1"}
    assert set_["version_aliases"] == ["champion", "old"]
    assert set_["tags"] == {"team": "fraud"} and set_["description"] == "the fraud model"
    assert set_["version_tags"] == {"checked": "yes"}
    assert set_["version_description"] == "version one"
    assert after["aliases"] == {"champion": "1"} and after["version_aliases"] == ["champion"]
    assert after["tags"] == {} and after["version_tags"] == {}
    assert after["description"] == "the fraud model"
