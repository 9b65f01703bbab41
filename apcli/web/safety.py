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
import secrets

COOKIE = "ap_session"
NAME_COOKIE = "ap_by"
LOOPBACK = "127.0.0.1"

# Nothing from elsewhere, no scripts at all, no framing, forms only to this server. (The value-for-money report
# is shipped as one HTML file with its style inside it: its page alone allows inline style, `REPORT_POLICY`.)
POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)
REPORT_POLICY = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; frame-ancestors 'self'; base-uri 'none'"
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(given: str | None, token: str) -> bool:
    return given is not None and hmac.compare_digest(given.encode(), token.encode())


def csrf_token(token: str) -> str:
    """The forms' token: the server's, hashed, so that a page's source never shows the cookie's value."""
    return hmac.new(token.encode(), b"ap-serve-form", hashlib.sha256).hexdigest()


def allowed_host(host: str | None, port: int) -> bool:
    return host in {f"{LOOPBACK}:{port}", f"localhost:{port}"}
