"""The curators' face for loans: their institution's queue, the request, and its transitions.

Curators never edit a request or its status here. Everything on the change page is read-only;
they act through the workflow (``perform``), one intermediate page per action rendering that
action's own form, and they write on the request's thread (``post_comment``). The queue is
``for_institution_staff``, the same rule the API uses, and another institution's request looks
exactly like a missing one (404).
"""

from __future__ import annotations

from functools import partial
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from collections_app.admin import InstitutionFilter, institution_code
from collections_app.models import Collection
from collections_app.scoping import is_site_staff
from elvis.admin import NotFoundOutsideScope, may_use_admin
from elvis.workflow.attachments import attachment_response
from elvis.workflow.comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from elvis.workflow.comments import post_comment
from elvis.workflow.errors import ActionForbidden, InvalidTransition, UnknownAction, WorkflowError
from elvis.workflow.models import staff_institution_ids
from elvis.workflow.service import check_allowed, perform
from elvis.workflow.table import CURATOR, Transition

from .models import LoanAttachment, LoanComment, LoanHistory, LoanItem, LoanRequest, Permit
from .workflow import LOAN_WORKFLOW, IdListField

# The requester must read why: these actions are never done without a comment, nor in bulk.
REASON_REQUIRED = frozenset({"request_changes", "reject", "cancel"})


def in_queue(user, loan: LoanRequest | None = None) -> bool:
    """Is ``loan`` (without one: any loan) in ``user``'s queue? As ``for_institution_staff``."""
    if is_site_staff(user):
        return True
    ids = staff_institution_ids(user)
    return bool(ids) if loan is None else loan.institution_id in ids


def error_text(error: WorkflowError | ValidationError) -> str:
    return error.message if isinstance(error, WorkflowError) else " ".join(error.messages)


class OverdueFilter(admin.SimpleListFilter):
    title = _("overdue")
    parameter_name = "overdue"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        return [("yes", _("Overdue")), ("no", _("Not overdue"))]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        if value not in ("yes", "no"):
            raise IncorrectLookupParameters(value)
        return queryset.overdue(value == "yes")


class CollectionFilter(admin.SimpleListFilter):
    """The collections of the user's institutions (a related-field filter would list all)."""

    title = _("collection")
    parameter_name = "collection"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        collections = Collection.objects.select_related("institution").order_by(
            "institution__code", "code"
        )
        if not is_site_staff(request.user):
            collections = collections.filter(institution__in=staff_institution_ids(request.user))
        return [(str(c.pk), f"{c.institution.code}:{c.code} — {c.name}") for c in collections]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        if self.value() is None:
            return queryset
        try:
            return queryset.filter(collections=int(self.value()))
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


class ReadOnlyInline(admin.TabularInline):
    """A read-only part of a request. It is shown only on the change page of a loan the user
    handles (the page itself is scoped), so it asks the same question of that loan."""

    extra = 0
    can_delete = False
    related: tuple[str, ...] = ()

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.related)

    def get_readonly_fields(self, request: HttpRequest, obj: LoanRequest | None = None):
        return self.fields

    def has_view_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return in_queue(request.user, obj)

    def has_add_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return False

    def download(self, attachment: LoanAttachment | None) -> str:
        """A link to the staff-only download view of the loan admin."""
        if attachment is None:
            return "—"
        url = reverse(
            f"{self.admin_site.name}:loans_loanrequest_attachment",
            args=[attachment.request_id, attachment.pk],
        )
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)


class ItemInline(ReadOnlyInline):
    model = LoanItem
    fields = ("item", "quantity", "returned_on", "return_condition", "received_by")
    related = ("specimen", "received_by")

    @admin.display(description=_("item"))
    def item(self, item: LoanItem) -> str:
        return str(item)


class PermitInline(ReadOnlyInline):
    model = Permit
    fields = ("type", "number", "issuing_authority", "valid_from", "valid_until", "document_link")
    related = ("document",)

    @admin.display(description=_("document"))
    def document_link(self, permit: Permit) -> str:
        return self.download(permit.document)


class AttachmentInline(ReadOnlyInline):
    model = LoanAttachment
    fields = ("file_link", "description", "content_type", "size", "uploaded_by", "created_at")
    related = ("uploaded_by",)

    @admin.display(description=_("file"))
    def file_link(self, attachment: LoanAttachment) -> str:
        return self.download(attachment)


class HistoryInline(ReadOnlyInline):
    model = LoanHistory
    fields = ("created_at", "actor", "action", "from_status", "to_status", "comment", "data")
    related = ("actor",)


class CommentInline(ReadOnlyInline):
    model = LoanComment
    fields = ("created_at", "author", "body")
    related = ("author",)
    verbose_name = _("message")
    verbose_name_plural = _("messages")


class ActionForm(forms.Form):
    """Mixed into an action's own form: the comment, date pickers, and item checkboxes."""

    required_css_class = "required"

    def __init__(self, *args: Any, loan: LoanRequest, reason_required: bool, **kwargs: Any):
        super().__init__(*args, **kwargs)
        outstanding = loan.items.filter(returned_on__isnull=True).select_related("specimen")
        for name, field in list(self.fields.items()):
            if isinstance(field, forms.DateField):
                field.widget = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
            elif isinstance(field, IdListField):
                # The curator ticks which of the items still out came back.
                self.fields[name] = forms.TypedMultipleChoiceField(
                    label=field.label,
                    coerce=int,
                    required=False,  # the action's own form says "choose at least one"
                    choices=[(item.pk, str(item)) for item in outstanding],
                    widget=forms.CheckboxSelectMultiple,
                )
        self.fields["comment"] = forms.CharField(
            label=_("Comment"),
            required=reason_required,
            max_length=COMMENT_MAX_LENGTH,
            widget=forms.Textarea(attrs={"rows": 4}),
            help_text=_("The requester reads it in the request's history and in the e-mail."),
        )


def action_form_class(row: Transition) -> type[forms.Form]:
    bases = (ActionForm,) if row.form is None else (ActionForm, row.form)
    return type(f"{row.action.title().replace('_', '')}AdminForm", bases, {})


def bulk_perform(modeladmin: LoanRequestAdmin, request: HttpRequest, queryset, *, action: str):
    """A changelist action: ``action`` on each selected request, reporting each outcome."""
    row = LOAN_WORKFLOW.transitions[action]
    done: list[str] = []
    failed: list[str] = []
    for loan in queryset:
        try:
            perform(loan, action, actor=request.user)
        except (WorkflowError, ValidationError) as error:
            failed.append(f"{loan.reference}: {error_text(error)}")
        else:
            done.append(loan.reference)
    if done:
        modeladmin.message_user(
            request,
            ngettext(
                "%(action)s: %(count)d request done (%(references)s).",
                "%(action)s: %(count)d requests done (%(references)s).",
                len(done),
            )
            % {"action": row.label, "count": len(done), "references": ", ".join(done)},
            messages.SUCCESS,
        )
    if failed:
        modeladmin.message_user(
            request,
            ngettext(
                "%(action)s failed for %(count)d request: %(reasons)s",
                "%(action)s failed for %(count)d requests: %(reasons)s",
                len(failed),
            )
            % {"action": row.label, "count": len(failed), "reasons": " · ".join(failed)},
            messages.ERROR,
        )


@admin.register(LoanRequest)
class LoanRequestAdmin(NotFoundOutsideScope, admin.ModelAdmin):
    list_display = (
        "reference",
        "title",
        "requester",
        institution_code,
        "status",
        "due_date",
        "overdue_flag",
    )
    list_select_related = ("requester", "institution")
    list_filter = ("status", OverdueFilter, CollectionFilter)
    search_fields = ("reference", "title", "requester__email", "requester__full_name")
    search_help_text = _("A reference, words of the title, or the requester's name or e-mail.")
    date_hierarchy = "created_at"
    ordering = ("-updated_at", "-id")
    fieldsets = (
        (
            None,
            {
                "fields": (
                    "reference",
                    "status",
                    "overdue_flag",
                    "title",
                    "purpose",
                    "requester_contact",
                    "institution",
                    "collections",
                )
            },
        ),
        (
            _("Period and shipping"),
            {
                "fields": (
                    "requested_start",
                    "requested_end",
                    "borrower_institution",
                    "shipping_address",
                )
            },
        ),
        (
            _("Dispatch and return"),
            {
                "fields": (
                    "carrier",
                    "tracking_number",
                    "shipped_on",
                    "due_date",
                    "original_due_date",
                    "received_on",
                    "returned_on",
                )
            },
        ),
        (_("Dates"), {"fields": ("created_at", "submitted_at", "updated_at")}),
    )
    inlines = (ItemInline, PermitInline, AttachmentInline, HistoryInline, CommentInline)

    # -- scope and permissions: see everything, change nothing directly -------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            LoanRequest.objects.for_institution_staff(request.user)
            .with_overdue()
            .select_related("requester", "institution")
        )

    def get_list_filter(self, request: HttpRequest):
        if is_site_staff(request.user):
            return (*self.list_filter, InstitutionFilter)
        return self.list_filter

    def get_readonly_fields(self, request: HttpRequest, obj: LoanRequest | None = None):
        return flatten_fieldsets(self.fieldsets)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user) and in_queue(request.user)

    def has_view_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return in_queue(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: LoanRequest | None = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("overdue"), boolean=True, ordering="overdue")
    def overdue_flag(self, loan: LoanRequest) -> bool:
        return loan.overdue

    @admin.display(description=_("requester"))
    def requester_contact(self, loan: LoanRequest) -> str:
        # An e-mail link, not Django's link to the user admin, which curators may not open.
        requester = loan.requester
        return format_html('<a href="mailto:{}">{}</a>', requester.email, requester)

    # -- bulk transitions on the changelist ----------------------------------------------

    @staticmethod
    def bulk_transitions() -> list[Transition]:
        """Curator actions that need no input and no reason: safe to do for many at once."""
        return [
            row
            for row in LOAN_WORKFLOW.transitions.values()
            if CURATOR in row.roles and row.form is None and row.action not in REASON_REQUIRED
        ]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if request.user.is_superuser or staff_institution_ids(request.user):
            for row in self.bulk_transitions():
                actions[row.action] = (
                    partial(bulk_perform, action=row.action),
                    row.action,
                    row.label,
                )
        return actions

    # -- the change page: action buttons and the comment form ------------------------------

    def url_name(self, view: str) -> str:
        return f"{self.opts.app_label}_{self.opts.model_name}_{view}"

    def get_urls(self) -> list:
        view = self.admin_site.admin_view
        return [
            path(
                "<int:object_id>/action/<slug:action>/",
                view(self.action_view),
                name=self.url_name("action"),
            ),
            path(
                "<int:object_id>/comment/",
                view(require_POST(self.comment_view)),
                name=self.url_name("comment"),
            ),
            path(
                "<int:object_id>/attachment/<int:attachment_id>/",
                view(self.attachment_view),
                name=self.url_name("attachment"),
            ),
            *super().get_urls(),
        ]

    def admin_url(self, view: str, *args: Any) -> str:
        return reverse(f"{self.admin_site.name}:{self.url_name(view)}", args=args)

    def render_change_form(self, request: HttpRequest, context: dict, *args: Any, obj=None, **kw):
        if obj is not None:
            context["workflow_actions"] = [
                {
                    "name": action,
                    "label": LOAN_WORKFLOW.transitions[action].label,
                    "url": self.admin_url("action", obj.pk, action),
                }
                for action in obj.allowed_actions(request.user)
            ]
            if obj.actor_roles(request.user):
                context["comment_url"] = self.admin_url("comment", obj.pk)
                context["comment_max_length"] = COMMENT_MAX_LENGTH
        return super().render_change_form(request, context, *args, obj=obj, **kw)

    def comment_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        loan = self.get_object(request, str(object_id))
        try:
            post_comment(loan, author=request.user, body=request.POST.get("body", ""))
        except ActionForbidden as error:
            raise PermissionDenied(error.message) from error
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
        else:
            self.message_user(request, _("Your message was posted."), messages.SUCCESS)
        return HttpResponseRedirect(self.admin_url("change", loan.pk) + "#comments-group")

    def attachment_view(
        self, request: HttpRequest, object_id: int, attachment_id: int
    ) -> FileResponse:
        loan = self.get_object(request, str(object_id))
        attachment = get_object_or_404(loan.attachments, pk=attachment_id)
        return attachment_response(attachment)

    # -- one transition: its form, then perform ----------------------------------------------

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        loan = self.get_object(request, str(object_id))
        change_url = self.admin_url("change", loan.pk)
        try:
            row = check_allowed(loan, action, actor=request.user)
        except UnknownAction as error:
            raise Http404(error.message) from error
        except ActionForbidden as error:
            raise PermissionDenied(error.message) from error
        except InvalidTransition as error:
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)

        form_class = action_form_class(row)
        kwargs = {"loan": loan, "reason_required": action in REASON_REQUIRED}
        form = form_class(request.POST if request.method == "POST" else None, **kwargs)
        if form.is_bound and form.is_valid():
            data = dict(form.cleaned_data)
            comment = data.pop("comment")
            try:
                loan = perform(loan, action, actor=request.user, comment=comment, **data)
            except ActionForbidden as error:
                raise PermissionDenied(error.message) from error
            except WorkflowError as error:  # InvalidTransition, ActionConflict
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(change_url)
            except ValidationError as error:
                self.add_errors(form, error)
            else:
                self.message_user(
                    request,
                    _("%(reference)s: %(action)s done; the request is now %(status)s.")
                    % {
                        "reference": loan.reference,
                        "action": row.label,
                        "status": loan.get_status_display().lower(),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": loan,
            "title": _("%(action)s: %(request)s") % {"action": row.label, "request": loan},
            "transition": row,
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, "admin/loans/loanrequest/action_form.html", context)

    @staticmethod
    def add_errors(form: forms.Form, error: ValidationError) -> None:
        """Errors ``perform`` found (the action's own checks) go back onto the form."""
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
