"""The WSGI handler and request class of the site (``elvis.wsgi``).

Django builds the request before any middleware runs, and one header can make that fail: a
``Content-Type`` whose ``charset`` names a codec that exists but does not decode bytes to text
(``charset=rot13``, ``base64``, ``hex``, ``zlib``…). Django accepts it as the request's
encoding and, setting it, decodes the query string with it at once: a ``LookupError`` that no
middleware or handler can catch, so the server answers 500. The request class here drops such
a ``charset`` parameter first, and the body is read with the default (UTF-8), like a request
that named none. (Unknown codec names are already ignored by Django.)
"""

from __future__ import annotations

import re

from django.core.handlers import wsgi

CHARSET = re.compile(r";\s*charset\s*=\s*(\"[^\"]*\"|[^;]*)", re.IGNORECASE)


def decodes_text(charset: str) -> bool:
    try:
        b"x".decode(charset)
    except LookupError:  # no such codec, or one that does not turn bytes into text
        return False
    except (UnicodeError, ValueError):  # a text codec that dislikes these bytes: fine
        return True
    return True


def without_unusable_charset(environ: dict) -> dict:
    """``environ`` whose ``Content-Type`` charset, if any, decodes bytes to text."""
    content_type = environ.get("CONTENT_TYPE", "")
    match = CHARSET.search(content_type)
    if match and not decodes_text(match.group(1).strip().strip('"')):
        environ = {**environ, "CONTENT_TYPE": CHARSET.sub("", content_type, count=1)}
    return environ


class WSGIRequest(wsgi.WSGIRequest):
    def __init__(self, environ: dict) -> None:
        super().__init__(without_unusable_charset(environ))


class WSGIHandler(wsgi.WSGIHandler):
    request_class = WSGIRequest
