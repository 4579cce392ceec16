"""``manage.py issue_api_token --institution CODE --client NAME --name NAME``: a partner
system's API token from the command line, for operators and for self-hosted test instances.

The admin's rules hold (``accounts.admin``): the client is a password-less account with an
``api_client`` membership of the institution. It is found among the institution's clients by
name (or ``--email``) and created when there is none; accounts that sign in with a password are
never used, so no one gets a token that acts as a person. The key goes alone to stdout, so that
``ELVIS_TOKEN=$(python manage.py issue_api_token …)`` captures it, and what was done to stderr.
Only the key's hash is stored: it cannot be shown again.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext as _

from accounts.clients import api_clients, make_api_client
from accounts.models import ApiClient, ApiToken
from accounts.tokens import issue
from collections_app.models import Institution

#: Login names of clients created without ``--email``: the reserved ``.invalid`` domain, so
#: nothing is ever mailed there.
PLACEHOLDER_DOMAIN = "api-clients.invalid"
MAX_DAYS = 3650


class Command(BaseCommand):
    # A plain string: argparse cannot format a lazy translation (``--help`` would crash).
    help = (
        "Issue an API token for an institution's partner system (API client), creating the "
        "client's password-less account if the institution has none of that name. Prints the "
        "key alone on stdout, once."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--institution", required=True, metavar="CODE", help=_("Institution code, e.g. NHM.")
        )
        parser.add_argument(
            "--client",
            required=True,
            metavar="NAME",
            help=_('The partner system, e.g. "NHM collections system".'),
        )
        parser.add_argument(
            "--name", required=True, help=_('What will use the token, e.g. "CMS sync".')
        )
        parser.add_argument(
            "--email",
            help=_(
                "The client's contact address and login name: finds the client by it, or gives "
                "it to a new one (default for a new client: a placeholder address)."
            ),
        )
        parser.add_argument(
            "--expires-in-days",
            type=int,
            metavar="N",
            help=_("The token stops working after N days (default: never)."),
        )

    def handle(
        self,
        *args: Any,
        institution: str,
        client: str,
        name: str,
        email: str | None,
        expires_in_days: int | None,
        **options: Any,
    ) -> None:
        client, name = client.strip(), name.strip()
        self.check_lengths(client=client, name=name)
        expires_at = self.expiry(expires_in_days)
        found = Institution.objects.filter(code=institution.strip()).first()
        if found is None:
            raise CommandError(
                _("No institution has the code %(code)s (codes are case-sensitive, e.g. NHM).")
                % {"code": institution}
            )
        with transaction.atomic():
            account, created = self.client_account(found, client, email)
            token, key = issue(account, name, expires_at)
        if created:
            self.stderr.write(
                _("Created the API client %(client)s <%(email)s> for %(institution)s.")
                % {"client": client, "email": account.email, "institution": found.code},
                style_func=self.style.SUCCESS,
            )
        self.stderr.write(
            _(
                "Issued the token %(token)s for %(client)s, acting for %(institution)s; "
                "%(expiry)s. Store the key now: it is not shown again."
            )
            % {
                "token": token,
                "client": account.get_full_name(),
                "institution": found.code,
                "expiry": _("expires %(when)s") % {"when": f"{expires_at:%Y-%m-%d %H:%M} UTC"}
                if expires_at
                else _("never expires"),
            },
            style_func=self.style.WARNING,
        )
        self.stdout.write(key)

    @staticmethod
    def check_lengths(**values: str) -> None:
        limits = {  # both are CharFields, which have a max_length
            "client": cast(int, ApiClient._meta.get_field("full_name").max_length),
            "name": cast(int, ApiToken._meta.get_field("name").max_length),
        }
        for option, value in values.items():
            if not value:
                raise CommandError(_("--%(option)s must not be blank.") % {"option": option})
            if len(value) > limits[option]:
                raise CommandError(
                    _("--%(option)s is at most %(max)d characters.")
                    % {"option": option, "max": limits[option]}
                )

    @staticmethod
    def expiry(days: int | None) -> datetime | None:
        if days is None:
            return None
        if not 1 <= days <= MAX_DAYS:
            raise CommandError(
                _("--expires-in-days must be from 1 to %(max)d; leave it out for no expiry.")
                % {"max": MAX_DAYS}
            )
        return timezone.now() + timedelta(days=days)

    def client_account(
        self, institution: Institution, name: str, email: str | None
    ) -> tuple[ApiClient, bool]:
        """The institution's API client called ``name`` (or with ``email``), or a new one."""
        clients = api_clients().filter(memberships__institution=institution)
        if email:
            email = self.checked_email(email)
            matches = list(clients.filter(email__iexact=email))
        else:
            matches = list(clients.filter(full_name__iexact=name).order_by("email"))
            email = self.placeholder_email(institution, name)
        if len(matches) > 1:
            raise CommandError(
                _(
                    "%(institution)s has several API clients called %(client)s (%(emails)s): "
                    "say which with --email."
                )
                % {
                    "institution": institution.code,
                    "client": name,
                    "emails": ", ".join(match.email for match in matches),
                }
            )
        if matches:
            account = matches[0]
            if not account.is_active:
                raise CommandError(
                    _(
                        "The API client %(email)s is deactivated: reactivate it in the admin "
                        "(API clients) first."
                    )
                    % {"email": account.email}
                )
            return account, False
        if ApiClient.objects.filter(email__iexact=email).exists():
            raise CommandError(
                _(
                    "%(email)s belongs to an account that is not a password-less API client of "
                    "%(institution)s; tokens are issued only to such clients."
                )
                % {"email": email, "institution": institution.code}
            )
        account = make_api_client(ApiClient(email=email, full_name=name), institution)
        return account, True

    @staticmethod
    def checked_email(email: str) -> str:
        email = email.strip().lower()
        try:
            validate_email(email)
        except ValidationError:
            raise CommandError(_("--email is not a valid e-mail address.")) from None
        if len(email) > cast(int, ApiClient._meta.get_field("email").max_length):
            raise CommandError(_("--email is too long."))
        return email

    @staticmethod
    def placeholder_email(institution: Institution, name: str) -> str:
        local = f"{slugify(name)[:40] or 'client'}.{slugify(institution.code)[:20] or 'inst'}"
        return f"{local}@{PLACEHOLDER_DOMAIN}"
