"""The PySide6 6.12 / Python 3.11 None-refcount leak is neutralised (else: abort)."""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QLabel

from mlmanager.ui.compat import protect_none


def test_many_void_calls_do_not_exhaust_none(qtbot) -> None:
    protect_none()
    label = QLabel()
    qtbot.addWidget(label)
    before = sys.getrefcount(None)
    for _ in range(20_000):  # more than None's natural reference count on 3.11
        label.setText("x")
    assert sys.getrefcount(None) > 0 and before > 0
