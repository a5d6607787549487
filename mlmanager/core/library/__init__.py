"""The library of models: discovery in folders, file stores and SQLite tracking stores, and the
names of tracking entities (experiments, runs, logged models)."""
