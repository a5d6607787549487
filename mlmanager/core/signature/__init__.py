"""The signature: MLflow's type system (columns, tensors, params), inference from data, undoable
edits, the column-by-column diff of two signatures, and the saved input examples."""
