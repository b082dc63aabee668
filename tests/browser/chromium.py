"""Debian's Chromium for the Playwright tests (`playwright install` cannot download browsers here)."""

from __future__ import annotations

EXECUTABLE = "/usr/bin/chromium"
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]


def launch(playwright, *, unresolvable_hosts: tuple[str, ...] = ()):
    """Launch Chromium headless. ``unresolvable_hosts`` fail at once instead of asking a DNS server (the fake
    tracking hosts the click-outs redirect to)."""
    args = list(ARGS)
    if unresolvable_hosts:
        args.append("--host-resolver-rules=" + ", ".join(f"MAP {host} ~NOTFOUND" for host in unresolvable_hosts))
    return playwright.chromium.launch(executable_path=EXECUTABLE, args=args)
