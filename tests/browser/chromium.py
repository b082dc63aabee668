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


PASSWORD = "correct horse battery"  # every user factory's password (accounts.factories)


def admin_sign_in(page, base: str, email: str, password: str = PASSWORD) -> None:
    """Sign a staff user in through the admin's login form; returns on the admin index."""
    page.goto(f"{base}/admin/login/")
    page.fill("#id_username", email)
    page.fill("#id_password", password)
    page.click("input[type=submit]")
    page.wait_for_url(f"{base}/admin/")


def watch_errors(page) -> list[str]:
    """The page's script errors, console errors and files that did not load, collected from now on (Chromium's own
    request for /favicon.ico aside: the admin names no icon). A test asserts the list is empty."""
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on(
        "console",
        lambda m: (
            errors.append(m.text) if m.type == "error" and not m.text.startswith("Failed to load resource") else None
        ),
    )
    page.on(
        "response",
        lambda r: (
            errors.append(f"{r.status} {r.url}") if r.status >= 400 and not r.url.endswith("/favicon.ico") else None
        ),
    )
    return errors
