"""Hostile files are classified in a real worker and refused before any payload runs.

T1, T2, T3 (refusal), T6, T7, T12, T16, T19 and T30 of security.md §7. Every payload would
create ``marker``; the tests assert it never exists.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import worker_builders as wb

from mlmanager.core.errors import ModelReadError, UnsafePathError
from mlmanager.core.safety import (
    CONTAINS_CODE,
    KNOWN_DANGEROUS,
    UNPARSEABLE,
    UNTRUSTED_IMPORTS,
)
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker.errors import ModelRefusedError

DANGEROUS = {
    "m01": wb.m01, "m02": wb.m02, "m02b": wb.m02b, "m03": wb.m03, "m05": wb.m05,
    "m09": wb.m09, "m12": wb.m12, "m17": wb.m17, "m18": wb.m18,
}


@pytest.mark.parametrize("name", sorted(DANGEROUS))
def test_t1_known_dangerous_is_blocked_even_when_trusted(
    shared_client: WorkerClient, tmp_path: Path, name: str
) -> None:
    marker = tmp_path / "marker"
    folder = wb.write_model(tmp_path / "model", DANGEROUS[name](marker))
    report = shared_client.scan(folder)
    assert report.classification == KNOWN_DANGEROUS, report
    assert report.dangerous and all("." in d for d in report.dangerous)
    with pytest.raises(ModelRefusedError, match="Blocked: dangerous import") as info:
        shared_client.load(folder, {report.sha256})
    assert info.value.report.classification == KNOWN_DANGEROUS
    assert not marker.exists()


def test_t1_names_the_import(shared_client: WorkerClient, tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "model", wb.m01(tmp_path / "marker"))
    report = shared_client.scan(folder)
    assert report.dangerous == ("posix.system",)
    assert "posix.system" in report.summary


def test_t2_payload_then_corrupt_tail_is_unparseable(shared_client: WorkerClient, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    folder = wb.write_model(tmp_path / "model", wb.m07(marker))
    report = shared_client.scan(folder)
    assert report.classification == UNPARSEABLE
    assert "corrupt or tampered" in report.summary
    with pytest.raises(ModelRefusedError, match="not a valid model file"):
        shared_client.load(folder, {report.sha256})
    assert not marker.exists()


@pytest.mark.parametrize(("builder", "imports"), [
    (wb.m04, {"importlib.import_module"}),
    (wb.m10, {"builtins.bytearray"}),
    (wb.m11, {"numpy._core.multiarray.zeros", "numpy.zeros"}),
    (wb.m15, {"builtins.sum", "itertools.repeat"}),
])
def test_t3_untrusted_imports_are_listed_and_refused(
    shared_client: WorkerClient, tmp_path: Path, builder, imports: set[str]
) -> None:
    folder = wb.write_model(tmp_path / "model", builder())
    report = shared_client.scan(folder)
    assert report.classification == UNTRUSTED_IMPORTS
    assert set(report.untrusted) & imports, report.untrusted
    with pytest.raises(ModelRefusedError, match="Trust this exact file") as info:
        shared_client.load(folder)
    assert report.sha256 in str(info.value)


def test_t4_lambda_pipeline_needs_consent(shared_client: WorkerClient, tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "model", wb.pipe_lambda_cloud())
    report = shared_client.scan(folder)
    assert report.classification == CONTAINS_CODE
    assert "cloudpickle.cloudpickle._make_function" in report.code
    with pytest.raises(ModelRefusedError, match="contains Python code"):
        shared_client.load(folder)


def test_t6_payload_named_txt_is_scanned_by_content(shared_client: WorkerClient, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    folder = wb.write_model(tmp_path / "model", wb.m01(marker), filename="model.txt")
    report = shared_client.scan(folder)
    assert report.classification == KNOWN_DANGEROUS and report.file == "model.txt"
    with pytest.raises(ModelRefusedError):
        shared_client.load(folder)
    assert not marker.exists()


@pytest.mark.parametrize("listed", [None, ["posix.system"]])
def test_t7_skops_gadget_is_blocked_with_or_without_the_mlmodel_list(
    shared_client: WorkerClient, tmp_path: Path, listed: list[str] | None
) -> None:
    marker = tmp_path / "marker"
    folder = wb.write_model(tmp_path / "model", wb.s01(marker), filename="model.skops",
                            fmt="skops", skops_trusted_types=listed)
    report = shared_client.scan(folder)
    assert report.classification == KNOWN_DANGEROUS
    assert report.dangerous == ("posix.system",)
    if listed:
        assert any("ignored" in w and "posix.system" in w for w in report.warnings)
    else:
        assert report.warnings == ()
    with pytest.raises(ModelRefusedError):
        shared_client.load(folder, {report.sha256})
    assert not marker.exists()


@pytest.mark.parametrize("content", [b"", "truncated", "text"])
def test_t12_broken_files_are_unparseable(shared_client: WorkerClient, tmp_path: Path, content) -> None:
    from sklearn.linear_model import LogisticRegression

    if content == "truncated":
        import pickle

        data = pickle.dumps(LogisticRegression().fit(*wb.xy()), protocol=4)
        content = data[: len(data) * 2 // 3]
    elif content == "text":
        content = b"root:x:0:0:root:/root:/bin/bash\n"
    folder = wb.write_model(tmp_path / "model", content)
    report = shared_client.scan(folder)
    assert report.classification == UNPARSEABLE
    with pytest.raises(ModelRefusedError, match="not a valid model file"):
        shared_client.load(folder, {report.sha256})


def test_t12_sparse_file_refused_by_the_size_cap(shared_client: WorkerClient, tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "model", None)
    with open(folder / "model.pkl", "wb") as fh:
        fh.truncate(30 << 30)
    with pytest.raises(ModelReadError, match="larger than the"):
        shared_client.scan(folder)
    with pytest.raises(ModelReadError, match="larger than the"):
        shared_client.load(folder)


@pytest.mark.parametrize(("old", "new"), [
    ("pickled_model: model.pkl", "pickled_model: ../../outside.pkl"),
    ("model_path: model.pkl", "model_path: /etc/passwd"),
    ("code: null", "code: /tmp"),
])
def test_t16_paths_outside_the_folder(shared_client: WorkerClient, tmp_path: Path, old: str, new: str) -> None:
    (tmp_path / "outside.pkl").write_bytes(wb.m01(tmp_path / "marker"))
    folder = wb.write_model(tmp_path / "a" / "model", b"\x80\x04K\x01.")
    (folder / "MLmodel").write_text((folder / "MLmodel").read_text().replace(old, new))
    with pytest.raises(UnsafePathError, match="path escapes model folder"):
        shared_client.scan(folder)
    with pytest.raises(UnsafePathError, match="path escapes model folder"):
        shared_client.load(folder)
    assert not (tmp_path / "marker").exists()


@pytest.mark.parametrize("kind", ["passwd", "fifo", "zero"])
def test_t19_links_and_fifos_are_refused_before_open(
    shared_client: WorkerClient, tmp_path: Path, kind: str
) -> None:
    folder = wb.write_model(tmp_path / "model", None)
    target = folder / "model.pkl"
    if kind == "fifo":
        os.mkfifo(target)
    else:
        target.symlink_to("/etc/passwd" if kind == "passwd" else "/dev/zero")
    with pytest.raises(UnsafePathError, match="not a regular file inside the model folder"):
        shared_client.scan(folder)
    with pytest.raises(UnsafePathError):
        shared_client.load(folder)


def test_t30_replaced_file_asks_for_trust_again(shared_client: WorkerClient, tmp_path: Path) -> None:
    marker = tmp_path / "marker"
    folder = wb.write_model(tmp_path / "model", wb.pipe_lambda_cloud())
    first = shared_client.scan(folder)
    assert first.classification == CONTAINS_CODE
    (folder / "model.pkl").write_bytes(wb.m06(marker))  # swapped after the user looked
    with pytest.raises(ModelRefusedError) as info:
        shared_client.load(folder, {first.sha256})
    assert info.value.report.sha256 != first.sha256
    assert not marker.exists()
    # a benign file replaced by a dangerous one after its scan is judged again at load time
    safe = wb.write_model(tmp_path / "safe", b"\x80\x04K\x01.")
    assert shared_client.scan(safe).classification == "SAFE-LISTED"
    (safe / "model.pkl").write_bytes(wb.m01(marker))
    with pytest.raises(ModelRefusedError, match="dangerous"):
        shared_client.load(safe)
    assert not marker.exists()


def test_other_flavors_go_through_pyfunc_and_need_trust(shared_client: WorkerClient, tmp_path: Path) -> None:
    import yaml

    folder = tmp_path / "xgb"
    folder.mkdir()
    (folder / "model.ubj").write_bytes(b"{\x00binary booster\x00}")
    doc = {"flavors": {
        "python_function": {"loader_module": "mlflow.xgboost", "data": "model.ubj",
                            "python_version": "3.11.7"},
        "xgboost": {"data": "model.ubj", "xgb_version": "2.1.0", "model_format": "ubj"},
    }}
    (folder / "MLmodel").write_text(yaml.safe_dump(doc))
    report = shared_client.scan(folder)
    assert report.classification == CONTAINS_CODE and report.format == "pyfunc"
    assert "mlflow.xgboost" in report.summary
    with pytest.raises(ModelRefusedError, match="Trust this exact file"):
        shared_client.load(folder)
