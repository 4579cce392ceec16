"""The researcher's pages of every kind before the timeline: my requests, and the request form
(new, or editing a draft) with its catalogue search.

The request form saves through the kind's editor and submits through ``perform``; the
workflow's errors become messages or form errors, never a 500.
"""

from __future__ import annotations

from contextlib import suppress
from typing import Any, cast

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.generic import ListView

from accounts.models import User
from accounts.profile import address_text
from collections_app.models import Institution
from collections_app.views import ForgivingPaginationMixin
from elvis.workflow.errors import WorkflowError
from elvis.workflow.models import AccessRequest
from elvis.workflow.service import perform

from .base import KindPageMixin
from .editor import RequestEditor
from .forms import InstitutionChoiceForm, StatusFilterForm
from .items import specimen_search

PAGE_SIZE = 25
# Sends the request form back only to show the catalogue's matches (no JavaScript needed).
SEARCH_BUTTON = "_search"
# Sends the request form back with the address chosen in the address book filled in.
USE_ADDRESS_BUTTON = "_use_address"


class MyRequestListView(KindPageMixin, ForgivingPaginationMixin, ListView):
    """The researcher's own requests (never those they handle as staff), filterable by status."""

    context_object_name = "access_requests"
    paginate_by = PAGE_SIZE

    def get_template_names(self) -> list[str]:
        return self.templates("list", "request_list")

    def get_queryset(self):
        self.filter_form = StatusFilterForm(self.kind, self.request.GET)
        access_requests = (
            self.kind.queryset()
            .filter(requester=self.request.user)
            .select_related("institution")
            .order_by("-updated_at", "-pk")
        )
        if self.filter_form.is_valid() and self.filter_form.cleaned_data["status"]:
            access_requests = access_requests.filter(status=self.filter_form.cleaned_data["status"])
        return access_requests

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        return self.page_context(**context, filter_form=self.filter_form)


class RequestFormView(KindPageMixin, View):
    """The request form, new or editing a draft: the request and all its rows at once."""

    institution: Institution
    access_request: AccessRequest | None

    def prepare(self, http_request: HttpRequest, **kwargs) -> HttpResponse | None:
        """Set ``institution`` and ``access_request``, or answer in their place."""
        raise NotImplementedError

    #: What a new form starts with (e.g. a collection chosen on its public page).
    initial: dict[str, Any] | None = None

    def get(self, http_request: HttpRequest, **kwargs) -> HttpResponse:
        if (response := self.prepare(http_request, **kwargs)) is not None:
            return response
        return self.render_form(self.editor(draft=True, initial=self.initial))

    def post(self, http_request: HttpRequest, **kwargs) -> HttpResponse:
        if (response := self.prepare(http_request, **kwargs)) is not None:
            return response
        data: QueryDict = http_request.POST
        if USE_ADDRESS_BUTTON in data:
            data = self.with_chosen_address(data)
        # Buttons that only show the form again: judge nothing yet, save nothing.
        shown = self.editor(data=data, files=http_request.FILES, validate=False)
        buttons = shown.add_row_buttons()
        add_row = next((prefix for key, prefix in buttons.items() if key in data), None)
        if add_row:
            data = with_extra_row(data, add_row)
            shown = self.editor(data=data, files=http_request.FILES, validate=False)
        pressed = next((name for name in shown.redisplay_buttons if name in data), None)
        if add_row or pressed or SEARCH_BUTTON in data or USE_ADDRESS_BUTTON in data:
            return self.render_form(shown, search=SEARCH_BUTTON in data, pressed=pressed)
        # A draft saves with a title alone; submitting applies every rule.
        editor = self.editor(data=data, files=http_request.FILES, draft="_submit" not in data)
        if not editor.is_valid():
            messages.error(http_request, _("Please correct the errors below."))
            return self.render_form(editor, status=400)
        try:
            access_request = editor.save()
        except WorkflowError as exc:
            messages.error(http_request, exc.message)
            # Only a saved request can have left the draft stage meanwhile.
            assert self.access_request is not None
            return redirect(self.access_request)
        ref = {"ref": access_request.reference}
        if "_submit" not in data:
            messages.success(http_request, _("Your draft %(ref)s is saved.") % ref)
            return redirect(access_request)
        try:
            perform(access_request, "submit", actor=http_request.user)
        except ValidationError as exc:
            messages.error(
                http_request,
                _("Your draft %(ref)s is saved, but it cannot be submitted yet.") % ref,
            )
            editor = self.editor_type.after_failed_submit(self.kind, access_request, data, exc)
            return self.render_form(editor, status=400)
        except WorkflowError as exc:
            messages.error(http_request, exc.message)
            return redirect(access_request)
        messages.success(http_request, _("Your request %(ref)s is submitted.") % ref)
        return redirect(access_request)

    def with_chosen_address(self, data: QueryDict) -> QueryDict:
        """The posted form with the address book's chosen address in the kind's address field
        (``RequestKind.address_field``); only the requester's own addresses are found."""
        field = self.kind.address_field
        text = address_text(cast("User", self.request.user), data.get("address_choice", ""))
        if field is None or text is None:
            messages.error(self.request, _("Choose one of your addresses."))
            return data
        data = data.copy()
        data[field] = text
        return data

    @property
    def editor_type(self) -> type[RequestEditor]:
        """The kind's editor (``RequestKind.editor``), or the core's default one."""
        return self.kind.editor or RequestEditor

    def editor(self, **kwargs) -> RequestEditor:
        return self.editor_type(
            self.kind,
            requester=self.request.user,
            institution=self.institution,
            instance=self.access_request,
            **kwargs,
        )

    def render_form(
        self,
        editor: RequestEditor,
        *,
        search: bool = False,
        pressed: str | None = None,
        status: int = 200,
    ) -> HttpResponse:
        """The form page; ``pressed`` names the kind's redisplay button that asked for it."""
        saved = editor.instance if editor.instance.pk else None
        ns = self.kind.url_namespace
        context = self.page_context(
            editor=editor,
            form=editor.form,
            access_request=saved,
            institution=self.institution,
            chosen_specimens=editor.form.chosen_specimens(),
            specimen_q=editor.form.data.get("specimen_q", ""),
            address_field=self.kind.address_field,
            addresses=(
                cast("User", self.request.user).addresses.all() if self.kind.address_field else ()
            ),
            form_action=(
                reverse(f"{ns}:edit", args=[saved.pk]) if saved else self.request.get_full_path()
            ),
            **editor.extra_context(pressed=pressed),
        )
        if search and self.kind.items is not None:
            data = cast("QueryDict", editor.form.data)  # bound to the POST
            context.update(
                specimen_search(
                    self.kind,
                    data.getlist("collections"),
                    context["specimen_q"],
                    data.getlist("specimens"),
                )
            )
        return render(self.request, self.templates("form", "request_form"), context, status=status)


def with_extra_row(data: QueryDict, prefix: str) -> QueryDict:
    """The posted form with one more blank row in formset ``prefix``."""
    data = data.copy()
    key = f"{prefix}-TOTAL_FORMS"
    with suppress(ValueError):  # a tampered count: the formset reports it
        data[key] = str(int(data.get(key, "0")) + 1)
    return data


class RequestCreateView(RequestFormView):
    """``/<kind>/new/?institution=<id>``: without a valid institution, choose one first.
    ``&collection=<id>`` (one of its collections that takes the kind's requests) starts the
    form with that collection ticked; any other is refused on the chooser page."""

    access_request = None

    def prepare(self, http_request: HttpRequest, **kwargs) -> HttpResponse | None:
        params = http_request.GET
        chooser = InstitutionChoiceForm(self.kind, params if "institution" in params else None)
        if not chooser.is_valid():
            return render(
                http_request,
                self.templates("choose_institution", "choose_institution"),
                self.page_context(form=chooser),
                status=400 if chooser.is_bound else 200,
            )
        self.institution = chooser.cleaned_data["institution"]
        if collection := chooser.cleaned_data["collection"]:
            self.initial = {"collections": [collection.pk]}
        return None


class RequestEditView(RequestFormView):
    """Only the requester edits, and only while a draft (or sent back for changes)."""

    def prepare(self, http_request: HttpRequest, **kwargs) -> HttpResponse | None:
        access_request = get_object_or_404(self.visible_requests(), pk=kwargs["pk"])
        if access_request.requester_id != http_request.user.pk:
            raise PermissionDenied(_("Only the requester edits a request."))
        if not access_request.is_editable_draft:
            messages.warning(
                http_request,
                _("This request is %(status)s: it can no longer be edited.")
                % {"status": access_request.get_status_display().lower()},
            )
            return redirect(access_request)
        self.access_request, self.institution = access_request, access_request.institution
        return None


class SpecimenSearchView(KindPageMixin, View):
    """The catalogue search as an HTML fragment (the request form's script inserts it)."""

    def get(self, http_request: HttpRequest) -> HttpResponse:
        params = http_request.GET
        context = specimen_search(
            self.kind, params.getlist("collection"), params.get("q", ""), params.getlist("chosen")
        )
        status = 200 if context["search_form"].is_valid() else 400
        return render(
            http_request, "workflow/includes/specimen_results.html", context, status=status
        )
