"""Side-by-side benchmarks of mlmanager and MLflow (``python -m benchmarks``)."""
