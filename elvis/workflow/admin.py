"""The curators' face of every request kind: the queue, the request, and its transitions.

Built from the kind's registry entry (``elvis.workflow.kinds``), so a new kind gets a full admin
from its ``RequestKind`` alone; a kind that needs more names a subclass of ``AccessRequestAdmin``
as its ``admin`` (its own columns, filters, sections and inlines).

Curators never edit a request or its status here. Everything on the change page is read-only;
they act through the workflow (``perform``), one intermediate page per action rendering that
action's own form, and they write on the request's thread (``post_comment``). The queue is
``in_queue_of``, the same rule the API uses, and a request outside it looks exactly like a
missing one (404).
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.utils import flatten_fieldsets, label_for_field, lookup_field
from django.contrib.auth import get_user_model
from django.core.exceptions import ImproperlyConfigured, PermissionDenied, ValidationError
from django.db.models import Model, QuerySet
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from collections_app.admin import InstitutionFilter, institution_code
from collections_app.models import Collection, Institution
from collections_app.roles import handled_institution_ids, is_site_staff
from elvis.admin import (
    ElvisAdminSite,
    LabelledInlineInputs,
    NotFoundOutsideScope,
    PlainActionCheckbox,
    may_use_admin,
)

from .action_form import ActionForm
from .attachments import attachment_response
from .comments import MAX_LENGTH as COMMENT_MAX_LENGTH
from .comments import post_comment
from .errors import (
    ActionConflict,
    ActionForbidden,
    InvalidTransition,
    UnknownAction,
    WorkflowError,
)
from .events import request_opened
from .history import readable_history
from .kinds import all_kinds, kind_of
from .models import handles_requests
from .paging import BoundedCountPaginator
from .queue import DUE_SOON_DAYS, work_queue
from .requester import earlier_requests
from .service import check_allowed, perform
from .table import CURATOR, Transition

if TYPE_CHECKING:
    from .models import AccessRequest, Attachment, RequestItem, RequestItemQuerySet

# The requester must read why: these actions are never done without a comment, nor in bulk.
REASON_REQUIRED = frozenset({"request_changes", "reject", "cancel"})


def in_queue(user, obj: AccessRequest | None = None) -> bool:
    """Is ``obj`` (without one: any request) in ``user``'s queue (``in_queue_of``)?"""
    return handles_requests(user) if obj is None else obj.is_in_queue_of(user)


def error_text(error: WorkflowError | ValidationError) -> str:
    return str(error.message) if isinstance(error, WorkflowError) else " ".join(error.messages)


class StatusFilter(admin.SimpleListFilter):
    """Status, open requests by default: a queue shows the work still to do, and finished
    requests one click away ("All"). The parameter keeps the name of Django's own status
    filter, so that existing links and bookmarks (``?status__exact=submitted``) still work."""

    title = _("status")
    parameter_name = "status__exact"
    ALL = "all"
    OPEN = "open"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, Any]]:
        return list(model_admin.model._meta.get_field("status").choices)

    def value(self) -> str:
        return super().value() or self.OPEN

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value == self.ALL:
            return queryset
        if value == self.OPEN:
            return queryset.filter(status__in=kind_of(queryset.model).workflow.open_statuses)
        return queryset.filter(status=value)

    def choices(self, changelist) -> Any:
        value = self.value()
        for lookup, title in (
            (self.OPEN, _("Open (not finished)")),
            (self.ALL, _("All")),
            *self.lookup_choices,
        ):
            yield {
                "selected": value == str(lookup),
                "query_string": changelist.get_query_string({self.parameter_name: lookup}),
                "display": title,
            }


class CollectionFilter(admin.SimpleListFilter):
    """The collections of the user's institutions (a related-field filter would list all)."""

    title = _("collection")
    parameter_name = "collection"

    def lookups(self, request: HttpRequest, model_admin) -> list[tuple[str, str]]:
        collections = Collection.objects.select_related("institution").order_by(
            "institution__code", "code"
        )
        if not is_site_staff(request.user):
            collections = collections.filter(institution__in=handled_institution_ids(request.user))
        return [(str(c.pk), f"{c.institution.code}:{c.code} — {c.name}") for c in collections]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        if value is None:
            return queryset
        try:
            return queryset.filter(collections=int(value))
        except ValueError as error:
            raise IncorrectLookupParameters(error) from error


# -- read-only inlines ------------------------------------------------------------------------


def _person_column(name: str, label: str) -> Any:
    @admin.display(description=label)
    def column(inline: ReadOnlyInline, obj: Model) -> str:
        person = getattr(obj, name)
        return "—" if person is None else person.get_full_name() or person.email

    return column


class ReadOnlyInline(admin.TabularInline):
    """A read-only part of a request. It is shown only on the change page of a request the user
    handles (the page itself is scoped), so it asks the same question of that request."""

    extra = 0
    can_delete = False
    template = "admin/workflow/readonly_tabular.html"
    related: tuple[str, ...] = ()
    #: Where the change page shows it: "asked" (what was asked, and what it is made of) or
    #: "happened" (beside the history).
    section = "asked"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        """Show people (actor, author, uploader …) by name: Django would link them to the user
        admin, which the institution's curators may not open."""
        super().__init_subclass__(**kwargs)
        model = cls.__dict__.get("model")
        if model is None:
            return
        people = {
            field.name: field
            for field in model._meta.concrete_fields
            if field.is_relation and field.related_model is get_user_model()
        }
        columns = []
        for name in cls.fields or ():
            if isinstance(name, str) and name in people:
                setattr(cls, f"{name}_name", _person_column(name, people[name].verbose_name))
                name = f"{name}_name"
            columns.append(name)
        cls.fields = tuple(columns)

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return super().get_queryset(request).select_related(*self.related)

    def get_readonly_fields(self, request: HttpRequest, obj: AccessRequest | None = None):
        return self.fields

    def has_view_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return in_queue(request.user, obj)

    def has_add_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return False

    def download(self, attachment: Attachment | None) -> str:
        """A link to the request admin's scoped download view (for any of its attachments)."""
        if attachment is None:
            return "—"
        opts = self.parent_model._meta
        url = reverse(
            f"{self.admin_site.name}:{opts.app_label}_{opts.model_name}_attachment",
            args=[attachment.request_id, attachment.pk],
        )
        return format_html('<a href="{}">{}</a>', url, attachment.original_name)


class ItemInline(ReadOnlyInline):
    """The request's items: what each is, how many, then the item model's own fields."""

    @admin.display(description=_("item"))
    def item(self, item: RequestItem) -> str:
        """The specimen, or the lot's description: its count is the next column's."""
        return str(item.specimen) if item.specimen_id else item.description


class AttachmentInline(ReadOnlyInline):
    fields = ("file_link", "description", "content_type", "size", "uploaded_by", "created_at")
    related = ("uploaded_by",)

    @admin.display(description=_("file"))
    def file_link(self, attachment: Attachment) -> str:
        return self.download(attachment)


class CommentInline(ReadOnlyInline):
    fields = ("created_at", "author", "body")
    related = ("author",)
    verbose_name = _("message")
    verbose_name_plural = _("messages")
    section = "happened"


def inline_for(base: type[ReadOnlyInline], model: type[Model], **attrs: Any) -> type:
    """``base`` bound to one kind's model (its history, messages, attachments …)."""
    return type(f"{model.__name__}Inline", (base,), {"model": model, **attrs})


def item_inline(model: type[Model], parent: type[Model]) -> type[ItemInline]:
    """The items inline for ``model``: the shared columns, then the model's own fields."""
    shared = {"specimen", "description", "quantity"}
    own = [
        field
        for field in model._meta.concrete_fields
        if not field.primary_key
        and field.name not in shared
        and not (field.is_relation and field.related_model is parent)
    ]
    return inline_for(
        ItemInline,
        model,
        fields=("item", "quantity", *(field.name for field in own)),
        related=("specimen", *(field.name for field in own if field.is_relation)),
    )


# -- one action's form, and bulk actions --------------------------------------------------------


def bulk_perform(
    modeladmin: AccessRequestAdmin, request: HttpRequest, queryset: QuerySet, *, action: str
) -> None:
    """A changelist action: ``action`` on each selected request, reporting each outcome."""
    row = modeladmin.kind.workflow.transitions[action]
    done: list[str] = []
    failed: list[str] = []
    for obj in queryset:
        try:
            perform(obj, action, actor=request.user)
        except (WorkflowError, ValidationError) as error:
            failed.append(f"{obj.reference}: {error_text(error)}")
        else:
            done.append(obj.reference)
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


# -- the admin of a kind --------------------------------------------------------------------------


class AccessRequestAdmin(
    NotFoundOutsideScope, LabelledInlineInputs, PlainActionCheckbox, admin.ModelAdmin
):
    """The admin of any request kind; a kind's own ``admin`` subclasses it."""

    list_display: tuple[Any, ...] = ("reference", "title", "requester", institution_code, "status")
    list_select_related = ("requester", "institution")
    list_filter: ClassVar[tuple[Any, ...]] = ("status", CollectionFilter)
    search_fields = ("reference", "title", "requester__email", "requester__full_name")
    search_help_text = _("A reference, words of the title, or the requester's name or e-mail.")
    ordering = ("-updated_at", "-id")
    # No COUNT over every request on each load (issue #13): the count stops at a bound, and
    # the unfiltered total is not counted at all. For the same reason the creation date is a
    # filter of fixed ranges (``get_list_filter``), not a date hierarchy, whose links are a
    # MIN/MAX and a DISTINCT over every matching row.
    paginator = BoundedCountPaginator
    show_full_result_count = False

    #: The kind's own fields in the request's first section, after its status.
    summary_fields: tuple[str, ...] = ()
    #: The kind's own sections, between the request and its dates.
    kind_fieldsets: tuple[tuple[Any, dict[str, Any]], ...] = ()
    #: The kind's own read-only inlines (``ReadOnlyInline``), after the items.
    kind_inlines: tuple[type[ReadOnlyInline], ...] = ()

    def __init__(self, model: type[AccessRequest], admin_site: admin.AdminSite) -> None:
        super().__init__(model, admin_site)
        self.kind = kind_of(model)
        # Instance attributes, so that Django's admin checks validate them for every kind (the
        # stubs declare them class variables, which Django does not require).
        fieldsets = self.request_fieldsets()
        self.fieldsets = fieldsets  # type: ignore[misc,assignment]
        self.readonly_fields = tuple(flatten_fieldsets(fieldsets))  # type: ignore[misc,arg-type]
        self.inlines = self.request_inlines()  # type: ignore[misc]
        self.change_form_template = (  # type: ignore[misc]
            self.change_form_template or self.templates("change_form")
        )

    def request_fieldsets(self) -> tuple[tuple[Any, dict[str, Any]], ...]:
        """What was asked (the submitted fields), then the kind's own sections. Who, which
        status and when lead the page in its summary (``summary``), not among the fields."""
        asked = ("title", "purpose", "institution", "collections")
        return ((_("What was asked"), {"fields": asked}), *self.kind_fieldsets)

    def request_inlines(self) -> tuple[type[ReadOnlyInline], ...]:
        """Items (when the kind has them), the kind's own, attachments, then the messages (in
        "What happened", beside the readable history: ``history.readable_history``)."""

        def related(name: str) -> type[Model]:
            return self.model._meta.get_field(name).related_model

        items = (item_inline(self.kind.items, self.model),) if self.kind.items else ()
        return (
            *items,
            *self.kind_inlines,
            inline_for(AttachmentInline, related("attachments")),
            inline_for(CommentInline, related("comments")),
        )

    def summary(self, obj: AccessRequest) -> list[tuple[str, Any]]:
        """``(label, value)`` of the page's summary: the kind, status, requester, institution,
        the dates, then the kind's own ``summary_fields`` (e.g. a loan's overdue warning)."""
        rows: list[tuple[Any, Any]] = [
            (_("Kind"), capfirst(self.kind.label)),
            (_("Status"), obj.get_status_display()),
            (_("Requester"), self.requester_contact(obj)),
            (_("Institution"), obj.institution),
            (_("Created"), obj.created_at),
            (_("Submitted"), obj.submitted_at or "—"),
            (_("Updated"), obj.updated_at),
        ]
        for name in self.summary_fields:
            _field, _attr, value = lookup_field(name, obj, self)
            rows.append((label_for_field(name, self.model, self), value))
        return [(capfirst(str(label)), value) for label, value in rows]

    def templates(self, name: str) -> list[str]:
        """The kind's own template if it has one (extending the shared), else the shared."""
        return [
            f"admin/{self.opts.app_label}/{self.opts.model_name}/{name}.html",
            f"admin/workflow/{name}.html",
        ]

    # -- scope and permissions: see everything, change nothing directly -----------------------

    def get_queryset(self, request: HttpRequest) -> QuerySet:
        return (
            self.kind.queryset()
            .in_queue_of(request.user)
            .select_related("requester", "institution")
        )

    def get_list_filter(self, request: HttpRequest):
        # A kind names "status" in its filters; every kind's list then opens on the open ones.
        filters = tuple(StatusFilter if f == "status" else f for f in self.list_filter)
        created = ("created_at", admin.DateFieldListFilter)
        if is_site_staff(request.user):
            return (*filters, created, InstitutionFilter)
        return (*filters, created)

    def has_module_permission(self, request: HttpRequest) -> bool:
        return may_use_admin(request.user) and in_queue(request.user)

    def has_view_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return in_queue(request.user, obj)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: AccessRequest | None = None) -> bool:
        return request.user.is_superuser

    @admin.display(description=_("requester"))
    def requester_contact(self, obj: AccessRequest) -> str:
        # An e-mail link, not Django's link to the user admin, which curators may not open.
        requester = obj.requester
        return format_html('<a href="mailto:{}">{}</a>', requester.email, requester)

    def outstanding_items(self, obj: AccessRequest) -> QuerySet | None:
        """The items an item-wise action may pick (``ItemIdsField`` checkboxes)."""
        if self.kind.items is None:
            return None
        return cast("RequestItemQuerySet", obj.items.all()).outstanding().select_related("specimen")

    # -- bulk transitions on the changelist -------------------------------------------------

    def bulk_transitions(self) -> list[Transition]:
        """Curator actions that need no input, no reason and no confirmation: safe to do for
        many at once."""
        return [
            row
            for row in self.kind.workflow.transitions.values()
            if CURATOR in row.roles
            and row.form is None
            and row.action not in REASON_REQUIRED
            and not row.irreversible
        ]

    def get_actions(self, request: HttpRequest) -> dict[str, Any]:
        actions = super().get_actions(request)
        if request.user.is_superuser or handled_institution_ids(request.user):
            for row in self.bulk_transitions():
                # A lazy label, as Django's own actions have (the stubs want a str).
                actions[row.action] = (  # type: ignore[assignment]
                    partial(bulk_perform, action=row.action),
                    row.action,
                    row.label,
                )
        return actions

    # -- the change page: action buttons and the comment form ----------------------------------

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
        if obj is not None and request.method == "GET":
            # Staff's notifications link here: opening the request is reading them, as on the site.
            request_opened.send(sender=type(obj), access_request=obj, user=request.user)
        if obj is not None:
            context["workflow_actions"] = [
                {
                    "name": action,
                    "label": self.kind.workflow.transitions[action].label,
                    "irreversible": self.kind.workflow.transitions[action].irreversible,
                    "url": self.admin_url("action", obj.pk, action),
                }
                for action in obj.allowed_actions(request.user)
            ]
            # Set apart, as links to their confirmation page.
            context["irreversible_actions"] = [
                entry for entry in context["workflow_actions"] if entry["irreversible"]
            ]
            context["summary"] = self.summary(obj)
            context["history_lines"] = readable_history(obj)
            context["requester"] = obj.requester
            context["earlier_requests"] = earlier_requests(obj, request.user)
            if obj.actor_roles(request.user):
                context["comment_url"] = self.admin_url("comment", obj.pk)
                context["comment_max_length"] = COMMENT_MAX_LENGTH
        # ``args`` are add, change and form_url: Django passes ``obj`` by keyword.
        return super().render_change_form(request, context, *args, obj=obj, **kw)  # type: ignore[misc]

    def comment_view(self, request: HttpRequest, object_id: int) -> HttpResponse:
        obj = self.get_object(request, str(object_id))
        try:
            post_comment(obj, author=request.user, body=request.POST.get("body", ""))
        except ActionForbidden as error:
            raise PermissionDenied(error.message) from error
        except ValidationError as error:
            self.message_user(request, error_text(error), messages.ERROR)
        else:
            self.message_user(request, _("Your message was posted."), messages.SUCCESS)
        return HttpResponseRedirect(self.admin_url("change", obj.pk) + "#comments-group")

    def attachment_view(
        self, request: HttpRequest, object_id: int, attachment_id: int
    ) -> FileResponse:
        obj = self.get_object(request, str(object_id))
        attachment = get_object_or_404(obj.attachments, pk=attachment_id)
        return attachment_response(attachment)

    # -- one transition: its form, then perform ---------------------------------------------

    def action_view(self, request: HttpRequest, object_id: int, action: str) -> HttpResponse:
        obj = self.get_object(request, str(object_id))
        change_url = self.admin_url("change", obj.pk)
        try:
            row = check_allowed(obj, action, actor=request.user)
        except UnknownAction as error:
            raise Http404(error.message) from error
        except ActionForbidden as error:
            raise PermissionDenied(error.message) from error
        except (InvalidTransition, ActionConflict) as error:  # the state or the data moved on
            self.message_user(request, error.message, messages.ERROR)
            return HttpResponseRedirect(change_url)

        form = ActionForm(
            row,
            request.POST if request.method == "POST" else None,
            items=self.outstanding_items(obj),
            reason_required=action in REASON_REQUIRED,
        )
        # An irreversible action is done only from its page's confirming button (``confirm=1``).
        confirmed = not row.irreversible or request.POST.get("confirm") == "1"
        if form.is_bound and confirmed and form.is_valid():
            comment = form.cleaned_data["comment"]
            try:
                obj = perform(
                    obj, action, actor=request.user, comment=comment, **form.action_data()
                )
            except ActionForbidden as error:
                raise PermissionDenied(error.message) from error
            except ActionConflict as error:  # clashes with other data: fix the input here
                form.add_error(None, error.message)
            except WorkflowError as error:  # InvalidTransition: the state moved on
                self.message_user(request, error.message, messages.ERROR)
                return HttpResponseRedirect(change_url)
            except ValidationError as error:
                self.add_errors(form, error)
            else:
                self.message_user(
                    request,
                    _("%(reference)s: %(action)s done; the request is now %(status)s.")
                    % {
                        "reference": obj.reference,
                        "action": row.label,
                        "status": obj.get_status_display().lower(),
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(change_url)
        request.current_app = self.admin_site.name
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "original": obj,
            "title": _("%(action)s: %(request)s") % {"action": row.label, "request": obj},
            "transition": row,
            "target_label": dict(self.kind.statuses).get(row.target or "", row.target or ""),
            "form": form,
            "change_url": change_url,
        }
        return TemplateResponse(request, self.templates("action_form"), context)

    @staticmethod
    def add_errors(form: forms.Form, error: ValidationError) -> None:
        """Errors ``perform`` found (the action's own checks) go back onto the form."""
        if not hasattr(error, "error_dict"):
            form.add_error(None, error)
            return
        for field, errors in error.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)


def queue_context(request: HttpRequest, site: admin.AdminSite) -> dict[str, Any]:
    """The admin home page's work queue (``elvis.workflow.queue``) with its links: each status
    to the kind's list filtered on it, each due request to its page. Empty for a user who
    handles no requests (their home page is the app list alone)."""
    if not handles_requests(request.user):
        return {}
    queue = []
    for entry in work_queue(request.user):
        meta = entry.kind.model._meta
        names = f"{site.name}:{meta.app_label}_{meta.model_name}"
        queue.append(
            {
                "queue": entry,
                "changelist": reverse(f"{names}_changelist"),
                "change": f"{names}_change",
            }
        )
    institutions = (
        []
        if is_site_staff(request.user)
        else list(
            Institution.objects.filter(pk__in=handled_institution_ids(request.user))
            .order_by("code")
            .values_list("code", flat=True)
        )
    )
    return {"work_queue": queue, "queue_institutions": institutions, "due_soon_days": DUE_SOON_DAYS}


def register_kind_admins(site: admin.AdminSite | None = None) -> None:
    """Give every registered kind its admin: its own ``admin`` class, or the shared one.

    Called once the kinds are registered (``WorkflowConfig.ready``), whatever the order in
    which the admin and the kinds' apps are installed.
    """
    site = site or admin.site
    if isinstance(site, ElvisAdminSite) and queue_context not in site.index_sections:
        site.index_sections.append(queue_context)
    for kind in all_kinds():
        model_admin = kind.admin or AccessRequestAdmin
        if not issubclass(model_admin, AccessRequestAdmin):
            raise ImproperlyConfigured(
                f"Kind {kind.name!r}: its admin must subclass AccessRequestAdmin."
            )
        site.register(kind.model, model_admin)
