"""Ship the worker into any interpreter: a content-addressed zip put first on the child's path.

The worker runs under the model's own interpreter (Python 3.7 to 3.13), which does not have
mlmanager installed, or has another version of it. The parent therefore zips the child's code
(every module of :mod:`mlmanager.worker` plus the few stdlib-only core modules it imports,
:data:`CARRIED`) into ``<cache>/worker/worker-<sha256>.zip`` and starts::

    python -I -c BOOTSTRAP <zip> --limits ... --fds R,W

``-I`` keeps the user's site-packages, ``PYTHON*`` variables and the current folder off the
path; the bootstrap puts the zip first, so the child always runs exactly the code the app
ships, whatever that interpreter has installed. The zip is built once per content (written to a
temp file and renamed into place), and its SHA-256 is checked before every start: a zip
changed on disk is rebuilt, never run.

Nothing in the zip may import anything outside it but the stdlib at import time (numpy,
scikit-learn, mlflow... are imported inside the functions that need them);
``tests/predict/test_worker_bootstrap.py`` checks this statically and under every interpreter.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import tempfile
import threading
import zipfile
from pathlib import Path

import mlmanager
from mlmanager import frozen

#: stdlib-only core modules the worker imports, carried into the zip beside mlmanager/worker
CARRIED = (
    "mlmanager/__init__.py",
    "mlmanager/core/__init__.py",
    "mlmanager/core/child_process.py",
    "mlmanager/core/errors.py",
    "mlmanager/core/verdict.py",
    "mlmanager/core/transfer/__init__.py",
    "mlmanager/core/transfer/estimator_input.py",
)
CHILD_PACKAGE = "mlmanager/worker"
#: the child's entry module (``python -m`` style, through runpy)
ENTRY = "mlmanager.worker"
BOOTSTRAP = (
    "import sys\n"
    "if sys.version_info < (3, 7):\n"
    "    sys.exit('mlmanager runs models under Python 3.7 or later; this interpreter is Python '\n"
    "             + '.'.join(map(str, sys.version_info[:3])))\n"
    "sys.path.insert(0, sys.argv.pop(1))\n"
    "import runpy\n"
    "runpy.run_module('mlmanager.worker', run_name='__main__', alter_sys=True)\n"
)
_EPOCH = (1980, 1, 1, 0, 0, 0)
_lock = threading.Lock()
_built: dict[str, tuple[bytes, str]] = {}  # source root -> (zip bytes, sha256)


def package_root() -> Path:
    """The folder holding the ``mlmanager`` package (sources; a frozen app ships them as .py)."""
    return Path(mlmanager.__file__).resolve().parent.parent


def child_files(root: Path | None = None) -> list[str]:
    """Every file the zip holds, as posix paths relative to :func:`package_root`."""
    root = package_root() if root is None else root
    worker = sorted(
        p.relative_to(root).as_posix()
        for p in (root / CHILD_PACKAGE).rglob("*.py")
        if "__pycache__" not in p.parts
    )
    return sorted(set(CARRIED) | set(worker))


def build_zip_bytes(root: Path | None = None) -> bytes:
    """The zip, byte for byte the same for the same sources (fixed times, sorted, stored)."""
    root = package_root() if root is None else root
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for rel in child_files(root):
            info = zipfile.ZipInfo(rel, date_time=_EPOCH)
            info.external_attr = 0o644 << 16
            archive.writestr(info, (root / rel).read_bytes())
    return buffer.getvalue()


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _file_sha256(path: Path) -> str | None:
    try:
        return _sha256(path.read_bytes())
    except OSError:
        return None


def worker_zip(cache_dir: str | os.PathLike[str]) -> Path:
    """The worker's zip in ``cache_dir/worker``: built if missing, rebuilt if changed on disk."""
    root = package_root()
    with _lock:
        built = _built.get(str(root))
        if built is None:
            data = build_zip_bytes(root)
            built = (data, _sha256(data))
            _built[str(root)] = built
    data, digest = built
    folder = Path(cache_dir) / "worker"
    path = folder / f"worker-{digest[:32]}.zip"
    if not path.is_symlink() and _file_sha256(path) == digest:
        return path
    folder.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".worker-", suffix=".zip", dir=folder)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)  # atomic: a concurrent start sees the old file or the new one
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    return path


def worker_argv(python: str, cache_dir: str | os.PathLike[str]) -> list[str]:
    """The command prefix that starts the worker under ``python`` (the child's own arguments
    follow). A frozen app runs its own bundle for its own interpreter (``mlmanager.frozen``)."""
    bundled = frozen.child_argv(frozen.WORKER, python)
    if bundled is not None:
        return bundled
    return [python, "-I", "-c", BOOTSTRAP, str(worker_zip(cache_dir))]

