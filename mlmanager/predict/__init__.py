"""The Qt-free prediction side of the app: reading a model's plan, driving the worker process
(in the app's Python or the model's own environment) and the results it sends back; the input
helper process (``input_helper`` / ``input_helper_child``) that reads, types and validates inputs
so that big inputs never hold the GUI's GIL.

Keep this ``__init__`` free of imports: the input helper process imports
``mlmanager.predict.input_helper_child`` without Qt.
"""
