"""Benchmarks of the planner: ``python -m scheduling.bench --help``.

Not imported by the application; needs the dev dependencies ``psplib`` and ``pyjobshop``.
"""
