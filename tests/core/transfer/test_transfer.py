"""Export to zip/folder and safe import of zip/tar archives (security.md T20-T23, T32)."""

from __future__ import annotations

import io
import json
import os
import stat
import struct
import tarfile
import zipfile
import zlib
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.core.errors import (
    MLmodelNotFoundError,
    ModelReadError,
    UnsafePathError,
    WriteError,
)
from mlmanager.core.model.summary import inspect_model
from mlmanager.core.transfer.export import export_folder, export_zip
from mlmanager.core.transfer.import_archive import ArchiveRefused, ImportLimits, import_archive
from mlmanager.core.transfer.staging import TransferCancelled

CRC_1GIB_ZEROS = 0x5B64C2B0  # zlib.crc32 of 2**30 zero bytes


def _corpus() -> list[tuple[str, str]]:
    if not MODELS.is_dir():
        return []
    out = []
    for f in sorted(MODELS.glob("*.expected.json")):
        e = json.loads(f.read_text())
        if e.get("kind") != "tracking":
            out.append((f.name.removesuffix(".expected.json"), e["model_dir"]))
    return out


CORPUS = _corpus()


def _tree(root: Path) -> list[str]:
    """Every path under ``root`` (files and folders), relative, for 'nothing was left' checks."""
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def _small_model(folder: Path) -> Path:
    folder.mkdir(parents=True)
    (folder / "MLmodel").write_text(
        "flavors:\n  python_function:\n    loader_module: mlflow.sklearn\n    model_path: model.pkl\n"
    )
    (folder / "model.pkl").write_bytes(b"\x80\x04N.")
    (folder / "data").mkdir()
    (folder / "data" / "x.bin").write_bytes(os.urandom(3 << 20))
    return folder


def _comparable(path: Path) -> dict:
    d = inspect_model(path)
    d.pop("path")
    return d


# ---------------------------------------------------------------------------------------------
# Export then import: every corpus model comes back identical


@pytest.mark.parametrize(("name", "model_dir"), CORPUS, ids=[n for n, _ in CORPUS])
def test_export_then_import_round_trips_every_corpus_model(tmp_path: Path, name: str, model_dir: str) -> None:
    src = MODELS / model_dir  # read-only folders: export only reads
    out = tmp_path / f"{name}.zip"
    result = export_zip(src, out)
    assert result.files == sum(1 for p in src.rglob("*") if p.is_file())
    with zipfile.ZipFile(out) as zf:
        names = zf.namelist()
    assert all(n.startswith(f"{name}/") for n in names)  # one top-level folder, named after the zip
    assert f"{name}/MLmodel" in names
    imported = import_archive(out, tmp_path / "lib")
    assert imported.path == tmp_path / "lib" / name
    assert imported.is_model and imported.document is not None
    assert _comparable(imported.path) == _comparable(src)
    for f in src.rglob("*"):
        if f.is_file():
            assert (imported.path / f.relative_to(src)).read_bytes() == f.read_bytes()
    assert _tree(tmp_path / "lib") == _tree(imported.path.parent)  # no staging left
    assert [p.name for p in (tmp_path / "lib").iterdir()] == [name]


def test_flat_zip_and_folder_export(tmp_path: Path) -> None:
    src = MODELS / "iris_logreg_colspec"
    flat = export_zip(src, tmp_path / "flat.zip", flat=True)
    with zipfile.ZipFile(flat.path) as zf:
        assert "MLmodel" in zf.namelist()
    imported = import_archive(flat.path, tmp_path / "lib")
    assert imported.path.name == "flat"  # files at the root: named after the archive
    copy = export_folder(src, tmp_path / "copy")
    assert _comparable(copy.path) == _comparable(src)
    assert os.access(copy.path / "MLmodel", os.W_OK)  # the copy of a read-only folder is writable


def test_export_of_a_read_only_folder(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "ro")
    for p in [*src.rglob("*"), src]:
        p.chmod(p.stat().st_mode & ~0o222)
    try:
        result = export_zip(src, tmp_path / "ro.zip")
        assert result.files == 3
        back = import_archive(result.path, tmp_path / "lib")
        assert (back.path / "data" / "x.bin").read_bytes() == (src / "data" / "x.bin").read_bytes()
    finally:
        for p in [src, *src.rglob("*")]:
            p.chmod(p.stat().st_mode | 0o200)


def test_export_keeps_empty_folders(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "m")
    (src / "code").mkdir()
    out = export_zip(src, tmp_path / "m.zip").path
    with zipfile.ZipFile(out) as zf:
        assert "m/code/" in zf.namelist()
    back = import_archive(out, tmp_path / "lib")
    assert (back.path / "code").is_dir()


def test_export_refuses_symlinks_by_default_and_names_them(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "m")
    secret = tmp_path / "secret.txt"
    secret.write_text("private")
    (src / "inside_link").symlink_to("model.pkl")
    (src / "outside_link").symlink_to(secret)
    with pytest.raises(UnsafePathError) as err:
        export_zip(src, tmp_path / "m.zip")
    text = str(err.value)
    assert "inside_link: symbolic link to 'model.pkl'" in text
    assert "outside_link: symbolic link to" in text
    assert "private files" in text
    assert not (tmp_path / "m.zip").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".partial")] == []
    # dereference: links to files inside are copied as files; links out are still refused
    with pytest.raises(UnsafePathError, match="points outside the model folder"):
        export_zip(src, tmp_path / "m.zip", symlinks="dereference")
    (src / "outside_link").unlink()
    result = export_zip(src, tmp_path / "m.zip", symlinks="dereference")
    with zipfile.ZipFile(result.path) as zf:
        assert zf.read("m/inside_link") == (src / "model.pkl").read_bytes()
        info = zf.getinfo("m/inside_link")
        assert not stat.S_ISLNK(info.external_attr >> 16)


def test_export_refuses_a_fifo(tmp_path: Path) -> None:
    if not hasattr(os, "mkfifo"):
        pytest.skip("no FIFOs on this platform")
    src = _small_model(tmp_path / "m")
    os.mkfifo(src / "pipe")
    with pytest.raises(UnsafePathError, match="pipe: a FIFO"):
        export_zip(src, tmp_path / "m.zip")


def test_cancel_mid_export_leaves_nothing(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "m")
    (tmp_path / "out").mkdir()
    calls: list[tuple[int, int | None, str]] = []

    def progress(done: int, total: int | None, item: str) -> None:
        calls.append((done, total, item))

    def cancel() -> bool:  # stop once the big file is half written
        return any(item == "data/x.bin" and done > 0 for done, _t, item in calls)

    with pytest.raises(TransferCancelled):
        export_zip(src, tmp_path / "out" / "m.zip", progress, cancel)
    assert list((tmp_path / "out").iterdir()) == []
    with pytest.raises(TransferCancelled):
        export_folder(src, tmp_path / "out" / "copy", progress, lambda: len(calls) > 3)
    assert list((tmp_path / "out").iterdir()) == []
    # an existing zip is never clobbered by a cancelled export
    (tmp_path / "out" / "m.zip").write_bytes(b"old")
    calls.clear()
    with pytest.raises(TransferCancelled):
        export_zip(src, tmp_path / "out" / "m.zip", progress, cancel, overwrite=True)
    assert (tmp_path / "out" / "m.zip").read_bytes() == b"old"


def test_export_progress_and_refusals(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "m")
    seen: list[tuple[int, int | None]] = []
    result = export_zip(src, tmp_path / "m.zip", lambda d, t, i: seen.append((d, t)))
    assert seen[-1] == (result.bytes, result.bytes)
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    with pytest.raises(WriteError, match="already exists"):
        export_zip(src, tmp_path / "m.zip")
    with pytest.raises(WriteError, match="inside the model folder"):
        export_zip(src, src / "self.zip")
    with pytest.raises(MLmodelNotFoundError, match="MLmodel missing"):
        export_zip(tmp_path, tmp_path / "x.zip")


# ---------------------------------------------------------------------------------------------
# Import: hand-built archives


def _zip_bytes(entries: list[tuple[str, bytes]]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in entries:
            zf.writestr(name, data)
    return buf.getvalue()


def _raw_zip(path: Path, entries: list[dict]) -> None:
    """Write a zip by hand: each entry gives name, data (as stored), method, crc, size, flags."""
    out = bytearray()
    central = bytearray()
    for e in entries:
        name = e["name"].encode()
        data = e["data"]
        offset = len(out)
        fields = (20, e.get("flags", 0), e.get("method", 0), 0, 0x21, e["crc"], len(data), e["size"],
                  len(name), 0)
        out += struct.pack("<4s5HIIIHH", b"PK\x03\x04", *fields) + name + data
        central += struct.pack(
            "<4s6HIIIHHHHHII", b"PK\x01\x02", 0x031E, *fields[:-1], 0, 0, 0, 0,
            e.get("external_attr", (stat.S_IFREG | 0o644) << 16), offset,
        ) + name
    cd_offset = len(out)
    out += central
    out += struct.pack("<4s4HIIH", b"PK\x05\x06", 0, 0, len(entries), len(entries), len(central),
                       cd_offset, 0)
    path.write_bytes(bytes(out))


def _zero_deflate(n: int) -> bytes:
    """A raw deflate stream of ``n`` zero bytes, built fast: one 4 MiB piece, repeated.

    ``Z_FULL_FLUSH`` byte-aligns and forgets the history, so identical pieces concatenate into
    a valid stream (zlib itself needs ~20 s for 1 GiB of zeros on a small machine)."""
    piece_len = 4 << 20
    assert n % piece_len == 0
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    piece = comp.compress(bytes(piece_len)) + comp.flush(zlib.Z_FULL_FLUSH)
    return piece * (n // piece_len) + zlib.compressobj(9, zlib.DEFLATED, -15).flush()


MLMODEL_TEXT = b"flavors:\n  sklearn:\n    pickled_model: model.pkl\n"


def _good_model_zip(path: Path, stored: bool = False) -> None:
    method = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(path, "w", compression=method) as zf:
        zf.writestr("m/MLmodel", MLMODEL_TEXT)
        zf.writestr("m/model.pkl", b"\x80\x04\x95" + bytes(range(200)) * 50)


def test_t20_unsafe_zip_entries_each_refused_nothing_written(tmp_path: Path) -> None:
    archive = tmp_path / "evil.zip"
    link = zipfile.ZipInfo("m/link")
    link.external_attr = (stat.S_IFLNK | 0o777) << 16
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("m/MLmodel", MLMODEL_TEXT)
        zf.writestr("../../evil", b"x")
        zf.writestr("/abs/path", b"x")
        zf.writestr("C:\\x", b"x")
        zf.writestr("m/..\\..\\win", b"x")
        zf.writestr(link, "/etc/passwd")
        zf.writestr("m/dup.txt", b"1")
        with pytest.warns(UserWarning, match="Duplicate name"):
            zf.writestr("m/dup.txt", b"2")
        zf.writestr("m/Model.pkl", b"a")
        zf.writestr("m/model.pkl", b"b")
    archive.write_bytes(buf.getvalue())
    dest = tmp_path / "lib"
    before = _tree(tmp_path)
    with pytest.raises(ArchiveRefused) as err:
        import_archive(archive, dest)
    reasons = dict(err.value.entries)
    assert "'..' would escape" in reasons["../../evil"]
    assert reasons["/abs/path"] == "absolute path"
    assert "backslash" in reasons["C:\\x"]
    assert "backslash" in reasons["m/..\\..\\win"]
    assert "symbolic link" in reasons["m/link"]
    assert "duplicate entry" in reasons["m/dup.txt"]
    assert "only in letter case" in reasons["m/model.pkl"]
    assert "m/MLmodel" not in reasons
    for name in ("../../evil", "/abs/path", "C:\\x", "m/link", "m/dup.txt", "m/model.pkl"):
        assert repr(name) in str(err.value)  # one message per entry, naming it
    assert _tree(tmp_path) == before  # nothing written anywhere, not even the staging folder
    assert not (tmp_path.parent / "evil").exists()


def test_t20_drive_letter_and_file_folder_clash(tmp_path: Path) -> None:
    archive = tmp_path / "a.zip"
    archive.write_bytes(_zip_bytes([("C:/x", b"1"), ("m/MLmodel", MLMODEL_TEXT), ("m/a", b"1"),
                                    ("m/a/b", b"2")]))
    with pytest.raises(ArchiveRefused) as err:
        import_archive(archive, tmp_path / "lib")
    reasons = dict(err.value.entries)
    assert reasons["C:/x"] == "Windows drive path"
    assert "both a file and a folder" in reasons["m/a/b"]
    assert not (tmp_path / "lib").exists() or list((tmp_path / "lib").iterdir()) == []


def test_t21_zip_bomb_of_1gib_zeros_is_stopped_while_streaming(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.zip"
    stream = _zero_deflate(1 << 30)
    _raw_zip(bomb, [
        {"name": "m/MLmodel", "data": MLMODEL_TEXT, "crc": zlib.crc32(MLMODEL_TEXT), "size": len(MLMODEL_TEXT)},
        {"name": "m/model.pkl", "data": stream, "method": 8, "crc": CRC_1GIB_ZEROS, "size": 1 << 30},
    ])
    assert bomb.stat().st_size < 2 << 20  # ~1 MB on disk
    seen: list[int] = []
    with pytest.raises(ModelReadError, match="ratio over 250:1") as err:
        import_archive(bomb, tmp_path / "lib", lambda d, t, i: seen.append(d))
    assert "model.pkl" in str(err.value)
    assert max(seen) < 64 << 20  # stopped early, not after inflating the whole GiB
    assert not (tmp_path / "lib").exists() or list((tmp_path / "lib").iterdir()) == []
    # with a byte cap below the declared size it is refused before extracting anything
    with pytest.raises(ArchiveRefused, match="per-file cap"):
        import_archive(bomb, tmp_path / "lib", limits=ImportLimits(max_file_bytes=100 << 20))


def test_t21_header_that_understates_the_size_is_caught_while_streaming(tmp_path: Path) -> None:
    archive = tmp_path / "liar.zip"
    stream = _zero_deflate(64 << 20)
    _raw_zip(archive, [
        {"name": "m/MLmodel", "data": MLMODEL_TEXT, "crc": zlib.crc32(MLMODEL_TEXT), "size": len(MLMODEL_TEXT)},
        {"name": "m/model.pkl", "data": stream, "method": 8, "crc": 0, "size": 1000},
    ])
    seen: list[int] = []
    with pytest.raises(ModelReadError, match="more data than its header declares") as err:
        import_archive(archive, tmp_path / "lib", lambda d, t, i: seen.append(d),
                       limits=ImportLimits(max_ratio=1e9))
    assert "1,000 bytes" in str(err.value)
    assert max(seen) <= 1000 + len(MLMODEL_TEXT)  # nothing past the declared size was written
    assert list((tmp_path / "lib").iterdir()) == []


def test_t21_total_and_entry_count_caps(tmp_path: Path) -> None:
    archive = tmp_path / "many.zip"
    archive.write_bytes(_zip_bytes([("m/MLmodel", MLMODEL_TEXT)] + [(f"m/f{i}", b"x") for i in range(30)]))
    with pytest.raises(ModelReadError, match="over the 10-entry cap"):
        import_archive(archive, tmp_path / "lib", limits=ImportLimits(max_entries=10))
    with pytest.raises(ModelReadError, match="byte cap"):
        import_archive(archive, tmp_path / "lib", limits=ImportLimits(max_total_bytes=20))
    deep = tmp_path / "deep.zip"
    deep.write_bytes(_zip_bytes([("m/MLmodel", MLMODEL_TEXT), ("m/" + "d/" * 40 + "f", b"x")]))
    with pytest.raises(ArchiveRefused, match="nested deeper than 32"):
        import_archive(deep, tmp_path / "lib")


def _tar_gz(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> None:
    with tarfile.open(path, "w:gz") as tf:
        for info, data in members:
            if data is not None:
                info.size = len(data)
                tf.addfile(info, io.BytesIO(data))
            else:
                tf.addfile(info)


def test_t22_tar_with_absolute_symlink_and_dotdot_refused_by_the_data_filter(tmp_path: Path) -> None:
    archive = tmp_path / "evil.tar.gz"
    link = tarfile.TarInfo("m/link")
    link.type = tarfile.SYMTYPE
    link.linkname = "/etc/passwd"
    hard = tarfile.TarInfo("m/hard")
    hard.type = tarfile.LNKTYPE
    hard.linkname = "m/MLmodel"
    _tar_gz(archive, [
        (tarfile.TarInfo("m/MLmodel"), MLMODEL_TEXT),
        (tarfile.TarInfo("../evil"), b"x"),
        (link, None),
        (hard, None),
    ])
    before = _tree(tmp_path)
    with pytest.raises(ArchiveRefused) as err:
        import_archive(archive, tmp_path / "lib")
    reasons = dict(err.value.entries)
    assert "'..' would escape" in reasons["../evil"]
    assert "symbolic link to '/etc/passwd'" in reasons["m/link"]
    assert "hard link" in reasons["m/hard"]
    if hasattr(tarfile, "data_filter"):  # Python 3.12+, 3.11.4+: the filter's own verdict is quoted
        assert "data filter: OutsideDestinationError" in reasons["../evil"]
        assert "data filter: AbsoluteLinkError" in reasons["m/link"]
    assert _tree(tmp_path) == before
    assert not (tmp_path.parent / "evil").exists()


def test_tar_gz_import_of_a_model_packed_with_dot_names(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "src")
    archive = tmp_path / "model.tgz"
    with tarfile.open(archive, "w:gz") as tf:
        tf.add(src, arcname=".")  # names "./MLmodel", like `tar czf model.tgz -C src .`
    result = import_archive(archive, tmp_path / "lib")
    assert result.path == tmp_path / "lib" / "model"
    assert result.format == "tar"
    assert (result.path / "data" / "x.bin").read_bytes() == (src / "data" / "x.bin").read_bytes()
    assert result.contents == ["MLmodel", "data/", "model.pkl"]


def test_t23_password_protected_zip_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "locked.zip"
    _raw_zip(archive, [
        {"name": "m/MLmodel", "data": MLMODEL_TEXT, "crc": zlib.crc32(MLMODEL_TEXT), "size": len(MLMODEL_TEXT)},
        {"name": "m/model.pkl", "data": b"\x00" * 40, "crc": 0, "size": 28, "flags": 0x1},
    ])
    with pytest.raises(ArchiveRefused, match="encrypted") as err:
        import_archive(archive, tmp_path / "lib")
    assert dict(err.value.entries)["m/model.pkl"].startswith("encrypted (password-protected)")
    assert "clean" not in str(err.value).lower()


def test_t23_crc_error_in_model_pkl_is_a_clear_error(tmp_path: Path) -> None:
    archive = tmp_path / "crc.zip"
    _good_model_zip(archive, stored=True)
    data = bytearray(archive.read_bytes())
    with zipfile.ZipFile(archive) as zf:
        info = zf.getinfo("m/model.pkl")
    start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 100] ^= 0xFF
    archive.write_bytes(bytes(data))
    with pytest.raises(ModelReadError, match="CRC check failed") as err:
        import_archive(archive, tmp_path / "lib")
    assert "'m/model.pkl'" in str(err.value)
    assert list((tmp_path / "lib").iterdir()) == []


def test_t32_half_written_folder_is_not_a_model(tmp_path: Path) -> None:
    archive = tmp_path / "half.zip"
    archive.write_bytes(_zip_bytes([("half/model.skops", b"PK fake")]))
    with pytest.raises(MLmodelNotFoundError) as err:
        import_archive(archive, tmp_path / "lib")
    assert "not an MLflow model (MLmodel missing); it contains: model.skops" in str(err.value)
    assert list((tmp_path / "lib").iterdir()) == []
    raw = import_archive(archive, tmp_path / "lib", allow_non_model=True)
    assert not raw.is_model and raw.document is None
    assert (raw.path / "model.skops").is_file()
    assert "MLmodel missing" in raw.warnings[0]


def test_import_refuses_an_existing_name_and_skips_macos_junk(tmp_path: Path) -> None:
    archive = tmp_path / "m.zip"
    archive.write_bytes(_zip_bytes([("m/MLmodel", MLMODEL_TEXT), ("__MACOSX/m/._MLmodel", b"junk"),
                                    ("m/.DS_Store", b"junk")]))
    first = import_archive(archive, tmp_path / "lib")
    assert first.skipped == ["__MACOSX/m/._MLmodel", "m/.DS_Store"]
    assert first.contents == ["MLmodel"]
    with pytest.raises(WriteError, match="already exists"):
        import_archive(archive, tmp_path / "lib")
    second = import_archive(archive, tmp_path / "lib", name="m2")
    assert second.path.name == "m2"


def test_import_of_an_invalid_mlmodel_is_refused(tmp_path: Path) -> None:
    archive = tmp_path / "bad.zip"
    archive.write_bytes(_zip_bytes([("m/MLmodel", b"a: [1,\n")]))
    with pytest.raises(ModelReadError, match="MLmodel cannot be read"):
        import_archive(archive, tmp_path / "lib")
    assert list((tmp_path / "lib").iterdir()) == []


def test_cancel_mid_import_leaves_nothing(tmp_path: Path) -> None:
    src = _small_model(tmp_path / "m")
    archive = export_zip(src, tmp_path / "m.zip").path
    with pytest.raises(TransferCancelled):
        import_archive(archive, tmp_path / "lib", cancel=lambda: (tmp_path / "lib").exists()
                       and any((tmp_path / "lib").iterdir()))
    assert list((tmp_path / "lib").iterdir()) == []


def test_not_an_archive(tmp_path: Path) -> None:
    f = tmp_path / "x.zip"
    f.write_bytes(b"hello")
    with pytest.raises(ModelReadError, match="not a zip or tar archive"):
        import_archive(f, tmp_path / "lib")


# ---------------------------------------------------------------------------------------------
# Copy to a folder or into a tracking folder


def test_copy_to_folder_works_like_cp(tmp_path: Path) -> None:
    from mlmanager.core.transfer.copy import copy_model_to

    src = _small_model(tmp_path / "m")
    new = copy_model_to(src, tmp_path / "new")
    assert new.path == tmp_path / "new" and (new.path / "MLmodel").is_file()
    (tmp_path / "lib").mkdir()
    inside = copy_model_to(src / "MLmodel", tmp_path / "lib")
    assert inside.path == tmp_path / "lib" / "m"
    named = copy_model_to(src, tmp_path / "lib", name="renamed")
    assert named.path == tmp_path / "lib" / "renamed"
    with pytest.raises(WriteError, match="already exists"):
        copy_model_to(src, tmp_path / "lib", name="renamed")


def _meta(path: Path) -> dict:
    import yaml

    return yaml.safe_load(path.read_text())


def test_copy_into_a_new_tracking_folder(tmp_path: Path) -> None:
    from mlmanager.core.library.discovery import scan
    from mlmanager.core.transfer.copy import copy_model_to

    src = _small_model(tmp_path / "churn")
    store = tmp_path / "mlruns"
    first = copy_model_to(src, store, "tracking", experiment="churn-exp")
    assert first.uri == f"runs:/{first.run_id}/churn"
    assert first.path == store / first.experiment_id / first.run_id / "artifacts" / "churn"
    assert _meta(store / "0" / "meta.yaml")["name"] == "Default"
    exp = _meta(store / first.experiment_id / "meta.yaml")
    assert exp["name"] == "churn-exp" and exp["experiment_id"] == first.experiment_id
    assert len(first.experiment_id) == 18 and exp["lifecycle_stage"] == "active"
    run = _meta(store / first.experiment_id / first.run_id / "meta.yaml")
    assert run["status"] == 3 and run["run_id"] == first.run_id and run["run_name"] == "churn"
    assert run["artifact_uri"] == (store / first.experiment_id / first.run_id / "artifacts").resolve().as_uri()
    assert (store / first.experiment_id / first.run_id / "tags" / "mlflow.runName").read_text() == "churn"
    second = copy_model_to(src, store, "tracking", experiment="churn-exp", name="v2")
    assert second.experiment_id == first.experiment_id and second.run_id != first.run_id
    third = copy_model_to(src, store, "tracking", experiment="churn-exp", run_id=first.run_id, name="again")
    assert third.run_id == first.run_id
    found = scan(store).models
    names = sorted((m.kind, m.experiment.name, m.run.name, m.artifact_path) for m in found)
    assert names == [("run_artifact", "churn-exp", "churn", "again"), ("run_artifact", "churn-exp", "churn", "churn"),
                     ("run_artifact", "churn-exp", "v2", "v2")]


def test_copy_into_the_corpus_file_store_keeps_its_meta_style(tmp_path: Path, copy_model) -> None:
    from mlmanager.core.library.discovery import scan
    from mlmanager.core.transfer.copy import copy_model_to, default_name

    store = copy_model(MODELS / "mlruns", "mlruns")
    logged = MODELS / "mlruns/441847986406938267/models/m-f33694f14b9d4934bd438b73899b96be/artifacts"
    assert default_name(logged) == _meta(logged.parent / "meta.yaml")["name"]
    result = copy_model_to(MODELS / "iris_logreg_colspec", store, "tracking", experiment="house-prices")
    assert result.experiment_id == "441847986406938267"  # found by name
    run = _meta(store / result.experiment_id / result.run_id / "meta.yaml")
    existing = _meta(store / "441847986406938267/75e5429154ac4bcf93f2443d5339c605/meta.yaml")
    assert set(run) == set(existing)
    models = {m.path for m in scan(store).models}
    assert result.path in models


def test_copy_to_tracking_refusals_leave_nothing(tmp_path: Path) -> None:
    from mlmanager.core.errors import InvalidError
    from mlmanager.core.transfer.copy import copy_model_to

    src = _small_model(tmp_path / "m")
    sqlite_root = tmp_path / "proj"
    (sqlite_root / "mlruns").mkdir(parents=True)
    (sqlite_root / "mlflow.db").write_bytes(b"")
    with pytest.raises(WriteError, match="SQLite tracking store"):
        copy_model_to(src, sqlite_root / "mlruns", "tracking")
    other = tmp_path / "docs"
    other.mkdir()
    (other / "notes.txt").write_text("x")
    with pytest.raises(WriteError, match="not a file-store tracking folder"):
        copy_model_to(src, other, "tracking")
    with pytest.raises(InvalidError, match="only apply to the tracking layout"):
        copy_model_to(src, tmp_path / "x", experiment="e")
    (src / "link").symlink_to("model.pkl")  # refused by the export: the new store must vanish
    with pytest.raises(UnsafePathError):
        copy_model_to(src, tmp_path / "fresh", "tracking", experiment="e")
    assert not (tmp_path / "fresh").exists()
    (src / "link").unlink()
    store = tmp_path / "store"
    copy_model_to(src, store, "tracking", experiment="e")
    before = _tree(store)
    with pytest.raises(TransferCancelled):
        copy_model_to(src, store, "tracking", experiment="new-exp", cancel=lambda: True)
    assert _tree(store) == before
    deleted = tmp_path / "store" / ".trash" / "123456789012345678"
    deleted.mkdir(parents=True)
    (deleted / "meta.yaml").write_text("experiment_id: '123456789012345678'\nname: gone\nlifecycle_stage: deleted\n")
    with pytest.raises(InvalidError, match="deleted state"):
        copy_model_to(src, store, "tracking", experiment="gone")
