"""The model registry of a file store: ``mlruns/models/<name>/`` (mlflow-format.md §8.4).

``<name>/meta.yaml`` (name, description, timestamps), ``<name>/tags/<key>``,
``<name>/aliases/<alias>`` (the alias files are the truth; ``meta.yaml`` may repeat them),
``<name>/version-<n>/meta.yaml`` and ``version-<n>/tags/<key>``. Versions MLflow deleted keep
their folder with ``current_stage: Deleted_Internal`` and are skipped, as MlflowClient does.
Files are read with the same no-symlink, size-capped reader as the rest of discovery.
"""

from __future__ import annotations

import os

from mlmanager.core.errors import MlmanagerError, ModelReadError
from mlmanager.core.library.registry.entities import (
    ModelVersion,
    RegisteredModel,
    model_id_from_source,
    text_or_empty,
)
from mlmanager.core.library.registry.local import RUN_STATUSES, LocalRegistry, RunRecord
from mlmanager.core.library.tracking import MAX_META_BYTES, read_small_file
from mlmanager.core.model.yamlfast import load_yaml_fast

DELETED_STAGE = "Deleted_Internal"
MAX_VALUE_BYTES = 1 << 20
MAX_METRIC_BYTES = 64 << 20  # a metric file holds one line per logged step


def _int(value: object) -> int | None:
    try:
        return int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


class FileStoreRegistry(LocalRegistry):
    """The registry under ``<mlruns>/models`` (read-only)."""

    kind = "file-store registry"

    def __init__(self, root: str | os.PathLike[str]) -> None:
        root = os.path.abspath(os.fspath(root))
        super().__init__(root)
        self.root = root
        self.models_dir = os.path.join(root, "models")
        self.problems: list[str] = []

    def _experiment_roots(self) -> list[str]:
        return [self.root]

    def _meta(self, path: str) -> dict | None:
        try:
            data = read_small_file(path, MAX_META_BYTES)
            if data is None:
                return None
            doc = load_yaml_fast(data, path, max_bytes=MAX_META_BYTES)
        except MlmanagerError as exc:
            self.problems.append(f"{path}: {exc.message}")
            return None
        except OSError as exc:
            self.problems.append(f"{path}: {exc.strerror or exc}")
            return None
        if not isinstance(doc, dict):
            self.problems.append(f"{path}: not a mapping")
            return None
        return doc

    # -- runs (the version overview's context)

    def _run_folder(self, run_id: str) -> str | None:
        for folder in self._under_experiments(run_id):
            if os.path.isfile(os.path.join(folder, "meta.yaml")):
                return folder
        return None

    def _logged_model_run(self, model_id: str) -> str | None:
        for folder in self._under_experiments(os.path.join("models", model_id)):
            meta = self._meta(os.path.join(folder, "meta.yaml"))
            if meta is not None and meta.get("source_run_id"):
                return str(meta["source_run_id"])
        return None

    def _run_record(self, run_id: str, with_history: bool) -> RunRecord | None:
        folder = self._run_folder(run_id)
        if folder is None:
            return None
        meta = self._meta(os.path.join(folder, "meta.yaml")) or {}
        status = meta.get("status")
        tags = self._values(os.path.join(folder, "tags"))
        points: dict[str, list[tuple[int, int, float]]] = {}
        metrics = self._values(os.path.join(folder, "metrics"), MAX_METRIC_BYTES)
        for key, text in metrics.items():
            for line in text.splitlines():
                parts = line.split()
                if len(parts) < 2:
                    continue
                try:
                    stamp, value = int(parts[0]), float(parts[1])
                    step = int(parts[2]) if len(parts) > 2 else 0
                except ValueError:
                    continue
                points.setdefault(key, []).append((step, stamp, value))
        return RunRecord(
            run_id=run_id,
            name=_opt(meta.get("run_name")) or tags.get("mlflow.runName"),
            status=RUN_STATUSES.get(status, _opt(status)) if isinstance(status, int) else _opt(status),
            experiment_id=_opt(meta.get("experiment_id")) or os.path.basename(os.path.dirname(folder)),
            params=self._values(os.path.join(folder, "params")),
            tags=tags,
            points=points,
        )

    def _values(self, folder: str, max_bytes: int = MAX_VALUE_BYTES) -> dict[str, str]:
        """``<folder>/<key>`` files (keys with ``/`` are nested folders) -> their text."""
        out: dict[str, str] = {}
        if not os.path.isdir(folder):
            return out
        for dirpath, dirnames, filenames in os.walk(folder):
            dirnames.sort()
            for fname in sorted(filenames):
                path = os.path.join(dirpath, fname)
                try:
                    data = read_small_file(path, max_bytes)
                except (MlmanagerError, OSError) as exc:
                    self.problems.append(f"{path}: {exc}")
                    continue
                if data is None:
                    continue
                key = os.path.relpath(path, folder).replace(os.sep, "/")
                out[key] = data.decode("utf-8", errors="replace")
        return out

    def _load(self) -> list[RegisteredModel]:
        if not os.path.isdir(self.root):
            raise ModelReadError("no such folder", self.root)
        try:
            names = sorted(os.listdir(self.models_dir))
        except FileNotFoundError:
            return []  # a file store without a registry: no registered models
        except OSError as exc:
            raise ModelReadError(f"cannot read the registry: {exc.strerror or exc}",
                                 self.models_dir) from None
        models = []
        for entry in names:
            folder = os.path.join(self.models_dir, entry)
            meta = self._meta(os.path.join(folder, "meta.yaml"))
            if meta is None:
                continue
            models.append(self._model(folder, meta))
        return models

    def _model(self, folder: str, meta: dict) -> RegisteredModel:
        name = str(meta.get("name") or os.path.basename(folder))
        aliases = {k: v.strip() for k, v in self._values(os.path.join(folder, "aliases")).items()}
        if not aliases and isinstance(meta.get("aliases"), dict):
            aliases = {str(k): str(v) for k, v in meta["aliases"].items()}
        model = RegisteredModel(
            name=name,
            description=text_or_empty(meta.get("description")),
            tags=self._values(os.path.join(folder, "tags")),
            aliases=dict(sorted(aliases.items())),
            creation_timestamp=_int(meta.get("creation_timestamp")),
            last_updated_timestamp=_int(meta.get("last_updated_timestamp")),
        )
        versions = []
        for entry in sorted(os.listdir(folder)):
            if not entry.startswith("version-"):
                continue
            vfolder = os.path.join(folder, entry)
            vmeta = self._meta(os.path.join(vfolder, "meta.yaml"))
            if vmeta is None or vmeta.get("current_stage") == DELETED_STAGE:
                continue
            source = text_or_empty(vmeta.get("source"))
            versions.append(ModelVersion(
                name=name,
                version=str(vmeta.get("version") or entry[len("version-"):]),
                status=str(vmeta.get("status") or "READY"),
                source=source,
                run_id=_opt(vmeta.get("run_id")),
                model_id=_opt(vmeta.get("model_id")) or model_id_from_source(source),
                description=text_or_empty(vmeta.get("description")),
                tags=self._values(os.path.join(vfolder, "tags")),
                creation_timestamp=_int(vmeta.get("creation_timestamp")),
                last_updated_timestamp=_int(vmeta.get("last_updated_timestamp")),
                current_stage=_opt(vmeta.get("current_stage")),
                status_message=_opt(vmeta.get("status_message")),
                storage_location=_opt(vmeta.get("storage_location")),
            ))
        return model.with_versions(versions)


def is_file_store(path: str) -> bool:
    """A folder holding a file store's experiments (``<digits>/meta.yaml``) or its registry."""
    if not os.path.isdir(path):
        return False
    if os.path.isdir(os.path.join(path, "models")) and not os.path.isfile(
        os.path.join(path, "MLmodel")
    ):
        return True
    try:
        entries = os.listdir(path)
    except OSError:
        return False
    return any(e.isdigit() and os.path.isfile(os.path.join(path, e, "meta.yaml")) for e in entries)
