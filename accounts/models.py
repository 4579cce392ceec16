"""The custom user: e-mail login, full name, ORCID iD and home institution."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, ClassVar

from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from django_countries.fields import CountryField

from collections_app.models import Membership

from .orcid import ORCID_EXAMPLE, normalize_orcid, validate_orcid

if TYPE_CHECKING:
    from collections_app.models import Institution


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra) -> User:
        if not email:
            raise ValueError("An e-mail address is required.")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra) -> User:
        extra.setdefault("is_staff", True)
        extra.setdefault("is_superuser", True)
        if not (extra["is_staff"] and extra["is_superuser"]):
            raise ValueError("A superuser needs is_staff and is_superuser.")
        return self._create_user(email, password, **extra)

    def get_by_natural_key(self, username: str | None) -> User:
        # E-mail login is case-insensitive: "Ana@Museum.org" and "ana@museum.org" are one person.
        return self.get(email__iexact=username)


class User(AbstractBaseUser, PermissionsMixin):
    email = models.EmailField(_("e-mail address"), unique=True)
    full_name = models.CharField(_("full name"), max_length=200, blank=True)
    orcid = models.CharField(
        _("ORCID iD"),
        max_length=19,
        blank=True,
        validators=[validate_orcid],
        help_text=format_lazy(_("e.g. {example}"), example=ORCID_EXAMPLE),
    )
    home_institution_name = models.CharField(
        _("home institution"),
        max_length=255,
        blank=True,
        help_text=_("Your employer or university, as you would write it."),
    )
    home_institution = models.ForeignKey(
        "collections_app.Institution",
        verbose_name=_("home institution in ELViS"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="home_users",
    )
    preferred_language = models.CharField(
        _("preferred language"),
        max_length=10,
        choices=settings.LANGUAGES,
        blank=True,
        help_text=_(
            "The language of the pages once you are logged in, and of your e-mails. Empty: "
            "pages follow your browser, e-mails are in English."
        ),
    )
    is_active = models.BooleanField(_("active"), default=True)
    is_staff = models.BooleanField(
        _("site staff"),
        default=False,
        help_text=_("ELViS operators; institution staff get admin access through memberships."),
    )
    date_joined = models.DateTimeField(_("date joined"), default=timezone.now)

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["full_name"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["email"]
        constraints = [
            models.UniqueConstraint(
                fields=["orcid"], condition=~models.Q(orcid=""), name="user_orcid_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.full_name} <{self.email}>" if self.full_name else self.email

    def clean_fields(self, exclude=None) -> None:
        # Normalise first: "https://orcid.org/0000-…" is valid input but too long to store as is.
        self.email = self.__class__.objects.normalize_email(self.email).lower()
        if self.orcid:
            self.orcid = normalize_orcid(self.orcid)
        super().clean_fields(exclude=exclude)

    def get_full_name(self) -> str:
        return self.full_name or self.email

    @property
    def language(self) -> str:
        """The language to write to this user in (e-mails): their choice, else the default."""
        return self.preferred_language or settings.LANGUAGE_CODE

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]

    @property
    def home_institution_display(self) -> str:
        inst: Institution | None = self.home_institution
        return inst.name if inst else self.home_institution_name


class Address(models.Model):
    """A named address of a researcher's (their lab, their department's loans desk…), kept on
    the profile so that request forms can fill a shipping address in from it instead of having
    it typed again. The default one fills new requests."""

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="addresses", verbose_name=_("user")
    )
    label = models.CharField(
        _("name"), max_length=100, help_text=_("How you tell it apart, e.g. Lab or Loans desk.")
    )
    lines = models.TextField(
        _("address"), help_text=_("Institution, department, street, postcode and city.")
    )
    country = CountryField(_("country"), blank=True)
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Fill new requests with this address.")
    )

    class Meta:
        ordering = ["-is_default", "label", "pk"]
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        constraints = [
            models.UniqueConstraint(fields=["user", "label"], name="address_label_once"),
            models.UniqueConstraint(
                fields=["user"], condition=models.Q(is_default=True), name="address_one_default"
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def as_text(self) -> str:
        """The address as a request's shipping address: its lines, then the country."""
        country = str(countries.name(self.country)) if self.country else ""
        return "\n".join(part for part in (self.lines.strip(), country) if part)


class ApiTokenQuerySet(models.QuerySet["ApiToken"]):
    def usable(self) -> ApiTokenQuerySet:
        """Tokens that still authenticate: not revoked and not expired."""
        now = timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    """A named API key of a user or partner system, stored as a hash (see ``accounts.tokens``).

    The key itself is shown once, when issued; afterwards the ``prefix`` tells tokens apart.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="api_tokens", verbose_name=_("user")
    )
    name = models.CharField(
        _("name"), max_length=100, help_text=_("What uses it, e.g. nightly sync.")
    )
    prefix = models.CharField(_("prefix"), max_length=12, db_index=True, editable=False)
    key_hash = models.CharField(_("key hash"), max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    if TYPE_CHECKING:
        #: The plain key, on a token just issued only, for the answer that shows it once.
        token: str

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and not self.is_expired

    def revoke(self) -> bool:
        """Revoke once (compare-and-set): True if this call revoked it."""
        now = timezone.now()
        revoked = ApiToken.objects.filter(pk=self.pk, revoked_at__isnull=True).update(
            revoked_at=now
        )
        if revoked:
            self.revoked_at = now
        return bool(revoked)


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def pending(self) -> InvitationQuerySet:
        """Invitations whose link still works: not accepted, not revoked, not expired."""
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


class Invitation(models.Model):
    """A coordinator's invitation of a colleague, by e-mail, to a role at their institution.

    The link's key is e-mailed once and never stored: the row keeps its SHA-256 (as API tokens
    do, ``accounts.tokens``). Opening the link signs the colleague up (or, with an account,
    lets them accept after logging in) and creates the membership; the row then records who
    accepted, so who invited whom stays on file. Resending issues a new key (the old link
    stops working); revoking keeps the row. ``accounts.invitations`` does all of it.
    """

    class State(models.TextChoices):
        PENDING = "pending", _("pending")
        ACCEPTED = "accepted", _("accepted")
        REVOKED = "revoked", _("revoked")
        EXPIRED = "expired", _("expired")

    email = models.EmailField(_("e-mail address"))
    institution = models.ForeignKey(
        "collections_app.Institution",
        on_delete=models.CASCADE,
        related_name="invitations",
        verbose_name=_("institution"),
    )
    role = models.CharField(_("role"), max_length=20, choices=Membership.Role.choices)
    key_hash = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        related_name="+",
        verbose_name=_("invited by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("invited"), auto_now_add=True)
    sent_at = models.DateTimeField(_("last sent"), null=True, editable=False)
    expires_at = models.DateTimeField(_("expires"), editable=False)
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True, editable=False)
    accepted_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("accepted by"),
        editable=False,
    )
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True, editable=False)
    revoked_by = models.ForeignKey(
        User,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("revoked by"),
        editable=False,
    )

    objects = InvitationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()})"

    @property
    def state(self) -> str:
        if self.accepted_at is not None:
            return self.State.ACCEPTED
        if self.revoked_at is not None:
            return self.State.REVOKED
        if self.expires_at <= timezone.now():
            return self.State.EXPIRED
        return self.State.PENDING

    def get_state_display(self) -> str:
        return str(self.State(self.state).label)


class ApiClient(User):
    """A partner system's account (a user with an ``api_client`` membership), as the admin
    lists them for the coordinators who issue their tokens."""

    class Meta:
        proxy = True
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")


class IdempotencyRecord(models.Model):
    """The first answer to a write sent with an ``Idempotency-Key`` (``elvis.api.idempotency``).

    The row is written before the request runs (no ``response_status`` yet: in flight), so a
    concurrent duplicate finds it, and filled with the answer in the request's transaction.
    """

    #: How long a key is remembered; ``accounts.purge_idempotency_keys`` deletes older rows.
    KEY_LIFETIME: ClassVar[timedelta] = timedelta(hours=24)

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=10)
    path = models.TextField()
    fingerprint = models.CharField(
        max_length=64, help_text=_("SHA-256 of method, path, query and body.")
    )
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency record")
        verbose_name_plural = _("idempotency records")
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
