"""Pagination that rejects garbage instead of guessing.

DRF's default silently falls back to page size 50 on ``?page_size=abc`` and answers 404 for
``?page=abc``; partners debugging a sync deserve a 400 naming the parameter.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import PageNumberPagination


class StrictPageNumberPagination(PageNumberPagination):
    page_size_query_param = "page_size"
    max_page_size = 200

    def _positive_int(self, request, name: str) -> int | None:
        raw = request.query_params.get(name)
        if raw is None or raw == "":
            return None
        try:
            value = int(raw)
        except ValueError:
            raise ValidationError({name: [_("A positive whole number is required.")]}) from None
        if value < 1:
            raise ValidationError({name: [_("A positive whole number is required.")]})
        return value

    def get_page_size(self, request) -> int:
        size = self._positive_int(request, self.page_size_query_param)
        if size is None:
            return self.page_size
        if size > self.max_page_size:
            raise ValidationError(
                {self.page_size_query_param: [_("At most %(max)d.") % {"max": self.max_page_size}]}
            )
        return size

    def paginate_queryset(self, queryset, request, view=None):
        if request.query_params.get(self.page_query_param) != "last":
            self._positive_int(request, self.page_query_param)
        return super().paginate_queryset(queryset, request, view)
