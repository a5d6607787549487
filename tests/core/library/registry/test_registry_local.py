"""Local registries (file store ``mlruns/models``, ``mlflow.db``) equal MlflowClient's view."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from corpus_paths import MODELS
from registry_oracle import mlflowclient_view

from mlmanager.core.errors import ModelReadError
from mlmanager.core.library.registry.entities import registry_to_json
from mlmanager.core.library.registry.filestore import FileStoreRegistry
from mlmanager.core.library.registry.opening import open_registry
from mlmanager.core.library.registry.search import FilterError
from mlmanager.core.library.registry.source import (
    ReadOnlyRegistryError,
    RegistryNotFoundError,
    RegistrySource,
    list_all,
    resolve_version,
)
from mlmanager.core.library.registry.sqlite import SqliteRegistry

FILE_STORE = MODELS / "mlruns"
SQLITE_DB = MODELS / "sqlite_store" / "mlflow.db"


def _expected_file_store() -> dict:
    doc = json.loads((MODELS / "mlruns.expected.json").read_text())["registry"]
    doc.pop("read_with")
    for model in doc["registered_models"]:
        for version in model["versions"]:
            version.pop("model_id")  # not part of the --json shape
    return doc


def test_file_store_registry_equals_mlflowclient_view():
    source = FileStoreRegistry(FILE_STORE)
    assert isinstance(source, RegistrySource)
    assert registry_to_json(list_all(source)) == _expected_file_store()


@pytest.mark.compat
def test_file_store_registry_equals_live_mlflowclient(tmp_path: Path, monkeypatch):
    """The recorded view above, checked again against this MLflow reading a copy of the store
    (MLflow 3.17 opens a file store only with MLFLOW_ALLOW_FILE_STORE=true)."""
    pytest.importorskip("mlflow")
    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    copy = tmp_path / "mlruns"
    shutil.copytree(FILE_STORE, copy)
    expected = mlflowclient_view(copy.as_uri())
    assert expected["registered_models"], "the corpus store has registered models"
    assert registry_to_json(list_all(FileStoreRegistry(copy))) == expected
    assert registry_to_json(list_all(FileStoreRegistry(FILE_STORE))) == expected


def test_file_store_versions_carry_model_ids_and_their_folders():
    expected = json.loads((MODELS / "mlruns.expected.json").read_text())["registry"]
    source = FileStoreRegistry(FILE_STORE)
    for model in expected["registered_models"]:
        for want in model["versions"]:
            got = source.get_model_version(model["name"], want["version"])
            assert got.model_id == want["model_id"]
            folder = source.fetch_version(got)
            # the store was generated elsewhere: the folder is found where the store is now
            assert folder.is_relative_to(FILE_STORE)
            assert folder.parts[-2] == want["model_id"] and (folder / "MLmodel").is_file()


@pytest.mark.compat
def test_sqlite_registry_equals_mlflowclient_view(tmp_path: Path):
    pytest.importorskip("mlflow")
    copy = tmp_path / "mlflow.db"  # mlflow may touch the file it opens: give it a copy
    shutil.copy2(SQLITE_DB, copy)
    expected = mlflowclient_view(f"sqlite:///{copy}")
    assert expected["registered_models"], "the corpus store has registered models"
    assert registry_to_json(list_all(SqliteRegistry(SQLITE_DB))) == expected


def test_sqlite_registry_reads_without_writing(tmp_path: Path):
    copy = tmp_path / "store"
    shutil.copytree(SQLITE_DB.parent, copy)
    db = copy / "mlflow.db"
    db.chmod(0o444)
    before = sorted(p.name for p in copy.iterdir())
    source = SqliteRegistry(db)
    model = source.get_registered_model("churn-classifier")
    assert [v.version for v in model.versions] == ["1", "2"]
    assert model.aliases == {"champion": "1"}
    assert resolve_version(source, "churn-classifier", "@champion").version == "1"
    # the copied store is somewhere else than where it was generated: found by model id
    assert source.fetch_version(model.versions[1]).is_relative_to(copy)
    assert sorted(p.name for p in copy.iterdir()) == before  # no -wal/-shm/-journal


def test_filters_on_local_registries():
    source = FileStoreRegistry(FILE_STORE)
    names = lambda f: [m.name for m in list_all(source, f)]  # noqa: E731
    assert names("name LIKE 'house%'") == ["house-prices"]
    assert names("name ILIKE 'IRIS%'") == ["iris-knn"]
    assert names("name LIKE 'IRIS%'") == []
    assert names("tags.team = 'valuation'") == ["house-prices"]
    assert names("tags.team != 'valuation'") == []  # a model without the tag matches nothing
    assert names("name = 'iris-knn' AND tags.team = 'valuation'") == []
    versions = [v.version for page in source.search_model_versions(
        "name = 'house-prices' AND version_number >= 2") for v in page]
    assert versions == ["2"]
    with pytest.raises(FilterError):
        list_all(source, "name = 'a' OR name = 'b'")


def test_local_registries_are_read_only():
    for source in (FileStoreRegistry(FILE_STORE), SqliteRegistry(SQLITE_DB)):
        assert not source.writable
        for call in (
            lambda s=source: s.set_alias("m", "champion", "1"),
            lambda s=source: s.delete_alias("m", "champion"),
            lambda s=source: s.set_tag("m", "k", "v"),
            lambda s=source: s.delete_tag("m", "k", "1"),
            lambda s=source: s.set_description("m", "d"),
            lambda s=source: s.register_model_folder(MODELS / "iris_logreg_colspec", "m"),
        ):
            with pytest.raises(ReadOnlyRegistryError, match="read-only"):
                call()


def test_missing_names_versions_and_aliases():
    source = FileStoreRegistry(FILE_STORE)
    with pytest.raises(RegistryNotFoundError, match="no registered model named 'nope'"):
        source.get_registered_model("nope")
    with pytest.raises(RegistryNotFoundError, match="has no version 9"):
        source.get_model_version("iris-knn", "9")
    with pytest.raises(RegistryNotFoundError, match="has no alias @gold"):
        resolve_version(source, "iris-knn", "@gold")


@pytest.mark.parametrize("given, kind", [
    (str(FILE_STORE), FileStoreRegistry),
    (FILE_STORE.as_uri(), FileStoreRegistry),
    (str(SQLITE_DB), SqliteRegistry),
    (str(SQLITE_DB.parent), SqliteRegistry),
    (f"sqlite:///{SQLITE_DB}", SqliteRegistry),
    (str(MODELS), FileStoreRegistry),  # a folder holding mlruns/
])
def test_open_registry_by_uri(given: str, kind: type):
    assert isinstance(open_registry(given), kind)


def test_open_registry_refuses_what_it_cannot_read(tmp_path: Path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    with pytest.raises(ModelReadError, match="MLFLOW_TRACKING_URI"):
        open_registry(None)
    with pytest.raises(ModelReadError, match="no such file or folder"):
        open_registry(str(tmp_path / "missing"))
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ModelReadError, match="not an SQLite database"):
        open_registry(str(tmp_path / "notes.txt"))
    with pytest.raises(ModelReadError, match="not supported"):
        open_registry("databricks://profile")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", str(FILE_STORE))
    assert isinstance(open_registry(None), FileStoreRegistry)
