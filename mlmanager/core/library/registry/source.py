"""One protocol for every registry source: a file store, ``mlflow.db`` and a tracking server.

The UI and the CLI talk to :class:`RegistrySource` only. Reads page through registered models
(each with all its versions and their aliases); :meth:`RegistrySource.fetch_version` turns a
version into a local model folder (the folder itself for local stores, a verified download in
the cache for servers). Progress and cancel callbacks are those of every transfer
(:mod:`mlmanager.core.transfer.staging`: ``progress(done, total, item)``, ``cancel()``). Writes exist on every source; local ones refuse them with
:class:`ReadOnlyRegistryError` (MLflow owns their formats).
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Protocol, runtime_checkable

from mlmanager.core.errors import InvalidError, ModelReadError
from mlmanager.core.library.registry.entities import ModelVersion, RegisteredModel, RunContext
from mlmanager.core.transfer.staging import CancelFn as Cancel
from mlmanager.core.transfer.staging import ProgressFn as Progress

__all__ = ["Cancel", "Progress", "ReadOnlyRegistry", "ReadOnlyRegistryError",
           "RegistryNotFoundError", "RegistrySource", "list_all", "resolve_version"]


class RegistryNotFoundError(ModelReadError):
    """The registered model, version or alias does not exist in this registry."""


class ReadOnlyRegistryError(InvalidError):
    """A write was attempted on a local registry (file store or ``mlflow.db``)."""


@runtime_checkable
class RegistrySource(Protocol):
    """Registered models and versions from one place, read and (for servers) written."""

    @property
    def location(self) -> str:
        """What it reads, for messages and headers: a server URL, a folder or ``mlflow.db``."""
        ...

    @property
    def writable(self) -> bool: ...

    def search_registered_models(
        self, filter_string: str | None = None, *, cancel: Cancel | None = None
    ) -> Iterator[list[RegisteredModel]]:
        """Pages of registered models, by name, each with all its versions and aliases."""
        ...

    def get_registered_model(self, name: str) -> RegisteredModel: ...

    def search_model_versions(
        self, filter_string: str | None = None, *, cancel: Cancel | None = None
    ) -> Iterator[list[ModelVersion]]:
        """Pages of versions (with aliases) matching a version filter (``name = 'x'``, ...)."""
        ...

    def get_model_version(self, name: str, version: str) -> ModelVersion: ...

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion: ...

    def fetch_version(
        self,
        version: ModelVersion,
        *,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> Path:
        """A local folder holding the version's model files (``MLmodel`` at its top)."""
        ...

    def run_context(self, version: ModelVersion, *, cancel: Cancel | None = None,
                    with_history: bool = True) -> RunContext | None:
        """The run the version came from: metrics, params, tags (``None`` without one)."""
        ...

    # -- writes (servers only)

    def register_model_folder(
        self,
        folder: str | os.PathLike[str],
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> ModelVersion: ...

    def set_alias(self, name: str, alias: str, version: str) -> None: ...

    def delete_alias(self, name: str, alias: str) -> None: ...

    def set_tag(self, name: str, key: str, value: str, version: str | None = None) -> None: ...

    def delete_tag(self, name: str, key: str, version: str | None = None) -> None: ...

    def set_description(self, name: str, description: str, version: str | None = None) -> None:
        ...


def list_all(source: RegistrySource, filter_string: str | None = None,
             cancel: Cancel | None = None) -> list[RegisteredModel]:
    """Every registered model of ``source`` (all pages)."""
    out: list[RegisteredModel] = []
    for page in source.search_registered_models(filter_string, cancel=cancel):
        out.extend(page)
    return out


def resolve_version(source: RegistrySource, name: str, version_or_alias: str) -> ModelVersion:
    """``"3"`` -> version 3, ``"@champion"`` -> the version the alias points to."""
    if version_or_alias.startswith("@"):
        return source.get_model_version_by_alias(name, version_or_alias[1:])
    return source.get_model_version(name, version_or_alias)


class ReadOnlyRegistry:
    """Base of the local sources: every write says why it is refused."""

    location: str
    writable = False
    kind = "local registry"

    def _refuse(self, what: str) -> ReadOnlyRegistryError:
        return ReadOnlyRegistryError(
            f"cannot {what}: this {self.kind} is opened read-only (MLflow owns its format). "
            "Register the model on an MLflow tracking server instead (--server http://...), "
            "or use MLflow's own client on this store.",
            self.location,
        )

    def register_model_folder(self, folder, name, *, description=None, tags=None,  # noqa: ANN001
                              progress=None, cancel=None) -> ModelVersion:
        raise self._refuse(f"register a new version of {name!r}")

    def set_alias(self, name: str, alias: str, version: str) -> None:
        raise self._refuse(f"set the alias @{alias} of {name!r}")

    def delete_alias(self, name: str, alias: str) -> None:
        raise self._refuse(f"delete the alias @{alias} of {name!r}")

    def set_tag(self, name: str, key: str, value: str, version: str | None = None) -> None:
        raise self._refuse(f"set the tag {key!r} of {name!r}")

    def delete_tag(self, name: str, key: str, version: str | None = None) -> None:
        raise self._refuse(f"delete the tag {key!r} of {name!r}")

    def set_description(self, name: str, description: str, version: str | None = None) -> None:
        raise self._refuse(f"change the description of {name!r}")


def not_found_model(name: str, location: str) -> RegistryNotFoundError:
    return RegistryNotFoundError(f"no registered model named {name!r}", location)


def not_found_version(name: str, version: str, location: str) -> RegistryNotFoundError:
    return RegistryNotFoundError(f"registered model {name!r} has no version {version}", location)


def not_found_alias(name: str, alias: str, location: str) -> RegistryNotFoundError:
    return RegistryNotFoundError(f"registered model {name!r} has no alias @{alias}", location)
