# Fixtures of the accounts tests used by the browser tests too (the SMS outbox, the referrals task stand-in).
from accounts.tests.conftest import sms_outbox  # noqa: F401
