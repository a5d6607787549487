"""The prediction worker: the only place model code runs (in a child process).

This package is the child. It runs under any interpreter from Python 3.7 on (the app's, or a
model's own environment, which does not have mlmanager installed): the parent ships it in a zip
with the few stdlib-only core modules it imports (``mlmanager.predict.worker_bootstrap``).
Rules for every module here: only the stdlib (and these modules) at import time; numpy,
scikit-learn, pandas, mlflow... inside the functions that need them; no syntax or library call
newer than Python 3.7 (``tests/predict/test_worker_bootstrap.py`` checks all of it).
"""
