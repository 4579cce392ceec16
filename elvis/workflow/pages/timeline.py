"""A request's timeline, for every kind: status and next step, items, files, history and
messages, with the requester's actions as forms; and the POSTs those forms send.

Every page finds the request through ``visible_to`` (invisible requests are 404) and changes
status only through ``perform``. Institution staff see the timeline read-only (with the
message thread and the files): they act in the admin.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.db.models import Field
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views import View

from elvis.workflow.attachments import AttachmentTooLarge, attachment_response, save_attachment
from elvis.workflow.comments import post_comment
from elvis.workflow.errors import ActionForbidden, WorkflowError
from elvis.workflow.events import request_opened
from elvis.workflow.history import label_history
from elvis.workflow.models import AccessRequest
from elvis.workflow.service import check_allowed, perform
from elvis.workflow.table import REQUESTER, Transition

from ..action_form import ActionForm
from .base import KindPageMixin
from .editor import FIXED_FIELDS, SHARED_FIELDS, RequestEditor
from .forms import AttachmentForm, CommentForm, messages_by_field


def page_actions(kind) -> list[str]:
    """The actions these pages offer: the requester's (curators act in the admin)."""
    return [name for name, row in kind.workflow.transitions.items() if REQUESTER in row.roles]


def own_details(access_request: AccessRequest) -> list[tuple[str, object]]:
    """``(label, value)`` of the kind's own editable fields, for a kind without a template."""
    details = []
    for field in access_request._meta.concrete_fields:
        if not field.editable or field.primary_key or field.name in (*SHARED_FIELDS, *FIXED_FIELDS):
            continue
        display = getattr(access_request, f"get_{field.name}_display", None)
        value = display() if display else getattr(access_request, field.name)
        details.append((str(field.verbose_name).capitalize(), value))
    return details


@dataclass(frozen=True)
class InstitutionWord:
    """What the institution last said to the requester: a history comment or a message."""

    author: Any
    created_at: datetime
    text: str


def word_awaiting_requester(
    access_request: AccessRequest, history: list[Any], comments: list[Any]
) -> InstitutionWord | None:
    """The institution's latest comment since the request reached its status, when that
    status waits on the requester: the reason they must act on, which would otherwise be
    buried in the history (a request sent back for changes says why only there)."""
    if not access_request.workflow.waits_on_requester(access_request.status):
        return None
    arrivals = [entry for entry in history if entry.to_status == access_request.status]
    if not arrivals:  # a draft never sent: nobody but the requester has spoken
        return None
    since = arrivals[-1].created_at
    said = [
        InstitutionWord(entry.actor, entry.created_at, entry.comment)
        for entry in history
        if entry.comment
        and entry.actor_id != access_request.requester_id
        and entry.created_at >= since
    ] + [
        InstitutionWord(comment.author, comment.created_at, comment.body)
        for comment in comments
        if comment.author_id != access_request.requester_id and comment.created_at >= since
    ]
    return max(said, key=lambda word: word.created_at, default=None)


class TimelineMixin(KindPageMixin):
    """Finds the visible request and renders its timeline, with any form that failed."""

    def get_request(self, pk: int) -> AccessRequest:
        return get_object_or_404(self.visible_requests(), pk=pk)

    def redirect_to(self, access_request: AccessRequest, anchor: str = "") -> HttpResponse:
        return redirect(access_request.get_absolute_url() + (f"#{anchor}" if anchor else ""))

    def render_timeline(
        self, access_request: AccessRequest, *, status: int = 200, **forms: Any
    ) -> HttpResponse:
        kind, user = self.kind, self.request.user
        roles = access_request.actor_roles(user)
        history = list(access_request.history.select_related("actor"))
        comments = list(access_request.comments.select_related("author"))
        label_history(kind, history)
        failed = forms.pop("action_form", None)
        offered = page_actions(kind)
        allowed = [name for name in access_request.allowed_actions(user) if name in offered]
        transitions = kind.workflow.transitions
        actions = [
            failed
            if failed is not None and failed.transition.action == name
            else ActionForm(transitions[name], auto_id=f"{name}-%s")
            for name in allowed
            if not transitions[name].irreversible
        ]
        # Irreversible actions are links to their confirmation page, set apart from the others.
        irreversible = [transitions[name] for name in allowed if transitions[name].irreversible]
        items = None
        if kind.items is not None:
            items = access_request.items.select_related("specimen__collection")
        editor = kind.editor or RequestEditor
        context = self.page_context(
            access_request=access_request,
            is_requester=REQUESTER in roles,
            participates=bool(roles),
            can_edit=REQUESTER in roles and access_request.is_editable_draft,
            next_step=kind.next_step(access_request.status),
            actions=actions,
            irreversible_actions=irreversible,
            collections=access_request.collections.all(),
            own_details=own_details(access_request),
            items=items,
            attachments=access_request.attachments.select_related("uploaded_by"),
            history=history,
            comments=comments,
            institution_word=(
                word_awaiting_requester(access_request, history, comments)
                if REQUESTER in roles
                else None
            ),
            comment_form=forms.pop("comment_form", None) or CommentForm(),
            upload_form=forms.pop("upload_form", None) or AttachmentForm(),
            **editor.timeline_context(access_request, history=history),
        )
        return render(
            self.request, self.templates("detail", "request_detail"), context, status=status
        )


class RequestDetailView(TimelineMixin, View):
    def get(self, http_request: HttpRequest, pk: int) -> HttpResponse:
        access_request = self.get_request(pk)
        request_opened.send(
            sender=type(access_request), access_request=access_request, user=http_request.user
        )
        return self.render_timeline(access_request)


#: The field of an irreversible action's confirmation page that says "yes, do it".
CONFIRM = "confirm"


class RequestActionView(TimelineMixin, View):
    """POST one of the requester's actions; state conflicts become a message, not an error.

    An irreversible action (``Transition.irreversible``) is done only from its confirmation
    page (GET, or a POST without ``confirm=1``), which names what cannot be undone: no
    JavaScript is needed to keep a slip of the mouse from withdrawing a request.
    """

    def get(self, http_request: HttpRequest, pk: int, action: str) -> HttpResponse:
        access_request = self.get_request(pk)
        row = self.transition(action)
        if not row.irreversible:
            return self.redirect_to(access_request)
        return self.confirm(access_request, ActionForm(row, auto_id=f"{action}-%s"))

    def transition(self, action: str) -> Transition:
        if action not in page_actions(self.kind):
            raise Http404(_("No such action."))
        return self.kind.workflow.transitions[action]

    def confirm(
        self, access_request: AccessRequest, form: ActionForm, *, status: int = 200
    ) -> HttpResponse:
        """The confirmation page of an irreversible action, with its comment box."""
        try:
            check_allowed(access_request, form.transition.action, actor=self.request.user)
        except ActionForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except WorkflowError as exc:
            messages.error(self.request, exc.message)
            return self.redirect_to(access_request)
        if access_request.submitted_at is None:
            form.for_a_request_never_submitted()
        target = form.transition.target
        context = self.page_context(
            access_request=access_request,
            form=form,
            transition=form.transition,
            target_label=dict(self.kind.statuses).get(target, target) if target else "",
        )
        return render(
            self.request,
            self.templates("action_confirm", "request_confirm"),
            context,
            status=status,
        )

    def post(self, http_request: HttpRequest, pk: int, action: str) -> HttpResponse:
        access_request = self.get_request(pk)
        row = self.transition(action)
        confirmed = http_request.POST.get(CONFIRM) == "1"
        form = ActionForm(row, http_request.POST, auto_id=f"{action}-%s")
        if row.irreversible and not confirmed:
            return self.confirm(access_request, ActionForm(row, auto_id=f"{action}-%s"))
        try:
            check_allowed(access_request, action, actor=http_request.user)
            if not form.is_valid():
                return self.show_failed(access_request, form)
            access_request = perform(
                access_request,
                action,
                actor=http_request.user,
                comment=form.cleaned_data["comment"],
                **form.action_data(),
            )
        except ActionForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except WorkflowError as exc:
            messages.error(http_request, exc.message)
            return self.redirect_to(access_request)
        except ValidationError as exc:
            for field, field_messages in messages_by_field(exc).items():
                target = field if field in form.fields else None
                if target is None and field != NON_FIELD_ERRORS:
                    label = self.field_label(field)
                    field_messages = [f"{label}: {message}" for message in field_messages]
                form.add_error(target, field_messages)
            return self.show_failed(access_request, form)
        messages.success(
            http_request,
            _("Done: %(action)s. The request is now %(status)s.")
            % {
                "action": form.transition.label.lower(),
                "status": access_request.get_status_display().lower(),
            },
        )
        return self.redirect_to(access_request)

    def show_failed(self, access_request: AccessRequest, form: ActionForm) -> HttpResponse:
        """The form with its errors, where it was sent from: its confirmation page or the
        timeline."""
        if form.transition.irreversible:
            return self.confirm(access_request, form, status=400)
        return self.render_timeline(access_request, status=400, action_form=form)

    def field_label(self, name: str) -> str:
        """A request field's label for an error that belongs to no field of the action's form."""
        if name == "items":
            return str(_("Items"))
        try:
            field = cast("Field", self.kind.model._meta.get_field(name))  # a column, not a relation
            return str(field.verbose_name).capitalize()
        except FieldDoesNotExist:
            return name


class CommentView(TimelineMixin, View):
    def post(self, http_request: HttpRequest, pk: int) -> HttpResponse:
        access_request = self.get_request(pk)
        form = CommentForm(http_request.POST)
        if form.is_valid():
            try:
                post_comment(
                    access_request, author=http_request.user, body=form.cleaned_data["body"]
                )
            except ActionForbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(http_request, _("Your message is posted."))
                return self.redirect_to(access_request, "messages")
        return self.render_timeline(access_request, status=400, comment_form=form)


class AttachmentUploadView(TimelineMixin, View):
    """The requester and the institution's staff attach documents (PDF or images)."""

    def post(self, http_request: HttpRequest, pk: int) -> HttpResponse:
        access_request = self.get_request(pk)
        if not access_request.actor_roles(http_request.user):
            raise PermissionDenied(_("You may not add files to this request."))
        form = AttachmentForm(http_request.POST, http_request.FILES)
        if not form.is_valid():
            too_large = form.has_error("file", code="too_large")
            return self.render_timeline(
                access_request, status=413 if too_large else 400, upload_form=form
            )
        try:
            attachment = save_attachment(
                access_request,
                upload=form.cleaned_data["file"],
                uploaded_by=http_request.user,
                description=form.cleaned_data["description"],
            )
        except AttachmentTooLarge as exc:
            form.add_error("file", exc)
            return self.render_timeline(access_request, status=413, upload_form=form)
        messages.success(
            http_request, _("“%(name)s” is attached.") % {"name": attachment.original_name}
        )
        return self.redirect_to(access_request, "attachments")


class AttachmentDownloadView(KindPageMixin, View):
    """Files are served only to those who see the request (others get 404), as downloads."""

    def get(self, http_request: HttpRequest, pk: int, att_pk: int) -> FileResponse:
        model = self.kind.model
        # The abstract base has no ``attachments``: every kind's concrete model has.
        attachments = model._meta.get_field("attachments").related_model  # type: ignore[misc]
        attachment = get_object_or_404(
            attachments.objects.filter(request__in=model.objects.visible_to(http_request.user)),
            pk=att_pk,
            request_id=pk,
        )
        return attachment_response(attachment)
