"""What kind of device a User-Agent is: the one classifier and the one vocabulary of the site.

``device_type`` answers "mobile", "tablet", "desktop" or "bot" (the seed's offer_clicks.device_type values, plus
"bot") for the click-out and for the sessions page (``device_info``). The user-agents library decides browsers,
phones and tablets; it does not count command-line clients, headless browsers or an empty User-Agent as bots,
so those few markers are added here. Parsing costs about a millisecond, and the click-out asks on every click:
the answer is cached per User-Agent string (a site sees few distinct ones).
"""

from __future__ import annotations

import functools
import re
from typing import Final

from user_agents import parse

MOBILE: Final = "mobile"
TABLET: Final = "tablet"
DESKTOP: Final = "desktop"
BOT: Final = "bot"
DEVICE_TYPES: Final = (MOBILE, TABLET, DESKTOP, BOT)

# Automated clients that user-agents reports as an ordinary computer.
_AUTOMATED = re.compile(r"headless|curl/|wget/|python-requests|httpclient|^\s*$", re.I)
# Real User-Agents are a few hundred characters; a longer header is classified by its start (and cannot bloat
# the cache).
_MAX_UA = 512


def _kind(ua, raw: str) -> str:
    if ua.is_bot or _AUTOMATED.search(raw):
        return BOT
    if ua.is_tablet:
        return TABLET
    if ua.is_mobile:
        return MOBILE
    return DESKTOP


@functools.lru_cache(maxsize=2048)
def classify(raw: str) -> str:
    """The device type of a User-Agent string as given (no truncation): cached, call :func:`device_type`."""
    return _kind(parse(raw), raw)


def device_type(user_agent: str | None) -> str:
    """One of :data:`DEVICE_TYPES` for this User-Agent (cached per string: the click-out's hot path)."""
    return classify((user_agent or "")[:_MAX_UA])


def device_info(user_agent: str | None) -> dict:
    """What the sessions page shows: browser, OS, device type and model parsed from the User-Agent."""
    raw = (user_agent or "")[:_MAX_UA]
    ua = parse(raw)
    browser = " ".join(filter(None, [ua.browser.family, ua.browser.version_string.split(".")[0]])).strip()
    os_name = " ".join(filter(None, [ua.os.family, ua.os.version_string])).strip()
    return {
        "browser": browser or "Unknown browser",
        "os": os_name or "Unknown system",
        "device": device_type(raw),
        "device_model": ua.device.family if ua.device.family not in ("Other", None) else "",
        "user_agent": (user_agent or "")[:300],
    }
