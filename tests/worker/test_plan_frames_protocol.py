"""Model-folder paths (T12, T16, T19), the .npy data transfer and the JSON-lines protocol."""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import worker_builders as wb

from mlmanager.core.child_process import LineSplitter
from mlmanager.core.errors import (
    InvalidError,
    MLmodelNotFoundError,
    ModelReadError,
    UnsafePathError,
)
from mlmanager.predict.model_plan import read_plan
from mlmanager.worker import protocol
from mlmanager.worker.frames import FrameError, read_frames, write_frames
from mlmanager.worker.plan import ModelPlan, read_inside

# ------------------------------------------------------------------ plans and paths


def test_plan_of_a_corpus_model(models_dir: Path, copy_model) -> None:
    folder = copy_model(models_dir / "housing_rf_regressor")
    plan = read_plan(folder)
    assert (plan.kind, plan.model_file, plan.serialization_format) == ("sklearn", "model.pkl", "cloudpickle")
    assert plan.predict_fn == "predict" and plan.sklearn_version
    assert ModelPlan.from_dict(json.loads(json.dumps(plan.to_dict()))) == plan
    pyfunc = read_plan(copy_model(models_dir / "ticket_triage_pyfunc_params"))
    assert (pyfunc.kind, pyfunc.model_file, pyfunc.loader_module) == (
        "pyfunc", "python_model.pkl", "mlflow.pyfunc.model")


@pytest.mark.parametrize(("field", "value"), [
    ("pickled_model", "../../outside.pkl"), ("pickled_model", "/etc/passwd"),
    ("code", "/tmp"), ("code", "../"), ("pickled_model", "sub/../../x.pkl"),
])
def test_paths_escaping_the_folder_are_refused(tmp_path: Path, field: str, value: str) -> None:
    outside = tmp_path / "outside.pkl"
    outside.write_bytes(b"secret")
    folder = wb.write_model(tmp_path / "a" / "b", b"\x80\x04K\x01.")
    text = (folder / "MLmodel").read_text()
    if field == "code":
        text = text.replace("code: null", f"code: {value}")
    else:
        text = text.replace("pickled_model: model.pkl", f"pickled_model: {value}")
    (folder / "MLmodel").write_text(text)
    with pytest.raises(UnsafePathError, match="escapes model folder"):
        read_plan(folder)


def test_model_path_escape_in_pyfunc_section(tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "m", b"\x80\x04K\x01.")
    text = (folder / "MLmodel").read_text().replace("model_path: model.pkl", "model_path: /etc/passwd")
    (folder / "MLmodel").write_text(text)
    with pytest.raises(UnsafePathError, match="escapes model folder"):
        read_plan(folder)


def test_links_fifos_and_devices_are_refused_before_open(tmp_path: Path) -> None:
    for name, make in [
        ("passwd", lambda p: p.symlink_to("/etc/passwd")),
        ("zero", lambda p: p.symlink_to("/dev/zero")),
        ("fifo", lambda p: os.mkfifo(p)),
    ]:
        folder = wb.write_model(tmp_path / name, None)
        make(folder / "model.pkl")
        with pytest.raises(UnsafePathError, match="not a regular file inside the model folder"):
            read_plan(folder)
        with pytest.raises(UnsafePathError):
            read_inside(folder, "model.pkl", "pickled_model", 1 << 20)


def test_sparse_30_gb_file_is_refused_by_the_size_cap(tmp_path: Path) -> None:
    folder = wb.write_model(tmp_path / "m", None)
    with open(folder / "model.pkl", "wb") as fh:
        fh.truncate(30 << 30)
    with pytest.raises(ModelReadError, match="larger than"):
        read_plan(folder)


def test_missing_mlmodel_and_bad_fields(tmp_path: Path) -> None:
    (tmp_path / "half").mkdir()
    (tmp_path / "half" / "model.skops").write_bytes(b"PK")
    with pytest.raises(MLmodelNotFoundError):
        read_plan(tmp_path / "half")
    folder = wb.write_model(tmp_path / "m", b"\x80\x04K\x01.", predict_fn="__reduce__")
    with pytest.raises(InvalidError, match="predict_fn"):
        read_plan(folder)
    folder = wb.write_model(tmp_path / "n", b"\x80\x04K\x01.", fmt="joblib")
    with pytest.raises(InvalidError, match="serialization_format"):
        read_plan(folder)


# ------------------------------------------------------------------ frames


def test_dataframe_round_trip_keeps_names_and_dtypes(tmp_path: Path) -> None:
    df = pd.DataFrame({
        "i": np.arange(4), "f": [0.5, np.nan, 2.0, 3.0], "b": [True, False, True, False],
        "s": ["a", None, "c", "d"], "t": pd.date_range("2024-01-01", periods=4, freq="h"),
        "tz": pd.date_range("2024-01-01", periods=4, tz="Europe/Paris"),
        "n": pd.array([1, None, 3, 4], dtype="Int64"),
        "o": pd.Series([[1, 2], {"k": "v"}, b"x", None], dtype=object),
    })
    df[0] = np.float32([1, 2, 3, 4])
    df["0"] = ["x", "y", "z", "w"]
    write_frames(df, tmp_path / "p")
    back = read_frames(tmp_path / "p")
    assert list(back.columns) == ["i", "f", "b", "s", "t", "tz", "n", "o", 0, "0"]
    pd.testing.assert_frame_equal(back, df, check_column_type=False)


def test_arrays_dicts_and_json_round_trip(tmp_path: Path) -> None:
    for i, obj in enumerate([
        np.arange(6.0).reshape(2, 3), np.array(["a", "bb"]), np.array(["x", None], dtype=object),
        {"a": np.ones(3), "b": np.zeros((2, 2), dtype=np.int32)}, [1, "x", None],
        pd.Series([1.5, 2.5], name="p"),
    ]):
        write_frames(obj, tmp_path / str(i))
        back = read_frames(tmp_path / str(i))
        if isinstance(obj, dict):
            assert all(np.array_equal(back[k], v) and back[k].dtype == v.dtype for k, v in obj.items())
        elif isinstance(obj, np.ndarray):
            assert back.dtype == obj.dtype and np.array_equal(back, obj)
        elif isinstance(obj, pd.Series):
            pd.testing.assert_series_equal(back, obj)
        else:
            assert back == obj


def test_hostile_frames_folders_are_rejected(tmp_path: Path) -> None:
    write_frames(np.arange(3), tmp_path / "good")
    manifest = json.loads((tmp_path / "good" / "manifest.json").read_text())

    def variant(name: str, payload: dict, files: dict[str, object] | None = None) -> Path:
        folder = tmp_path / name
        folder.mkdir()
        (folder / "manifest.json").write_text(json.dumps({"format": 1, "payload": payload}))
        for fname, content in (files or {}).items():
            if isinstance(content, np.ndarray):
                np.save(folder / fname, content, allow_pickle=True)
            elif callable(content):
                content(folder / fname)
            else:
                (folder / fname).write_bytes(content)
        return folder

    cases = [
        variant("traversal", {"kind": "ndarray", "file": "../good/a0.npy"}),
        variant("link", {"kind": "ndarray", "file": "a0.npy"},
                {"a0.npy": lambda p: p.symlink_to(tmp_path / "good" / "a0.npy")}),
        variant("objnpy", {"kind": "ndarray", "file": "a0.npy"},
                {"a0.npy": np.array([{"x": 1}], dtype=object)}),
        variant("length", {"kind": "dataframe", "nrows": 5, "columns": [
            {"name": "a", "dtype": "int64", "file": "a0.npy"}]},
            {"a0.npy": (tmp_path / "good" / "a0.npy").read_bytes()}),
        variant("tag", {"kind": "json", "value": {"$pickle": "x"}}),
        variant("kind", {"kind": "pickle"}),
        variant("shape", {"kind": "ndarray", "dtype": "object", "shape": [5], "values": [1]}),
    ]
    for folder in cases:
        with pytest.raises(FrameError):
            read_frames(folder)
    nan = tmp_path / "nan"
    nan.mkdir()
    (nan / "manifest.json").write_text('{"format": 1, "payload": {"kind": "json", "value": NaN}}')
    with pytest.raises(FrameError):
        read_frames(nan)
    assert manifest["payload"]["kind"] == "ndarray"


def test_unsupported_values_fail_on_write(tmp_path: Path) -> None:
    with pytest.raises(FrameError):
        write_frames(pd.DataFrame({"x": [object()]}), tmp_path / "x")


# ------------------------------------------------------------------ protocol


def test_protocol_lines_are_capped_and_validated() -> None:
    line = protocol.encode(protocol.request("ping", 3))
    assert line.endswith(b"\n") and line.count(b"\n") == 1
    assert protocol.validate_request(protocol.decode_line(line[:-1]))["op"] == "ping"
    reader = LineSplitter(max_line=100)
    chunks = [b"x" * 250, b"y" * 10 + b"\n", b'{"a":1}\n{"b"', b":2}\n"]
    lines = [line for chunk in chunks for line in reader.feed(chunk)]
    assert lines == [b'{"a":1}', b'{"b":2}'] and reader.dropped == 1
    for bad in (b"[1,2]", b"{nope", b'{"v":1,"id":1,"type":"result","data":{"x":NaN}}', b"\xff"):
        with pytest.raises(protocol.ProtocolError):
            protocol.validate_response(protocol.decode_line(bad))
    forged = {"v": 1, "id": 1, "type": "result", "data": {}, "extra": 1}
    with pytest.raises(protocol.ProtocolError):
        protocol.validate_response(forged)
    with pytest.raises(protocol.ProtocolError):
        protocol.validate_response({"v": 1, "id": 1, "type": "error", "error": {"kind": 3}})
    with pytest.raises(protocol.ProtocolError):
        protocol.validate_request({"v": 1, "id": 1, "op": "exec", "args": {}})
    with pytest.raises(protocol.ProtocolError):
        protocol.encode({"x": float("nan")})


def test_compressed_python_model_is_scanned_after_capped_decompression(
    models_dir: Path, copy_model, shared_client
) -> None:
    import gzip

    from mlmanager.worker.plan import decompress

    folder = copy_model(models_dir / "ticket_triage_pyfunc_params")
    raw = (folder / "python_model.pkl").read_bytes()
    (folder / "python_model.pkl.gz").write_bytes(gzip.compress(raw))
    (folder / "python_model.pkl").unlink()
    text = (folder / "MLmodel").read_text().replace(
        "python_model: python_model.pkl", "python_model: python_model.pkl.gz\n    python_model_compression: gzip")
    (folder / "MLmodel").write_text(text)
    assert read_plan(folder).compression == "gzip"
    report = shared_client.scan(folder)
    assert report.classification == "CONTAINS-CODE"
    assert "mlflow.pyfunc.model.PythonModel" in report.imports
    bomb = gzip.compress(b"\0" * (10 << 20))
    with pytest.raises(ModelReadError, match="larger than"):
        decompress(bomb, "gzip", 1 << 20)
