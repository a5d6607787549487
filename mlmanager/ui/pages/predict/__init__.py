"""The Predict tab: test predictions on an input file, the model's example or typed rows.

Layout: ``page.py`` composes the tab; input parsing and validation run in the input helper
process (``mlmanager.predict.input_helper``) so that big inputs never hold the GUI's GIL; the
model runs in the prediction worker (``run_controller.py``).
"""
