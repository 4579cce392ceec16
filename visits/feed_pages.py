"""The signed-in user's calendar feeds: list, make one, revoke one (``visits.feeds`` holds the
rules and the ``.ics`` itself).

A new feed's URL appears once, on the answer to the POST that made it (never stored, never in
a redirect or a message cookie); revoking is a POST from a confirmation page, so it works
without JavaScript and a link or a prefetch cannot revoke anything.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views import View
from django.views.decorators.cache import never_cache

from . import feeds
from .models import CalendarFeed

if TYPE_CHECKING:
    from accounts.models import User

Scope = CalendarFeed.Scope


class FeedForm(forms.Form):
    """What a new feed follows, offering only what the user may follow."""

    scope = forms.ChoiceField(label=_("Visits to show"), widget=forms.RadioSelect)
    institution: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Institution"),
        queryset=None,
        required=False,
        help_text=_("For “institution”: every confirmed visit to it."),
    )
    facility: forms.ModelChoiceField[Any] = forms.ModelChoiceField(
        label=_("Facility"),
        queryset=None,
        required=False,
        help_text=_("For “facility”: the confirmed visits that use it."),
    )

    def __init__(self, *args: Any, user, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        institutions = feeds.institutions_for(user)
        facilities = feeds.facilities_for(user)
        cast("forms.ModelChoiceField", self.fields["institution"]).queryset = institutions
        facility = cast("forms.ModelChoiceField", self.fields["facility"])
        facility.queryset = facilities
        # A lambda for the choice labels (the stubs declare a method; Django reads either).
        facility.label_from_instance = lambda f: f"{f.institution.code}: {f.name}"  # type: ignore[method-assign,assignment]
        self.follows_institutions = institutions.exists()
        scope = cast("forms.ChoiceField", self.fields["scope"])
        if self.follows_institutions:
            scope.choices = Scope.choices
            self.fields["scope"].initial = Scope.INSTITUTION
        else:
            scope.choices = [(Scope.RESEARCHER, Scope.RESEARCHER.label)]
            self.fields["scope"].initial = Scope.RESEARCHER
            del self.fields["institution"], self.fields["facility"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}  # a form's clean() returns its cleaned_data
        scope = data.get("scope")
        if scope == Scope.INSTITUTION and not data.get("institution"):
            self.add_error("institution", _("Choose the institution."))
        if scope == Scope.FACILITY and not data.get("facility"):
            self.add_error("facility", _("Choose the facility."))
        return data


def _feeds_of(user) -> list[CalendarFeed]:
    rows = list(
        CalendarFeed.objects.filter(owner=user).select_related(
            "owner", "institution", "facility__institution"
        )
    )
    for feed in rows:
        feed.usable = feed.revoked_at is None and feeds.may_use(feed)
    return rows


@method_decorator(never_cache, name="dispatch")
class FeedListView(LoginRequiredMixin, View):
    """``/visits/feeds/``: the user's feeds and the form that makes one."""

    template_name = "visits/feeds.html"

    def get(self, request: HttpRequest) -> HttpResponse:
        return self.render(request, FeedForm(user=request.user))

    def post(self, request: HttpRequest) -> HttpResponse:
        form = FeedForm(request.POST, user=request.user)
        if not form.is_valid():
            return self.render(request, form, status=400)
        data = form.cleaned_data
        feed, token = feeds.create_feed(
            request.user,
            data["scope"],
            institution=data.get("institution"),
            facility=data.get("facility"),
        )
        return render(
            request,
            "visits/feed_created.html",
            {"feed": feed, "url": feeds.feed_url(token)},
        )

    def render(self, request: HttpRequest, form: FeedForm, status: int = 200) -> HttpResponse:
        context = {"form": form, "feeds": _feeds_of(request.user)}
        return render(request, self.template_name, context, status=status)


class FeedRevokeView(LoginRequiredMixin, View):
    """``/visits/feeds/<pk>/revoke/``: a confirmation (GET), then the revocation (POST).

    Only the owner's feeds exist here: anyone else's is a 404.
    """

    def get(self, request: HttpRequest, pk: int) -> HttpResponse:
        feed = get_object_or_404(self.feeds(request), pk=pk)
        if feed.revoked_at is not None:
            return redirect("visits:feeds")
        return render(request, "visits/feed_revoke.html", {"feed": feed})

    def post(self, request: HttpRequest, pk: int) -> HttpResponse:
        feed = get_object_or_404(self.feeds(request), pk=pk)
        if feeds.revoke(feed):
            messages.success(
                request, _("The feed is revoked: calendars subscribed to it get nothing more.")
            )
        return redirect("visits:feeds")

    @staticmethod
    def feeds(request: HttpRequest):
        owner = cast("User", request.user)  # signed in (LoginRequiredMixin)
        return CalendarFeed.objects.filter(owner=owner).select_related(
            "institution", "facility__institution"
        )
