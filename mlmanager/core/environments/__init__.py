"""A model's Python environment: what it requires, and how an interpreter's packages compare."""
