"""The model document: the MLmodel file (strict YAML in, MLflow-style YAML out), where a model's files
live (folder, MLmodel file or zip), its artifacts, a summary of it, and the comparison of two models."""
