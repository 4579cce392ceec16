"""User admin for site staff, and the admin login form that lets institution staff in.

Coordinators never browse users. They only need to pick one when adding a member or a contact
curator, through the autocomplete endpoint, and there they find their own institutions' members
by any search and anyone else only by typing the exact e-mail address. So no one can list the
site's users, while a coordinator who knows a colleague's address can still add them. (A raw-id
widget would be worse: it shows the user behind any id typed, so ids could be walked.)
"""

from __future__ import annotations

from django.contrib import admin
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, AuthenticationForm, UserChangeForm
from django.core.exceptions import ValidationError
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from collections_app.scoping import coordinated_institution_ids, is_site_staff
from elvis.admin import is_autocomplete, may_use_admin

from .models import User


class AdminLoginForm(AdminAuthenticationForm):
    """The admin login, open to institution members as well as site staff."""

    def confirm_login_allowed(self, user: User) -> None:
        # AuthenticationForm's check (active accounts), not AdminAuthenticationForm's is_staff.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


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
            {"fields": ("full_name", "orcid", "home_institution_name", "home_institution")},
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
