"""``POST /api/v1/auth/token/``: the API token of a user, for ``Authorization: Token <key>``."""

from __future__ import annotations

from django.contrib.auth.signals import user_logged_in
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework.authtoken.models import Token
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from .serializers import LoginSerializer, TokenSerializer


class ObtainTokenView(GenericAPIView):
    # No authentication: the credentials are in the body, and a stale token header must not
    # turn a fresh login into a 401.
    authentication_classes: list = []
    permission_classes = [AllowAny]
    throttle_classes = [ScopedRateThrottle]
    throttle_scope = "login"
    serializer_class = LoginSerializer

    @extend_schema(
        operation_id="auth_token_create",
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
        token, _created = Token.objects.get_or_create(user=user)
        # A token login is a login: last_login is updated and django-axes resets the failures.
        user_logged_in.send(sender=type(user), request=request._request, user=user)
        return Response(TokenSerializer({"token": token.key}).data)
