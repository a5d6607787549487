"""What the two local registry sources share: in-memory search and finding a version's folder.

A local registry is small (it is read whole, once) and read-only. The folder of a version is
looked up from where the store is *now*: ``storage_location`` and ``source`` hold absolute paths
of the machine that wrote them, and stores get copied and moved, so the logged model's id or the
run id and artifact path are looked up under the store's experiment folders when the recorded
path does not exist here.
"""

from __future__ import annotations

import os
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import unquote, urlparse

from mlmanager.core.library.registry.entities import ModelVersion, RegisteredModel, RunContext
from mlmanager.core.library.registry.search import model_matcher, version_matcher
from mlmanager.core.library.registry.source import (
    Cancel,
    Progress,
    ReadOnlyRegistry,
    RegistryNotFoundError,
    not_found_alias,
    not_found_model,
    not_found_version,
)

_RUN_TAIL = re.compile(r"(?:^|/)([0-9a-f]{32})/artifacts(?:/(.*))?$")
_RUNS_URI = re.compile(r"runs:/([0-9a-f]{32})(?:/(.*))?$")


def _local_path(uri: str | None) -> str | None:
    """A local path from a ``file://`` URI or a plain absolute path; else ``None``."""
    if not uri:
        return None
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        return unquote(parsed.path) or None
    if os.path.isabs(uri):
        return uri
    return None


def _is_model_dir(path: str) -> bool:
    return os.path.isfile(os.path.join(path, "MLmodel"))


@dataclass
class RunRecord:
    """A run as a local store holds it; :meth:`context` turns it into a :class:`RunContext`."""

    run_id: str
    name: str | None = None
    status: str | None = None
    experiment_id: str | None = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    #: metric -> (step, timestamp, value) points, in the order the store holds them
    points: dict[str, list[tuple[int, int, float]]] = field(default_factory=dict)

    def context(self) -> RunContext:
        metrics: dict[str, float] = {}
        history: dict[str, list[tuple[int, float]]] = {}
        for key, points in self.points.items():
            if not points:
                continue
            # the latest value is MLflow's: the highest step, then the latest timestamp
            metrics[key] = max(points, key=lambda p: (p[0], p[1]))[2]
            if len({p[0] for p in points}) > 1:  # as the server's: every point, by step
                history[key] = sorted((step, value) for step, _stamp, value in points)
        return RunContext(run_id=self.run_id, name=self.name, status=self.status,
                          experiment_id=self.experiment_id, metrics=dict(sorted(metrics.items())),
                          params=dict(sorted(self.params.items())),
                          tags=dict(sorted(self.tags.items())), history=history)


RUN_STATUSES = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}


class LocalRegistry(ReadOnlyRegistry, ABC):
    """Read methods over :meth:`_load`; subclasses say where experiment folders are."""

    def __init__(self, location: str) -> None:
        self.location = location
        self._models: list[RegisteredModel] | None = None

    # -- what each store implements (file store, SQLite)

    @abstractmethod
    def _load(self) -> list[RegisteredModel]:
        ...

    @abstractmethod
    def _experiment_roots(self) -> list[str]:
        """Folders holding ``<experiment id>/`` folders (where artifacts are)."""
        ...

    @abstractmethod
    def _run_record(self, run_id: str, with_history: bool) -> RunRecord | None:
        """The run's info, params, tags and metric points (``None``: not in this store)."""
        ...

    @abstractmethod
    def _logged_model_run(self, model_id: str) -> str | None:
        """The ``source_run_id`` of a logged model (MLflow 3), if the store knows it."""
        ...

    # -- reads

    def refresh(self) -> None:
        """Forget what was read, so the next read sees the store as it is now."""
        self._models = None

    def models(self) -> list[RegisteredModel]:
        if self._models is None:
            self._models = sorted(self._load(), key=lambda m: m.name)
        return self._models

    def search_registered_models(
        self, filter_string: str | None = None, *, cancel: Cancel | None = None
    ) -> Iterator[list[RegisteredModel]]:
        match = model_matcher(filter_string)  # a bad filter fails before the first page
        models = self.models()
        return iter([[m for m in models if match(m)]])

    def get_registered_model(self, name: str) -> RegisteredModel:
        for m in self.models():
            if m.name == name:
                return m
        raise not_found_model(name, self.location)

    def search_model_versions(
        self, filter_string: str | None = None, *, cancel: Cancel | None = None
    ) -> Iterator[list[ModelVersion]]:
        match = version_matcher(filter_string)
        return iter([[v for m in self.models() for v in m.versions if match(v)]])

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        found = self.get_registered_model(name).version(str(version))
        if found is None:
            raise not_found_version(name, str(version), self.location)
        return found

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        model = self.get_registered_model(name)
        version = model.aliases.get(alias)
        if version is None:
            raise not_found_alias(name, alias, self.location)
        return self.get_model_version(name, version)

    # -- context

    def run_context(self, version: ModelVersion, *, cancel: Cancel | None = None,
                    with_history: bool = True) -> RunContext | None:
        """The run the version came from (its own ``run_id``, else its logged model's source
        run): latest metrics, params, tags and the history of metrics with several steps.
        ``None`` when the version names no run or the run is not in this store."""
        run_id = version.run_id
        if not run_id and version.model_id:
            run_id = self._logged_model_run(version.model_id)
        if not run_id:
            return None
        record = self._run_record(run_id, with_history)
        return record.context() if record is not None else None

    # -- files

    def fetch_version(
        self, version: ModelVersion, *, progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> Path:
        """The version's model folder inside this store (nothing is copied)."""
        return Path(self.model_folder(version))

    def model_folder(self, version: ModelVersion) -> str:
        recorded = _local_path(version.storage_location)
        if recorded and _is_model_dir(recorded):
            return recorded
        candidates: list[str] = []
        if version.model_id:
            candidates += self._under_experiments(os.path.join("models", version.model_id,
                                                               "artifacts"))
        run_tail = self._run_tail(version)
        if run_tail is not None:
            candidates += self._under_experiments(run_tail)
        source_path = _local_path(version.source)
        if source_path:
            candidates.append(source_path)
        for path in candidates:
            if _is_model_dir(path):
                return path
        raise RegistryNotFoundError(
            f"the files of {version.name!r} version {version.version} are not in this store "
            f"(the registry says {version.storage_location or version.source!r}); "
            "was the store copied without its artifacts?",
            self.location,
        )

    @staticmethod
    def _run_tail(version: ModelVersion) -> str | None:
        """``<run_id>/artifacts/<path>`` of a run-artifact source, if it is one."""
        source = version.source or ""
        match = _RUNS_URI.match(source)
        if match is None:
            match = _RUN_TAIL.search(source.replace("\\", "/"))
        if match is None:
            return None
        run_id, path = match.group(1), match.group(2) or ""
        return os.path.join(run_id, "artifacts", *[p for p in path.split("/") if p])

    def _under_experiments(self, tail: str) -> list[str]:
        out = []
        for root in self._experiment_roots():
            try:
                names = sorted(os.listdir(root))
            except OSError:
                continue
            for exp in names:
                candidate = os.path.join(root, exp, tail)
                if os.path.isdir(candidate):
                    out.append(candidate)
        return out
