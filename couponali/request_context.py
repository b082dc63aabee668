"""Who is asking, from where, under which request id: held for the current request (or task) in a contextvar, so
that the audit log can stamp every row with the client's IP and the request id without each service taking
them as arguments. Set by :class:`couponali.middleware.RequestContextMiddleware`; empty in workers and
commands (their rows have no IP and no request id)."""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass

REQUEST_ID_HEADER = "X-Request-ID"
# A request id from a proxy or client is kept when it is short and plain; anything else is replaced.
_VALID_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:\-]{8,64}$")


@dataclass(frozen=True)
class RequestContext:
    request_id: str | None = None
    ip_address: str | None = None


_current: ContextVar[RequestContext] = ContextVar("couponali_request_context", default=RequestContext())  # noqa: B039 - immutable default


def current() -> RequestContext:
    return _current.get()


def request_id_from(header: str | None) -> str:
    """The incoming ``X-Request-ID`` when it is a plain token of 8-64 characters, or a new one."""
    if header and _VALID_REQUEST_ID.match(header):
        return header
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound(*, request_id: str | None, ip_address: str | None) -> Iterator[RequestContext]:
    token = _current.set(RequestContext(request_id=request_id, ip_address=ip_address))
    try:
        yield _current.get()
    finally:
        _current.reset(token)
