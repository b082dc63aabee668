"""Benchmark scripts (run as `python bench/<name>.py`) and the benchmark-only server pieces they start."""
