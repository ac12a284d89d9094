"""Gzip for HTML pages, limited so that BREACH has nothing to work with.

BREACH recovers a secret from the compressed size of responses that contain both the secret
and attacker-chosen text. Our pages carry two kinds of secrets: tokens (the CSRF token is
re-masked with fresh randomness in every response and the CSP nonce is new per response, so
neither repeats between responses and cannot be guessed byte by byte) and business data
(customer names, amounts), which stays the same between responses. An attacker can only put
text into a page through what the page reflects: the query string (filter values, page links)
and submitted forms (redisplayed with errors). So a response is compressed only when:

* the request is a GET/HEAD with an empty query string (nothing reflected; the path is
  fixed by the URL patterns, object ids are digits that name the object shown);
* the response is ``text/html`` (files, exports and static assets are handled elsewhere:
  xlsx/pdf are compressed formats, WhiteNoise serves pre-compressed static files).

Filtered lists, searches and form posts go out uncompressed. Django's own mitigation (up to
100 random bytes in the gzip header, "Heal the BREACH") applies on top. docs/performance.md."""

from django.middleware.gzip import GZipMiddleware


class SafeGZipMiddleware(GZipMiddleware):
    def process_response(self, request, response):
        if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
            return response
        if not response.get("Content-Type", "").startswith("text/html"):
            return response
        return super().process_response(request, response)
