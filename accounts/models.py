"""The custom user: e-mail login, full name, ORCID iD and home institution."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.contrib.auth.base_user import AbstractBaseUser, BaseUserManager
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .orcid import normalize_orcid, validate_orcid

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
        help_text=_("e.g. 0000-0002-1825-0097"),
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
    REQUIRED_FIELDS: list[str] = ["full_name"]

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

    def get_short_name(self) -> str:
        return (self.full_name.split() or [self.email])[0]

    @property
    def home_institution_display(self) -> str:
        inst: Institution | None = self.home_institution
        return inst.name if inst else self.home_institution_name
