"""Moving models around: export to a zip or folder, safe import of archives, copying into a
folder or a tracking folder, and packaging a bare estimator as a new model. ``staging`` holds the
plumbing they share (progress and cancel, staging folders, safe copies)."""
