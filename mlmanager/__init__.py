"""mlmanager: open, inspect, fix and test-predict MLflow models on your desktop."""

__version__ = "0.1.0"
