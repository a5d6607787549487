"""Where the bundled resources (icons, styles, the demo model) live. Pure Python, no Qt.

An installed wheel carries them as ``mlmanager/resources`` (hatch ``force-include``); a source
checkout has them in ``<repo>/resources``. The wheel location wins when both exist.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

_PACKAGE_DIR = Path(__file__).resolve().parent


@lru_cache(maxsize=1)
def resources_dir() -> Path:
    """The resources folder: ``mlmanager/resources`` when installed, else ``<repo>/resources``.

    The wheel puts them next to this file, which is exactly where
    ``importlib.resources.files("mlmanager") / "resources"`` points for a regular package;
    checking the paths directly (the wheel's, then a source checkout's) avoids importing
    importlib.resources at start-up.
    """
    packaged = _PACKAGE_DIR / "resources"
    if packaged.is_dir():
        return packaged
    checkout = _PACKAGE_DIR.parent / "resources"
    if (checkout / "icons").is_dir() and (_PACKAGE_DIR.parent / "pyproject.toml").is_file():
        return checkout
    try:  # unusual loaders (zip imports): ask importlib.resources
        from importlib.resources import files

        candidate = Path(str(files("mlmanager") / "resources"))
        if candidate.is_dir():
            return candidate
    except (ModuleNotFoundError, TypeError, ValueError):  # pragma: no cover
        pass
    return _PACKAGE_DIR.parent / "resources"


def resource(*parts: str) -> Path:
    """A path inside the resources folder (it may not exist)."""
    return resources_dir().joinpath(*parts)


def icons_dir() -> Path:
    return resource("icons")


def styles_dir() -> Path:
    return resource("styles")


def demo_model_path() -> Path:
    """The bundled demo model folder (an sklearn iris classifier)."""
    return resource("demo", "iris-classifier")


def demo_input_path() -> Path:
    """A CSV input that fits the demo model's signature."""
    return resource("demo", "iris-input.csv")
