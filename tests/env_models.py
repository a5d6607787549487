"""Model folders written as MLflow 2.x writes them, for environment tests."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

#: a scikit-learn 1.3.0 model saved with MLflow 2.5 on 2023-08-01 under Python 3.10 (numpy was
#: 1.25.2 that day; resolved as of today it would be numpy 2)
SKLEARN_REQUIREMENTS = ("cloudpickle==2.2.1", "numpy", "scikit-learn==1.3.0")
SKLEARN_CREATED = "2023-08-01 10:00:00.000000"


def write_model(
    folder: Path,
    *,
    python: str | None = "3.10.12",
    created: str | None = SKLEARN_CREATED,
    requirements: Iterable[str] | None = SKLEARN_REQUIREMENTS,
    build_dependencies: Iterable[str] = ("pip==23.2.1", "setuptools==68.0.0", "wheel==0.41.0"),
    python_env: bool = True,
    conda: bool = True,
    sklearn_version: str = "1.3.0",
    mlflow_version: str | None = "2.5.0",
) -> Path:
    """A model folder with the environment files MLflow 2.x writes (no model binary: building
    an environment reads only these)."""
    folder.mkdir(parents=True, exist_ok=True)
    lines = [
        "flavors:",
        "  python_function:",
        "    env:",
        "      conda: conda.yaml",
        "      virtualenv: python_env.yaml",
        "    loader_module: mlflow.sklearn",
        "    model_path: model.pkl",
        "    predict_fn: predict",
    ]
    if python:
        lines.append(f"    python_version: {python}")
    lines += ["  sklearn:", "    pickled_model: model.pkl", "    serialization_format: cloudpickle",
              f"    sklearn_version: {sklearn_version}",
              "model_uuid: 0123456789abcdef0123456789abcdef"]
    if mlflow_version:  # MLflow < 1.20 did not record it
        lines.append(f"mlflow_version: {mlflow_version}")
    if created:
        lines.append(f"utc_time_created: '{created}'")
    (folder / "MLmodel").write_text("\n".join(lines) + "\n")
    reqs = list(requirements or [])
    if requirements is not None:
        (folder / "requirements.txt").write_text("".join(f"{r}\n" for r in reqs))
    if python_env:
        env = [f"python: {python}" if python else "python: null", "build_dependencies:"]
        env += [f"- {d}" for d in build_dependencies] + ["dependencies:", "- -r requirements.txt"]
        (folder / "python_env.yaml").write_text("\n".join(env) + "\n")
    if conda:
        conda_lines = ["channels:", "- conda-forge", "dependencies:"]
        if python:
            conda_lines.append(f"- python={python}")
        conda_lines += ["- pip<=23.2.1", "- pip:"] + [f"  - {r}" for r in reqs]
        conda_lines.append("name: mlflow-env")
        (folder / "conda.yaml").write_text("\n".join(conda_lines) + "\n")
    return folder


BLOCKING_BACKEND = '''"""A PEP 517 backend whose build_wheel waits on a FIFO: a build that stops where the test
wants it (the test opens the FIFO's other end once the build is inside, closes it to go on)."""
import base64, hashlib, os, zipfile

NAME, VERSION = "mlm_blocking", "1.0"
FIFO = {fifo!r}
METADATA = "Metadata-Version: 2.1\\nName: mlm-blocking\\nVersion: 1.0\\n"


def get_requires_for_build_wheel(config_settings=None):
    return []


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    folder = os.path.join(metadata_directory, NAME + "-" + VERSION + ".dist-info")
    os.makedirs(folder)
    with open(os.path.join(folder, "METADATA"), "w") as f:
        f.write(METADATA)
    return os.path.basename(folder)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    if os.path.exists(FIFO):
        with open(FIFO) as f:  # blocks until the test opens the other end; EOF when it closes
            f.read()
    info = NAME + "-" + VERSION + ".dist-info/"
    files = {{NAME + ".py": "VALUE = 1\\n", info + "METADATA": METADATA,
             info + "WHEEL": "Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\n"
                             "Tag: py3-none-any\\n"}}
    record = []
    for name, text in files.items():
        digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=")
        record.append(name + ",sha256=" + digest.decode() + "," + str(len(text.encode())))
    record.append(info + "RECORD,,")
    files[info + "RECORD"] = "\\n".join(record) + "\\n"
    wheel = NAME + "-" + VERSION + "-py3-none-any.whl"
    with zipfile.ZipFile(os.path.join(wheel_directory, wheel), "w") as z:
        for name, text in files.items():
            z.writestr(name, text)
    return wheel
'''


def write_blocking_package(folder: Path, fifo: Path) -> Path:
    """A local package (``mlm-blocking @ file://...``) whose wheel build blocks on ``fifo`` while
    that FIFO exists: installing it needs --allow-build."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(
        '[build-system]\nrequires = []\nbuild-backend = "backend"\nbackend-path = ["."]\n'
        '[project]\nname = "mlm-blocking"\nversion = "1.0"\n')
    (folder / "backend.py").write_text(BLOCKING_BACKEND.format(fifo=str(fifo)))
    return folder
