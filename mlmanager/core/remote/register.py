"""Publish a local model folder as a new version of a registered model on a server.

MLflow 3 servers (``GET /version`` >= 3): create a logged model in the experiment, upload every
file to its ``artifact_uri`` through the artifact proxy, finalize it (``LOGGED_MODEL_READY``),
then ``model-versions/create`` with ``source = models:/<model_id>`` and ``model_id`` — what
``mlflow.register_model("models:/<id>", name)`` does. MLflow 2 servers: create a run, upload the
files under its ``model/`` artifact folder, finish the run, then create the version from the
run's artifact URI with its ``run_id`` (what MLflow 2's ``register_model("runs:/<run>/model")``
sends). The registered model is created first when it does not exist.

Files are uploaded byte for byte (``MLmodel`` included, unchanged). When anything fails before
the version exists, what was created is cleaned up (the logged model marked failed and deleted,
or the run marked failed and deleted, and a registered model created for this call deleted) and
the error says exactly what is left on the server, if anything. When only the version's creation
fails, the server is asked whether it made the version anyway (its answer may be what was lost:
then that version is returned); if not, the uploaded files stay (registering them again is the
retry), a registered model created for this call is removed, and the error names what is left.
"""

from __future__ import annotations

import contextlib
import json
import mimetypes
import os
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from mlmanager.core.errors import MlmanagerError, UnsafePathError
from mlmanager.core.remote.artifacts import ArtifactProxy
from mlmanager.core.remote.http import ServerError, ServerNotFoundError
from mlmanager.core.remote.rest import MlflowRestClient, filter_literal
from mlmanager.core.transfer.export import list_folder, model_folder
from mlmanager.core.transfer.staging import CancelFn, ProgressFn, TransferCancelled

SOURCE_TAG = "mlmanager.source"  # where the uploaded folder came from (a local path)
READY_WAIT_S = 300.0


class RegisterError(ServerError):
    """Registering failed; ``left_on_server`` lists what exists there because of this call."""

    def __init__(self, message: str, server: str, left_on_server: list[str]) -> None:
        self.left_on_server = left_on_server
        super().__init__(message, server, error_code="register_failed")


@dataclass
class _Created:
    """What this call created so far (for clean-up and for the report)."""

    registered_model: str | None = None
    logged_model: str | None = None
    run: str | None = None
    left: list[str] = field(default_factory=list)


def _files(folder: str | os.PathLike[str]) -> tuple[str, list[tuple[str, int]]]:
    with model_folder(folder) as source:
        root = source.root
        try:
            items = list_folder(root)
        except UnsafePathError as exc:
            raise UnsafePathError(exc.message.replace("cannot export", "cannot upload", 1),
                                  root) from None
    return str(root), [(i.rel, i.size) for i in items if not i.is_dir]


def register_model_folder(
    rest: MlflowRestClient,
    folder: str | os.PathLike[str],
    name: str,
    *,
    description: str | None = None,
    tags: Mapping[str, str] | None = None,
    experiment_id: str = "0",
    progress: ProgressFn | None = None,
    cancel: CancelFn | None = None,
) -> dict:
    """Upload ``folder`` and register it as a new version of ``name``; the version (REST dict)."""
    root, files = _files(folder)
    generation = rest.generation(cancel)
    created = _Created()
    proxy = ArtifactProxy(rest)
    try:
        _ensure_registered_model(rest, name, created)
        if generation >= 3:
            model = rest.create_logged_model(experiment_id, name,
                                             tags={SOURCE_TAG: root})
            model_id = model["info"]["model_id"]
            created.logged_model = model_id
            artifact_uri = model["info"]["artifact_uri"]
            _upload(proxy, root, files, artifact_uri, progress, cancel)
            rest.finalize_logged_model(model_id, "LOGGED_MODEL_READY")
            source, run_id = f"models:/{model_id}", None
        else:
            run = rest.create_run(experiment_id, run_name=f"register-{name}",
                                  start_time=int(time.time() * 1000),
                                  tags={SOURCE_TAG: root, "mlflow.source.name": "mlmanager"})
            run_id = run["info"]["run_id"]
            created.run = run_id
            artifact_uri = run["info"]["artifact_uri"].rstrip("/") + "/model"
            _upload(proxy, root, files, artifact_uri, progress, cancel)
            rest.update_run(run_id, "FINISHED", int(time.time() * 1000))
            source, model_id = artifact_uri, None
    except BaseException as exc:
        _clean_up(rest, created)
        raise _explain(rest, name, created, exc) from None
    try:
        version = rest.create_model_version(name, source, run_id=run_id, model_id=model_id,
                                            description=description, tags=tags)
    except MlmanagerError as exc:
        made = _version_made_anyway(rest, name, source)
        if made is None:
            raise _explain_version_failure(rest, name, source, model_id, run_id, created,
                                           exc) from None
        version = made  # the answer was lost, not the version
    if model_id:  # MLflow's UI links the logged model to its versions; best effort
        with contextlib.suppress(MlmanagerError):
            rest.set_logged_model_tags(model_id, {"mlflow.modelVersions": _versions_tag(
                name, version["version"])})
    return _wait_ready(rest, version, cancel)


def _version_made_anyway(rest: MlflowRestClient, name: str, source: str) -> dict | None:
    """The version of ``name`` from ``source``, when the server made it although its answer
    failed (a timeout, a proxy's error after the fact); ``None`` when there is none or the
    server cannot say."""
    try:
        docs, _token = rest.search_model_versions(f"name = {filter_literal(name)}")
    except MlmanagerError:
        return None
    return next((d for d in docs if d.get("source") == source), None)


def _explain_version_failure(rest: MlflowRestClient, name: str, source: str,
                             model_id: str | None, run_id: str | None, created: _Created,
                             exc: MlmanagerError) -> RegisterError:
    """The files are on the server, the version is not: keep the files (registering them again
    is the retry), remove a registered model made for this call, and name what is left."""
    where = f"logged model {model_id}" if model_id else f"run {run_id} ({source})"
    left = [where]
    if created.registered_model and not _remove_registered_model(rest, created.registered_model):
        left.append(f"registered model {created.registered_model!r} (no versions)")
    also = f"; also still there: {left[1]}" if len(left) > 1 else ""
    return RegisterError(
        f"the files were uploaded as {where}, but creating the version of {name!r} failed: "
        f"{exc.message}. No version was created{also}; register {source} again to retry.",
        rest.server, left)


def _versions_tag(name: str, version: str) -> str:
    return json.dumps([{"name": name, "version": version}])


def _ensure_registered_model(rest: MlflowRestClient, name: str, created: _Created) -> None:
    try:
        rest.get_registered_model(name)
        return
    except ServerNotFoundError:
        pass
    try:
        rest.create_registered_model(name)
        created.registered_model = name
    except ServerError as exc:
        if exc.error_code != "RESOURCE_ALREADY_EXISTS":  # created meanwhile by someone else
            raise


def _upload(proxy: ArtifactProxy, root: str, files: list[tuple[str, int]], artifact_uri: str,
            progress: ProgressFn | None, cancel: CancelFn | None) -> None:
    base = proxy.proxy_path(artifact_uri, cancel)
    total = sum(size for _rel, size in files)
    done = 0
    for rel, size in files:
        if cancel is not None and cancel():
            raise TransferCancelled("upload cancelled", proxy.http.base_url)
        start = done

        def on_bytes(n: int, rel: str = rel) -> None:
            nonlocal done
            done += n
            if progress is not None:
                progress(done, total, rel)

        if progress is not None:
            progress(done, total, rel)
        content_type = mimetypes.guess_type(rel)[0] or "application/octet-stream"
        local = os.path.join(root, *rel.split("/"))
        for attempt in range(2):
            try:
                proxy.upload(local, f"{base}/{rel}", size, content_type, cancel, on_bytes)
                break
            except ServerError as exc:
                done = start
                if attempt or exc.error_code not in ("disconnected", "broken", "timeout"):
                    raise
        done = start + size
    if progress is not None:
        progress(total, total, "")


def _clean_up(rest: MlflowRestClient, created: _Created) -> None:
    """Undo what this call created; what could not be undone goes to ``created.left``."""
    if created.logged_model:
        try:
            rest.finalize_logged_model(created.logged_model, "LOGGED_MODEL_UPLOAD_FAILED")
            rest.delete_logged_model(created.logged_model)
        except MlmanagerError:
            created.left.append(f"logged model {created.logged_model} (upload failed, "
                                "partial files)")
    if created.run:
        try:
            rest.update_run(created.run, "FAILED", int(time.time() * 1000))
            rest.http.request_json("POST", "/api/2.0/mlflow/runs/delete",
                                   body={"run_id": created.run}, idempotent=True)
        except MlmanagerError:
            created.left.append(f"run {created.run} (upload failed, partial files)")
    if created.registered_model and not _remove_registered_model(rest, created.registered_model):
        created.left.append(f"registered model {created.registered_model!r} (no versions)")


def _remove_registered_model(rest: MlflowRestClient, name: str) -> bool:
    """Delete a registered model this call created (it has no versions); whether it is gone."""
    try:
        rest.http.request_json("DELETE", "/api/2.0/mlflow/registered-models/delete",
                               body={"name": name}, idempotent=True)
    except MlmanagerError:
        return False
    return True


def _explain(rest: MlflowRestClient, name: str, created: _Created,
             exc: BaseException) -> BaseException:
    if not isinstance(exc, MlmanagerError):
        return exc
    if not (created.logged_model or created.run or created.registered_model):
        return exc  # failed before anything was created: the original error says it all
    if created.left:
        left = "; still on the server: " + "; ".join(created.left) + " (delete them in MLflow)"
    else:
        left = "; what it had created was removed again"
    cause = "cancelled" if isinstance(exc, TransferCancelled) else f"failed: {exc.message}"
    return RegisterError(f"registering a new version of {name!r} {cause}. No version was "
                         f"created{left}.", rest.server, created.left)


def _wait_ready(rest: MlflowRestClient, version: dict, cancel: CancelFn | None) -> dict:
    """Servers with async registration report PENDING_REGISTRATION first; wait for READY."""
    deadline = time.monotonic() + READY_WAIT_S
    delay = 0.2
    while version.get("status", "READY") == "PENDING_REGISTRATION":
        if time.monotonic() > deadline or (cancel is not None and cancel()):
            break
        rest.http.pause(delay, cancel)
        delay = min(delay * 2, 5.0)
        version = rest.get_model_version(version["name"], version["version"], cancel)
    return version
