"""Development tools, outside the Django project: the embedded PostgreSQL and Valkey (`embedded`), `make run`'s
process supervisor (`runner`), the process start/stop helper they and the benchmarks share (`processes`) and
helpers for tests that need real processes (`testing`).

Nothing in the site imports this package; settings never start a server.
"""
