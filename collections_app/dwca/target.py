"""``--collection INST:COLL``: the collection an archive is imported into."""

from __future__ import annotations

from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _

from collections_app.models import Collection, Institution

from .errors import UnknownCollection


def find_collection(spec: str) -> Collection:
    """The collection ``COLL`` of the institution ``INST``.

    Split on the last colon: institution codes may hold colons, spaces and slashes
    ("CSIC (MNCN)", "UCPH/SNM"), collection codes do not. An unknown code fails with the
    codes that do exist, so the person can correct the command at once.
    """
    institution_code, colon, collection_code = spec.rpartition(":")
    if not colon or not institution_code or not collection_code:
        raise UnknownCollection(
            _("--collection must be INSTITUTION:COLLECTION (codes), e.g. NHM:ENT; got %(spec)s")
            % {"spec": repr(spec)}
        )
    institution = Institution.objects.filter(code=institution_code).first()
    if institution is None:
        codes: Iterable[str] = Institution.objects.order_by("code").values_list("code", flat=True)
        raise UnknownCollection(
            _("No institution has the code %(code)s. Institutions: %(codes)s")
            % {"code": repr(institution_code), "codes": _listing(codes)}
        )
    collection = institution.collections.filter(code=collection_code).first()
    if collection is None:
        codes = institution.collections.order_by("code").values_list("code", flat=True)
        raise UnknownCollection(
            _("%(institution)s has no collection %(code)s. Its collections: %(codes)s")
            % {
                "institution": institution.code,
                "code": repr(collection_code),
                "codes": _listing(codes),
            }
        )
    return collection


def _listing(codes: Iterable[str]) -> str:
    return ", ".join(codes) or str(_("none yet"))
