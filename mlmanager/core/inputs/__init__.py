"""Model inputs: reading input files and request bodies (CSV, JSON, Parquet), the problems found,
and enforcement against a signature exactly as MLflow does it (python and serving modes)."""
