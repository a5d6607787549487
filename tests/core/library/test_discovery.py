"""Model discovery: the real corpus (file store, sqlite store, both together) and built trees."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from mlmanager.cli.scan import format_scan
from mlmanager.core.errors import ModelReadError
from mlmanager.core.library import discovery
from mlmanager.core.library.discovery import (
    DiscoveredModel,
    LibrarySource,
    LocalFolderSource,
    ModelLocation,
    ScanProblem,
    classify,
    iter_scan,
    read_mlmodel_facts,
    scan,
    scan_to_json,
)

RUN_A = "a" * 32
RUN_B = "0123456789abcdef0123456789abcdef"
MODEL_A = "m-" + "1" * 32
MODEL_B = "m-" + "2" * 32

MLMODEL = """\
artifact_path: model
flavors:
  python_function:
    loader_module: mlflow.sklearn
    model_path: model.pkl
  sklearn:
    pickled_model: model.pkl
mlflow_version: 2.9.2
run_id: {run_id}
signature:
  inputs: '[{{"type": "double", "name": "x", "required": true}}]'
  outputs: null
utc_time_created: '2024-01-02 03:04:05.000006'
"""


# ------------------------------------------------------------------------- builders


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def model_dir(path: Path, run_id: str = RUN_A) -> Path:
    write(path / "MLmodel", MLMODEL.format(run_id=run_id))
    write(path / "model.pkl", "not really a pickle")
    return path


def experiment(store: Path, exp_id: str, name: str, stage: str = "active") -> Path:
    return write(
        store / exp_id / "meta.yaml",
        f"artifact_location: file:///elsewhere/{exp_id}\nexperiment_id: '{exp_id}'\n"
        f"lifecycle_stage: {stage}\nname: {name}\n",
    ).parent


def run(store: Path, exp_id: str, run_id: str, name: str | None, stage: str = "active") -> Path:
    name_line = f"run_name: {name}\n" if name is not None else ""
    return write(
        store / exp_id / run_id / "meta.yaml",
        f"experiment_id: '{exp_id}'\nlifecycle_stage: {stage}\n{name_line}run_id: {run_id}\n"
        "status: 3\ntags: []\n",
    ).parent


def logged_model(
    store: Path, exp_id: str, model_id: str, name: str, run_id: str, stage: str | None = None
) -> Path:
    stage_line = f"lifecycle_stage: {stage}\n" if stage else ""
    mdir = store / exp_id / "models" / model_id
    write(
        mdir / "meta.yaml",
        f"experiment_id: '{exp_id}'\n{stage_line}model_id: {model_id}\nname: {name}\n"
        f"source_run_id: {run_id}\nstatus: 2\n",
    )
    model_dir(mdir / "artifacts", run_id)
    return mdir / "artifacts"


def names(result) -> list[tuple]:
    return [
        (
            m.kind,
            m.experiment.name if m.experiment else None,
            m.run.name if m.run else None,
            m.name,
        )
        for m in result.models
    ]


# ------------------------------------------------------------------------- the real corpus


def _expected_models(expected: dict) -> set[tuple]:
    out = set()
    for exp in expected["facts"]["experiments"]:
        run_names = {r["run_id"]: r["run_name"] for r in exp["runs"]}
        for lm in exp["logged_models"]:
            run_id = lm["source_run_id"]
            out.add(
                (
                    exp["experiment_id"],
                    exp["name"],
                    lm["model_id"],
                    lm["name"],
                    run_id,
                    run_names.get(run_id),
                )
            )
    return out


def _found_models(result) -> set[tuple]:
    return {
        (m.experiment.id, m.experiment.name, m.model_id, m.name, m.run.id, m.run.name)
        for m in result.models
    }


def test_file_store_matches_what_mlflow_lists(models_dir: Path) -> None:
    expected = json.loads((models_dir / "mlruns.expected.json").read_text())
    result = scan(models_dir / "mlruns")
    assert result.problems == []
    assert {m.kind for m in result.models} == {"logged_model"}
    assert _found_models(result) == _expected_models(expected)
    assert len(result.models) == 3
    # flavors and signature presence agree with what mlflow read from each model
    for name in expected["models_in_this_tracking_dir"]:
        facts = json.loads((models_dir / f"{name}.expected.json").read_text())
        model = next(m for m in result.models if m.path == models_dir / facts["model_dir"])
        assert list(model.flavors) == facts["flavor_names"]
        assert model.has_signature == (facts["signature"] is not None)


def _snapshot(folder: Path) -> dict[str, tuple[str, int]]:
    return {
        str(p.relative_to(folder)): (
            hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir",
            p.stat().st_mtime_ns,
        )
        for p in sorted(folder.rglob("*"))
    }


def test_sqlite_store_names_come_from_the_db_read_only(models_dir: Path, tmp_path: Path) -> None:
    expected = json.loads((models_dir / "sqlite_store.expected.json").read_text())
    # a moved copy: every absolute path inside mlflow.db now points nowhere (see moved_store)
    store = tmp_path / "moved" / "sqlite_store"
    shutil.copytree(models_dir / "sqlite_store", store)
    for p in [store, *store.rglob("*")]:
        p.chmod(p.stat().st_mode | 0o200)  # writable, so sqlite *could* create -wal/-shm files
    before = _snapshot(store)
    result = scan(store)
    assert _snapshot(store) == before  # same bytes, same mtimes, no new files
    assert result.problems == []
    assert _found_models(result) == _expected_models(expected)
    assert {m.name for m in result.models} == {"model", "ridge_model"}
    # scanning the artifact folder itself still finds the db beside it
    assert _found_models(scan(store / "mlruns")) == _expected_models(expected)
    assert _snapshot(store) == before


def test_sqlite_db_is_opened_immutable(models_dir: Path, tmp_path: Path) -> None:
    db = tmp_path / "mlflow.db"
    shutil.copy(models_dir / "sqlite_store" / "mlflow.db", db)
    # another process holds a write lock: an ordinary reader would get "database is locked"
    writer = sqlite3.connect(db)
    writer.execute("BEGIN EXCLUSIVE")
    try:
        model_dir(tmp_path / "mlruns" / "1" / "models" / MODEL_A / "artifacts")
        result = scan(tmp_path)
        assert [m.experiment.name for m in result.models] == ["customer-churn"]
        assert result.problems == []
    finally:
        writer.rollback()
        writer.close()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mlflow.db", "mlruns"]


def test_corpus_root_finds_every_model_once(models_dir: Path) -> None:
    on_disk = sorted(
        Path(d)
        for d, _dirs, files in os.walk(models_dir)
        if "MLmodel" in files and "metadata" not in Path(d).parts
    )
    result = scan(models_dir)
    paths = [m.path for m in result.models]
    assert paths == on_disk  # sorted, each once
    assert len(paths) == len(set(paths)) == 16
    kinds = {m.path.relative_to(models_dir).parts[0]: m.kind for m in result.models}
    assert kinds["iris_logreg_colspec"] == "standalone"
    assert kinds["mlruns"] == kinds["sqlite_store"] == "logged_model"
    by_name = {m.path.name: m for m in result.models if m.kind == "standalone"}
    assert by_name["scaler_logreg_nosig"].has_signature is False
    assert by_name["ticket_triage_pyfunc_params"].flavors == ("python_function",)
    # the two trackers are named from meta.yaml and from mlflow.db respectively
    exps = {m.experiment.name for m in result.models if m.experiment}
    assert exps == {"house-prices", "iris-classifiers", "customer-churn", "building-energy"}


def test_mlmodel_facts_agree_with_mlflow_on_wild_files(wild_models: Path) -> None:
    index = json.loads((wild_models / "index.json").read_text())
    checked = 0
    for item in index:
        seen = item["mlflow_3_17_2"]
        folder = wild_models / item["slug"]
        facts = read_mlmodel_facts(str(folder))
        if not seen["mlflow_loads"]:
            continue
        if facts.error is None:
            assert list(facts.flavors) == seen["flavor_names"], item["slug"]
            assert facts.has_signature == (seen["signature"] is not None), item["slug"]
            checked += 1
    assert checked >= 25


# ------------------------------------------------------------------------- JSON and text


def test_json_shape_and_order(models_dir: Path) -> None:
    doc = scan_to_json(scan(models_dir / "mlruns"))
    assert set(doc) == {"root", "models", "problems"}
    assert doc["root"] == str(models_dir / "mlruns")
    keys = {"path", "kind", "experiment", "run", "model_id", "name", "flavors", "has_signature"}
    for m in doc["models"]:
        assert set(m) == keys
        assert set(m["experiment"]) == set(m["run"]) == {"id", "name"}
    assert [m["path"] for m in doc["models"]] == sorted(m["path"] for m in doc["models"])
    knn = next(m for m in doc["models"] if m["name"] == "knn_model")
    assert knn == {
        "path": str(
            models_dir
            / "mlruns/662028876377295983/models/m-ce7237071673427d8fe811c800894172/artifacts"
        ),
        "kind": "logged_model",
        "experiment": {"id": "662028876377295983", "name": "iris-classifiers"},
        "run": {"id": "894244f7e6a2443d8ad82e88d9fdd958", "name": "knn-k5"},
        "model_id": "m-ce7237071673427d8fe811c800894172",
        "name": "knn_model",
        "flavors": ["python_function", "sklearn"],
        "has_signature": False,
    }
    json.dumps(doc)


def test_format_scan_is_a_table_with_problems(tmp_path: Path) -> None:
    model_dir(tmp_path / "good")
    write(tmp_path / "bad" / "MLmodel", "flavors: [unclosed\n")
    text = format_scan(scan(tmp_path))
    lines = text.splitlines()
    assert lines[0].split() == ["KIND", "EXPERIMENT", "RUN", "NAME", "FLAVORS", "SIG", "PATH"]
    assert any(line.startswith("standalone") and line.endswith("good") for line in lines)
    assert "2 models under" in text and "1 problem:" in text
    assert "bad MLmodel" in text


# ------------------------------------------------------------------------- classification


@pytest.mark.parametrize(
    ("rel", "kind", "exp", "extra"),
    [
        (f"mlruns/1/{RUN_A}/artifacts/model", "run_artifact", "1", "model"),
        (f"mlruns/1/{RUN_A}/artifacts/a/b", "run_artifact", "1", "a/b"),
        (f"mlruns/7/models/{MODEL_A}/artifacts", "logged_model", "7", MODEL_A),
        ("mlartifacts/3/models/m-" + "f" * 32 + "/artifacts", "logged_model", "3", None),
        ("models/churn", "standalone", None, None),
        (f"x/{RUN_A}/model", "standalone", None, None),
        ("x/models/m-123/artifacts", "standalone", None, None),
    ],
)
def test_classify(tmp_path: Path, rel: str, kind: str, exp: str | None, extra: str | None) -> None:
    place = classify(str(tmp_path / rel))
    assert place.kind == kind
    assert place.experiment_id == exp
    if kind == "run_artifact":
        assert place.artifact_path == extra and place.run_id == RUN_A
        assert place.store_root == str(tmp_path / "mlruns")
    if kind == "logged_model" and extra:
        assert place.model_id == extra


# ------------------------------------------------------------------------- built trees


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A 2.x/3.x file store: run-artifact models and logged models in two experiments."""
    s = tmp_path / "mlruns"
    experiment(s, "0", "Default")
    experiment(s, "1", "churn")
    run(s, "1", RUN_A, "baseline")
    model_dir(s / "1" / RUN_A / "artifacts" / "model")
    run(s, "1", RUN_B, "tuned")
    logged_model(s, "1", MODEL_A, "clf", RUN_B)
    experiment(s, "2", "energy")
    run(s, "2", "c" * 32, "ridge")
    logged_model(s, "2", MODEL_B, "ridge_model", "c" * 32)
    return s


def test_built_store(store: Path) -> None:
    result = scan(store)
    assert result.problems == []
    assert names(result) == [
        ("run_artifact", "churn", "baseline", "model"),
        ("logged_model", "churn", "tuned", "clf"),
        ("logged_model", "energy", "ridge", "ridge_model"),
    ]
    ra = result.models[0]
    assert ra.run.id == RUN_A and ra.artifact_path == "model" and ra.model_id is None
    assert ra.flavors == ("python_function", "sklearn") and ra.has_signature
    assert ra.mlmodel_run_id == RUN_A
    assert result.models[1].model_id == MODEL_A


def test_metadata_copy_is_not_a_second_model(tmp_path: Path) -> None:
    m = model_dir(tmp_path / "m")
    write(m / "metadata" / "MLmodel", MLMODEL.format(run_id=RUN_A))
    result = scan(tmp_path)
    assert [x.path for x in result.models] == [m]


def test_trash_is_skipped_unless_deleted_are_wanted(store: Path) -> None:
    experiment(store / ".trash", "9", "old", stage="deleted")
    run(store / ".trash", "9", "d" * 32, "gone")
    model_dir(store / ".trash" / "9" / ("d" * 32) / "artifacts" / "model")
    assert len(scan(store).models) == 3
    everything = scan(store, include_deleted=True)
    assert len(everything.models) == 4
    gone = [m for m in everything.models if m.deleted]
    assert [(m.experiment.name, m.run.name) for m in gone] == [("old", "gone")]


def test_deleted_run_model_and_experiment_are_skipped(store: Path) -> None:
    run(store, "1", RUN_A, "baseline", stage="deleted")
    logged_model(store, "2", MODEL_B, "ridge_model", "c" * 32, stage="deleted")
    assert names(scan(store)) == [("logged_model", "churn", "tuned", "clf")]
    experiment(store, "1", "churn", stage="deleted")
    assert scan(store).models == []
    assert len(scan(store, include_deleted=True).models) == 3


def test_model_registry_folder_is_not_walked(store: Path, monkeypatch) -> None:
    write(store / "models" / "churn" / "meta.yaml", "name: churn\n")
    write(store / "models" / "churn" / "version-1" / "meta.yaml", "version: 1\n")
    seen: list[str] = []
    real = os.scandir

    def spy(path):
        seen.append(str(path))
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", spy)
    assert len(scan(store).models) == 3
    assert not any(p.startswith(str(store / "models")) for p in seen)
    assert any(p == str(store / "1" / "models") for p in seen)


def test_a_plain_folder_named_models_is_walked(tmp_path: Path) -> None:
    m = model_dir(tmp_path / "models" / "churn")
    model_dir(tmp_path / "0" / "x")  # a digit folder without meta.yaml: no tracking root
    assert [x.path for x in scan(tmp_path).models] == [tmp_path / "0" / "x", m]


def test_run_bookkeeping_folders_are_not_models(store: Path) -> None:
    # a param key with slashes nests folders; a param named "MLmodel" is a file there
    write(store / "1" / RUN_A / "params" / "x" / "MLmodel", "0.5")
    write(store / "1" / RUN_A / "tags" / "MLmodel", "v")
    assert len(scan(store).models) == 3


def test_symlinked_artifacts_folders_are_not_followed(store: Path, tmp_path: Path) -> None:
    outside = model_dir(tmp_path / "outside" / "m")
    run(store, "2", "e" * 32, "linked")
    (store / "2" / ("e" * 32) / "artifacts").symlink_to(outside.parent)
    lm = store / "2" / "models" / MODEL_A
    lm.mkdir(parents=True)
    (lm / "artifacts").symlink_to(outside)
    result = scan(store)
    assert len(result.models) == 3 and result.problems == []
    assert outside not in [m.path for m in result.models]


def test_symlink_loop_terminates_and_links_are_not_followed(tmp_path: Path) -> None:
    m = model_dir(tmp_path / "sub" / "m")
    (tmp_path / "sub" / "loop").symlink_to("..")
    (tmp_path / "link_to_model").symlink_to(m)
    elsewhere = model_dir(tmp_path.parent / (tmp_path.name + "_outside") / "m2")
    (tmp_path / "outside").symlink_to(elsewhere.parent)
    (tmp_path / "sub" / "n").mkdir()
    (tmp_path / "sub" / "n" / "MLmodel").symlink_to(m / "MLmodel")
    result = scan(tmp_path)
    assert [x.path for x in result.models] == [m]
    assert result.problems == []


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_fifos_are_never_opened(tmp_path: Path) -> None:
    os.mkfifo(tmp_path / "MLmodel")  # opening it for reading would block forever
    s = tmp_path / "store"
    experiment(s, "1", "e")
    (s / "1" / "meta.yaml").unlink()
    os.mkfifo(s / "1" / "meta.yaml")
    model_dir(s / "1" / "models" / MODEL_A / "artifacts")
    result = scan(tmp_path)
    assert [x.kind for x in result.models] == ["logged_model"]
    assert result.models[0].experiment.name is None
    assert [p.message for p in result.problems] == ["bad meta.yaml: is not a regular file"]


def test_unreadable_folder_is_a_problem_and_the_walk_goes_on(tmp_path: Path, monkeypatch) -> None:
    model_dir(tmp_path / "a")
    locked = tmp_path / "b"
    model_dir(locked / "inner")
    model_dir(tmp_path / "c")
    real = os.scandir

    def scandir(path):
        if str(path) == str(locked):
            raise PermissionError(13, "Permission denied", str(path))
        return real(path)

    monkeypatch.setattr(discovery.os, "scandir", scandir)
    result = scan(tmp_path)
    assert [m.path.name for m in result.models] == ["a", "c"]
    assert [str(p) for p in result.problems] == [f"permission denied: {locked}"]
    assert scan_to_json(result)["problems"] == [{"path": str(locked), "message": "permission denied"}]


def test_broken_mlmodel_still_yields_the_model(tmp_path: Path) -> None:
    model_dir(tmp_path / "a")
    write(tmp_path / "b" / "MLmodel", "flavors:\n  sklearn: {\n")
    write(tmp_path / "c" / "MLmodel", "- just\n- a list\n")
    write(tmp_path / "d" / "MLmodel", "flavors: 3\n")
    write(tmp_path / "e" / "MLmodel", "flavors: {}\nutc_time_created: 2024-13-45\n")
    models = {m.path.name: m for m in scan(tmp_path).models}
    assert models["a"].error is None
    assert models["b"].error.startswith("invalid YAML") and models["b"].flavors == ()
    assert models["c"].error == "MLmodel is not a YAML mapping"
    assert models["d"].error == "'flavors' is not a mapping"
    assert models["e"].error == "invalid YAML value: month must be in 1..12"
    problems = scan(tmp_path).problems
    assert sorted(Path(p.path).name for p in problems) == ["b", "c", "d", "e"]
    assert all(p.message.startswith("bad MLmodel: ") for p in problems)


def test_broken_or_odd_meta_yaml(store: Path) -> None:
    write(store / "1" / "meta.yaml", "name: [unclosed\n")
    write(store / "1" / RUN_A / "meta.yaml", "lifecycle_stage: active\nrun_id: x\n")  # 1.x
    write(store / "1" / RUN_A / "tags" / "mlflow.runName", "from-the-tag")
    write(store / "2" / "meta.yaml", "name: 2024\nlifecycle_stage: active\n")
    result = scan(store)
    assert names(result) == [
        ("run_artifact", None, "from-the-tag", "model"),
        ("logged_model", None, "tuned", "clf"),
        ("logged_model", "2024", "ridge", "ridge_model"),
    ]
    assert [(Path(p.path).parent.name, p.message[:15]) for p in result.problems] == [
        ("1", "bad meta.yaml: ")
    ]


def test_store_without_meta_falls_back_to_ids(tmp_path: Path) -> None:
    """An artifact folder copied without meta.yaml or db: ids from folders and MLmodel."""
    m = model_dir(tmp_path / "mlartifacts" / "4" / "models" / MODEL_A / "artifacts", RUN_B)
    (found,) = scan(tmp_path).models
    assert found.path == m and found.kind == "logged_model"
    assert found.name == MODEL_A and found.model_id == MODEL_A
    assert found.experiment.to_json() == {"id": "4", "name": None}
    assert found.run.to_json() == {"id": RUN_B, "name": None}


def test_old_sqlite_schema_without_some_tables_and_columns(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "mlflow.db")
    con.execute("CREATE TABLE experiments (experiment_id INTEGER, name TEXT)")
    con.execute("INSERT INTO experiments VALUES (3, 'legacy')")
    con.execute("CREATE TABLE runs (run_uuid TEXT, name TEXT)")
    con.execute(f"INSERT INTO runs VALUES ('{RUN_A}', 'r1')")
    con.commit()
    con.close()
    model_dir(tmp_path / "mlruns" / "3" / RUN_A / "artifacts" / "model")
    result = scan(tmp_path)
    assert names(result) == [("run_artifact", "legacy", "r1", "model")]
    assert result.problems == []


def test_sqlite_deleted_rows_are_skipped(tmp_path: Path) -> None:
    con = sqlite3.connect(tmp_path / "mlflow.db")
    con.execute("CREATE TABLE experiments (experiment_id INTEGER, name TEXT, lifecycle_stage TEXT)")
    con.execute("INSERT INTO experiments VALUES (1, 'e', 'active')")
    con.execute(
        "CREATE TABLE logged_models (model_id TEXT, experiment_id INTEGER, name TEXT,"
        " source_run_id TEXT, lifecycle_stage TEXT)"
    )
    con.execute(f"INSERT INTO logged_models VALUES ('{MODEL_A}', 1, 'kept', NULL, 'active')")
    con.execute(f"INSERT INTO logged_models VALUES ('{MODEL_B}', 1, 'gone', NULL, 'deleted')")
    con.commit()
    con.close()
    for mid in (MODEL_A, MODEL_B):
        model_dir(tmp_path / "mlruns" / "1" / "models" / mid / "artifacts")
    assert [m.name for m in scan(tmp_path).models] == ["kept"]
    assert [m.name for m in scan(tmp_path, include_deleted=True).models] == ["kept", "gone"]


def test_a_corrupt_db_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    write(tmp_path / "mlflow.db", "this is not sqlite" * 100)
    model_dir(tmp_path / "mlruns" / "1" / "models" / MODEL_A / "artifacts")
    result = scan(tmp_path)
    assert len(result.models) == 1
    assert [p.message.split(":")[0] for p in result.problems] == ["cannot read mlflow.db"]


# ------------------------------------------------------------------------- streaming API


def test_cancel_stops_early(tmp_path: Path) -> None:
    for i in range(10):
        model_dir(tmp_path / f"m{i}")
    found: list[DiscoveredModel] = []

    def cancel() -> bool:
        return len(found) >= 3

    for item in iter_scan(tmp_path, cancel=cancel):
        if isinstance(item, DiscoveredModel):
            found.append(item)
    assert len(found) == 3
    assert len(scan(tmp_path, cancel=lambda: True).models) == 0


def test_progress_reports_folders(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.setattr(discovery, "PROGRESS_EVERY", 2)
    for i in range(5):
        model_dir(tmp_path / "d" / f"m{i}")
    calls: list[int] = []
    scan(tmp_path, progress=calls.append)
    assert calls == [2, 4, 6, 7]  # root, d, five models; the last call is the total


def test_models_stream_before_the_walk_ends(tmp_path: Path) -> None:
    for i in range(3):
        model_dir(tmp_path / f"m{i}")
    it = iter_scan(tmp_path)
    first = next(it)
    assert isinstance(first, DiscoveredModel) and first.path.name == "m0"


def test_root_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelReadError, match="no such folder"):
        iter_scan(tmp_path / "nope")
    write(tmp_path / "f.txt", "x")
    with pytest.raises(ModelReadError, match="not a folder"):
        scan(tmp_path / "f.txt")
    m = model_dir(tmp_path / "m")
    assert [x.path for x in scan(m).models] == [m]


def test_protocols_and_location(store: Path) -> None:
    source = LocalFolderSource(store)
    assert isinstance(source, LibrarySource)
    items = list(source.iter_models())
    assert all(isinstance(i, (DiscoveredModel, ScanProblem)) for i in items)
    model = items[0]
    assert isinstance(model.location, ModelLocation)
    assert model.location.uri.startswith("file://")
    with model.location.open() as files:
        assert files.read_bytes("MLmodel").startswith(b"artifact_path: model")


def test_core_scan_does_not_import_heavy_modules(models_dir: Path) -> None:
    code = (
        "import sys; from mlmanager.core.library.discovery import scan; "
        f"scan({str(models_dir)!r}); "
        "bad = [m for m in ('pandas', 'numpy', 'mlflow', 'PySide6') if m in sys.modules]; "
        "assert not bad, bad"
    )
    repo = Path(__file__).resolve().parents[3]
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=repo, timeout=120
    )
    assert proc.returncode == 0, proc.stderr


def test_read_small_file_refuses_links_and_big_files(tmp_path: Path) -> None:
    from mlmanager.core.errors import UnsafePathError, YamlError
    from mlmanager.core.library.tracking import read_small_file

    target = write(tmp_path / "real.yaml", "name: x\n")
    (tmp_path / "link.yaml").symlink_to(target)
    assert read_small_file(str(target), 100) == b"name: x\n"
    assert read_small_file(str(tmp_path / "missing.yaml"), 100) is None
    with pytest.raises(UnsafePathError, match="symbolic link"):
        read_small_file(str(tmp_path / "link.yaml"), 100)
    with pytest.raises(UnsafePathError, match="symbolic link"):
        read_small_file(str(tmp_path / "link.yaml"), 100, known_regular=True)  # O_NOFOLLOW
    with pytest.raises(YamlError, match="larger than the 4-byte limit"):
        read_small_file(str(target), 4)
