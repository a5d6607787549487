"""A model's Python environment: what it requires, how an interpreter compares, and building it.

Checking (no install): ``requirements`` — the model's requirements vs. an interpreter, in MLflow's
terms (the Environment tab's table, ``inspect``).

Building, one job per module::

    spec.read_spec(model)            -> EnvironmentSpec   what the model needs, from its files
    interpreters.find_interpreters() -> [Interpreter]     pyenv, uv, the system, the user's
    interpreter_choice               -> InterpreterChoice which one, and why (or why none)
    plan.plan_build(spec, options)   -> BuildPlan         the strategies, in order, each a Recipe
    recipe.Recipe                                         normalised, hashable; .key names the folder
    builder.preview(plan)            -> Resolution        exactly what would be installed
    builder.build(plan, consent=...) -> BuildResult       ready (or reused) Environment
    cache.EnvironmentCache / Environment                  list, find, touch, remove, prune

For a prediction session, the question "which interpreter runs this model?" is::

    env = builder.model_environment(model_dir)   # Environment | None, nothing is built
    if env is not None:
        python = env.python                      # the environment's own interpreter
        cache.EnvironmentCache().touch(env, model_location)  # "last used", "models"

``build`` takes ``on_progress(text)``, ``on_log(line)`` and ``cancelled() -> bool`` and runs in
the caller's thread (a Qt adapter runs it in a task and forwards the callbacks).
"""
