"""Model registries: registered models, their versions, aliases and tags, from three sources
that share one protocol (:mod:`.source`): a file store's ``mlruns/models/`` (:mod:`.filestore`),
the registry tables of ``mlflow.db`` (:mod:`.sqlite`), both read-only, and an MLflow tracking
server over REST (:mod:`mlmanager.core.remote.registry`). :mod:`.opening` picks one from a URI.
"""
