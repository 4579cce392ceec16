"""A ``Content-Type`` charset naming a codec that does not decode bytes to text (rot13, base64,
hex, zlib…) used to crash Django while it built the request — a 500 before any middleware.
The site's WSGI application (``elvis.wsgi``) drops such a charset and answers as usual."""

from __future__ import annotations

import io
import json
from wsgiref.util import setup_testing_defaults

import pytest
from django.core.signals import request_started
from django.db import close_old_connections

from elvis.handlers import without_unusable_charset
from elvis.wsgi import application

NOT_TEXT = ["rot13", "base64", "hex", "zlib_codec", "bz2_codec", "uu", "quopri", "ROT_13"]


def call(path: str, query: str, content_type: str, body: bytes = b"{}") -> tuple[str, bytes]:
    environ: dict = {}
    setup_testing_defaults(environ)
    environ.update(
        REQUEST_METHOD="POST",
        PATH_INFO=path,
        QUERY_STRING=query,
        CONTENT_TYPE=content_type,
        CONTENT_LENGTH=str(len(body)),
        HTTP_HOST="testserver",
        **{"wsgi.input": io.BytesIO(body)},
    )
    answer: dict = {}

    def start_response(status, headers, exc_info=None):
        answer["status"] = status

    # As Django's test client does: the request would otherwise check the database connection
    # a test before this one left open, which a test without the database may not touch.
    request_started.disconnect(close_old_connections)
    try:
        content = b"".join(application(environ, start_response))
    finally:
        request_started.connect(close_old_connections)
    return answer["status"], content


@pytest.mark.parametrize("charset", NOT_TEXT)
def test_the_site_answers_a_request_whose_charset_is_no_text_encoding(charset):
    status, content = call("/api/v1/no-such-thing/", "a=1", f"application/json; charset={charset}")

    assert status.startswith("404")
    assert json.loads(content) == {"detail": "Not found."}


@pytest.mark.parametrize("charset", [*NOT_TEXT, "no-such-codec"])
def test_such_a_charset_is_dropped_and_the_other_parameters_kept(charset):
    environ = {"CONTENT_TYPE": f'multipart/form-data; charset="{charset}"; boundary=xyz'}

    assert without_unusable_charset(environ)["CONTENT_TYPE"] == "multipart/form-data; boundary=xyz"


@pytest.mark.parametrize("charset", ["utf-8", "UTF-16", "latin-1", "cp1252"])
def test_text_encodings_are_left_to_django(charset):
    environ = {"CONTENT_TYPE": f"text/plain; charset={charset}"}

    assert without_unusable_charset(environ) == environ
