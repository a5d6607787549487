"""Helpers for the training scripts. Runs in the model author's environment (Python 3.7+, old
numpy/pandas): plain syntax, no typing features newer than 3.7.

The factory runs each training script as `python SCRIPT MODEL_DIR INPUT_JSON`.
"""

import json
import sys


def output_paths():
    """(model folder to save to, input file to write) as given by the factory."""
    return sys.argv[1], sys.argv[2]


def write_input(frame, path):
    """Write `frame` as a scoring-server `dataframe_split` document with exact values.

    Floats keep every digit (pandas' to_json rounds to 10); NaN becomes null.
    """
    rows = [[_plain(value) for value in row] for row in frame.itertuples(index=False, name=None)]
    document = {"dataframe_split": {"columns": [str(c) for c in frame.columns], "data": rows}}
    with open(path, "w") as handle:
        json.dump(document, handle)


def _plain(value):
    as_python = getattr(value, "item", None)  # numpy scalar -> int/float/str/bool
    if as_python is not None:
        value = as_python()
    if isinstance(value, float) and value != value:
        return None
    return value
