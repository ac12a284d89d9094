"""Content-Security-Policy: scripts only from our own static files or inline blocks carrying
this response's nonce (``<script nonce="{{ request.csp_nonce }}">``); no plugins, no framing,
forms post only to us. Inline event handlers (onclick=...) are not allowed: use
``data-confirm`` (static/js/app.js) or a nonced script."""

import secrets

POLICY = (
    "default-src 'self'; script-src 'self' 'nonce-{nonce}'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; connect-src 'self'; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.csp_nonce = secrets.token_urlsafe(16)
        response = self.get_response(request)
        if not request.path.startswith("/admin/"):  # Django admin ships inline scripts of its own
            response.headers.setdefault("Content-Security-Policy", POLICY.format(nonce=request.csp_nonce))
        return response
