"""Test support: real MLflow models saved by real old library versions (see `model_factory`)."""
