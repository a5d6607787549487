"""Theme is a pure function of the scheme; every icon renders in both schemes."""

from __future__ import annotations

from PySide6.QtGui import QColor, QIcon, QPalette

from mlmanager.ui import icons, theme


def _lum(c: QColor) -> float:
    return 0.2126 * c.redF() + 0.7152 * c.greenF() + 0.0722 * c.blueF()


def test_palettes_differ_and_have_contrast() -> None:
    light = theme.palette(theme.Scheme.LIGHT)
    dark = theme.palette(theme.Scheme.DARK)
    role = QPalette.ColorRole
    assert _lum(light.color(role.Window)) > 0.8 and _lum(dark.color(role.Window)) < 0.2
    for pal in (light, dark):
        assert abs(_lum(pal.color(role.Text)) - _lum(pal.color(role.Base))) > 0.6
        assert abs(_lum(pal.color(role.HighlightedText)) - _lum(pal.color(role.Highlight))) > 0.3
    assert theme.palette(theme.Scheme.DARK) == dark  # pure: same input, same palette
    css = theme.banner_style(theme.Scheme.DARK, "error")
    assert theme.colors(theme.Scheme.DARK).error_bg in css
    assert theme.badge_colors(theme.Scheme.LIGHT, "ok") != theme.badge_colors(theme.Scheme.DARK, "ok")


def test_every_icon_renders_in_both_schemes(qapp) -> None:
    names = icons.available()
    assert {"app", "model", "folder", "experiment", "run", "flavor", "warning", "error", "ok"} <= set(names)
    old = theme.current_scheme()
    try:
        seen = {}
        for scheme in theme.Scheme:
            theme._current = scheme
            for name in names:
                ic = icons.app_icon() if name == "app" else icons.icon(name)
                img = ic.pixmap(32, 32).toImage()
                assert not img.isNull() and img.width() == 32, name
                opaque = sum(1 for x in range(32) for y in range(32) if img.pixelColor(x, y).alpha() > 0)
                assert opaque > 20 or name == "blank", name
                seen.setdefault(name, []).append(img)
        # outline icons follow the scheme, badges keep their colours
        assert seen["model"][0] != seen["model"][1]
        assert seen["error"][0] == seen["error"][1]
        disabled = icons.icon("folder").pixmap(32, 32, QIcon.Mode.Disabled).toImage()
        assert disabled != seen["folder"][-1]
    finally:
        theme._current = old


def test_file_icons_by_kind_and_suffix() -> None:
    assert icons.icon_for_file("a/b.csv", "data").cacheKey() == icons.icon("file-table").cacheKey()
    assert icons.icon_for_file("model.pkl", "model").cacheKey() == icons.icon("file-model").cacheKey()
    assert icons.icon_for_file("MLmodel", "mlmodel").cacheKey() == icons.icon("file-mlmodel").cacheKey()


def test_live_switch_to_dark_and_back(qtbot, window, tmp_path) -> None:
    from PySide6.QtWidgets import QApplication
    from ui_helpers import wait_idle

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "MLmodel").write_text("flavors: [\n")
    window.open_model(broken)
    wait_idle(qtbot, window)
    manager = theme.ThemeManager(QApplication.instance(), forced=theme.Scheme.LIGHT, use_fusion=False)
    try:
        manager.apply(theme.Scheme.DARK)
        QApplication.processEvents()
        assert QApplication.palette().color(QPalette.ColorRole.Window) == QColor(theme.colors(theme.Scheme.DARK).window)
        assert theme.colors(theme.Scheme.DARK).error_bg in window.view.banner.styleSheet()
        dark = window.grab().toImage()
        manager.apply(theme.Scheme.LIGHT)
        QApplication.processEvents()
        assert theme.colors(theme.Scheme.LIGHT).error_bg in window.view.banner.styleSheet()
        light = window.grab().toImage()
        assert dark != light
    finally:
        manager.apply(theme.Scheme.LIGHT)
