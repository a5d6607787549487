"""A real ``mlflow server``: what mlmanager lists, downloads, registers and tags is what MLflow's
own client sees."""

from __future__ import annotations

import hashlib
import sqlite3
import uuid
from pathlib import Path

import pytest
from corpus_paths import MODELS
from registry_oracle import log_sklearn_model, mlflowclient_view, register_churn_and_friends

from mlmanager.core.library.registry.entities import registry_to_json
from mlmanager.core.library.registry.opening import open_registry
from mlmanager.core.library.registry.source import RegistryNotFoundError, list_all
from mlmanager.core.remote.registry import ServerRegistry

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def tracking(mlflow_server, client_env, monkeypatch: pytest.MonkeyPatch):
    """mlflow's fluent API pointed at the session server (restored afterwards)."""
    before = mlflow.get_tracking_uri()
    monkeypatch.setenv("MLFLOW_TRACKING_URI", mlflow_server.url)
    mlflow.set_tracking_uri(mlflow_server.url)
    yield mlflow_server
    while mlflow.active_run():
        mlflow.end_run()
    mlflow.set_tracking_uri(before)


def _prefix() -> str:
    return f"t{uuid.uuid4().hex[:8]}-"


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def test_listing_equals_mlflowclient(tracking):
    from mlflow import MlflowClient

    prefix = _prefix()
    client = MlflowClient()
    first = log_sklearn_model()
    second = log_sklearn_model()
    register_churn_and_friends(client, prefix, first, second)

    source = ServerRegistry(tracking.url)
    wanted = f"name LIKE '{prefix}%'"
    got = registry_to_json(list_all(source, wanted))
    assert got == mlflowclient_view(tracking.url, wanted)
    assert [m["name"] for m in got["registered_models"]] == [
        f"{prefix}churn", f"{prefix}empty", f"{prefix}fraud"]
    assert got["registered_models"][0]["aliases"] == {"baseline": "1", "champion": "2"}
    # the search grammar is the server's: tags and LIKE
    tagged = list_all(source, f"{wanted} AND tags.team = 'risk'")
    assert [m.name for m in tagged] == [f"{prefix}churn"]
    # a version with its aliases, by number and by alias
    v2 = source.get_model_version(f"{prefix}churn", "2")
    assert v2.aliases == ("champion",) and v2.description == "better"
    assert v2.model_id == second.model_id
    assert source.get_model_version_by_alias(f"{prefix}churn", "baseline").version == "1"
    versions = [v for page in source.search_model_versions(f"name = '{prefix}churn'")
                for v in page]
    assert {v.version: v.aliases for v in versions} == {"1": ("baseline",), "2": ("champion",)}
    with pytest.raises(RegistryNotFoundError, match="not found|does not exist|RESOURCE"):
        source.get_model_version(f"{prefix}churn", "7")


def test_download_is_byte_identical_and_cached(tracking, client_env: Path, tmp_path: Path):
    prefix = _prefix()
    info = log_sklearn_model(extra_bytes=3_000_000)
    mlflow.register_model(info.model_uri, f"{prefix}big")
    # what was logged: the files in the server's artifact store
    logged = next((tracking.folder / "artifacts").glob(f"*/models/{info.model_id}/artifacts"))
    source = open_registry(tracking.url)
    version = source.get_model_version(f"{prefix}big", "1")
    seen: list[tuple[int, int | None, str]] = []
    folder = source.fetch_version(version, progress=lambda d, t, i: seen.append((d, t, i)))
    assert (folder / "MLmodel").is_file()
    assert _tree(folder) == _tree(logged)
    assert "code/data/nested/note.txt" in _tree(folder)
    assert folder.is_relative_to(client_env) and (folder.parent / "entry.json").is_file()
    assert seen[-1][0] == seen[-1][1] == sum(p.stat().st_size for p in folder.rglob("*")
                                             if p.is_file())
    # the second open is the cache: same folder, no download
    again: list = []
    assert source.fetch_version(version, progress=lambda d, t, i: again.append(d)) == folder
    assert len(again) == 1


def test_register_folder_loads_in_mlflow(tracking, tmp_path: Path):
    from mlflow import MlflowClient

    prefix = _prefix()
    local = MODELS / "churn_pipeline_onehot"
    source = ServerRegistry(tracking.url)
    version = source.register_model_folder(local, f"{prefix}churn", description="from disk",
                                           tags={"origin": "mlmanager"})
    assert version.version == "1" and version.model_id and version.source.startswith("models:/m-")
    client = MlflowClient()
    mv = client.get_model_version(f"{prefix}churn", "1")
    assert mv.description == "from disk" and mv.tags == {"origin": "mlmanager"}
    assert client.get_logged_model(version.model_id).status.to_int() == 2  # READY
    # byte-identical to the local folder: in the server's store and through MLflow's download
    stored = next((tracking.folder / "artifacts").glob(f"*/models/{version.model_id}/artifacts"))
    assert _tree(stored) == _tree(local)
    fetched = Path(mlflow.artifacts.download_artifacts(f"models:/{prefix}churn/1",
                                                       dst_path=str(tmp_path / "dl")))
    (fetched / "registered_model_meta").unlink()  # MLflow's client adds it when downloading
    assert _tree(fetched) == _tree(local)
    model = mlflow.pyfunc.load_model(f"models:/{prefix}churn/1")
    import pandas as pd

    frame = pd.read_csv(MODELS / "churn_pipeline_onehot.input.csv")
    assert len(model.predict(frame)) == len(frame)
    # a second registration is version 2 of the same model
    assert source.register_model_folder(local, f"{prefix}churn").version == "2"


def test_aliases_tags_descriptions_are_what_mlflow_reads(tracking):
    from mlflow import MlflowClient

    prefix = _prefix()
    info = log_sklearn_model()
    name = f"{prefix}m"
    mlflow.register_model(info.model_uri, name)
    mlflow.register_model(info.model_uri, name)
    source = ServerRegistry(tracking.url)
    client = MlflowClient()
    source.set_alias(name, "champion", "1")
    source.set_alias(name, "champion", "2")  # moved
    source.set_alias(name, "old", "1")
    source.set_tag(name, "team", "risk")
    source.set_tag(name, "checked", "yes", version="2")
    source.set_description(name, "the model")
    source.set_description(name, "version two", version="2")
    rm = client.get_registered_model(name)
    assert {k: str(v) for k, v in rm.aliases.items()} == {"champion": "2", "old": "1"}
    assert rm.tags == {"team": "risk"} and rm.description == "the model"
    mv = client.get_model_version(name, "2")
    assert mv.tags == {"checked": "yes"} and mv.description == "version two"
    source.delete_alias(name, "old")
    source.delete_tag(name, "team")
    source.delete_tag(name, "checked", version="2")
    rm = client.get_registered_model(name)
    assert {k: str(v) for k, v in rm.aliases.items()} == {"champion": "2"} and rm.tags == {}
    assert client.get_model_version(name, "2").tags == {}


def _clone_models(db: Path, template: str, prefix: str, n_models: int, n_versions: int) -> None:
    """Add ``n_models`` registered models x ``n_versions`` versions to a server's database,
    cloning rows MLflow wrote (so every column is as MLflow fills it)."""
    con = sqlite3.connect(db, timeout=60)
    try:
        rm_cols = [r[1] for r in con.execute("PRAGMA table_info(registered_models)")]
        mv_cols = [r[1] for r in con.execute("PRAGMA table_info(model_versions)")]
        rm_row = dict(zip(rm_cols, con.execute(
            "SELECT * FROM registered_models WHERE name = ?", (template,)).fetchone()))
        mv_row = dict(zip(mv_cols, con.execute(
            "SELECT * FROM model_versions WHERE name = ?", (template,)).fetchone()))
        rms, mvs = [], []
        for i in range(n_models):
            name = f"{prefix}{i:04d}"
            rms.append({**rm_row, "name": name})
            for v in range(1, n_versions + 1):
                mvs.append({**mv_row, "name": name, "version": v})
        con.executemany(f"INSERT INTO registered_models ({', '.join(rm_cols)}) VALUES "
                        f"({', '.join('?' * len(rm_cols))})",
                        [tuple(r[c] for c in rm_cols) for r in rms])
        con.executemany(f"INSERT INTO model_versions ({', '.join(mv_cols)}) VALUES "
                        f"({', '.join('?' * len(mv_cols))})",
                        [tuple(r[c] for c in mv_cols) for r in mvs])
        con.commit()
    finally:
        con.close()


def test_paging_through_1000_registered_models(tracking):
    prefix = _prefix()
    info = log_sklearn_model()
    mlflow.register_model(info.model_uri, f"{prefix}template")
    _clone_models(Path(tracking.folder) / "mlflow.db", f"{prefix}template", f"{prefix}p",
                  1000, 3)
    source = ServerRegistry(tracking.url)
    pages = list(source.search_registered_models(f"name LIKE '{prefix}p%'"))
    # a small first page, then pages of 250 (short steps for the app's listing task)
    assert [len(p) for p in pages] == [50, 250, 250, 250, 200]
    models = [m for p in pages for m in p]
    assert [m.name for m in models] == [f"{prefix}p{i:04d}" for i in range(1000)]
    assert all([v.version for v in m.versions] == ["1", "2", "3"] for m in models)
    wanted = f"name LIKE '{prefix}p%'"
    assert registry_to_json(models) == mlflowclient_view(tracking.url, wanted, wanted)


def test_run_context_and_tracking_searches(tracking):
    from mlflow import MlflowClient

    prefix = _prefix()
    mlflow.set_experiment(f"{prefix}exp")
    info = log_sklearn_model()
    mlflow.register_model(info.model_uri, f"{prefix}ctx")
    source = ServerRegistry(tracking.url)
    version = source.get_model_version(f"{prefix}ctx", "1")
    context = source.run_context(version)
    run = MlflowClient().get_run(version.run_id)
    assert context.run_id == run.info.run_id and context.name == run.info.run_name
    assert context.params == run.data.params == {"alpha": "1"}
    assert context.metrics == run.data.metrics
    assert context.history == {"rmse": [(0, 1.0), (1, 0.5), (2, 1.0 / 3)]}
    assert context.tags == run.data.tags
    rest = source.rest
    experiments = [e for page in rest.paged(rest.search_experiments) for e in page]
    exp = next(e for e in experiments if e["name"] == f"{prefix}exp")
    runs = [r for page in rest.paged(rest.search_runs, [exp["experiment_id"]]) for r in page]
    assert [r["info"]["run_id"] for r in runs] == [version.run_id]
    models = [m for page in rest.paged(rest.search_logged_models, [exp["experiment_id"]])
              for m in page]
    assert [m["info"]["model_id"] for m in models] == [info.model_id]
