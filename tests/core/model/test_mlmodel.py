"""ModelDocument: loading (folder, file, zip), hostile input, problems, signature edits, saving."""

from __future__ import annotations

import dataclasses
import difflib
import json
import os
import shutil
import stat
import sys
import time
import zipfile
from pathlib import Path

import pytest
from corpus_paths import MODELS, WILD

from mlmanager.core.errors import (
    MlmanagerError,
    MLmodelNotFoundError,
    SchemaError,
    UnsafePathError,
    WriteError,
    YamlError,
)
from mlmanager.core.model.mlmodel import load_model, same_data, save_as_copy, save_text
from mlmanager.core.model.yamlio import load_yaml_text
from mlmanager.core.signature.schema import ColSpec, ScalarType, Schema, Signature

posix_only = pytest.mark.skipif(sys.platform == "win32", reason="POSIX symlinks")


def copy_model(src: Path, dest: Path) -> Path:
    shutil.copytree(src, dest)
    for p in [dest, *dest.rglob("*")]:
        p.chmod(p.stat().st_mode | stat.S_IWUSR)
    return dest


def write_model(folder: Path, text: str | bytes) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    data = text.encode() if isinstance(text, str) else text
    (folder / "MLmodel").write_bytes(data)
    return folder


def changed_lines(old: str, new: str) -> list[str]:
    return [
        line
        for line in difflib.unified_diff(old.splitlines(), new.splitlines(), lineterm="", n=0)
        if not line.startswith(("---", "+++", "@@"))
    ]


def all_corpus_dirs() -> list[Path]:
    if not (MODELS.is_dir() and WILD.is_dir()):
        return []
    dirs = sorted(p for p in WILD.iterdir() if (p / "MLmodel").is_file())
    for f in sorted(MODELS.glob("*.expected.json")):
        e = json.loads(f.read_text())
        if e.get("kind") != "tracking":
            dirs.append(MODELS / e["model_dir"])
    return dirs


CORPUS_DIRS = all_corpus_dirs()


# ---------------------------------------------------------------------------------------------
# Loading


def test_load_folder_file_and_zip(tmp_path: Path) -> None:
    src = MODELS / "v1_bikes_linreg"
    a = load_model(src)
    b = load_model(src / "MLmodel")
    zpath = tmp_path / "m.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in src.iterdir():
            zf.write(p, f"bikes/{p.name}")
    with load_model(zpath) as c:
        assert c.data == a.data == b.data
        assert c.raw_bytes == a.raw_bytes
        assert c.root is None
    assert a.root == src


def test_accessors_v1() -> None:
    doc = load_model(MODELS / "v1_bikes_linreg")
    assert doc.flavor_names == ["python_function", "sklearn"]
    assert doc.mlflow_version == "1.30.1"
    assert doc.pyfunc_env == "conda.yaml"  # 1.x writes a string
    assert doc.python_version == "3.11.7"
    assert doc.loader_module == "mlflow.sklearn"
    assert doc.sklearn_serialization_format == "cloudpickle"
    assert doc.model_file == "model.pkl"
    assert doc.model_id is None and doc.run_id is None
    assert doc.signature is not None and doc.signature_dialect == "none"


def test_accessors_v3_and_missing_format(tmp_path: Path) -> None:
    doc = load_model(MODELS / "churn_pipeline_onehot")
    assert doc.pyfunc_env == {"conda": "conda.yaml", "virtualenv": "python_env.yaml"}
    assert doc.is_signature_from_type_hint is False
    assert doc.signature_dialect == "required"
    text = (MODELS / "churn_pipeline_onehot" / "MLmodel").read_text()
    text = text.replace("    serialization_format: pickle\n", "")
    d2 = load_model(write_model(tmp_path / "m", text))
    assert d2.sklearn_serialization_format == "pickle"


def test_mlmodel_missing_lists_folder(tmp_path: Path) -> None:  # T32
    (tmp_path / "model.skops").write_bytes(b"PK\x03\x04")
    with pytest.raises(MLmodelNotFoundError) as err:
        load_model(tmp_path)
    assert "not an MLflow model (MLmodel missing)" in str(err.value)
    assert "model.skops" in str(err.value)


BAD_YAML = {
    "invalid": "flavors: [1, 2\n",
    "tab": "flavors:\n\t- x\n",
    "alias_bomb": "a: &a [x, x, x, x, x, x, x, x, x]\n"
    + "".join(
        f"{chr(98 + i)}: &{chr(98 + i)} [{', '.join(['*' + chr(97 + i)] * 9)}]\n" for i in range(9)
    ),
    "python_tag": "flavors: !!python/object/apply:os.system ['touch MARKER']\n",
    "non_mapping": "- a\n- b\n",
    "scalar": "just text\n",
    "empty": "",
    "duplicate_key": "flavors: {}\nflavors: {}\n",
}


@pytest.mark.parametrize("name", sorted(BAD_YAML))
def test_bad_yaml_is_a_typed_error(tmp_path: Path, name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    folder = write_model(tmp_path / "m", BAD_YAML[name])
    start = time.perf_counter()
    with pytest.raises(YamlError) as err:
        load_model(folder)
    assert time.perf_counter() - start < 2.0  # the alias bomb must not be expanded
    assert "MLmodel" in str(err.value)
    assert not (tmp_path / "MARKER").exists()


def test_alias_bomb_message(tmp_path: Path) -> None:  # T13
    with pytest.raises(YamlError, match="alias|anchor"):
        load_model(write_model(tmp_path / "m", BAD_YAML["alias_bomb"]))


def test_non_utf8(tmp_path: Path) -> None:  # T15
    with pytest.raises(YamlError, match="UTF-8"):
        load_model(write_model(tmp_path / "m", b"flavors: {}\nowner: Jos\xe9\n"))


def test_huge_file(tmp_path: Path) -> None:  # T15
    text = "flavors: {}\n" + "x: " + "a" * (2 << 20) + "\n"
    with pytest.raises(YamlError, match="limit"):
        load_model(write_model(tmp_path / "m", text))


def test_deep_nesting(tmp_path: Path) -> None:  # T15
    text = "flavors: " + "[" * 10_000 + "]" * 10_000 + "\n"
    with pytest.raises(YamlError):
        load_model(write_model(tmp_path / "m", text))


def test_list_flavors_is_a_problem(tmp_path: Path) -> None:  # T17
    doc = load_model(write_model(tmp_path / "m", "flavors: [1, 2]\nmlflow_version: 3.10\n"))
    assert doc.flavors == {}
    assert any("flavors must be a mapping" in p for p in doc.problems)
    version = [p for p in doc.problems if p.startswith("mlflow_version")]
    assert version and "3.1" in version[0] and "written 3.10" in version[0]


def test_unknown_serialization_and_missing_pyfunc(tmp_path: Path) -> None:  # T17
    text = "flavors:\n  sklearn:\n    pickled_model: model.pkl\n    serialization_format: joblib\n"
    doc = load_model(write_model(tmp_path / "m", text))
    assert any("serialization_format 'joblib' is unknown" in p for p in doc.problems)
    assert any("no python_function flavor" in p for p in doc.problems)
    assert any(p.startswith("missing model file: flavors.sklearn.pickled_model") for p in doc.problems)


SIG_BASE = "flavors:\n  python_function:\n    loader_module: x\n    python_version: 3.11.7\nsignature:\n  inputs: '{}'\n"


@pytest.mark.parametrize(
    ("inputs", "expect"),
    [
        ('[{"type": "double", "name": "a"', "not valid JSON"),
        ('[{"type": "doublex", "name": "a"}]', "unknown type"),
        ("[]", "empty"),
    ],
)
def test_bad_signature_is_a_problem(tmp_path: Path, inputs: str, expect: str) -> None:
    doc = load_model(write_model(tmp_path / "m", SIG_BASE.format(inputs)))
    assert doc.signature is None
    assert doc.signature_error and expect in doc.signature_error
    assert any(p.startswith("signature cannot be read") and expect in p for p in doc.problems)


def test_yaml_list_in_place_of_json_string(tmp_path: Path) -> None:
    text = "flavors: {}\nsignature:\n  inputs:\n  - {type: double, name: a}\n"
    doc = load_model(write_model(tmp_path / "m", text))
    assert doc.signature is None and "JSON string" in (doc.signature_error or "")


def test_duplicate_column_names(tmp_path: Path) -> None:
    dup = '[{"type": "double", "name": "a"}, {"type": "long", "name": "a"}]'
    doc = load_model(write_model(tmp_path / "m", SIG_BASE.format(dup)))
    assert any("duplicate" in p for p in doc.problems)
    assert doc.with_signature(doc.signature, "keep") == doc.text  # unchanged: kept as is
    with pytest.raises(SchemaError):
        doc.with_signature(doc.signature, "current")


def test_signature_outside_the_file_types(tmp_path: Path) -> None:
    text = "flavors: {}\nmlflow_version: '2.9.2'\nis_signature_from_type_hint: 1\n"
    doc = load_model(write_model(tmp_path / "m", text))
    assert any("is_signature_from_type_hint must be true or false" in p for p in doc.problems)


@posix_only
def test_fifo_mlmodel_is_not_opened(tmp_path: Path) -> None:
    folder = tmp_path / "m"
    folder.mkdir()
    os.mkfifo(folder / "MLmodel")
    with pytest.raises(UnsafePathError, match="fifo"):
        load_model(folder)  # would block forever if opened


@posix_only
def test_symlinked_mlmodel(tmp_path: Path) -> None:
    outside = tmp_path / "outside.yaml"
    outside.write_text("flavors: {}\n")
    folder = tmp_path / "m"
    folder.mkdir()
    os.symlink(outside, folder / "MLmodel")
    with pytest.raises(UnsafePathError, match="not a regular file inside the model folder"):
        load_model(folder)
    inside = tmp_path / "m2"
    inside.mkdir()
    (inside / "real.yaml").write_text("flavors: {}\n")
    os.symlink("real.yaml", inside / "MLmodel")
    assert load_model(inside).data == {"flavors": {}}


# ---------------------------------------------------------------------------------------------
# Round trips and edits


@pytest.mark.parametrize("folder", CORPUS_DIRS, ids=lambda p: p.name if p.name != "artifacts" else p.parts[-2])
def test_round_trip_unchanged(folder: Path) -> None:
    doc = load_model(folder)
    assert doc.with_signature(doc.signature, "keep") == doc.text
    if doc.signature is not None:
        rebuilt = Signature.from_canonical(doc.signature.to_canonical())
        assert doc.with_signature(rebuilt, "keep") == doc.text


def _retype_first(sig: Signature) -> Signature:
    first = sig.inputs.specs[0]
    new_type = ScalarType("string" if first.type != ScalarType("string") else "double")
    specs = (dataclasses.replace(first, type=new_type), *sig.inputs.specs[1:])
    return dataclasses.replace(sig, inputs=Schema(specs))


EDITABLE = [
    p
    for p in CORPUS_DIRS
    if (d := load_model(p)).signature is not None
    and d.signature.inputs is not None
    and isinstance(d.signature.inputs.specs[0], ColSpec)
]


@pytest.mark.parametrize("folder", EDITABLE, ids=lambda p: p.name if p.name != "artifacts" else p.parts[-2])
def test_edit_changes_only_signature_lines(folder: Path) -> None:
    doc = load_model(folder)
    new_sig = _retype_first(doc.signature)
    text = doc.with_signature(new_sig, "keep")
    expected = dict(doc.data)
    parsed = load_yaml_text(text)
    assert Signature.from_mlmodel(parsed["signature"]) == new_sig
    expected["signature"] = parsed["signature"]
    assert same_data(parsed, expected)
    if doc.text.lstrip().startswith("{"):
        return  # hand-written JSON: re-emitted as YAML (no splicing possible)
    for line in changed_lines(doc.text, text):
        assert line[1:].startswith(("signature:", "  inputs:", "  outputs:", "  params:", "    ")), line
    assert doc.signature_dialect == load_model_text_dialect(text)


def load_model_text_dialect(text: str) -> str:
    from mlmanager.core.signature.schema import detect_dialect

    return detect_dialect(load_yaml_text(text)["signature"])


def test_edit_and_save(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    original = (folder / "MLmodel").read_bytes()
    doc = load_model(folder)
    new_sig = _retype_first(doc.signature)
    text = doc.with_signature(new_sig)
    saved = save_text(doc, text)
    assert (folder / "MLmodel").read_text() == text
    assert (folder / "MLmodel.bak").read_bytes() == original
    assert saved.signature == new_sig
    assert saved.data["is_signature_from_type_hint"] is False
    assert [p for p in tmp_path.rglob("*.tmp")] == []


def test_save_refuses_if_changed_on_disk(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    doc = load_model(folder)
    text = doc.with_signature(None)
    (folder / "MLmodel").write_text(doc.text + "foreign: 1\n")
    with pytest.raises(WriteError, match="changed on disk"):
        save_text(doc, text)
    save_text(doc, text, force=True)
    assert "signature" not in load_model(folder).data


def test_save_refuses_invalid_text(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    doc = load_model(folder)
    with pytest.raises(MlmanagerError):
        save_text(doc, "- not a mapping\n")
    assert (folder / "MLmodel").read_bytes() == doc.raw_bytes


@posix_only
def test_save_refuses_symlinked_mlmodel(tmp_path: Path) -> None:  # T24
    folder = copy_model(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    doc = load_model(folder)
    outside = tmp_path / "bashrc"
    outside.write_bytes(doc.raw_bytes)
    os.remove(folder / "MLmodel")
    os.symlink(outside, folder / "MLmodel")
    with pytest.raises(UnsafePathError, match="symlink"):
        save_text(doc, doc.with_signature(None), force=True)
    assert outside.read_bytes() == doc.raw_bytes
    assert os.path.islink(folder / "MLmodel")


def test_zip_is_read_only_but_copyable(tmp_path: Path) -> None:
    src = MODELS / "iris_logreg_colspec"
    zpath = tmp_path / "m.zip"
    with zipfile.ZipFile(zpath, "w") as zf:
        for p in src.iterdir():
            zf.write(p, f"iris/{p.name}")
    doc = load_model(zpath)
    text = doc.with_signature(None)
    with pytest.raises(WriteError, match="read-only"):
        save_text(doc, text)
    new = save_as_copy(doc, text, tmp_path / "copy")
    doc.close()
    assert "signature" not in new.data
    assert sorted(p.name for p in (tmp_path / "copy").iterdir()) == sorted(p.name for p in src.iterdir())
    assert (tmp_path / "copy" / "model.skops").read_bytes() == (src / "model.skops").read_bytes()


@posix_only
def test_save_as_copy_skips_symlinks(tmp_path: Path) -> None:
    folder = copy_model(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    os.symlink("/etc/passwd", folder / "leak.txt")
    doc = load_model(folder)
    new = save_as_copy(doc, doc.text, tmp_path / "copy")
    assert not (tmp_path / "copy" / "leak.txt").exists()
    assert any("leak.txt" in p and "not copied" in p for p in new.problems)
    with pytest.raises(WriteError, match="not an empty folder"):
        save_as_copy(doc, doc.text, tmp_path / "copy")


def test_remove_signature_deletes_flags(tmp_path: Path) -> None:
    doc = load_model(MODELS / "churn_pipeline_onehot")
    text = doc.with_signature(None)
    data = load_yaml_text(text)
    for key in ("signature", "is_signature_from_type_hint", "type_hint_from_example"):
        assert key not in data
    rest = {k: v for k, v in doc.data.items() if k not in data}
    assert set(rest) == {"signature", "is_signature_from_type_hint", "type_hint_from_example"}
    assert all(line.startswith("-") for line in changed_lines(doc.text, text))


def test_add_signature_inserted_in_sorted_place() -> None:
    doc = load_model(MODELS / "scaler_logreg_nosig")
    sig = Signature.from_canonical({"inputs": [{"type": "double", "name": "x", "required": True}]})
    text = doc.with_signature(
        sig, type_hint_flags={"is_signature_from_type_hint": False, "type_hint_from_example": False}
    )
    keys = [line.split(":")[0] for line in text.splitlines() if line and line[0] not in " -"]
    assert keys == sorted(keys)
    assert {"signature", "is_signature_from_type_hint", "type_hint_from_example"} <= set(keys)
    assert all(line.startswith("+") for line in changed_lines(doc.text, text))
    sig_raw = load_yaml_text(text)["signature"]
    assert '"required": true' in sig_raw["inputs"]  # a 3.x file gets the current dialect
    assert "'[]'" not in text


def test_crlf_file_stays_crlf() -> None:
    doc = load_model(WILD / "sklearn-mlflow3-11-skops-key")
    sig = Signature.from_canonical({"inputs": [{"type": "double", "name": "x", "required": True}]})
    text = doc.with_signature(sig)
    assert text.count("\n") == text.count("\r\n")
    assert changed_lines(doc.text, text)
    assert all(line.startswith("+") for line in changed_lines(doc.text, text))


def test_no_trailing_newline_file() -> None:
    doc = load_model(WILD / "azureml-sklearn-1-30-no-eol")
    new = _retype_first(doc.signature)
    text = doc.with_signature(new)
    assert Signature.from_mlmodel(load_yaml_text(text)["signature"]) == new


def test_json_mlmodel_falls_back_to_full_dump() -> None:
    doc = load_model(WILD / "handwritten-json-mlmodel")
    sig = Signature.from_canonical({"inputs": [{"type": "double", "name": "x", "required": True}]})
    text = doc.with_signature(sig, "current")
    parsed = load_yaml_text(text)
    assert parsed["flavors"] == doc.data["flavors"]
    assert parsed["artifact_path"] == "cv"
    assert not text.lstrip().startswith("{")


def _optional_first(sig: Signature) -> Signature:
    first = sig.inputs.specs[0]
    return dataclasses.replace(
        sig, inputs=Schema((dataclasses.replace(first, required=False), *sig.inputs.specs[1:]))
    )


def test_keep_legacy_cannot_express_optional() -> None:
    doc = load_model(MODELS / "v1_bikes_linreg")
    assert doc.signature_dialect == "none"
    new = _optional_first(doc.signature)
    with pytest.raises(SchemaError, match="current"):
        doc.with_signature(new, "keep")
    with pytest.raises(SchemaError, match="legacy"):
        doc.with_signature(new, "legacy")
    text = doc.with_signature(new, "current")
    assert '"required": false' in load_yaml_text(text)["signature"]["inputs"]


def test_keep_legacy_when_expressible() -> None:
    doc = load_model(MODELS / "v1_bikes_linreg")
    text = doc.with_signature(_retype_first(doc.signature), "keep")
    inputs = load_yaml_text(text)["signature"]["inputs"]
    assert "required" not in inputs and '"name": "temp_c", "type": "string"' in inputs
    assert "params" not in load_yaml_text(text)["signature"]  # 1.x had no params key


def test_bom_is_kept(tmp_path: Path) -> None:
    text = (MODELS / "iris_logreg_colspec" / "MLmodel").read_text()
    folder = copy_model(MODELS / "iris_logreg_colspec", tmp_path / "iris")
    (folder / "MLmodel").write_bytes(b"\xef\xbb\xbf" + text.encode())
    doc = load_model(folder)
    save_text(doc, doc.with_signature(None))
    assert (folder / "MLmodel").read_bytes().startswith(b"\xef\xbb\xbf")
    assert "signature" not in load_model(folder).data
