"""Benchmarks of onething: `python -m bench [--quick]` prints one JSON document of figures.

Not tests: nothing here asserts on time. The figures carry their targets and a pass flag; the README's
performance section says how to run it and what each figure means.
"""
