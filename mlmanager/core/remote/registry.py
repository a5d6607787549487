"""An MLflow tracking server as a registry source (the protocol of
:mod:`mlmanager.core.library.registry.source`).

Listing pages through ``registered-models/search`` (a small first page, so the first names show
fast, then pages of 1,000) and fetches each page's versions with ``model-versions/search``
``name IN (...)`` in URL-sized chunks. MLflow 2.x servers refuse ``name IN`` (only ``run_id``
takes a list there): for them a page of a few models asks ``name = '...'`` per model, a bigger
page reads every version of the server once per listing (what a 2.x client does). The aliases of a version come from its registered model
(``model-versions/search`` leaves them out). Downloads go through the artifact proxy into the
:class:`~mlmanager.core.remote.download.DownloadCache`.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from pathlib import Path
from urllib.parse import unquote, urlparse

from mlmanager.core.library.registry.entities import (
    ModelVersion,
    RegisteredModel,
    RunContext,
    model_id_from_source,
    text_or_empty,
)
from mlmanager.core.library.registry.source import Cancel, Progress
from mlmanager.core.remote.artifacts import ArtifactProxy
from mlmanager.core.remote.auth import ServerAuth
from mlmanager.core.remote.download import DownloadCache
from mlmanager.core.remote.http import HttpTransport, ServerError
from mlmanager.core.remote.register import register_model_folder
from mlmanager.core.remote.rest import (
    REGISTERED_MODELS_PAGE_MAX,
    MlflowRestClient,
    filter_literal,
)

FIRST_PAGE = 50  # enough rows to fill the library view at its first paint
# The pages after the first: small enough that parsing one (its models' ~750 versions) and
# building its rows are short steps (a 1,000-model page's half-megabyte answers held the GIL,
# stalling the app's GUI thread); large enough that the requests stay few (MLflow allows 1,000).
NEXT_PAGES = 250
MAX_FILTER_CHARS = 4000  # names per model-versions/search request, by the length of the filter
VERSIONS_PAGE = 10_000
PER_NAME_MAX = 10  # without `name IN`: up to this many models, one `name = ...` search each


def _tags(items: list[dict] | None) -> dict[str, str]:
    return {str(t["key"]): text_or_empty(t.get("value")) for t in items or []}


def version_from_json(doc: dict, aliases: tuple[str, ...] | None = None) -> ModelVersion:
    source = text_or_empty(doc.get("source"))
    return ModelVersion(
        name=doc["name"],
        version=str(doc["version"]),
        status=str(doc.get("status") or "READY"),
        source=source,
        run_id=doc.get("run_id") or None,
        model_id=doc.get("model_id") or model_id_from_source(source),
        description=text_or_empty(doc.get("description")),
        tags=_tags(doc.get("tags")),
        aliases=tuple(sorted(aliases if aliases is not None else doc.get("aliases", ()))),
        creation_timestamp=_int(doc.get("creation_timestamp")),
        last_updated_timestamp=_int(doc.get("last_updated_timestamp")),
        current_stage=doc.get("current_stage") or None,
        status_message=doc.get("status_message") or None,
        storage_location=doc.get("storage_location") or None,
    )


def model_from_json(doc: dict) -> RegisteredModel:
    return RegisteredModel(
        name=doc["name"],
        description=text_or_empty(doc.get("description")),
        tags=_tags(doc.get("tags")),
        aliases={a["alias"]: str(a["version"]) for a in doc.get("aliases", [])},
        creation_timestamp=_int(doc.get("creation_timestamp")),
        last_updated_timestamp=_int(doc.get("last_updated_timestamp")),
    )


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def name_chunks(names: list[str], limit: int = MAX_FILTER_CHARS) -> Iterator[str]:
    """``name IN (...)`` filters covering ``names``, each under ``limit`` characters."""
    chunk: list[str] = []
    size = 0
    for name in names:
        quoted = filter_literal(name)
        if chunk and size + len(quoted) + 2 > limit:
            yield f"name IN ({', '.join(chunk)})"
            chunk, size = [], 0
        chunk.append(quoted)
        size += len(quoted) + 2
    if chunk:
        yield f"name IN ({', '.join(chunk)})"


class ServerRegistry:
    """The registry of one tracking server (reads and writes)."""

    writable = True
    kind = "tracking server"

    def __init__(
        self,
        uri: str,
        auth: ServerAuth | None = None,
        *,
        cache: DownloadCache | None = None,
        timeout: float | None = None,
        max_retries: int | None = None,
        backoff_factor: float | None = None,
        first_page: int = FIRST_PAGE,
        next_pages: int = NEXT_PAGES,
    ) -> None:
        self.transport = HttpTransport(uri, auth, timeout=timeout, max_retries=max_retries,
                                       backoff_factor=backoff_factor)
        self.rest = MlflowRestClient(self.transport)
        self.proxy = ArtifactProxy(self.rest)
        self.cache = cache if cache is not None else DownloadCache()
        self.first_page = first_page
        self.next_pages = min(next_pages, REGISTERED_MODELS_PAGE_MAX)
        self._name_in: bool | None = None  # does model-versions/search take `name IN (...)`?

    @property
    def location(self) -> str:
        return self.transport.base_url

    def close(self) -> None:
        self.transport.close()

    # -- reads

    def search_registered_models(
        self, filter_string: str | None = None, *, cancel: Cancel | None = None
    ) -> Iterator[list[RegisteredModel]]:
        size = self.first_page
        token = None
        every: dict[str, list[ModelVersion]] = {}  # all versions, when read whole (2.x)
        while True:
            docs, token = self.rest.search_registered_models(
                filter_string, max_results=size, page_token=token, cancel=cancel)
            versions = self._versions_of([d["name"] for d in docs], cancel, every)
            yield [model_from_json(d).with_versions(versions.get(d["name"], ())) for d in docs]
            if not token:
                return
            size = self.next_pages

    def _versions_of(self, names: list[str], cancel: Cancel | None,
                     every: dict[str, list[ModelVersion]] | None = None,
                     ) -> dict[str, list[ModelVersion]]:
        """The versions of ``names`` (``every``: a listing's memo of all the server's versions,
        filled on first need when the server cannot search ``name IN``)."""
        if len(names) > 1 and self._name_in is not False:
            try:
                return self._search_versions(list(name_chunks(names)), cancel)
            except ServerError as exc:
                if exc.status != 400 or exc.error_code != "INVALID_PARAMETER_VALUE":
                    raise
                self._name_in = False  # MLflow 2.x: only run_id takes a list
        if len(names) <= PER_NAME_MAX or every is None:
            return self._search_versions([f"name = {filter_literal(n)}" for n in names], cancel)
        if not every:
            every.update(self._search_versions([None], cancel))
            every.setdefault("", [])  # read once, even when the server has no versions
        return {n: every[n] for n in names if n in every}

    def _search_versions(self, filters: list[str | None],
                         cancel: Cancel | None) -> dict[str, list[ModelVersion]]:
        out: dict[str, list[ModelVersion]] = {}
        for filter_string in filters:
            for page in self.rest.paged(self.rest.search_model_versions, filter_string,
                                        max_results=VERSIONS_PAGE, cancel=cancel):
                for doc in page:
                    out.setdefault(doc["name"], []).append(version_from_json(doc, ()))
        return out

    def get_registered_model(self, name: str) -> RegisteredModel:
        model = model_from_json(self.rest.get_registered_model(name))
        return model.with_versions(self._versions_of([name], None).get(name, ()))

    def search_model_versions(
        self, filter_string: str | None = None, *, cancel: Cancel | None = None
    ) -> Iterator[list[ModelVersion]]:
        aliases: dict[str, dict[str, list[str]]] = {}
        for page in self.rest.paged(self.rest.search_model_versions, filter_string,
                                    max_results=VERSIONS_PAGE, cancel=cancel):
            out = []
            for doc in page:
                name = doc["name"]
                if name not in aliases:
                    by_version: dict[str, list[str]] = {}
                    for alias, version in model_from_json(
                            self.rest.get_registered_model(name, cancel)).aliases.items():
                        by_version.setdefault(version, []).append(alias)
                    aliases[name] = by_version
                out.append(version_from_json(doc, tuple(aliases[name].get(str(doc["version"]),
                                                                          ()))))
            yield out

    def get_model_version(self, name: str, version: str) -> ModelVersion:
        return version_from_json(self.rest.get_model_version(name, str(version)))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelVersion:
        return version_from_json(self.rest.get_model_version_by_alias(name, alias))

    # -- files

    def fetch_version(
        self, version: ModelVersion, *, progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> Path:
        uri = self.rest.get_model_version_download_uri(version.name, version.version, cancel)
        local = _local_folder(uri) if self.transport.is_loopback else None
        if local is not None:  # a server on this machine without --serve-artifacts
            return local
        return self.cache.fetch(self.proxy, uri, progress=progress, cancel=cancel)

    # -- context

    def run_context(self, version: ModelVersion, *, cancel: Cancel | None = None,
                    with_history: bool = True) -> RunContext | None:
        """``runs/get`` of the version's run (``None`` without one), and ``metrics/get-history``
        for each metric logged at more than one step."""
        run_id = version.run_id
        if not run_id and version.model_id:
            info = self.rest.get_logged_model(version.model_id, cancel).get("info", {})
            run_id = info.get("source_run_id") or None
        if not run_id:
            return None
        run = self.rest.get_run(run_id, cancel)
        info, data = run.get("info", {}), run.get("data", {})
        metrics: dict[str, float] = {}
        steps: dict[str, set[int]] = {}
        for m in data.get("metrics", []):
            metrics[m["key"]] = float(m["value"])
            steps.setdefault(m["key"], set()).add(int(m.get("step", 0)))
        history: dict[str, list[tuple[int, float]]] = {}
        if with_history:
            for key in sorted(metrics):
                points = self.rest.get_metric_history(run_id, key, cancel)
                if len({int(p.get("step", 0)) for p in points}) > 1:
                    history[key] = sorted((int(p.get("step", 0)), float(p["value"]))
                                          for p in points)
        return RunContext(
            run_id=run_id,
            name=info.get("run_name") or None,
            status=info.get("status") or None,
            experiment_id=info.get("experiment_id") or None,
            metrics=metrics,
            params={p["key"]: text_or_empty(p.get("value")) for p in data.get("params", [])},
            tags=_tags(data.get("tags")),
            history=history,
        )

    # -- writes

    def register_model_folder(
        self,
        folder: str | os.PathLike[str],
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        progress: Progress | None = None,
        cancel: Cancel | None = None,
    ) -> ModelVersion:
        doc = register_model_folder(self.rest, folder, name, description=description, tags=tags,
                                    progress=progress, cancel=cancel)
        return self.get_model_version(doc["name"], str(doc["version"]))

    def set_alias(self, name: str, alias: str, version: str) -> None:
        self.rest.set_registered_model_alias(name, alias, str(version))

    def delete_alias(self, name: str, alias: str) -> None:
        self.rest.delete_registered_model_alias(name, alias)

    def set_tag(self, name: str, key: str, value: str, version: str | None = None) -> None:
        if version is None:
            self.rest.set_registered_model_tag(name, key, value)
        else:
            self.rest.set_model_version_tag(name, str(version), key, value)

    def delete_tag(self, name: str, key: str, version: str | None = None) -> None:
        if version is None:
            self.rest.delete_registered_model_tag(name, key)
        else:
            self.rest.delete_model_version_tag(name, str(version), key)

    def set_description(self, name: str, description: str, version: str | None = None) -> None:
        if version is None:
            self.rest.update_registered_model(name, description)
        else:
            self.rest.update_model_version(name, str(version), description)


def _local_folder(uri: str) -> Path | None:
    if uri.startswith("file:"):
        path = unquote(urlparse(uri).path)
    elif os.path.isabs(uri):
        path = uri
    else:
        return None
    return Path(path) if os.path.isfile(os.path.join(path, "MLmodel")) else None
