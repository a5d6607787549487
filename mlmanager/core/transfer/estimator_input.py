"""How a packaged estimator receives its sample, and the formats it can be saved in.

Stdlib-only at import time and Python 3.7-compatible: the worker carries this module into the
estimator's own interpreter (``mlmanager.worker.package_op``), and the app shapes the signature's
data with the very same function (``package_estimator``).
"""

from __future__ import annotations

from typing import Any

FORMATS = ("skops", "cloudpickle", "pickle")
INPUT_KINDS = ("dataframe", "ndarray")


def input_kind_for(sample: Any, has_feature_names: bool) -> str:
    """``dataframe`` for a table given to an estimator fitted with column names; ``ndarray``
    when it was fitted without them (on a numpy array) or the sample is an array."""
    import pandas as pd

    return "dataframe" if isinstance(sample, pd.DataFrame) and has_feature_names else "ndarray"


def model_input(sample: Any, kind: str) -> Any:
    """The sample as the estimator receives it (the same function runs in the worker)."""
    import numpy as np
    import pandas as pd

    if kind not in INPUT_KINDS:
        raise ValueError(f"unknown input kind {kind!r}")
    if kind == "ndarray" and isinstance(sample, pd.DataFrame):
        return sample.to_numpy()
    if kind == "ndarray":
        return np.asarray(sample)
    return sample
