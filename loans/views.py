"""The researcher's loan pages: my requests, the request form, the timeline and its actions.

Every page finds loans through ``visible_to`` (invisible loans are 404) and changes status only
through ``perform``; the workflow's errors become messages or form errors, never a 500.
Institution staff see the timeline read-only (with the message thread): they act in the admin.
"""

from __future__ import annotations

from contextlib import suppress

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.exceptions import (
    NON_FIELD_ERRORS,
    FieldDoesNotExist,
    PermissionDenied,
    ValidationError,
)
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from collections_app.models import Institution
from collections_app.views import ForgivingPaginationMixin
from elvis.workflow.attachments import AttachmentTooLarge, attachment_response, save_attachment
from elvis.workflow.comments import post_comment
from elvis.workflow.errors import ActionForbidden, WorkflowError
from elvis.workflow.service import check_allowed, perform
from elvis.workflow.table import REQUESTER

from .forms import (
    ActionForm,
    AttachmentForm,
    CommentForm,
    InstitutionChoiceForm,
    LoanListFilterForm,
    LoanRequestEditor,
    SpecimenSearchForm,
    messages_by_field,
)
from .models import LoanAttachment, LoanRequest, LoanStatus
from .workflow import LOAN_WORKFLOW

PAGE_SIZE = 25
# The actions these pages offer: the requester's (curators act in the admin).
PAGE_ACTIONS = tuple(
    name for name, row in LOAN_WORKFLOW.transitions.items() if REQUESTER in row.roles
)
# Buttons that send the request form back only to show it again (no JavaScript needed).
SEARCH_BUTTON, ADD_ROW_BUTTONS = "_search", {"_add_lot": "lots", "_add_permit": "permits"}

S = LoanStatus
NEXT_STEPS = {
    S.DRAFT: _("Complete the request and submit it: the institution sees it only once submitted."),
    S.SUBMITTED: _("The institution will review your request."),
    S.UNDER_REVIEW: _("The curators are reviewing your request."),
    S.CHANGES_REQUESTED: _(
        "The curators asked for changes (see the messages): edit the request and submit it again."
    ),
    S.APPROVED: _("Approved: the institution will send the specimens and the tracking number."),
    S.DISPATCHED: _("The specimens are on their way: confirm their receipt when they arrive."),
    S.ON_LOAN: _(
        "Return the specimens by the due date; write to the curators if you need an extension."
    ),
    S.PARTIALLY_RETURNED: _("Some items are back: return the others by the due date."),
    S.RETURNED: _("Everything is back: the institution will close the loan."),
}


def visible_loans(user):
    return LoanRequest.objects.visible_to(user).select_related("institution", "requester")


class MyLoanListView(LoginRequiredMixin, ForgivingPaginationMixin, ListView):
    """The researcher's own requests (never those they handle as staff), filterable by status."""

    template_name = "loans/list.html"
    context_object_name = "loans"
    paginate_by = PAGE_SIZE

    def get_queryset(self):
        self.filter_form = LoanListFilterForm(self.request.GET)
        loans = (
            LoanRequest.objects.filter(requester=self.request.user)
            .with_overdue()
            .select_related("institution")
            .order_by("-updated_at", "-pk")
        )
        if self.filter_form.is_valid() and self.filter_form.cleaned_data["status"]:
            loans = loans.filter(status=self.filter_form.cleaned_data["status"])
        return loans

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(filter_form=self.filter_form, **kwargs)


class LoanFormView(LoginRequiredMixin, View):
    """The request form, new or editing a draft: request, specimens, lots and permits at once."""

    template_name = "loans/form.html"
    institution: Institution
    loan: LoanRequest | None

    def prepare(self, request: HttpRequest, **kwargs) -> HttpResponse | None:
        """Set ``institution`` and ``loan``, or answer the request in their place."""
        raise NotImplementedError

    def get(self, request: HttpRequest, **kwargs) -> HttpResponse:
        if (response := self.prepare(request, **kwargs)) is not None:
            return response
        return self.render_form(self.editor())

    def post(self, request: HttpRequest, **kwargs) -> HttpResponse:
        if (response := self.prepare(request, **kwargs)) is not None:
            return response
        data = request.POST
        add_row = next((prefix for key, prefix in ADD_ROW_BUTTONS.items() if key in data), None)
        if add_row or SEARCH_BUTTON in data:
            data = with_extra_row(data, add_row) if add_row else data
            editor = self.editor(data=data, files=request.FILES, validate=False)
            return self.render_form(editor, search=SEARCH_BUTTON in data)
        editor = self.editor(data=data, files=request.FILES)
        if not editor.is_valid():
            messages.error(request, _("Please correct the errors below."))
            return self.render_form(editor, status=400)
        try:
            loan = editor.save()
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect(self.loan)
        if "_submit" not in data:
            messages.success(request, _("Your draft %(ref)s is saved.") % {"ref": loan.reference})
            return redirect(loan)
        try:
            perform(loan, "submit", actor=request.user)
        except ValidationError as exc:
            messages.error(
                request,
                _("Your draft %(ref)s is saved, but it cannot be submitted yet.")
                % {"ref": loan.reference},
            )
            editor = LoanRequestEditor.after_failed_submit(loan, data, exc)
            return self.render_form(editor, status=400)
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect(loan)
        messages.success(request, _("Your request %(ref)s is submitted.") % {"ref": loan.reference})
        return redirect(loan)

    def editor(self, **kwargs) -> LoanRequestEditor:
        return LoanRequestEditor(
            requester=self.request.user, institution=self.institution, loan=self.loan, **kwargs
        )

    def render_form(
        self, editor: LoanRequestEditor, *, search: bool = False, status: int = 200
    ) -> HttpResponse:
        loan = editor.loan if editor.loan.pk else None
        context = {
            "editor": editor,
            "form": editor.form,
            "loan": loan,
            "institution": self.institution,
            "chosen_specimens": editor.form.chosen_specimens(),
            "specimen_q": editor.form.data.get("specimen_q", ""),
            "form_action": (
                reverse("loans:edit", args=[loan.pk]) if loan else self.request.get_full_path()
            ),
        }
        if search:
            data = editor.form.data
            context.update(
                specimen_search(
                    data.getlist("collections"), context["specimen_q"], data.getlist("specimens")
                )
            )
        return render(self.request, self.template_name, context, status=status)


def with_extra_row(data: QueryDict, prefix: str) -> QueryDict:
    """The posted form with one more blank row in formset ``prefix``."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    with suppress(ValueError):  # a tampered count: the formset reports it
        data[key] = str(int(data.get(key, "0")) + 1)
    return data


def specimen_search(collections: list[str], q: str, chosen: list[str]) -> dict:
    """Context of the search results fragment (for the search URL and the no-script form)."""
    form = SpecimenSearchForm({"collection": collections, "q": q, "chosen": chosen})
    context: dict = {"search_form": form, "results": [], "more": False, "chosen_ids": set()}
    if form.is_valid():
        context["results"], context["more"] = form.results()
        context["chosen_ids"] = set(form.cleaned_data["chosen"])
    return context


class LoanCreateView(LoanFormView):
    """``/loans/new/?institution=<id>``: without a valid institution, choose one first."""

    loan = None

    def prepare(self, request: HttpRequest, **kwargs) -> HttpResponse | None:
        chooser = InstitutionChoiceForm(request.GET if "institution" in request.GET else None)
        if not chooser.is_valid():
            return render(
                request,
                "loans/choose_institution.html",
                {"form": chooser},
                status=400 if chooser.is_bound else 200,
            )
        self.institution = chooser.cleaned_data["institution"]
        return None


class LoanEditView(LoanFormView):
    """Only the requester edits, and only while a draft (or sent back for changes)."""

    def prepare(self, request: HttpRequest, *, pk: int) -> HttpResponse | None:
        loan = get_object_or_404(visible_loans(request.user), pk=pk)
        if loan.requester_id != request.user.pk:
            raise PermissionDenied(_("Only the requester edits a request."))
        if not loan.is_editable_draft:
            messages.warning(
                request,
                _("This request is %(status)s: it can no longer be edited.")
                % {"status": loan.get_status_display().lower()},
            )
            return redirect(loan)
        self.loan, self.institution = loan, loan.institution
        return None


class SpecimenSearchView(LoginRequiredMixin, View):
    """The catalogue search as an HTML fragment (the request form's script inserts it)."""

    def get(self, request: HttpRequest) -> HttpResponse:
        params = request.GET
        context = specimen_search(
            params.getlist("collection"), params.get("q", ""), params.getlist("chosen")
        )
        status = 200 if context["search_form"].is_valid() else 400
        return render(request, "loans/includes/specimen_results.html", context, status=status)


class LoanTimelineMixin(LoginRequiredMixin):
    """Finds the visible loan and renders its timeline page, with any form that failed."""

    def get_loan(self, pk: int) -> LoanRequest:
        return get_object_or_404(visible_loans(self.request.user).with_overdue(), pk=pk)

    def render_timeline(
        self, loan: LoanRequest, *, status: int = 200, **forms: object
    ) -> HttpResponse:
        user = self.request.user
        roles = loan.actor_roles(user)
        history = list(loan.history.select_related("actor"))
        action_labels = {name: row.label for name, row in LOAN_WORKFLOW.transitions.items()}
        status_labels = dict(LoanStatus.choices)
        for entry in history:
            entry.action_label = action_labels.get(entry.action, entry.action)
            entry.from_label = status_labels.get(entry.from_status, entry.from_status)
            entry.to_label = status_labels.get(entry.to_status, entry.to_status)
        failed = forms.pop("action_form", None)
        actions = [
            failed
            if failed is not None and failed.transition.action == name
            else ActionForm(LOAN_WORKFLOW.get(name))
            for name in loan.allowed_actions(user)
            if name in PAGE_ACTIONS
        ]
        context = {
            "loan": loan,
            "is_requester": REQUESTER in roles,
            "participates": bool(roles),
            "can_edit": REQUESTER in roles and loan.is_editable_draft,
            "next_step": NEXT_STEPS.get(loan.status, _("Nothing more to do.")),
            "actions": actions,
            "collections": loan.collections.all(),
            "items": loan.items.select_related("specimen__collection"),
            "permits": loan.permits.select_related("document"),
            "attachments": loan.attachments.select_related("uploaded_by"),
            "history": history,
            "extensions": [entry for entry in history if entry.action == "extend"],
            "comments": loan.comments.select_related("author"),
            "comment_form": forms.pop("comment_form", None) or CommentForm(),
            "upload_form": forms.pop("upload_form", None) or AttachmentForm(),
        }
        return render(self.request, "loans/detail.html", context, status=status)


class LoanDetailView(LoanTimelineMixin, View):
    """The request's timeline: status, dates, items, permits, files, history, messages."""

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        return self.render_timeline(self.get_loan(pk))


class LoanActionView(LoanTimelineMixin, View):
    """POST one of the requester's actions; state conflicts become a message, not an error."""

    def post(self, request: HttpRequest, pk: int, action: str) -> HttpResponse:
        loan = self.get_loan(pk)
        if action not in PAGE_ACTIONS:
            raise Http404(_("No such action."))
        form = ActionForm(LOAN_WORKFLOW.get(action), request.POST)
        try:
            check_allowed(loan, action, actor=request.user)
            if not form.is_valid():
                return self.render_timeline(loan, status=400, action_form=form)
            loan = perform(
                loan,
                action,
                actor=request.user,
                comment=form.cleaned_data["comment"],
                **form.action_data(),
            )
        except ActionForbidden as exc:
            raise PermissionDenied(exc.message) from exc
        except WorkflowError as exc:
            messages.error(request, exc.message)
            return redirect(loan)
        except ValidationError as exc:
            for field, field_messages in messages_by_field(exc).items():
                target = field if field in form.fields else None
                if target is None and field != NON_FIELD_ERRORS:
                    field_messages = [f"{field_label(field)}: {m}" for m in field_messages]
                form.add_error(target, field_messages)
            return self.render_timeline(loan, status=400, action_form=form)
        messages.success(
            request,
            _("Done: %(action)s. The request is now %(status)s.")
            % {
                "action": form.transition.label.lower(),
                "status": loan.get_status_display().lower(),
            },
        )
        return redirect(loan)


def field_label(name: str) -> str:
    """A loan field's label for an error that belongs to no field of the action's form."""
    if name == "items":
        return str(_("Items"))
    try:
        return str(LoanRequest._meta.get_field(name).verbose_name).capitalize()
    except FieldDoesNotExist:
        return name


class LoanCommentView(LoanTimelineMixin, View):
    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        loan = self.get_loan(pk)
        form = CommentForm(request.POST)
        if form.is_valid():
            try:
                post_comment(loan, author=request.user, body=form.cleaned_data["body"])
            except ActionForbidden as exc:
                raise PermissionDenied(exc.message) from exc
            except ValidationError as exc:
                form.add_error(None, exc)
            else:
                messages.success(request, _("Your message is posted."))
                return redirect(reverse("loans:detail", args=[loan.pk]) + "#messages")
        return self.render_timeline(loan, status=400, comment_form=form)


class LoanAttachmentUploadView(LoanTimelineMixin, View):
    """The requester and the institution's staff attach documents (PDF or images)."""

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        loan = self.get_loan(pk)
        if not loan.actor_roles(request.user):
            raise PermissionDenied(_("You may not add files to this request."))
        form = AttachmentForm(request.POST, request.FILES)
        if not form.is_valid():
            too_large = form.has_error("file", code="too_large")
            return self.render_timeline(loan, status=413 if too_large else 400, upload_form=form)
        try:
            attachment = save_attachment(
                LoanAttachment,
                request=loan,
                upload=form.cleaned_data["file"],
                uploaded_by=request.user,
                description=form.cleaned_data["description"],
            )
        except AttachmentTooLarge as exc:
            form.add_error("file", exc)
            return self.render_timeline(loan, status=413, upload_form=form)
        messages.success(request, _("“%(name)s” is attached.") % {"name": attachment.original_name})
        return redirect(reverse("loans:detail", args=[loan.pk]) + "#attachments")


class LoanAttachmentDownloadView(LoginRequiredMixin, View):
    """Files are served only to those who see the loan (others get 404), always as downloads."""

    def get(self, request: HttpRequest, pk: int, att_pk: int) -> FileResponse:
        attachment = get_object_or_404(
            LoanAttachment.objects.filter(request__in=LoanRequest.objects.visible_to(request.user)),
            pk=att_pk,
            request_id=pk,
        )
        return attachment_response(attachment)
