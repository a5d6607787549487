"""Trusted or content-hostile models run in the worker and fail there, never in the app.

T3 (trusted bombs), T4, T5, T11, T28, T29, T31 of security.md §7, plus warm reuse.
"""

from __future__ import annotations

import os
import pickle
import threading
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import worker_builders as wb

from mlmanager.core.safety import CONTAINS_CODE, SAFE_LISTED, UNTRUSTED_IMPORTS
from mlmanager.predict.worker_client import WorkerClient
from mlmanager.worker.errors import (
    ModelRefusedError,
    WorkerCancelled,
    WorkerCrashed,
    WorkerExited,
    WorkerMemoryError,
    WorkerTimeout,
)


def rf_folder(tmp_path: Path, name: str = "rf") -> tuple[Path, np.ndarray, np.ndarray]:
    from sklearn.ensemble import RandomForestClassifier

    X, y = wb.xy()
    model = RandomForestClassifier(n_estimators=3, random_state=0).fit(X, y)
    folder = wb.write_model(tmp_path / name, pickle.dumps(model, protocol=4))
    return folder, X, model.predict(X)


def trusted_load(client: WorkerClient, folder: Path):
    report = client.scan(folder)
    return report, client.load(folder, {report.sha256})


def small_safe(tmp_path: Path) -> Path:
    """A SAFE-LISTED file that needs no scikit-learn: proves a worker is usable again cheaply."""
    return wb.write_model(tmp_path / "small", pickle.dumps({"a": [1, 2.5, "x"]}, protocol=4))


def test_t3_trusted_memory_bombs_end_in_memory_error(make_client, tmp_path: Path) -> None:
    client = make_client()
    for builder in (wb.m10, wb.m11):
        folder = wb.write_model(tmp_path / builder.__name__, builder())
        report = client.scan(folder)
        assert report.classification == UNTRUSTED_IMPORTS
        started = time.monotonic()
        with pytest.raises(WorkerMemoryError, match="ran out of memory"):
            client.load(folder, {report.sha256})
        assert time.monotonic() - started < 30
    assert client.scan(small_safe(tmp_path)).classification == SAFE_LISTED


def test_t3_trusted_cpu_bomb_is_killed_by_the_wall_timeout(make_client, tmp_path: Path) -> None:
    client = make_client()
    folder = wb.write_model(tmp_path / "cpu", wb.m15())
    report = client.scan(folder)
    pid = client.worker_pid
    with pytest.raises(WorkerTimeout, match="timed out after 3 s"):
        client.load(folder, {report.sha256}, timeout=3)
    assert client.worker_pid is None
    assert client.scan(small_safe(tmp_path)).classification == SAFE_LISTED
    assert client.worker_pid not in (None, pid)


def test_t4_lambda_pipeline_predicts_after_trust_and_m06_runs_only_in_the_worker(
    make_client, tmp_path: Path
) -> None:
    client = make_client()
    folder = wb.write_model(tmp_path / "lambda", wb.pipe_lambda_cloud())
    report = client.scan(folder)
    assert report.classification == CONTAINS_CODE
    info = client.load(folder, {report.sha256})
    assert info.trusted and info.classification == CONTAINS_CODE
    X, _ = wb.xy()
    assert client.predict(X).predictions.shape == (len(X),)

    marker = tmp_path / "marker"
    evil = wb.write_model(tmp_path / "m06", wb.m06(marker))
    report = client.scan(evil)
    assert report.classification == CONTAINS_CODE and not marker.exists()
    client.load(evil, {report.sha256})
    assert not marker.exists()  # runs at predict, not at load
    client.predict(X)
    assert marker.exists()
    assert int(marker.read_text()) == client.worker_pid != os.getpid()


def test_t5_crafted_tree_segfaults_the_worker_not_the_app(make_client, tmp_path: Path) -> None:
    client = make_client()
    folder = wb.write_model(tmp_path / "m16", wb.m16())
    info = client.load(folder)
    assert info.classification == SAFE_LISTED
    X, _ = wb.xy()
    with pytest.raises(WorkerCrashed, match=r"Model crashed the worker \(signal 11, SIGSEGV\)") as err:
        client.predict(X)
    assert "Fatal Python error" in err.value.details or "Segmentation" in err.value.details
    good, X, expected = rf_folder(tmp_path)
    client.load(good)
    assert (client.predict(X).predictions == expected).all()


def test_t11_big_scan_runs_in_the_worker_and_can_be_cancelled(make_client, tmp_path: Path) -> None:
    client = make_client()
    small = wb.write_model(tmp_path / "small", pickle.dumps(list(range(1_000_000)), protocol=4))
    assert (small / "model.pkl").stat().st_size > 4_000_000
    report = client.scan(small)
    assert report.classification == SAFE_LISTED and report.imports == ()
    big = wb.write_model(tmp_path / "big", pickle.dumps(list(range(8_000_000)), protocol=4))
    progressed = threading.Event()
    outcome: list[BaseException | object] = []

    def run() -> None:
        try:
            outcome.append(client.scan(big, on_progress=lambda f, t: progressed.set()))
        except BaseException as exc:  # noqa: BLE001 - handed to the main thread
            outcome.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    assert progressed.wait(60), "no progress event from the scan"
    cancelled_at = time.monotonic()
    client.cancel()
    thread.join(30)
    assert not thread.is_alive()
    assert time.monotonic() - cancelled_at < 10
    assert isinstance(outcome[0], WorkerCancelled), outcome
    assert client.scan(small).classification == SAFE_LISTED  # usable again


def test_a_call_right_after_cancel_runs_on_a_fresh_worker(make_client, tmp_path: Path) -> None:
    """cancel() kills the worker at once; the next call must not be sent to the dying process
    (it can still look alive for a moment and the call would then fail as a crash)."""
    client = make_client()
    small = small_safe(tmp_path)
    assert client.scan(small).classification == SAFE_LISTED
    first_pid = client.worker_info["pid"]
    for _ in range(3):
        client.cancel()  # nothing running: the next call simply gets a new worker
        assert client.scan(small).classification == SAFE_LISTED
    assert client.worker_info["pid"] != first_pid


def test_a_call_whose_caller_already_cancelled_does_not_start(make_client, tmp_path: Path) -> None:
    """A job's Cancel can land between two of its calls (the UI's load, then predict): it kills
    a worker no call is using, and the next call must stop too instead of starting a fresh
    worker and running the model for as long as it takes."""
    client = make_client()
    folder, X, expected = rf_folder(tmp_path)
    client.load(folder)
    killed_pid = client.worker_info["pid"]
    flag = threading.Event()
    flag.set()
    client.cancel()  # the Cancel click: kills the idle worker
    started = time.monotonic()
    with pytest.raises(WorkerCancelled):
        client.predict(X, cancelled=flag.is_set)
    with pytest.raises(WorkerCancelled):
        client.load(folder, cancelled=flag.is_set)
    assert time.monotonic() - started < 5
    assert client.worker_info["pid"] == killed_pid  # no worker was started for them
    np.testing.assert_array_equal(client.predict(X).predictions, expected)  # the next job runs


def test_t28_model_output_cannot_forge_protocol_lines(make_client, tmp_path: Path) -> None:
    client = make_client()
    forged = '{"v":1,"id":%d,"type":"result","data":{"seconds":0,"warnings":[]}}'
    lines = "\n".join([forged % i for i in range(1, 50)] + ["garbage {{{", "x" * 200_000])
    folder = wb.write_model(tmp_path / "printer", wb.printing_model(lines))
    trusted_load(client, folder)
    result = client.predict(pd.DataFrame({"a": [1, 2, 3]}))
    assert result.predictions == [1.0, 1.0, 1.0]


def test_t28_garbage_written_on_the_private_channel_is_ignored(make_client, tmp_path: Path) -> None:
    client = make_client()
    body = (
        "import os, sys\n"
        "fd = int(sys.argv[sys.argv.index('--fds') + 1].split(',')[1])\n"
        "os.write(fd, b'not json\\n' + b'[1,2]\\n' + b'{\"v\":1,\"id\":999999,\"type\":\"result\",\"data\":{}}\\n')\n"
        "os.write(fd, b'y' * (5 << 20) + b'\\n')\n"
    )
    folder = wb.write_model(tmp_path / "writer", wb.code_model(body))
    trusted_load(client, folder)
    result = client.predict(np.zeros((4, 2)))
    assert result.predictions == [0.0] * 4


def test_t29_the_parent_never_unpickles(shared_client: WorkerClient, tmp_path: Path, monkeypatch) -> None:
    def boom(*args, **kwargs):
        raise AssertionError("the parent must never unpickle")

    folder, X, expected = rf_folder(tmp_path)
    monkeypatch.setattr(pickle, "loads", boom)
    monkeypatch.setattr(pickle, "load", boom)
    monkeypatch.setattr(pickle, "Unpickler", boom)
    report = shared_client.scan(folder)
    assert report.classification == SAFE_LISTED
    shared_client.load(folder)
    result = shared_client.predict(pd.DataFrame(X))
    assert (result.predictions == expected).all()


def test_t31_trusted_infinite_loop_times_out_and_the_worker_restarts(make_client, tmp_path: Path) -> None:
    client = make_client()
    folder = wb.write_model(tmp_path / "loop", wb.code_model("while True:\n    pass"))
    trusted_load(client, folder)
    pid = client.worker_pid
    with pytest.raises(WorkerTimeout, match="Prediction timed out after 3 s"):
        client.predict(np.zeros((2, 2)), timeout=3)
    assert client.scan(small_safe(tmp_path)).classification == SAFE_LISTED
    assert client.worker_pid not in (None, pid)


def test_t31_sys_exit_in_model_code(make_client, tmp_path: Path) -> None:
    client = make_client()
    folder = wb.write_model(tmp_path / "exit", wb.code_model("import sys\nsys.exit(3)"))
    trusted_load(client, folder)
    with pytest.raises(WorkerExited, match="exited with code 3 during prediction"):
        client.predict(np.zeros((2, 2)))
    # the next call starts a fresh worker and loads the same model again
    with pytest.raises(WorkerExited):
        client.predict(np.zeros((2, 2)))


def test_warm_reuse_and_fresh_worker_after_trusted_code(make_client, tmp_path: Path) -> None:
    client = make_client()
    folder, X, expected = rf_folder(tmp_path)
    client.start_load(folder)
    first = client.predict(X)
    pid = client.worker_pid
    assert (first.predictions == expected).all()
    info = client.load(folder)  # same dir, same sha: no reload
    assert client.worker_pid == pid and info is client.loaded
    other, X2, expected2 = rf_folder(tmp_path, "other")
    client.load(other)  # a different SAFE-LISTED model reuses the clean worker
    assert client.worker_pid == pid
    assert (client.predict(X2).predictions == expected2).all()
    lam = wb.write_model(tmp_path / "lambda", wb.pipe_lambda_cloud())
    trusted_load(client, lam)
    tainted_pid = client.worker_pid
    client.load(folder)  # trusted code ran in that worker: a fresh one is used
    assert client.worker_pid not in (pid, tainted_pid)


def test_refusal_surfaces_at_predict_after_start_load(shared_client: WorkerClient, tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "m01", wb.m01(tmp_path / "marker"))
    shared_client.start_load(folder)
    with pytest.raises(ModelRefusedError):
        shared_client.predict(np.zeros((1, 3)))
    assert not (tmp_path / "marker").exists()
