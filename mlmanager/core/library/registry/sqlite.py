"""The model registry in an ``mlflow.db`` tracking database (MLflow >= 3.7's default store).

Tables ``registered_models``, ``model_versions``, ``registered_model_tags``,
``model_version_tags`` and ``registered_model_aliases``, opened read-only and immutable (no
locks against a running MLflow, no journal files; see
:meth:`mlmanager.core.library.tracking.SqliteTrackingSource.connect`). Versions with
``current_stage = 'Deleted_Internal'`` are skipped; with workspaces (3.x) only the ``default``
workspace is read, as MlflowClient does without a workspace set. Model files are looked for
under ``mlruns/`` beside the database (where MLflow puts them by default).
"""

from __future__ import annotations

import os
import sqlite3
import stat

from mlmanager.core.errors import ModelReadError
from mlmanager.core.library.registry.entities import (
    ModelVersion,
    RegisteredModel,
    model_id_from_source,
    text_or_empty,
)
from mlmanager.core.library.registry.filestore import DELETED_STAGE
from mlmanager.core.library.registry.local import LocalRegistry, RunRecord
from mlmanager.core.library.tracking import SqliteTrackingSource

_TABLES = ("registered_models", "model_versions", "registered_model_tags",
           "model_version_tags", "registered_model_aliases")


def _opt(value: object) -> str | None:
    return None if value is None or value == "" else str(value)


class SqliteRegistry(LocalRegistry):
    """The registry tables of ``mlflow.db`` (read-only)."""

    kind = "mlflow.db registry"

    def __init__(self, db_path: str | os.PathLike[str]) -> None:
        db_path = os.path.abspath(os.fspath(db_path))
        super().__init__(db_path)
        self.db_path = db_path

    def _experiment_roots(self) -> list[str]:
        folder = os.path.dirname(self.db_path)
        return [os.path.join(folder, "mlruns"), os.path.join(folder, "mlartifacts"), folder]

    def _connect(self) -> sqlite3.Connection:
        try:
            st = os.lstat(self.db_path)
        except FileNotFoundError:
            raise ModelReadError("no such file", self.db_path) from None
        except OSError as exc:
            raise ModelReadError(f"cannot read: {exc.strerror or exc}", self.db_path) from None
        if not stat.S_ISREG(st.st_mode):
            raise ModelReadError("not a regular file; not opened", self.db_path)
        try:
            return SqliteTrackingSource.connect(self.db_path)
        except sqlite3.Error as exc:
            raise ModelReadError(f"cannot open the database: {exc}", self.db_path) from None

    def _load(self) -> list[RegisteredModel]:
        con = self._connect()
        try:
            return self._read(con)
        except sqlite3.DatabaseError as exc:
            raise ModelReadError(f"cannot read the registry tables: {exc}", self.db_path) from None
        finally:
            con.close()

    @staticmethod
    def _rows(con: sqlite3.Connection, table: str, cols: tuple[str, ...],
              have: dict[str, set[str]]) -> list[tuple]:
        columns = have.get(table)
        if not columns:
            return []
        picked = ", ".join(c if c in columns else "NULL" for c in cols)
        where = " WHERE workspace IS NULL OR workspace = 'default'" if "workspace" in columns else ""
        return con.execute(f"SELECT {picked} FROM {table}{where}").fetchall()  # noqa: S608

    def _read(self, con: sqlite3.Connection) -> list[RegisteredModel]:
        tables = {r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        have = {t: {r[1] for r in con.execute(f"PRAGMA table_info({t})")}
                for t in _TABLES if t in tables}
        model_tags: dict[str, dict[str, str]] = {}
        for key, value, name in self._rows(con, "registered_model_tags",
                                           ("key", "value", "name"), have):
            model_tags.setdefault(name, {})[key] = text_or_empty(value)
        version_tags: dict[tuple[str, str], dict[str, str]] = {}
        for key, value, name, version in self._rows(con, "model_version_tags",
                                                    ("key", "value", "name", "version"), have):
            version_tags.setdefault((name, str(version)), {})[key] = text_or_empty(value)
        aliases: dict[str, dict[str, str]] = {}
        for alias, version, name in self._rows(con, "registered_model_aliases",
                                               ("alias", "version", "name"), have):
            aliases.setdefault(name, {})[alias] = str(version)
        versions: dict[str, list[ModelVersion]] = {}
        cols = ("name", "version", "creation_time", "last_updated_time", "description",
                "current_stage", "source", "run_id", "status", "status_message",
                "storage_location", "model_id")
        for row in self._rows(con, "model_versions", cols, have):
            (name, version, created, updated, description, stage, source, run_id, status,
             status_message, storage, model_id) = row
            if stage == DELETED_STAGE:
                continue
            version = str(version)
            source = text_or_empty(source)
            versions.setdefault(name, []).append(ModelVersion(
                name=name,
                version=version,
                status=str(status or "READY"),
                source=source,
                run_id=_opt(run_id),
                model_id=_opt(model_id) or model_id_from_source(source),
                description=text_or_empty(description),
                tags=dict(sorted(version_tags.get((name, version), {}).items())),
                creation_timestamp=created,
                last_updated_timestamp=updated,
                current_stage=_opt(stage),
                status_message=_opt(status_message),
                storage_location=_opt(storage),
            ))
        models = []
        for name, created, updated, description in self._rows(
            con, "registered_models",
            ("name", "creation_time", "last_updated_time", "description"), have,
        ):
            model = RegisteredModel(
                name=name,
                description=text_or_empty(description),
                tags=dict(sorted(model_tags.get(name, {}).items())),
                aliases=dict(sorted(aliases.get(name, {}).items())),
                creation_timestamp=created,
                last_updated_timestamp=updated,
            )
            models.append(model.with_versions(versions.get(name, [])))
        return models

    # -- runs (the version overview's context), read-only like the registry

    def _logged_model_run(self, model_id: str) -> str | None:
        con = self._connect()
        try:
            row = con.execute("SELECT source_run_id FROM logged_models WHERE model_id = ?",
                              (model_id,)).fetchone()
        except sqlite3.DatabaseError:
            return None  # an MLflow 2.x database has no logged_models table
        finally:
            con.close()
        return _opt(row[0]) if row else None

    def _run_record(self, run_id: str, with_history: bool) -> RunRecord | None:
        con = self._connect()
        try:
            run = con.execute("SELECT name, status, experiment_id FROM runs WHERE run_uuid = ?",
                              (run_id,)).fetchone()
            if run is None:
                return None
            params = dict(con.execute("SELECT key, value FROM params WHERE run_uuid = ?",
                                      (run_id,)).fetchall())
            tags = dict(con.execute("SELECT key, value FROM tags WHERE run_uuid = ?",
                                    (run_id,)).fetchall())
            table = "metrics" if with_history else "latest_metrics"
            rows = con.execute(f"SELECT key, step, timestamp, value, is_nan FROM {table} "  # noqa: S608
                               "WHERE run_uuid = ?", (run_id,)).fetchall()
        except sqlite3.DatabaseError as exc:
            raise ModelReadError(f"cannot read run {run_id}: {exc}", self.db_path) from None
        finally:
            con.close()
        points: dict[str, list[tuple[int, int, float]]] = {}
        for key, step, stamp, value, is_nan in rows:
            points.setdefault(key, []).append(
                (int(step or 0), int(stamp or 0), float("nan") if is_nan else float(value)))
        return RunRecord(run_id=run_id, name=_opt(run[0]), status=_opt(run[1]),
                         experiment_id=_opt(run[2]),
                         params={k: text_or_empty(v) for k, v in params.items()},
                         tags={k: text_or_empty(v) for k, v in tags.items()}, points=points)
