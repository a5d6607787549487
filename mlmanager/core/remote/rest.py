"""The REST endpoints mlmanager uses, one method each (JSON in, JSON out).

Registry: ``registered-models/{search,get,create,update,set-tag,delete-tag,alias}``,
``model-versions/{search,get,create,update,set-tag,delete-tag,get-download-uri}``.
Context: ``experiments/search``, ``runs/{get,search}``, ``metrics/get-history`` and, on MLflow 3
servers, ``logged-models/{search,<id>}``. Publishing: ``logged-models`` create/finalize (3.x) or
``runs/create``/``runs/update`` (2.x). The generation comes from ``GET /version``, with a probe
of ``logged-models/search`` when a proxy hides that route.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from mlmanager.core.remote.http import Cancel, HttpTransport, ServerError

API = "/api/2.0/mlflow"
REGISTERED_MODELS_PAGE_MAX = 1000  # SEARCH_REGISTERED_MODEL_MAX_RESULTS_THRESHOLD
MODEL_VERSIONS_PAGE_MAX = 200_000  # SEARCH_MODEL_VERSION_MAX_RESULTS_THRESHOLD


def _tags(items: Mapping[str, str] | None) -> list[dict[str, str]]:
    return [{"key": k, "value": v} for k, v in (items or {}).items()]


def filter_literal(text: str) -> str:
    """``text`` as a string literal of MLflow's search grammar (``'churn'``; double quotes
    when it holds a single quote)."""
    if "'" not in text:
        return f"'{text}'"
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'

class MlflowRestClient:
    """Typed-enough wrappers over the endpoints of one server."""

    def __init__(self, transport: HttpTransport) -> None:
        self.http = transport
        self._version: str | None = None
        self._generation: int | None = None

    @property
    def server(self) -> str:
        return self.http.base_url

    def _get(self, endpoint: str, cancel: Cancel | None = None, **params: Any) -> dict:
        return self.http.request_json("GET", API + endpoint, params=params, cancel=cancel)

    def _send(self, method: str, endpoint: str, body: dict, *, cancel: Cancel | None = None,
              idempotent: bool | None = None) -> dict:
        return self.http.request_json(method, API + endpoint, body=body, cancel=cancel,
                                      idempotent=idempotent)

    # -- the server

    def server_version(self, cancel: Cancel | None = None) -> str | None:
        """``GET /version`` (MLflow's version string), ``None`` when the route is missing."""
        if self._version is None:
            try:
                with self.http.request("GET", "/version", cancel=cancel) as response:
                    text = response.read(200).decode("utf-8", "replace").strip()
            except ServerError as exc:
                if exc.status in (404, 405) or exc.error_code == "html":
                    return None
                raise
            self._version = text if text[:1].isdigit() else ""
        return self._version or None

    def generation(self, cancel: Cancel | None = None) -> int:
        """2 or 3: how to publish (logged models exist on 3.x servers only)."""
        if self._generation is None:
            version = self.server_version(cancel)
            if version:
                try:
                    self._generation = 3 if int(version.split(".")[0]) >= 3 else 2
                except ValueError:
                    version = None
            if not version:
                try:
                    self.search_logged_models(["0"], max_results=1, cancel=cancel)
                    self._generation = 3
                except ServerError as exc:
                    if exc.status not in (404, 405) and exc.error_code != "html":
                        raise
                    self._generation = 2
        return self._generation

    # -- registry reads

    def search_registered_models(self, filter_string: str | None = None, *,
                                 max_results: int = 100, page_token: str | None = None,
                                 order_by: list[str] | None = None,
                                 cancel: Cancel | None = None) -> tuple[list[dict], str | None]:
        doc = self._get("/registered-models/search", cancel, filter=filter_string or None,
                        max_results=max_results, page_token=page_token,
                        order_by=order_by or ["name ASC"])
        return doc.get("registered_models", []), doc.get("next_page_token") or None

    def get_registered_model(self, name: str, cancel: Cancel | None = None) -> dict:
        return self._get("/registered-models/get", cancel, name=name)["registered_model"]

    def search_model_versions(self, filter_string: str | None = None, *,
                              max_results: int = 10_000, page_token: str | None = None,
                              order_by: list[str] | None = None,
                              cancel: Cancel | None = None) -> tuple[list[dict], str | None]:
        doc = self._get("/model-versions/search", cancel, filter=filter_string or None,
                        max_results=max_results, page_token=page_token, order_by=order_by)
        return doc.get("model_versions", []), doc.get("next_page_token") or None

    def get_model_version(self, name: str, version: str, cancel: Cancel | None = None) -> dict:
        return self._get("/model-versions/get", cancel, name=name,
                         version=version)["model_version"]

    def get_model_version_by_alias(self, name: str, alias: str,
                                   cancel: Cancel | None = None) -> dict:
        return self._get("/registered-models/alias", cancel, name=name,
                         alias=alias)["model_version"]

    def get_model_version_download_uri(self, name: str, version: str,
                                       cancel: Cancel | None = None) -> str:
        return self._get("/model-versions/get-download-uri", cancel, name=name,
                         version=version)["artifact_uri"]

    # -- tracking context

    def search_experiments(self, *, filter_string: str | None = None, max_results: int = 1000,
                           page_token: str | None = None,
                           cancel: Cancel | None = None) -> tuple[list[dict], str | None]:
        body = {"max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        if page_token:
            body["page_token"] = page_token
        doc = self._send("POST", "/experiments/search", body, cancel=cancel, idempotent=True)
        return doc.get("experiments", []), doc.get("next_page_token") or None

    def get_experiment_by_name(self, name: str, cancel: Cancel | None = None) -> dict:
        return self._get("/experiments/get-by-name", cancel, experiment_name=name)["experiment"]

    def get_run(self, run_id: str, cancel: Cancel | None = None) -> dict:
        return self._get("/runs/get", cancel, run_id=run_id)["run"]

    def search_runs(self, experiment_ids: list[str], *, filter_string: str | None = None,
                    max_results: int = 1000, page_token: str | None = None,
                    cancel: Cancel | None = None) -> tuple[list[dict], str | None]:
        body: dict[str, Any] = {"experiment_ids": experiment_ids, "max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        if page_token:
            body["page_token"] = page_token
        doc = self._send("POST", "/runs/search", body, cancel=cancel, idempotent=True)
        return doc.get("runs", []), doc.get("next_page_token") or None

    def get_metric_history(self, run_id: str, key: str, cancel: Cancel | None = None
                           ) -> list[dict]:
        out: list[dict] = []
        token = None
        while True:
            doc = self._get("/metrics/get-history", cancel, run_id=run_id, metric_key=key,
                            max_results=25_000, page_token=token)
            out.extend(doc.get("metrics", []))
            token = doc.get("next_page_token")
            if not token:
                return out

    def search_logged_models(self, experiment_ids: list[str], *,
                             filter_string: str | None = None, max_results: int = 100,
                             page_token: str | None = None,
                             cancel: Cancel | None = None) -> tuple[list[dict], str | None]:
        body: dict[str, Any] = {"experiment_ids": experiment_ids, "max_results": max_results}
        if filter_string:
            body["filter"] = filter_string
        if page_token:
            body["page_token"] = page_token
        doc = self._send("POST", "/logged-models/search", body, cancel=cancel, idempotent=True)
        return doc.get("models", []), doc.get("next_page_token") or None

    def get_logged_model(self, model_id: str, cancel: Cancel | None = None) -> dict:
        return self._get(f"/logged-models/{model_id}", cancel)["model"]

    def paged(self, method: Any, *args: Any, cancel: Cancel | None = None,
              **kwargs: Any) -> Iterator[list[dict]]:
        """Every page of a ``search_*`` method, following ``next_page_token``."""
        token = None
        while True:
            items, token = method(*args, page_token=token, cancel=cancel, **kwargs)
            yield items
            if not token:
                return

    # -- registry writes

    def create_registered_model(self, name: str, *, description: str | None = None,
                                tags: Mapping[str, str] | None = None) -> dict:
        body: dict[str, Any] = {"name": name, "tags": _tags(tags)}
        if description is not None:
            body["description"] = description
        return self._send("POST", "/registered-models/create", body)["registered_model"]

    def create_model_version(self, name: str, source: str, *, run_id: str | None = None,
                             model_id: str | None = None, description: str | None = None,
                             tags: Mapping[str, str] | None = None) -> dict:
        body: dict[str, Any] = {"name": name, "source": source, "tags": _tags(tags)}
        for key, value in (("run_id", run_id), ("model_id", model_id),
                           ("description", description)):
            if value is not None:
                body[key] = value
        return self._send("POST", "/model-versions/create", body)["model_version"]

    def set_registered_model_alias(self, name: str, alias: str, version: str) -> None:
        self._send("POST", "/registered-models/alias",
                   {"name": name, "alias": alias, "version": str(version)}, idempotent=True)

    def delete_registered_model_alias(self, name: str, alias: str) -> None:
        self._send("DELETE", "/registered-models/alias", {"name": name, "alias": alias})

    def set_registered_model_tag(self, name: str, key: str, value: str) -> None:
        self._send("POST", "/registered-models/set-tag",
                   {"name": name, "key": key, "value": value}, idempotent=True)

    def delete_registered_model_tag(self, name: str, key: str) -> None:
        self._send("DELETE", "/registered-models/delete-tag", {"name": name, "key": key})

    def set_model_version_tag(self, name: str, version: str, key: str, value: str) -> None:
        self._send("POST", "/model-versions/set-tag",
                   {"name": name, "version": str(version), "key": key, "value": value},
                   idempotent=True)

    def delete_model_version_tag(self, name: str, version: str, key: str) -> None:
        self._send("DELETE", "/model-versions/delete-tag",
                   {"name": name, "version": str(version), "key": key})

    def update_registered_model(self, name: str, description: str) -> None:
        self._send("PATCH", "/registered-models/update",
                   {"name": name, "description": description}, idempotent=True)

    def update_model_version(self, name: str, version: str, description: str) -> None:
        self._send("PATCH", "/model-versions/update",
                   {"name": name, "version": str(version), "description": description},
                   idempotent=True)

    def delete_model_version(self, name: str, version: str) -> None:
        self._send("DELETE", "/model-versions/delete", {"name": name, "version": str(version)})

    # -- publishing

    def create_logged_model(self, experiment_id: str, name: str, *,
                            source_run_id: str | None = None,
                            tags: Mapping[str, str] | None = None) -> dict:
        body: dict[str, Any] = {"experiment_id": experiment_id, "name": name, "tags": _tags(tags)}
        if source_run_id:
            body["source_run_id"] = source_run_id
        return self._send("POST", "/logged-models", body)["model"]

    def finalize_logged_model(self, model_id: str, status: str) -> dict:
        return self._send("PATCH", f"/logged-models/{model_id}",
                          {"model_id": model_id, "status": status}, idempotent=True)["model"]

    def set_logged_model_tags(self, model_id: str, tags: Mapping[str, str]) -> None:
        self._send("PATCH", f"/logged-models/{model_id}/tags", {"tags": _tags(tags)},
                   idempotent=True)

    def delete_logged_model(self, model_id: str) -> None:
        self._send("DELETE", f"/logged-models/{model_id}", {"model_id": model_id})

    def create_run(self, experiment_id: str, *, run_name: str | None = None,
                   start_time: int | None = None, tags: Mapping[str, str] | None = None) -> dict:
        body: dict[str, Any] = {"experiment_id": experiment_id, "tags": _tags(tags)}
        if run_name:
            body["run_name"] = run_name
        if start_time is not None:
            body["start_time"] = start_time
        return self._send("POST", "/runs/create", body)["run"]

    def update_run(self, run_id: str, status: str, end_time: int | None = None) -> None:
        body: dict[str, Any] = {"run_id": run_id, "run_uuid": run_id, "status": status}
        if end_time is not None:
            body["end_time"] = end_time
        self._send("POST", "/runs/update", body, idempotent=True)

    def set_run_tag(self, run_id: str, key: str, value: str) -> None:
        self._send("POST", "/runs/set-tag",
                   {"run_id": run_id, "run_uuid": run_id, "key": key, "value": value},
                   idempotent=True)
