"""The Predict tab: test predictions on an input file, the model's example or typed rows.

Layout: ``page.py`` composes the tab; input parsing and validation run in a helper process
(``prep.py`` / ``prep_child.py``) so that big inputs never hold the GUI's GIL; the model runs
in the prediction worker (``run_controller.py``). Keep this ``__init__`` free of imports: the
helper process imports ``mlmanager.ui.pages.predict.prep_child`` without Qt.
"""
