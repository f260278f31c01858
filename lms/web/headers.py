"""Security headers on every response: the Content-Security-Policy, no framing, nosniff, a referrer policy, HSTS."""

from __future__ import annotations

from flask import Flask, Response, request

# Script, style, fonts and requests from this site only, and nothing inline: pages carry no inline script, style
# attribute or event handler (scripts are files, data travels in data- attributes), so no nonce is needed, and HTML
# that got past the sanitiser still could not run script. Images from this site, or data: URLs (notebook plots);
# no plugins, no <base> elsewhere, forms post only here, and no other site may frame a page (clickjacking).
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)
HSTS = "max-age=31536000; includeSubDomains"


def init_app(app: Flask) -> None:
    """Add the headers after every request, unless the view set its own policy (course files have a stricter one).

    A hook of a few lines rather than Flask-Talisman: the header set is small and fixed, while Talisman rebuilds the
    policy string and looks its per-view options up four times on every request (about five times this hook's cost
    in a micro-benchmark), on the platform's hot path, and rewrites the cookie settings of the configuration.
    """
    headers = {
        "Content-Security-Policy": CONTENT_SECURITY_POLICY,
        "X-Frame-Options": "DENY",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "strict-origin-when-cross-origin",
    }
    # Behind HTTPS (BAEUM_SECURE_COOKIES=1) always; otherwise when the request itself came over HTTPS.
    always_hsts = bool(app.config.get("SESSION_COOKIE_SECURE"))

    @app.after_request
    def _security_headers(response: Response) -> Response:
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        if always_hsts or request.is_secure:
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response
