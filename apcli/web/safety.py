"""Who may use the server, and what a page may load.

As Jupyter does: the server makes a random token and prints the one address to open, with the token in it.
The first request with it gets the token back as an HttpOnly, SameSite=Strict cookie (and is sent on to the
same address without it, so it is not left in the address bar or the history); every later request must
carry the cookie. Every form carries a CSRF token derived from the server's token, and a POST without the
right one changes nothing. The Host header must be the loopback address the server was given (a page
elsewhere cannot reach it by a name of its own: DNS rebinding). Every answer forbids loading anything from
anywhere but the server itself.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from urllib.parse import urlsplit

NAME_COOKIE = "ap_by"
LOOPBACK = "127.0.0.1"

# Nothing from elsewhere, no scripts at all, no framing, forms only to this server. (The value-for-money report
# is shipped as one HTML file with its style inside it: its page alone allows inline style, `SHOWN_FILE_POLICY`.)
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
# A letter or the report, shown as the one HTML file it is (its style inside it): in a sandbox, so that nothing
# in a file from the records folder can send a form, run, or act as this server's page.
SHOWN_FILE_POLICY = (
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'none'; frame-ancestors 'none'; "
    "base-uri 'none'; sandbox allow-downloads"
)
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def cookie(port: int) -> str:
    """The session cookie's name, with the port in it. A browser sends a cookie for 127.0.0.1 to every port of
    it (cookies know no ports), so another local server the person visits also receives it: a name per port
    keeps two `ap serve` apart, and the key is new on every run. (README: In a browser.)"""
    return f"ap_session_{port}"


def from_this_site(fetch_site: str | None) -> bool:
    """A browser says where a request came from (Sec-Fetch-Site): a form is accepted from this server's own
    pages (or typed by hand), never from another site, even one on another port of this computer."""
    return fetch_site in (None, "same-origin", "none")


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def plain_name(text: str) -> str:
    """A person's name as typed into "You are": one line, no control characters, at most 100 characters (it
    goes into each history entry and commit message)."""
    return " ".join(_CONTROL.sub(" ", text).split())[:100]


def own_page(back: str) -> str:
    """`back` if it is a path of this server's own (`/case/AP-2026-001`), else Today: never another site."""
    parts = urlsplit(back)
    plain = back.startswith("/") and not back.startswith("//") and not _CONTROL.search(back) and "\\" not in back
    return back if plain and not parts.scheme and not parts.netloc else "/"


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def csrf_token(token: str) -> str:
    """The forms' token: the server's, hashed, so that a page's source never shows the cookie's value."""
    return hmac.new(token.encode(), b"ap-serve-form", hashlib.sha256).hexdigest()


def allowed_host(host: str | None, port: int) -> bool:
    return host in {f"{LOOPBACK}:{port}", f"localhost:{port}"}
