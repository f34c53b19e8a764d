"""Performance harness: `python -m benchmarks [NAME...] [--quick] [--json]`.

Each scenario builds its own data in a temp workspace, times what the user feels and
reports a figure against the target from issue #7. Benchmarks never fail the test suite.
"""
