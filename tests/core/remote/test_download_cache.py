"""The download cache across processes and over time, against a real ``mlflow server``: two
downloads of one version at once (the first downloads, the second waits and reuses it), a wait
that is cancelled, and pruning by age and by size (least recently used first, never an entry
being downloaded, ``registry cache`` on the command line)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable
from pathlib import Path

import pytest
from corpus_paths import MODELS

from mlmanager.cli import main as cli_main
from mlmanager.core.library.registry.entities import ModelVersion
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import ENTRY, WAITING, DownloadCache
from mlmanager.core.remote.registry import ServerRegistry
from mlmanager.core.transfer.staging import TransferCancelled

CHILD = Path(__file__).resolve().parent / "download_child.py"
WAIT = 300.0  # generous: a loaded machine starts a Python process slowly


def _tree(folder: Path) -> dict[str, str]:
    return {str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(folder.rglob("*")) if p.is_file()}


def _wait_for(what: str, condition: Callable[[], bool], child: subprocess.Popen) -> None:
    deadline, pause = time.monotonic() + WAIT, threading.Event()
    while not condition():
        if child.poll() is not None:
            raise AssertionError(f"the download ended before {what}: {child.stderr.read()}")
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting for {what}")
        pause.wait(0.05)  # polling a condition, not timing anything


def _events(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.endswith("}")]


@pytest.fixture(scope="module")
def published(mlflow_server, tmp_path_factory) -> tuple[Path, list[ModelVersion]]:
    """Two versions on the session server: the iris model with an 8 MB weights file, and the
    plain iris model."""
    work = tmp_path_factory.mktemp("download-cache")
    local = work / "big"
    shutil.copytree(MODELS / "iris_logreg_colspec", local)
    (local / "weights.bin").write_bytes(os.urandom(8 << 20))
    source = ServerRegistry(mlflow_server.url, ServerAuth(), cache=DownloadCache(work / "setup"))
    name = f"t{uuid.uuid4().hex[:8]}-cached"
    big = source.register_model_folder(local, name)
    small = source.register_model_folder(MODELS / "iris_logreg_colspec", name)
    return local, [big, small]


def test_two_processes_download_a_version_once(mlflow_server, published, tmp_path: Path):
    local, (big, _small) = published
    cache, release = tmp_path / "cache", tmp_path / "release"
    first_events, second_events = tmp_path / "first.jsonl", tmp_path / "second.jsonl"

    def start(events: Path, *extra: str) -> subprocess.Popen:
        return subprocess.Popen(
            [sys.executable, str(CHILD), mlflow_server.url, big.name, big.version, str(cache),
             str(events), *extra], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    children = [start(first_events, "--hold-at", "weights.bin", str(release))]
    try:
        _wait_for("the first download to be midway",
                  lambda: any("holding" in e for e in _events(first_events)), children[0])
        children.append(start(second_events))
        _wait_for("the second download to wait for the first",
                  lambda: any(e.get("item") == WAITING for e in _events(second_events)),
                  children[1])
        release.touch()
        for child in children:
            _out, err = child.communicate(timeout=WAIT)
            assert child.returncode == 0, err
    finally:
        for child in children:
            if child.poll() is None:
                child.kill()
                child.wait()
    first, second = _events(first_events), _events(second_events)
    assert first[-1]["folder"] == second[-1]["folder"]
    folder = Path(first[-1]["folder"])
    assert _tree(folder) == _tree(local)
    # the second fetched nothing: it waited, then reused the finished entry
    assert not any(e.get("item") == "weights.bin" for e in second)
    size = sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())
    assert second[-2] == {"done": size, "total": size, "item": ""}
    assert sorted(e.name for e in folder.parent.iterdir()) == [ENTRY, "model"]


def test_a_wait_for_another_download_can_be_cancelled(mlflow_server, published, tmp_path):
    _local, (big, _small) = published
    cache = DownloadCache(tmp_path / "cache")
    source = ServerRegistry(mlflow_server.url, ServerAuth(), cache=cache)
    uri = source.rest.get_model_version_download_uri(big.name, big.version)
    other = cache.lock(cache.entry_dir(source.transport.base_url, uri))
    assert other.acquire(blocking=False)  # another download holds this entry
    seen: list[str] = []
    try:
        with pytest.raises(TransferCancelled, match="another download of this version"):
            source.fetch_version(big, progress=lambda d, t, i: seen.append(i),
                                 cancel=lambda: WAITING in seen)
    finally:
        other.release()
    assert seen == [WAITING]
    assert cache.entries() == []  # nothing was written
    assert (source.fetch_version(big) / "weights.bin").is_file()  # the lock is free again


def _age(entry_folder: Path, days: float) -> None:
    when = time.time() - days * 86400
    os.utime(entry_folder / ENTRY, (when, when))


def test_prune_by_age_and_size_least_recently_used_first(mlflow_server, published,
                                                         tmp_path: Path, capsys):
    local, (big, small) = published
    cache = DownloadCache(tmp_path / "cache")
    source = ServerRegistry(mlflow_server.url, ServerAuth(), cache=cache)
    big_folder = source.fetch_version(big).parent
    small_folder = source.fetch_version(small).parent
    _age(big_folder, 40)
    _age(small_folder, 10)
    # an unfinished download (a .part, no entry.json) is counted and goes first
    unfinished = cache.root / "ab" / ("ab" + "0" * 62)
    (unfinished / "incoming").mkdir(parents=True)
    (unfinished / "incoming" / ".weights.bin.part").write_bytes(b"x" * 1000)
    entries = {e.folder: e for e in cache.entries()}
    assert set(entries) == {big_folder, small_folder, unfinished}
    assert entries[big_folder].complete and entries[big_folder].artifact_uri
    assert not entries[unfinished].complete and entries[unfinished].size_bytes == 1000
    big_size = entries[big_folder].size_bytes

    # reusing an entry makes it recently used
    source.fetch_version(small)
    assert {e.folder: e for e in cache.entries()}[small_folder].last_used > time.time() - 3600

    # --dry-run says what would go and removes nothing
    assert cli_main(["registry", "cache", "--cache", str(cache.root), "--prune",
                     "--older-than", "30", "--dry-run", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert [e["folder"] for e in doc["removed"]] == [str(big_folder)] and doc["dry_run"]
    assert doc["freed_bytes"] == big_size and big_folder.is_dir()

    # by age: the big one (40 days); the unfinished one is newer than the cutoff
    result = cache.prune(older_than_days=30)
    assert [e.folder for e in result.removed] == [big_folder] and not big_folder.exists()
    assert cache.lookup(mlflow_server.url, entries[big_folder].artifact_uri) is None

    # by size, with an entry being downloaded: that one is kept and said to be in use
    held = cache.lock(unfinished)
    assert held.acquire(blocking=False)
    try:
        result = cache.prune(max_bytes=0)
    finally:
        held.release()
    assert [e.folder for e in result.in_use] == [unfinished]
    assert [e.folder for e in result.removed] == [small_folder]
    assert result.kept_bytes == 1000

    # on the command line: the listing, then --prune --max-size
    assert cli_main(["registry", "cache", "--cache", str(cache.root), "--json"]) == 0
    listing = json.loads(capsys.readouterr().out)
    assert [e["folder"] for e in listing["entries"]] == [str(unfinished)]
    assert cli_main(["registry", "cache", "--cache", str(cache.root), "--prune",
                     "--max-size", "0"]) == 0
    assert "removed 1 download(s)" in capsys.readouterr().out
    assert cache.entries() == [] and not list(cache.root.glob("??/.trash-*"))
    # a pruned version downloads again
    assert _tree(source.fetch_version(big)) == _tree(local)


def test_cache_options_are_checked(tmp_path: Path, capsys):
    assert cli_main(["registry", "cache", "--cache", str(tmp_path), "--max-size", "1G"]) == 1
    assert "add --prune" in capsys.readouterr().err
    with pytest.raises(SystemExit) as info:
        cli_main(["registry", "cache", "--cache", str(tmp_path), "--prune", "--max-size", "lots"])
    assert info.value.code == 2
    assert "not a size: 'lots'" in capsys.readouterr().err
