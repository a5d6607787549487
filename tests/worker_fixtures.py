"""Prediction-worker fixtures for every test folder (a pytest plugin, see conftest.py): real
worker subprocesses (``mlmanager.predict.worker_client``), one allowlist cache per run."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from mlmanager.predict.worker_client import WorkerClient


@pytest.fixture(scope="session")
def worker_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One allowlist cache for the whole run (building it imports all of scikit-learn)."""
    return tmp_path_factory.mktemp("allowlist-cache")


@pytest.fixture(scope="module")
def shared_client(worker_cache: Path) -> Iterator[WorkerClient]:
    """A worker reused across a module for scans and SAFE-LISTED loads (no code runs in it)."""
    client = WorkerClient(cache_dir=worker_cache, timeout=60)
    yield client
    client.close()


@pytest.fixture
def make_client(worker_cache: Path) -> Iterator:
    """Factory for a fresh client (closed at teardown)."""
    clients: list[WorkerClient] = []

    def _make(**kwargs) -> WorkerClient:
        kwargs.setdefault("cache_dir", worker_cache)
        kwargs.setdefault("timeout", 60)
        client = WorkerClient(**kwargs)
        clients.append(client)
        return client

    yield _make
    for client in clients:
        client.close()
