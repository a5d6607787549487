"""The prediction worker: the only place model code runs (in a child process)."""
