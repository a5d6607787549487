"""conda packages outside a ``conda.yaml``'s pip section, as pip requirements.

Conda names a few packages differently from PyPI (``pytorch`` is ``torch``), ships some Python
packages PyPI has under the same name (``scikit-learn``) and many that are not Python packages
at all (compilers, C libraries, CUDA). The first two become pip requirements; the last are
skipped with a note, since a virtual environment gets them from the system or from the wheels.
"""

from __future__ import annotations

import re

#: conda name -> PyPI name, where they differ
RENAMED = {
    "pytorch": "torch",
    "pytorch-cpu": "torch",
    "pytorch-gpu": "torch",
    "py-xgboost": "xgboost",
    "py-xgboost-cpu": "xgboost",
    "py-xgboost-gpu": "xgboost",
    "msgpack-python": "msgpack",
    "pytables": "tables",
    "python-graphviz": "graphviz",
    "pyqt": "PyQt5",
    "matplotlib-base": "matplotlib",
    "tensorflow-base": "tensorflow",
    "lightgbm-cpu": "lightgbm",
    "py-lightgbm": "lightgbm",
    "libxgboost": "xgboost",
    "pyarrow-core": "pyarrow",
    "ruamel_yaml": "ruamel.yaml",
}

#: conda packages with nothing to install from PyPI (the interpreter, tools, C/C++ libraries, CUDA)
NOT_ON_PYPI = frozenset(
    {
        "python", "pip", "conda", "cudatoolkit", "cudnn", "cuda-version", "cuda-toolkit",
        "cpuonly", "mkl", "mkl-service", "mkl_fft", "mkl_random", "intel-openmp", "blas",
        "libblas", "libcblas", "liblapack", "openblas", "libopenblas", "libgcc", "libgcc-ng",
        "libstdcxx-ng", "libgomp", "_libgcc_mutex", "_openmp_mutex", "libgfortran",
        "libgfortran-ng", "libgfortran5", "ld_impl_linux-64", "libffi", "zlib", "xz", "bzip2",
        "openssl", "ca-certificates", "sqlite", "tk", "readline", "ncurses", "libuuid",
        "libzlib", "libsqlite", "libnsl", "libxcrypt", "tzdata-conda", "vc", "vs2015_runtime",
        "ucrt", "nodejs", "git", "_py-xgboost-mutex", "libxgboost-cpu", "libprotobuf",
        "libarrow", "arrow-cpp", "graphviz-conda", "tbb", "llvm-openmp", "magma-cuda",
        "nccl", "libcurl", "krb5", "libedit", "libiconv", "icu", "expat", "libpng", "jpeg",
        "libjpeg-turbo", "freetype", "fontconfig", "lz4-c", "zstd", "snappy", "libuv",
    }
)

_SPEC_RE = re.compile(r"^([A-Za-z0-9_.\-]+)\s*(.*)$")


def conda_to_pip(dep: str) -> tuple[str | None, str | None]:
    """``(pip requirement or None, note or None)`` for one conda dependency string.

    conda's ``name=1.2`` means ``1.2.*`` and ``name=1.2.3=build`` names a build: both become
    ``name==1.2.*`` / ``name==1.2.3``; operators (``>=``, ``<``) pass through.
    """
    text = dep.strip()
    if "::" in text:  # channel::name
        text = text.split("::", 1)[1]
    m = _SPEC_RE.match(text)
    if not m:
        return None, f"conda dependency {dep!r} is not understood; skipped"
    name, spec = m.group(1), m.group(2).replace(" ", "")
    lower = name.lower()
    if lower in NOT_ON_PYPI:
        if lower in ("python", "pip"):
            return None, None
        return None, f"conda package {name} is not a Python package on PyPI; skipped"
    pip_name = RENAMED.get(lower, name)
    note = f"conda package {name} installed as {pip_name} from PyPI" if pip_name != name else None
    if not spec:
        return pip_name, note
    if spec.startswith("=") and not spec.startswith("=="):
        parts = spec[1:].split("=")
        version = parts[0]
        if len(parts) > 1 or version.count(".") >= 2 or "*" in version:
            return f"{pip_name}=={version}", note
        return f"{pip_name}=={version}.*", note
    if spec.startswith("=="):
        return f"{pip_name}=={spec[2:].split('=')[0]}", note
    return f"{pip_name}{spec}", note
