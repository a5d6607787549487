"""The flow layout wraps a toolbar instead of widening the window; the Predict tab uses it."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import QPushButton, QWidget
from ui_helpers import wait_idle

from mlmanager.ui.widgets.flow_layout import FlowLayout, group


def _bar(qtbot) -> tuple[QWidget, FlowLayout, list[QPushButton]]:
    host = QWidget()
    qtbot.addWidget(host)
    flow = FlowLayout(host, spacing=10)
    buttons = [QPushButton(f"Button number {i}") for i in range(4)]
    flow.addWidget(group(buttons[0], buttons[1]))
    flow.addWidget(buttons[2])
    flow.addWidget(buttons[3])
    return host, flow, buttons


def test_one_row_when_wide_and_wraps_when_narrow(qtbot) -> None:
    host, flow, buttons = _bar(qtbot)
    row = max(b.sizeHint().height() for b in buttons)
    wide = flow.sizeHint().width()
    assert flow.heightForWidth(wide) == row  # everything side by side
    narrow = flow.minimumSize().width()
    assert narrow < wide / 2  # the widest item, not the sum
    assert flow.heightForWidth(narrow) >= 3 * row  # the group and two buttons, a row each

    host.resize(narrow, flow.heightForWidth(narrow))
    host.show()
    qtbot.waitExposed(host)
    ys = sorted({b.mapTo(host, b.rect().topLeft()).y() for b in buttons})
    assert len(ys) == 3  # buttons 0 and 1 stay together on the first row
    assert buttons[0].y() == buttons[1].y()
    # a hidden item takes no room
    buttons[3].hide()
    assert flow.heightForWidth(narrow) < 3 * row + 2 * 10 + row


def test_predict_tab_leaves_the_library_its_width(qtbot, window) -> None:
    from mlmanager.resources_path import demo_model_path

    window.resize(1280, 800)
    window.show()
    qtbot.waitExposed(window)
    window.open_model(Path(demo_model_path()))
    wait_idle(qtbot, window)
    window.view.set_current_page("predict")
    page = window.view.page("predict")
    wait_idle(qtbot, window)
    assert page.minimumSizeHint().width() < 800  # one toolbar row needed ~1,140 px
    assert window.library_panel.width() >= 250
