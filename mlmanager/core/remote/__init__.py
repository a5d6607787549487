"""Talking to an MLflow tracking server over its REST API (no mlflow needed).

:mod:`.auth` (credentials and TLS as MLflow's client reads them), :mod:`.http` (one keep-alive
transport with timeouts, retries, cancel and plain-words errors), :mod:`.rest` (the endpoints),
:mod:`.artifacts` (the artifact proxy: listing, download, upload), :mod:`.download` (the
download cache), :mod:`.register` (publishing a model folder as a new version),
:mod:`.registry` (the server as a :class:`~mlmanager.core.library.registry.source.RegistrySource`)
and :mod:`.connections` (saved connections, secrets in the OS keyring).
"""
