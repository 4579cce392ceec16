"""``Authorization: Token <key>`` against the hashed ``ApiToken`` rows.

The keyword and header stay DRF's, so clients of the earlier plain tokens change nothing but
the key. Listed first in ``DEFAULT_AUTHENTICATION_CLASSES``: DRF takes the 401 challenge
(``WWW-Authenticate: Token``) from the first class.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework.authentication import TokenAuthentication
from rest_framework.exceptions import AuthenticationFailed

from .models import ApiToken, User
from .tokens import find_token, record_use


class ApiTokenAuthentication(TokenAuthentication):
    def authenticate_credentials(self, key: str) -> tuple[User, ApiToken]:
        token = find_token(key)
        if token is None:
            raise AuthenticationFailed(_("Invalid token."))
        if token.revoked_at is not None:
            raise AuthenticationFailed(_("This token has been revoked."))
        if token.is_expired:
            raise AuthenticationFailed(_("This token has expired."))
        if not token.user.is_active:
            raise AuthenticationFailed(_("User inactive or deleted."))
        record_use(token)
        return token.user, token
