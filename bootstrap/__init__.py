"""The composition root (cosmicpython's bootstrap): where a process wires its adapters together.

Every entry point — the worker, the portal, the CLI, the bench — builds its dependencies here
(`deps.build_deps`) from settings and the environment, and the activities read them back through
`deps.current()`. It lives in a package of its own, not in activities/, because it is not an
activity: it is the one place that knows which database, seal key, issuer and calendar a process
runs with, and a newcomer looking for "where is this configured" finds it from the folder name.

- deps.py: the `Deps` container, `build_deps`, `configure`/`current`/`dispose`, the calendar files
- issuer.py: the issuing department (颁证单位) and the route data, read from the environment

Workflow code imports nothing from here (it would not be deterministic); activities do.
"""
