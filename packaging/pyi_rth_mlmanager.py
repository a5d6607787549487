"""PyInstaller runtime hook: after PyInstaller's stdlib hooks, before the PySide6 one (see the spec).

``<bundle>/mlmanager --mlmanager-worker ...`` / ``--mlmanager-input-helper`` run the prediction worker
or the input helper and exit here: the worker applies its rlimits before Qt's runtime hook or
anything else of the app is imported. See ``mlmanager/frozen.py``.
"""

from mlmanager.frozen import run_child_if_requested

run_child_if_requested()
