"""Installed package versions in the worker's interpreter (Python 3.7+, any installer)."""

from __future__ import annotations

import sys

#: what a result states about the environment that ran it
KEY_PACKAGES = ("scikit-learn", "numpy", "pandas", "scipy", "skops", "cloudpickle", "mlflow")


def package_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or None (importlib.metadata is 3.8+)."""
    try:
        from importlib import metadata  # type: ignore[attr-defined]
    except ImportError:  # Python 3.7: the backport, when the environment has it
        try:
            import importlib_metadata as metadata  # type: ignore[no-redef]
        except ImportError:
            return _pkg_resources_version(dist)
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None
    except Exception:  # noqa: BLE001 - a broken dist-info must not fail a load
        return None


def _pkg_resources_version(dist: str) -> str | None:
    try:
        import pkg_resources
    except ImportError:
        return None
    try:
        return pkg_resources.get_distribution(dist).version
    except Exception:  # noqa: BLE001 - DistributionNotFound and broken metadata alike
        return None


def python_version() -> str:
    info = sys.version_info
    return f"{info.major}.{info.minor}.{info.micro}"


def environment_versions() -> dict[str, str | None]:
    """Python and the key packages of this interpreter (what a result says ran it)."""
    versions: dict[str, str | None] = {"python": python_version()}
    for dist in KEY_PACKAGES:
        versions[dist] = package_version(dist)
    return versions
