"""Moving models in and out of the app: export, import, packaging an estimator, copy, compare.

``controller.TransferController`` drives each operation (prompter seam for every question, a
background task with a progress dialog and Cancel); ``jobs`` holds the thread-side functions
around the core (``mlmanager.core.transfer.export``/``importer``/``packaging``/``copy_to``/``compare``).
"""
