"""Side-by-side benchmarks: opsteam against a bare LangGraph graph of the same shape.

Run with ``make bench`` (full, writes BENCHMARKS.md) or ``make bench-quick`` (smoke run).
Every figure is a median over interleaved rounds and is reported as a ratio to a baseline
measured in the same run; tests never time anything.
"""
