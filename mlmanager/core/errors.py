"""Typed errors of the core. Every message is fit to show a user: it names the file and the problem.

Exit-code mapping used by the CLI: ``ModelReadError`` (and subclasses) -> 2 (could not be read),
``InvalidError`` (and subclasses) -> 1 (understood, but invalid).
"""

from __future__ import annotations

from pathlib import Path


class MlmanagerError(Exception):
    """Base of every error the core raises on purpose."""

    def __init__(self, message: str, path: str | Path | None = None) -> None:
        self.message = message
        self.path = str(path) if path is not None else None
        super().__init__(self.__str__())

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class ModelReadError(MlmanagerError):
    """The model (or another input) could not be read at all."""


class MLmodelNotFoundError(ModelReadError):
    """The folder, zip or path holds no ``MLmodel`` file."""


class YamlError(ModelReadError):
    """An ``MLmodel`` (or env) YAML file is malformed, hostile or too large."""


class UnsafePathError(ModelReadError):
    """A path escapes the model folder, is a symlink, FIFO or device, or cannot be opened safely."""


class UnreadableSignatureError(ModelReadError):
    """The MLmodel has a signature that cannot be read (MLflow cannot load such an MLmodel)."""


class InvalidError(MlmanagerError):
    """The input was understood but is invalid (a bad signature, a rejected request body, ...)."""


class SchemaError(InvalidError):
    """A signature/schema breaks one of MLflow's rules. ``column`` names the offending column."""

    def __init__(
        self, message: str, path: str | Path | None = None, column: str | None = None
    ) -> None:
        self.column = column
        super().__init__(message, path)


class WriteError(MlmanagerError):
    """A write was refused or failed; the previous file is intact."""


class InputReadError(ModelReadError):
    """An input file (CSV, JSON, Parquet) cannot be read at all.

    ``line``/``column`` (1-based) locate the problem when known; ``retry_encoding`` names an
    encoding worth retrying with (e.g. ``"latin-1"`` after a UTF-8 decoding failure); ``kind`` is a
    machine name (encoding_error, json_error, too_large, parquet_unavailable, ...).
    """

    def __init__(
        self,
        message: str,
        path: str | Path | None = None,
        *,
        kind: str = "read_error",
        line: int | None = None,
        column: int | None = None,
        retry_encoding: str | None = None,
    ) -> None:
        self.kind = kind
        self.line = line
        self.column = column
        self.retry_encoding = retry_encoding
        super().__init__(message, path)
