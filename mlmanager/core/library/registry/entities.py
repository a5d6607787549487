"""What a registry holds: registered models and their versions (plain, immutable values).

Field names follow MLflow's REST API (``version`` is a string, timestamps are milliseconds);
``to_json`` gives the ``mlmanager registry --json`` shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

_MODEL_ID = re.compile(r"models:/(m-[0-9a-f]{32})/?$")


def model_id_from_source(source: str | None) -> str | None:
    """``models:/m-<32 hex>`` (an MLflow 3 logged model) -> its id; anything else -> ``None``."""
    if not source:
        return None
    match = _MODEL_ID.match(source)
    return match.group(1) if match else None


@dataclass(frozen=True, slots=True)
class ModelVersion:
    """One version of a registered model. ``aliases`` are the aliases pointing at it."""

    name: str
    version: str
    status: str = "READY"
    source: str = ""
    run_id: str | None = None
    model_id: str | None = None
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: tuple[str, ...] = ()
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    current_stage: str | None = None
    status_message: str | None = None
    storage_location: str | None = None  # where the registry says the files are (may be stale)

    @property
    def number(self) -> int:
        """The version as a number (for sorting); 0 when it is not one."""
        return int(self.version) if self.version.isdigit() else 0

    @property
    def title(self) -> str:
        """``version 3 @champion @prod``: how a version is named in headers and messages."""
        return " ".join([f"version {self.version}", *(f"@{a}" for a in self.aliases)])

    def with_aliases(self, aliases: Iterable[str]) -> ModelVersion:
        return replace(self, aliases=tuple(sorted(aliases)))

    def to_json(self) -> dict:
        return {
            "version": self.version,
            "status": self.status,
            "source": self.source,
            "run_id": self.run_id,
            "tags": dict(self.tags),
            "aliases": list(self.aliases),
            "description": self.description,
            "creation_timestamp": self.creation_timestamp,
        }


@dataclass(frozen=True, slots=True)
class RegisteredModel:
    """A registered model; ``aliases`` maps an alias to a version; ``versions`` ascending."""

    name: str
    description: str = ""
    tags: Mapping[str, str] = field(default_factory=dict)
    aliases: Mapping[str, str] = field(default_factory=dict)
    creation_timestamp: int | None = None
    last_updated_timestamp: int | None = None
    versions: tuple[ModelVersion, ...] = ()

    def version(self, version: str) -> ModelVersion | None:
        for v in self.versions:
            if v.version == version:
                return v
        return None

    def with_versions(self, versions: Iterable[ModelVersion]) -> RegisteredModel:
        """This model with ``versions`` (sorted by number), each given its aliases."""
        by_version: dict[str, list[str]] = {}
        for alias, version in self.aliases.items():
            by_version.setdefault(version, []).append(alias)
        ordered = sorted(versions, key=lambda v: (v.number, v.version))
        return replace(
            self, versions=tuple(v.with_aliases(by_version.get(v.version, ())) for v in ordered)
        )

    def to_json(self) -> dict:
        return {
            "name": self.name,
            "description": self.description,
            "tags": dict(self.tags),
            "aliases": dict(self.aliases),
            "versions": [v.to_json() for v in self.versions],
        }


def registry_to_json(models: Iterable[RegisteredModel]) -> dict:
    """The ``mlmanager registry list --json`` document."""
    return {"registered_models": [m.to_json() for m in models]}


def text_or_empty(value: object) -> str:
    """A description as MLflow's client shows it: ``None`` becomes ``""``."""
    return "" if value is None else str(value)


@dataclass(frozen=True)
class RunContext:
    """The run a version came from: what the version overview shows beside the model.

    ``history`` holds the steps of every metric logged at more than one step (for sparklines).
    """

    run_id: str
    name: str | None
    status: str | None
    experiment_id: str | None
    metrics: dict[str, float] = field(default_factory=dict)
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    history: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
