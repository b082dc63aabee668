"""Demo data for `make run` and the benchmarks: the `seed_demo` command and the catalogue it loads.

It sits above every domain app (it builds stores, offers, users and wallet history through their services) and
nothing imports it.
"""
