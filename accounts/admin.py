"""User admin for site staff, and the coordinators' pages for their institutions' partner
systems (API clients) and tokens, and for inviting colleagues. (The admin login form is the
site's: ``elvis.admin``.)

Coordinators never browse users. They only need to pick one when adding a member or a contact
curator, through the autocomplete endpoint, and there they find their own institutions' members
by any search and anyone else only by typing the exact e-mail address. So no one can list the
site's users, while a coordinator who knows a colleague's address can still add them. (A raw-id
widget would be worse: it shows the user behind any id typed, so ids could be walked.)
A colleague without an account yet is invited by e-mail instead (``accounts.invitations``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any, TypedDict, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Max, Prefetch, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from collections_app.models import Institution, Membership
from collections_app.roles import coordinated_institution_ids, is_site_staff
from elvis.admin import NotFoundOutsideScope, is_autocomplete

from . import invitations
from .clients import api_clients, make_api_client
from .models import ApiClient, ApiToken, Invitation, User
from .tokens import issue

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django_stubs_ext import WithAnnotations

    class TokenUse(TypedDict):
        """The annotations of the API clients' changelist."""

        usable_token_count: int
        last_token_use: datetime | None


class UserCreationForm(AdminUserCreationForm):
    class Meta:
        model = User
        fields = ("email", "full_name")


class UserEditForm(UserChangeForm):
    class Meta:
        model = User
        fields = "__all__"


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreationForm
    fieldsets = (
        (None, {"fields": ("email", "password")}),
        (
            _("Personal info"),
            {
                "fields": (
                    "full_name",
                    "orcid",
                    "home_institution_name",
                    "home_institution",
                    "preferred_language",
                )
            },
        ),
        (
            _("Permissions"),
            {
                "fields": (
                    "is_active",
                    "is_staff",
                    "is_superuser",
                    "groups",
                    "user_permissions",
                )
            },
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (
            None,
            {
                "classes": ("wide",),
                "fields": ("email", "full_name", "usable_password", "password1", "password2"),
            },
        ),
    )
    list_display = ("email", "full_name", "orcid", "home", "is_staff", "is_active")
    list_select_related = ("home_institution",)
    list_filter = ("is_staff", "is_superuser", "is_active", "groups")
    search_fields = ("email", "full_name", "orcid")
    ordering = ("email",)
    autocomplete_fields = ("home_institution",)
    # Only superusers hand out privileges; other site staff would otherwise promote themselves.
    privilege_fields = ("is_staff", "is_superuser", "groups", "user_permissions")

    @admin.display(description=_("home institution"), ordering="home_institution_name")
    def home(self, user: User) -> str:
        return user.home_institution_display

    def get_readonly_fields(self, request: HttpRequest, obj: User | None = None):
        readonly = ("last_login", "date_joined")
        return readonly if request.user.is_superuser else readonly + self.privilege_fields

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_site_staff(request.user)

    def has_view_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        if is_site_staff(request.user):
            return True
        return (
            obj is None
            and is_autocomplete(request)
            and bool(coordinated_institution_ids(request.user))
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_site_staff(request.user)

    def has_change_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        # A superuser's account (and password) is changed by superusers only.
        user = request.user
        return is_site_staff(user) and (obj is None or user.is_superuser or not obj.is_superuser)

    def has_delete_permission(self, request: HttpRequest, obj: User | None = None) -> bool:
        return self.has_change_permission(request, obj)

    def get_search_results(self, request: HttpRequest, queryset: QuerySet, search_term: str):
        if is_site_staff(request.user):
            return super().get_search_results(request, queryset, search_term)
        colleagues = queryset.filter(
            memberships__institution__in=coordinated_institution_ids(request.user)
        )
        found, _may_have_duplicates = super().get_search_results(request, colleagues, search_term)
        exact_email = Q(email__iexact=search_term.strip())
        return queryset.filter(Q(pk__in=found.values("pk")) | exact_email), False


# --- Partner systems and their tokens ----------------------------------------------------------


def may_manage_clients(user: User | AnonymousUser, institution_id: int | None = None) -> bool:
    """Superusers, and coordinators (of ``institution_id`` when given), manage API clients."""
    if not (user.is_active and user.is_authenticated):
        return False
    if user.is_superuser:
        return True
    ids = coordinated_institution_ids(user)
    return bool(ids) if institution_id is None else institution_id in ids


def clients_managed_by(user: User | AnonymousUser) -> QuerySet[ApiClient]:
    """API clients of the institutions ``user`` coordinates (all of them for superusers).

    Only accounts that no one signs into with a password: a coordinator who gave a person an
    ``api_client`` membership must not be able to mint tokens that act as that person.
    """
    clients = api_clients()
    if not user.is_superuser:
        clients = clients.filter(memberships__institution__in=coordinated_institution_ids(user))
    return clients.distinct()


class ApiClientCreationForm(forms.ModelForm):
    """A partner system's account: a name, a contact address and the institution it acts for.

    It never logs in with a password; it uses the tokens issued on its page.
    """

    institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(),
        label=_("institution"),
        help_text=_("The client acts for this institution, with curator rights, in the API."),
    )
    #: The institutions the signed-in user may choose (set per request by the admin).
    institution_choices: QuerySet[Institution] = Institution.objects.none()

    class Meta:
        model = ApiClient
        fields = ("full_name", "email")
        labels = {"full_name": _("system name"), "email": _("contact e-mail")}
        help_texts = {
            "full_name": _("e.g. NHM collections management system"),
            "email": _("Who runs the system; also its login name, never used with a password."),
        }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["full_name"].required = True
        institution = cast("forms.ModelChoiceField", self.fields["institution"])
        institution.queryset = self.institution_choices


class IssueTokenForm(forms.Form):
    name = forms.CharField(
        label=_("name"), max_length=100, help_text=_("What will use it, e.g. nightly sync.")
    )
    valid_until = forms.DateField(
        label=_("valid until"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional: the token stops working after this day (UTC)."),
    )

    def clean_valid_until(self) -> date | None:
        valid_until = self.cleaned_data["valid_until"]
        if valid_until is not None and valid_until < timezone.now().date():
            raise ValidationError(_("Choose today or a later day."))
        return valid_until

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, UTC."""
        valid_until = self.cleaned_data["valid_until"]
        if valid_until is None:
            return None
        return datetime.combine(valid_until + timedelta(days=1), time.min, tzinfo=UTC)


class ApiTokenInline(admin.TabularInline):
    """The client's tokens, read-only: issued and revoked through their own pages."""

    model = ApiToken
    fields = ("name", "prefix", "created_at", "last_used_at", "expires_at", "revoked_at", "revoke")
    readonly_fields = fields
    extra = 0
    can_delete = False

    @admin.display(description=_("revoke"))
    def revoke(self, token: ApiToken) -> str:
        if not token.is_usable:
            return "—"
        url = reverse("admin:accounts_apiclient_revoke_token", args=[token.user_id, token.pk])
        return format_html('<a href="{}">{}</a>', url, _("Revoke"))

    def has_view_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return may_manage_clients(request.user)

    def has_add_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return False


@admin.register(ApiClient)
class ApiClientAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    """Partner systems of the coordinator's institutions, and their API tokens.

    A token's key is shown once, on the page that issues it; only its hash is kept. To stop a
    client altogether, clear ``active``: all its tokens then fail with 401.
    """

    list_display = ("full_name", "email", "institutions", "usable_tokens", "last_used", "is_active")
    list_filter = ("is_active",)
    search_fields = ("full_name", "email")
    fields = ("full_name", "email", "is_active", "institutions", "date_joined")
    readonly_fields = ("institutions", "date_joined")
    inlines = (ApiTokenInline,)

    def get_queryset(self, request: HttpRequest) -> QuerySet[ApiClient]:
        memberships = Membership.objects.filter(role=Membership.Role.API_CLIENT).select_related(
            "institution"
        )
        usable = Q(api_tokens__in=ApiToken.objects.usable())
        return (
            clients_managed_by(request.user)
            .prefetch_related(Prefetch("memberships", queryset=memberships))
            .annotate(
                usable_token_count=Count("api_tokens", filter=usable, distinct=True),
                last_token_use=Max("api_tokens__last_used_at"),
            )
        )

    @admin.display(description=_("institution"))
    def institutions(self, client: ApiClient) -> str:
        return ", ".join(membership.institution.code for membership in client.memberships.all())

    @admin.display(description=_("usable tokens"), ordering="usable_token_count")
    def usable_tokens(self, client: WithAnnotations[ApiClient, TokenUse]) -> int:
        return client.usable_token_count

    @admin.display(description=_("last used"), ordering="last_token_use")
    def last_used(self, client: WithAnnotations[ApiClient, TokenUse]) -> datetime | None:
        return client.last_token_use

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_manage_clients(request.user)

    def has_view_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return may_manage_clients(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return may_manage_clients(request.user)

    def has_change_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        return may_manage_clients(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: ApiClient | None = None) -> bool:
        # Its requests and history refer to it; deactivate instead.
        return False

    # Django passes ``change`` by keyword, into ``kwargs``.
    def get_form(self, request: HttpRequest, obj: ApiClient | None = None, **kwargs: Any):  # type: ignore[override]
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        institutions = Institution.objects.order_by("code")
        if not request.user.is_superuser:
            institutions = institutions.filter(pk__in=coordinated_institution_ids(request.user))
        form = type(
            "ApiClientCreationForm",
            (ApiClientCreationForm,),
            {"institution_choices": institutions},
        )
        return super().get_form(request, obj, form=form, **kwargs)

    def get_fieldsets(self, request: HttpRequest, obj: ApiClient | None = None):
        if obj is None:
            return [(None, {"fields": ("full_name", "email", "institution")})]
        return super().get_fieldsets(request, obj)

    def get_readonly_fields(self, request: HttpRequest, obj: ApiClient | None = None):
        return self.readonly_fields if obj is not None else ()

    def get_inlines(self, request: HttpRequest, obj: ApiClient | None):
        return self.inlines if obj is not None else ()

    @transaction.atomic
    def save_model(self, request: HttpRequest, obj: ApiClient, form, change: bool) -> None:
        if change:
            super().save_model(request, obj, form, change)
            return
        institution = form.cleaned_data["institution"]
        # The form offers only these; this stops a forged POST naming another institution.
        if not may_manage_clients(request.user, institution.pk):
            raise PermissionDenied
        make_api_client(obj, institution)

    # Issuing and revoking tokens: pages of their own, so a key is never part of a form's
    # round trip or a URL, and is shown exactly once (admin_view makes every page no-store).

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/tokens/issue/",
                view(self.issue_token_view),
                name="accounts_apiclient_issue_token",
            ),
            path(
                "<int:object_id>/tokens/<int:token_id>/revoke/",
                view(self.revoke_token_view),
                name="accounts_apiclient_revoke_token",
            ),
            *super().get_urls(),
        ]

    def _context(self, request: HttpRequest, client: ApiClient, title: str) -> dict[str, Any]:
        return {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": client,
            "title": title,
            "change_url": reverse("admin:accounts_apiclient_change", args=[client.pk]),
        }

    def issue_token_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        client = self.get_object(request, str(object_id))
        form = IssueTokenForm(request.POST if request.method == "POST" else None)
        title = _("Issue an API token for %(client)s") % {"client": client.get_full_name()}
        context = self._context(request, client, title)
        if not form.is_valid():
            return TemplateResponse(
                request, "admin/accounts/apiclient/issue_token.html", {**context, "form": form}
            )
        token, key = issue(client, form.cleaned_data["name"], form.expires_at())
        self.log_change(request, client, _("Issued API token %(token)s.") % {"token": token})
        context.update(token=token, key=key, title=_("API token issued"))
        return TemplateResponse(request, "admin/accounts/apiclient/token_issued.html", context)

    def revoke_token_view(self, request: HttpRequest, object_id: int, token_id: int):
        client = self.get_object(request, str(object_id))
        token = get_object_or_404(client.api_tokens, pk=token_id)
        context = self._context(request, client, _("Revoke API token %(token)s") % {"token": token})
        if request.method != "POST":
            return TemplateResponse(
                request, "admin/accounts/apiclient/revoke_token.html", {**context, "token": token}
            )
        if token.revoke():
            self.log_change(request, client, _("Revoked API token %(token)s.") % {"token": token})
        messages.success(request, _("The token %(token)s is revoked.") % {"token": token})
        return HttpResponseRedirect(context["change_url"])


# --- Inviting colleagues ----------------------------------------------------------------------


class InvitationForm(forms.ModelForm):
    """A colleague to invite: their e-mail, the institution and the role (a person's role; API
    clients are made on their own page)."""

    institution = forms.ModelChoiceField(
        queryset=Institution.objects.none(), label=_("institution")
    )
    role = forms.ChoiceField(
        label=_("role"),
        choices=[(role.value, role.label) for role in invitations.INVITABLE_ROLES],
    )
    #: The institutions the signed-in user may choose (set per request by the admin).
    institution_choices: QuerySet[Institution] = Institution.objects.none()

    class Meta:
        model = Invitation
        fields = ("email", "institution", "role")
        help_texts = {"email": _("They need no account yet: the e-mail lets them make one.")}

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institution = cast("forms.ModelChoiceField", self.fields["institution"])
        institution.queryset = self.institution_choices

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        email, institution, role = data.get("email"), data.get("institution"), data.get("role")
        if not (email and institution and role):
            return data
        current = Membership.objects.current().filter(
            user__email__iexact=email, institution=institution, role=role
        )
        if current.exists():
            raise ValidationError(_("This person already holds this role at the institution."))
        pending = Invitation.objects.pending().filter(
            email__iexact=email, institution=institution, role=role
        )
        if pending.exists():
            raise ValidationError(
                _("This person is already invited: resend the invitation from the list.")
            )
        return data


class InvitationStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, Any]]:
        return list(Invitation.State.choices)

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        now = timezone.now()
        open_ = Q(accepted_at__isnull=True, revoked_at__isnull=True)
        by_state: dict[str, QuerySet] = {
            Invitation.State.PENDING: queryset.filter(open_, expires_at__gt=now),
            Invitation.State.ACCEPTED: queryset.filter(accepted_at__isnull=False),
            Invitation.State.REVOKED: queryset.filter(
                accepted_at__isnull=True, revoked_at__isnull=False
            ),
            Invitation.State.EXPIRED: queryset.filter(open_, expires_at__lte=now),
        }
        return by_state.get(self.value() or "", queryset)


@admin.register(Invitation)
class InvitationAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    """The coordinator's invitations of colleagues: send one (the add page), see which are
    pending, and revoke or resend them (list actions). Rows are never edited or deleted: with
    who invited, accepted or revoked, they are the record of who brought whom in."""

    form = InvitationForm
    list_display = (
        "email",
        "institution",
        "role",
        "state",
        "invited_by",
        "sent_at",
        "expires_at",
        "accepted_by",
    )
    list_select_related = ("institution", "invited_by", "accepted_by")
    list_filter = (InvitationStateFilter, "role")
    search_fields = ("email",)
    actions = ("revoke_invitations", "resend_invitations")
    fields = (
        "email",
        "institution",
        "role",
        "state",
        "invited_by",
        "created_at",
        "sent_at",
        "expires_at",
        "accepted_by",
        "accepted_at",
        "revoked_by",
        "revoked_at",
    )

    @admin.display(description=_("state"))
    def state(self, invitation: Invitation) -> str:
        return invitation.get_state_display()

    def get_queryset(self, request: HttpRequest) -> QuerySet[Invitation]:
        invitations_ = super().get_queryset(request)
        if is_site_staff(request.user):
            return invitations_
        return invitations_.filter(institution__in=coordinated_institution_ids(request.user))

    def may_manage(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        if obj is not None:
            return invitations.may_invite(request.user, obj.institution_id)
        return is_site_staff(request.user) or bool(coordinated_institution_ids(request.user))

    def has_module_permission(self, request: HttpRequest) -> bool:
        return self.may_manage(request)

    def has_view_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return self.may_manage(request, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return self.may_manage(request)

    def has_change_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Invitation | None = None) -> bool:
        return False

    # Actions need a permission Django knows; the list's actions are for those who may manage.
    def has_manage_permission(self, request: HttpRequest) -> bool:
        return self.may_manage(request)

    def get_readonly_fields(self, request: HttpRequest, obj: Invitation | None = None):
        return self.fields if obj is not None else ()

    def get_fields(self, request: HttpRequest, obj: Invitation | None = None):
        return self.fields if obj is not None else ("email", "institution", "role")

    # Django passes ``change`` by keyword, into ``kwargs``.
    def get_form(self, request: HttpRequest, obj: Invitation | None = None, **kwargs: Any):  # type: ignore[override]
        if obj is not None:
            return super().get_form(request, obj, **kwargs)
        institutions = Institution.objects.order_by("code")
        if not is_site_staff(request.user):
            institutions = institutions.filter(pk__in=coordinated_institution_ids(request.user))
        form = type("InvitationForm", (InvitationForm,), {"institution_choices": institutions})
        return super().get_form(request, obj, form=form, **kwargs)

    def save_model(self, request: HttpRequest, obj: Invitation, form, change: bool) -> None:
        # The form offers only these institutions; the service refuses a forged one.
        invitations.send_invitation(obj, acting_user=cast(User, request.user))
        messages.info(
            request, _("The invitation is on its way to %(email)s.") % {"email": obj.email}
        )

    @admin.action(description=_("Revoke the selected invitations"), permissions=["manage"])
    def revoke_invitations(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        done = 0
        for invitation in queryset:
            if invitations.revoke(invitation, acting_user=cast(User, request.user)):
                self.log_change(request, invitation, _("Revoked the invitation."))
                done += 1
        messages.success(request, _("%(count)d invitation(s) revoked.") % {"count": done})

    @admin.action(description=_("Resend the selected invitations"), permissions=["manage"])
    def resend_invitations(self, request: HttpRequest, queryset: QuerySet[Invitation]) -> None:
        done = 0
        for invitation in queryset:
            if invitations.resend(invitation, acting_user=cast(User, request.user)):
                self.log_change(request, invitation, _("Sent the invitation again."))
                done += 1
        messages.success(
            request,
            _("%(count)d invitation(s) sent again, with a new link.") % {"count": done},
        )
