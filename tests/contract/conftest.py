"""The contract suite runs once per registered request kind (``kind`` is parametrized)."""

from __future__ import annotations

import pytest

from elvis.workflow.kinds import get_kind
from tests.kinds_support import kind_names, make_request, support_for


def pytest_generate_tests(metafunc) -> None:
    if "kind_name" in metafunc.fixturenames:
        metafunc.parametrize("kind_name", kind_names())


@pytest.fixture
def kind(kind_name):
    return get_kind(kind_name)


@pytest.fixture
def support(kind):
    return support_for(kind)


@pytest.fixture
def make(kind, researcher, institution_a, collection_a, specimen_a):
    """``make(status=…, **fields)``: a complete request of the kind from the researcher to A."""

    def _make(status: str = "draft", **fields):
        fields.setdefault("specimens", [specimen_a])
        return make_request(
            kind,
            requester=fields.pop("requester", researcher),
            institution=institution_a,
            collection=collection_a,
            status=status,
            **fields,
        )

    return _make


@pytest.fixture
def partner_a(institution_a):
    """Institution A's partner system (an API client account)."""
    from tests.webhooks_support import partner_of

    return partner_of(institution_a)


def api_url(kind, obj=None, action: str | None = None) -> str:
    url = f"/api/v1/{kind.api_path}/"
    if obj is not None:
        url += f"{obj.pk}/"
    if action:
        url += f"{action}/"
    return url


@pytest.fixture
def make_request_of(researcher, institution_a, collection_a, specimen_a):
    """``make_request_of(kind, status)``: for tests parametrized over cases, not ``kind_name``."""

    def _make(kind, status: str = "draft", **fields):
        return make_request(
            kind,
            requester=fields.pop("requester", researcher),
            institution=institution_a,
            collection=collection_a,
            specimens=fields.pop("specimens", [specimen_a]),
            status=status,
            **fields,
        )

    return _make


@pytest.fixture
def support_of():
    return support_for
