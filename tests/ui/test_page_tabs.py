"""Pages are registered by key; ``page_override`` swaps one for a block and puts back what was
there, built-in pages included, even when the override comes before anything asked for them
(a fixture that did not know this left a worker's later windows without a Signature editor)."""

from __future__ import annotations

import pytest

from mlmanager.ui.pages import tabs


@pytest.fixture
def fresh_tabs():
    saved, done = dict(tabs._TABS), tabs._builtin_done
    tabs._TABS.clear()
    tabs._builtin_done = False
    yield
    tabs._TABS.clear()
    tabs._TABS.update(saved)
    tabs._builtin_done = done


def _stub(ctx):  # pragma: no cover - never built here
    raise AssertionError


def test_override_before_first_use_keeps_the_builtin_pages(fresh_tabs) -> None:
    with tabs.page_override("signature", _stub):
        specs = {s.key: s for s in tabs.registered_pages()}
        assert specs["signature"].factory is _stub and specs["signature"].title == "Signature"
    specs = {s.key: s for s in tabs.registered_pages()}
    assert specs["signature"].factory is not _stub
    assert getattr(specs["signature"].factory, "module", "") == "mlmanager.ui.pages.signature.page"
    assert {"overview", "mlmodel", "artifacts", "environment", "predict", "deploy"} <= set(specs)


def test_override_can_remove_a_page_and_nesting_unwinds(fresh_tabs) -> None:
    with tabs.page_override("signature", None):
        assert "signature" not in {s.key for s in tabs.registered_pages()}
        with tabs.page_override("extra", _stub, "Extra", 99):
            assert tabs.registered_pages()[-1].key == "extra"
        assert "extra" not in {s.key for s in tabs.registered_pages()}
    assert "signature" in {s.key for s in tabs.registered_pages()}
