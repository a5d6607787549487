"""Where the test corpus lives: ``tests/corpus``, a copy of the public model corpus (see its README).

The suite runs on a clone of the repository alone; a missing corpus is an error of the checkout,
so it fails loudly here (at collection) instead of turning tests into skips.
"""

from __future__ import annotations

from pathlib import Path

CORPUS = Path(__file__).resolve().parent / "corpus"
MODELS = CORPUS / "mlflow-models"
WILD = CORPUS / "mlflow-models-wild"

for _folder in (MODELS, WILD):
    if not (_folder / "README.md").is_file():
        raise RuntimeError(
            f"the test corpus is missing: {_folder} (it is part of the repository; "
            "restore it with `git checkout -- tests/corpus`)"
        )
