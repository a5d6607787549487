"""The Qt-free prediction side of the app: reading a model's plan, driving the worker process
(in the app's Python or the model's own environment) and the results it sends back."""
