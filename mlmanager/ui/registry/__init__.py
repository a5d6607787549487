"""The desktop side of model registries (issue 15): a "Registered models" branch per source in
the library (``nodes``, ``branches``), the panel that shows a registry, a registered model or a
version (``panel``, ``details``), downloads into local copies (``downloads``), writes and
publishing (``writes``, ``dialogs``), server connections (``connect_dialog``) and the window's
façade over all of it (``controller``). The registry logic itself is Qt-free:
``mlmanager.core.library.registry`` and ``mlmanager.core.remote``.
"""
