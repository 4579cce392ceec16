"""``ContentSecurityPolicyMiddleware`` writes the settings' policy from text built once, and
leaves every response django-csp treats specially to django-csp: each case here is compared
with what django-csp's own middleware writes for the same request and response."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, NONE, SELF
from csp.decorators import csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory, override_settings

from elvis import middleware
from elvis.middleware import ContentSecurityPolicyMiddleware

REPORT_ONLY = {"DIRECTIVES": {"default-src": [NONE], "report-uri": "/csp-reports/"}}


def _plain(request: HttpRequest) -> HttpResponse:
    return HttpResponse("plain")


@csp_update({"img-src": "https://images.example.org"})
def _updated(request: HttpRequest) -> HttpResponse:
    return HttpResponse("updated")


@csp_replace({"script-src": "https://cdn.example.org"})
def _replaced(request: HttpRequest) -> HttpResponse:
    return HttpResponse("replaced")


@csp_exempt()
def _exempt(request: HttpRequest) -> HttpResponse:
    return HttpResponse("exempt")


def _with_nonce(request: HttpRequest) -> HttpResponse:
    return HttpResponse(f"<script nonce='{request.csp_nonce}'></script>")  # type: ignore[attr-defined]


def _own_header(request: HttpRequest) -> HttpResponse:
    response = HttpResponse("own")
    response[HEADER] = "default-src 'none'"
    return response


def _not_found(request: HttpRequest) -> HttpResponse:
    return HttpResponse("missing", status=404)


def _headers(
    middleware_class: type[CSPMiddleware], view: Callable, path: str = "/page/"
) -> tuple[dict[str, str], HttpRequest]:
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    return {
        name: response[name] for name in (HEADER, HEADER_REPORT_ONLY) if name in response
    }, request


@pytest.fixture(autouse=True)
def _fresh_text():
    """Each test starts from the settings it sees (as a deployment's process would)."""
    middleware._settings_headers.cache_clear()
    yield
    middleware._settings_headers.cache_clear()


@pytest.mark.parametrize(
    "view", [_plain, _updated, _replaced, _exempt, _own_header], ids=lambda view: view.__name__
)
@pytest.mark.parametrize("report_only", [None, REPORT_ONLY], ids=["policy", "and report-only"])
def test_the_headers_are_django_csps(view: Callable, report_only: dict | None) -> None:
    with override_settings(CONTENT_SECURITY_POLICY_REPORT_ONLY=report_only):
        ours, _request = _headers(ContentSecurityPolicyMiddleware, view)
        theirs, _request = _headers(CSPMiddleware, view)
    assert ours == theirs
    if view is _plain:
        assert "default-src 'self'" in ours[HEADER]
        assert (HEADER_REPORT_ONLY in ours) is (report_only is not None)


def test_a_nonce_is_in_the_header_of_the_page_that_used_it() -> None:
    policy = {"DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        headers, request = _headers(ContentSecurityPolicyMiddleware, _with_nonce)
        plain, _request = _headers(ContentSecurityPolicyMiddleware, _plain)
    assert f"'nonce-{request._csp_nonce}'" in headers[HEADER]  # type: ignore[attr-defined]
    assert "nonce" not in plain[HEADER]


def test_a_nonce_asked_for_after_the_header_is_written_is_an_error() -> None:
    _headers_written, request = _headers(ContentSecurityPolicyMiddleware, _plain)
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)  # type: ignore[attr-defined]


def test_the_text_follows_the_settings_when_they_change() -> None:
    before, _request = _headers(ContentSecurityPolicyMiddleware, _plain)
    policy = {"DIRECTIVES": {"default-src": [SELF], "img-src": [SELF, "https://x.example"]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        changed, _request = _headers(ContentSecurityPolicyMiddleware, _plain)
    after, _request = _headers(ContentSecurityPolicyMiddleware, _plain)
    assert "https://x.example" in changed[HEADER]
    assert "https://x.example" not in before[HEADER]
    assert after == before


def test_excluded_paths_get_no_header() -> None:
    policy = {"EXCLUDE_URL_PREFIXES": ["/raw/"], "DIRECTIVES": {"default-src": [SELF]}}
    with override_settings(CONTENT_SECURITY_POLICY=policy):
        excluded, _request = _headers(ContentSecurityPolicyMiddleware, _plain, "/raw/file")
        other, _request = _headers(ContentSecurityPolicyMiddleware, _plain, "/page/")
    assert excluded == {}
    assert other == {HEADER: "default-src 'self'"}


@pytest.mark.parametrize("debug", [True, False])
def test_a_debug_404_page_has_no_header_as_with_django_csp(debug: bool) -> None:
    with override_settings(DEBUG=debug):
        ours, _request = _headers(ContentSecurityPolicyMiddleware, _not_found)
        theirs, _request = _headers(CSPMiddleware, _not_found)
    assert ours == theirs
    assert (HEADER in ours) is not debug


def test_the_text_is_built_once_per_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    built = []
    original = middleware.build_policy

    def counting(**kwargs):
        built.append(kwargs)
        return original(**kwargs)

    monkeypatch.setattr(middleware, "build_policy", counting)
    for _ in range(5):
        _headers(ContentSecurityPolicyMiddleware, _plain)
    assert len(built) == 2  # the policy and the report-only policy, once
