"""``/api/v1/auth/``: token login, and the caller's own tokens (list, issue, revoke)."""

from __future__ import annotations

from typing import cast

from django.contrib.auth.signals import user_logged_in
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiResponse, extend_schema, extend_schema_view
from rest_framework import mixins, status, viewsets
from rest_framework.exceptions import PermissionDenied
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response

from accounts.models import ApiToken, User
from accounts.tokens import issue, issue_login_token
from elvis.api.throttling import LoginThrottle

from .serializers import (
    ApiTokenSerializer,
    IssuedApiTokenSerializer,
    LoginSerializer,
    TokenSerializer,
)


class ObtainTokenView(GenericAPIView):
    # No authentication: the credentials are in the body, and a stale token header must not
    # turn a fresh login into a 401.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [LoginThrottle]
    serializer_class = LoginSerializer

    @extend_schema(
        operation_id="auth_token_create",
        description=(
            "Each login issues a new token named after the time, which expires after the "
            "site's login-token lifetime (30 days by default); list and revoke them at "
            "/api/v1/auth/tokens/."
        ),
        responses={
            200: TokenSerializer,
            400: OpenApiResponse(description="Missing fields or wrong e-mail/password."),
            429: OpenApiResponse(description="Too many attempts; see Retry-After."),
        },
        tags=["auth"],
    )
    def post(self, request: Request) -> Response:
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        user = serializer.validated_data["user"]
        _token, key = issue_login_token(user)
        # A token login is a login: last_login is updated and django-axes resets the failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response(TokenSerializer({"token": key}).data)


@extend_schema_view(
    list=extend_schema(summary="Your tokens, newest first (revoked and expired ones too)"),
    destroy=extend_schema(
        summary="Revoke one of your tokens",
        responses={204: OpenApiResponse(description="Revoked (or already revoked).")},
    ),
)
@extend_schema(tags=["auth"])
class ApiTokenViewSet(
    mixins.ListModelMixin,
    mixins.CreateModelMixin,
    mixins.DestroyModelMixin,
    viewsets.GenericViewSet,
):
    """The caller's API tokens; others' are 404. Revoking keeps the row, for the record."""

    permission_classes = [IsAuthenticated]
    serializer_class = ApiTokenSerializer
    filter_backends: list = []

    def get_queryset(self) -> QuerySet[ApiToken]:
        # By id: the schema generator asks with an anonymous user (pk None: no rows).
        return ApiToken.objects.filter(user_id=self.request.user.pk)  # type: ignore[misc]

    @extend_schema(
        summary="Issue a token (its key is in this answer only)",
        request=ApiTokenSerializer,
        responses={
            201: OpenApiResponse(IssuedApiTokenSerializer, description="Issued; copy the key now.")
        },
    )
    def create(self, request: Request) -> Response:
        # A leaked token must not be able to mint successors that outlive its revocation.
        if isinstance(request.auth, ApiToken):
            raise PermissionDenied(
                _("A token cannot issue tokens: log in, or ask your coordinator.")
            )
        payload = self.get_serializer(data=request.data)
        payload.is_valid(raise_exception=True)
        token, key = issue(cast("User", request.user), **payload.validated_data)  # IsAuthenticated
        token.token = key
        return Response(IssuedApiTokenSerializer(token).data, status=status.HTTP_201_CREATED)

    def perform_destroy(self, instance: ApiToken) -> None:
        instance.revoke()
