"""The admin site: open to site staff and to institution curators and coordinators.

Institution staff get admin access through their ``Membership`` rows, not through the
``is_staff`` flag, so the site's permission check and login form ask the role vocabulary
(``collections_app.roles``). The app configuration lives in ``elvis.apps`` (it is imported while
apps load); this module is imported only once they are loaded.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib.admin import AdminSite, ModelAdmin, TabularInline, helpers
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from collections_app.roles import institution_ids, is_site_staff

if TYPE_CHECKING:
    from django.http import HttpRequest
    from django.template.response import TemplateResponse


def may_use_admin(user) -> bool:
    """Site staff, and active curators or coordinators of any institution."""
    return is_site_staff(user) or bool(institution_ids(user))


def is_autocomplete(request: HttpRequest) -> bool:
    """Is this the admin's autocomplete endpoint (which feeds the choices of edit forms)?"""
    match = request.resolver_match
    return bool(match and match.url_name == "autocomplete" and "admin" in match.namespaces)


class AdminLoginForm(AdminAuthenticationForm):
    """The admin login, open to institution members as well as site staff."""

    def confirm_login_allowed(self, user) -> None:
        # AuthenticationForm's check (active accounts), not AdminAuthenticationForm's is_staff.
        AuthenticationForm.confirm_login_allowed(self, user)
        if not may_use_admin(user):
            raise ValidationError(
                self.error_messages["invalid_login"],
                code="invalid_login",
                params={"username": self.username_field.verbose_name},
            )


class ElvisAdminSite(AdminSite):
    site_header = _("ELViS administration")
    site_title = _("ELViS administration")
    index_title = _("Registry and accounts")
    login_form = AdminLoginForm
    index_template = "admin/elvis_index.html"

    def has_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        #: The home page's sections above the app list, each ``(request, site) -> context``:
        #: the workflow core adds the work queue (``elvis.workflow.admin.queue_context``).
        self.index_sections: list[Callable[[HttpRequest, AdminSite], dict[str, Any]]] = []

    def index(self, request: HttpRequest, extra_context: dict | None = None) -> TemplateResponse:
        context: dict[str, Any] = {}
        for section in self.index_sections:
            context.update(section(request, self))
        return super().index(request, {**context, **(extra_context or {})})

    def register(self, model_or_iterable, admin_class=None, **options) -> None:
        """Every ModelAdmin — ours, Django's (groups), third parties' (axes), and any added
        later — answers 404 for objects the user may not see (``NotFoundOutsideScope``), and
        names the inputs of its tabular inlines (``LabelledInlineInputs``), and writes its
        rows' action checkboxes without templates (``PlainActionCheckbox``)."""
        admin_class = admin_class or ModelAdmin
        mixins = tuple(
            mixin
            for mixin in (NotFoundOutsideScope, LabelledInlineInputs, PlainActionCheckbox)
            if not issubclass(admin_class, mixin)
        )
        if mixins:
            admin_class = type(
                admin_class.__name__,
                (*mixins, admin_class),
                {"__module__": admin_class.__module__, "__doc__": admin_class.__doc__},
            )
        super().register(model_or_iterable, admin_class, **options)


class NotFoundOutsideScope:
    """ModelAdmin mixin: an object the user may not see answers 404 on every page of its own
    (change, history, delete and custom object views), exactly like a missing one — never a
    403 that confirms it exists (DESIGN.md §3: 404 when the caller may not see it).

    "May not see" is either of the admin's two answers: the object is outside the user's
    queryset (``get_queryset``), or the admin refuses to show it (``has_view_permission``
    and ``has_change_permission`` both false for it, e.g. a user account to a coordinator).
    A user who may see the object but not do what they ask still gets Django's 403.
    ``ElvisAdminSite.register`` mixes this into every registered ModelAdmin."""

    def get_object(self, request: HttpRequest, object_id: str, from_field: str | None = None):
        obj = super().get_object(request, object_id, from_field)  # type: ignore[misc]
        if obj is None or not self.has_view_or_change_permission(request, obj):  # type: ignore[attr-defined]
            raise Http404(_("Not found."))
        return obj


#: Django's own text for a row's checkbox, translated by Django's catalogue (a name, not a
#: literal, so that ``makemessages`` leaves it out of ours).
_DJANGO_S_CHECKBOX_LABEL = "Select this object for an action - {}"


class PlainActionCheckbox:
    """ModelAdmin mixin: each row's action checkbox written as its markup, not through the
    form renderer's templates.

    Django renders the checkbox of every row of a change list as a ``CheckboxInput`` widget,
    two templates deep: about a millisecond a row, 28 % of a 100-row request queue's page
    (bench/README.md). The markup is the widget's own, attribute for attribute, the label
    escaped once as Django escapes it. ``ElvisAdminSite.register`` mixes this into every
    registered ModelAdmin."""

    def action_checkbox(self, obj: Any) -> SafeString:
        label = format_html(gettext(_DJANGO_S_CHECKBOX_LABEL), str(obj))
        return format_html(
            '<input type="checkbox" name="{}" value="{}" class="action-select" aria-label="{}">',
            helpers.ACTION_CHECKBOX_NAME,
            str(obj.pk),
            label,
        )


class NamedInputs:
    """Formset mixin: each visible input is named by its field's label (``aria-label``)."""

    def add_fields(self, form, index: int | None) -> None:
        super().add_fields(form, index)  # type: ignore[misc]
        for field in form.fields.values():
            if field.label and not field.widget.is_hidden:
                field.widget.attrs.setdefault("aria-label", str(field.label))


class LabelledInlineInputs:
    """ModelAdmin mixin: the inputs of its tabular inlines have accessible names.

    A tabular inline shows each field's label once, as a column heading, and renders the rows'
    inputs without a ``<label>``: a screen reader announced "edit text" for each of them (the
    accessibility audit of issue #10 counted 69 on one institution's page). Each input, the
    rows' "Delete" boxes included, gets its column's label. ``ElvisAdminSite.register`` mixes
    this into every registered ModelAdmin, so an inline added later is covered too.
    """

    def get_formsets_with_inlines(self, request: HttpRequest, obj=None):
        for formset, inline in super().get_formsets_with_inlines(request, obj):  # type: ignore[misc]
            if isinstance(inline, TabularInline):
                formset = type(formset.__name__, (NamedInputs, formset), {})
            yield formset, inline
