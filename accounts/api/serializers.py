"""Token login (e-mail and password in, a token out, django-axes counting the failures) and
the caller's own tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from axes.helpers import get_cool_off
from django.contrib.auth import authenticate
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers
from rest_framework.exceptions import Throttled

from accounts.models import ApiToken


class LoginLockedOut(Throttled):
    """django-axes' lockout as the API's 429 (with Retry-After), not AxesMiddleware's HTML page."""

    default_detail = _("Too many failed log-ins for this account from your address.")
    default_code = "locked_out"


class LoginSerializer(serializers.Serializer):
    email = serializers.EmailField()
    password = serializers.CharField(
        write_only=True, trim_whitespace=False, style={"input_type": "password"}
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        # django-axes marks the Django request (not DRF's wrapper) and counts failures per
        # ``email`` credential (the USERNAME_FIELD), lower-cased so case variants count as one.
        request: HttpRequest = self.context["request"]._request
        user = authenticate(request, email=attrs["email"].lower(), password=attrs["password"])
        if user is None:
            if getattr(request, "axes_locked_out", False):
                # An attribute django-axes (untyped) sets on the request.
                request.axes_locked_out = False  # type: ignore[attr-defined]  # answered here, not by AxesMiddleware
                cool_off = get_cool_off(request)
                raise LoginLockedOut(wait=cool_off.total_seconds() if cool_off else None)
            raise serializers.ValidationError(
                _("Unable to log in with this e-mail address and password."),
                code="authorization",
            )
        attrs["user"] = user
        return attrs


class TokenSerializer(serializers.Serializer):
    token = serializers.CharField(read_only=True)


class ApiTokenSerializer(serializers.ModelSerializer):
    """A token as its owner sees it later: never the key, only its prefix."""

    class Meta:
        model = ApiToken
        fields = ["id", "name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at"]
        read_only_fields = ["id", "prefix", "created_at", "last_used_at", "revoked_at"]
        extra_kwargs = {"expires_at": {"help_text": _("Optional; must be in the future.")}}

    def validate_expires_at(self, value: datetime | None) -> datetime | None:
        if value is not None and value <= timezone.now():
            raise serializers.ValidationError(_("The expiry must be in the future."))
        return value


class IssuedApiTokenSerializer(ApiTokenSerializer):
    """A token just issued: the only answer that carries its key."""

    token = serializers.CharField(
        read_only=True, help_text=_("The key, for Authorization: Token <key>. Shown once only.")
    )

    class Meta(ApiTokenSerializer.Meta):
        fields = [*ApiTokenSerializer.Meta.fields, "token"]
        read_only_fields = [*ApiTokenSerializer.Meta.read_only_fields, "token"]
