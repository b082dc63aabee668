# The wallet tests' row-level-security fixtures apply here too (see wallet/tests/conftest.py).
from wallet.tests.conftest import _see_all_rows  # noqa: F401
