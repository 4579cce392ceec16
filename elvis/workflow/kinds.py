"""The registry of request kinds: a kind is declared once, and every face reads it.

Each kind's app holds a ``kind.py`` that calls ``register(RequestKind(...))``: the model, its
transition table, its reference prefix, the collection flag that admits it, its item model,
its editor form and API serializer, and its reminders. ``WorkflowConfig.ready`` imports every
app's ``kind.py`` (as the admin's autodiscovery imports ``admin.py``), and from then on the
core builds, per registered kind, the API viewset and route, the admin, the researcher pages,
the reminders' beat run, the webhook event catalogue and the notification templates' names.

A kind's app then holds only what is its own: its model fields, its extra actions and their
forms, its template blocks and its own tasks and pages.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from django.core.exceptions import ImproperlyConfigured
from django.db.models import Q
from django.utils.functional import Promise
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _

from elvis.i18n import interpolate_lazy

from .table import CHANGES_REQUESTED, DRAFT, SUBMITTED, UNDER_REVIEW

if TYPE_CHECKING:
    from django.db.models import Model, QuerySet

    from .models import AccessRequest, AccessRequestQuerySet, RequestItem
    from .pages.editor import RequestEditor
    from .table import Workflow

#: Who a reminder or a notification goes to: the requester, the institution's people.
REQUESTER = "requester"
CURATORS = "curators"

#: What the requester does next in the shared statuses; a kind adds or overrides its own.
COMMON_NEXT_STEPS: dict[str, Promise] = {
    DRAFT: _("Complete the request and submit it: the institution sees it only once submitted."),
    SUBMITTED: _("The institution will review your request."),
    UNDER_REVIEW: _("The curators are reviewing your request."),
    CHANGES_REQUESTED: _("The curators asked for changes: edit the request and submit it again."),
}


@dataclass(frozen=True)
class Reminder:
    """A dated reminder, sent once per date (and per period when it repeats).

    ``field`` names a date of the request. With ``days_before=N`` the reminder goes out on each
    of the N days up to that date (once: a missed day is caught up the next); with
    ``days_after=N`` from N days after it, again every ``repeat_every`` days while the request
    stays in ``statuses``. ``message`` is formatted with ``reference``, ``date`` and ``days``
    (how far the date is, in days), when it is shown: each recipient reads it in their language.
    """

    event: str
    field: str
    statuses: frozenset[str]
    message: str | Promise
    days_before: int | None = None
    days_after: int | None = None
    repeat_every: int | None = None
    to: tuple[str, ...] = (REQUESTER, CURATORS)

    def __post_init__(self) -> None:
        if (self.days_before is None) == (self.days_after is None):
            raise ImproperlyConfigured(f"Reminder {self.event}: give days_before or days_after.")

    def due(self, requests: QuerySet, today: date) -> Iterator[tuple[Any, str, str | Promise]]:
        """``(request, dedupe key, message)`` for every request this reminder is due for."""
        requests = requests.filter(status__in=self.statuses, **{f"{self.field}__isnull": False})
        if self.days_before is not None:
            window = {
                f"{self.field}__gte": today,
                f"{self.field}__lte": today + timedelta(days=self.days_before),
            }
        else:
            assert self.days_after is not None  # one of the two, by __post_init__
            window = {f"{self.field}__lte": today - timedelta(days=self.days_after)}
        for request in requests.filter(**window).order_by("pk"):
            when: date = getattr(request, self.field)
            days = abs((today - when).days)
            key = f"{request.pk}:{when.isoformat()}"
            if self.repeat_every and self.days_after is not None:  # repeats follow days_after
                key += f":{(days - self.days_after) // self.repeat_every}"
            message = interpolate_lazy(
                self.message,
                {"reference": request.reference, "date": when.isoformat(), "days": days},
            )
            yield request, key, message


@dataclass(frozen=True)
class Deadline:
    """A date by which something must come back to the institution (a loan's ``due_date``
    while its items are out): past it the request is overdue, and the curators' work queue
    lists the requests overdue and those due within the coming days."""

    field: str
    statuses: frozenset[str]

    def overdue(self, today: date) -> Q:
        return Q(status__in=self.statuses, **{f"{self.field}__lt": today})

    def is_overdue(self, request: Any, today: date) -> bool:
        """``overdue`` of one request in memory."""
        due = getattr(request, self.field)
        return request.status in self.statuses and due is not None and due < today

    def due_within(self, today: date, days: int) -> Q:
        return Q(
            status__in=self.statuses,
            **{f"{self.field}__gte": today, f"{self.field}__lte": today + timedelta(days=days)},
        )


@dataclass(frozen=True, eq=False)
class RequestKind:
    """Everything the core needs to know about one kind of access request (one object per
    kind: compared and hashed by identity)."""

    name: str
    model: type[AccessRequest]
    workflow: Workflow
    prefix: str
    accepts_flag: str
    serializer: type
    editor: type[RequestEditor] | None = None
    #: The item model (a ``RequestItem`` whose foreign key has ``related_name="items"``).
    items: type[RequestItem] | None = None
    #: The kind's own API filters, a ``FilterSet`` merged into the shared ones (its
    #: ``ORDERING_FIELDS`` extend the sort keys).
    filters: type | None = None
    #: The kind's ``AccessRequestAdmin``; default: the shared one.
    admin: type | None = None
    reminders: tuple[Reminder, ...] = ()
    #: The date by which things are due back, when the kind has one (loans).
    deadline: Deadline | None = None
    #: The form fields a new request starts with from the requester's profile, as
    #: ``{form field: profile value}`` (names in ``accounts.profile.PROFILE_VALUES``, e.g.
    #: ``{"shipping_address": "address"}``). A field filled from ``"address"`` also gets the
    #: address book's chooser beside it.
    prefill: Mapping[str, str] = field(default_factory=dict)
    #: What the requester should do next, per status, on the timeline.
    next_steps: Mapping[str, str | Promise] = field(default_factory=dict)
    #: What happened, per event of the kind's own (``{"dispatched": _("dispatched")}``), for
    #: e-mail subjects ("LOAN-2026-000042 dispatched") in the recipient's language; the shared
    #: events' are in ``notifications.sinks``.
    event_phrases: Mapping[str, str | Promise] = field(default_factory=dict)
    #: What the kind is, for its API documentation.
    description: str | Promise = ""
    #: The public pages' link to a new request ("Request a loan"); default "New <label>".
    ask: str | Promise = ""
    #: Annotations and prefetches every face applies (e.g. a derived ``overdue`` flag).
    annotate: Callable[[Any], AccessRequestQuerySet] | None = None
    #: Audiences of the kind's own that a reminder's ``to`` may name besides the requester and
    #: the curators: ``{"visitors": lambda visit: [users or notifications.Guest …]}``.
    audiences: Mapping[str, Callable[[Any], list[Any]]] = field(default_factory=dict)
    #: Files that go with the e-mails of an event: ``(event name, request) -> [{"name",
    #: "mimetype", "content"}]`` (e.g. the visit's calendar entry on approval).
    email_attachments: Callable[[str, Any], list[dict[str, str]]] | None = None
    #: Events of the kind's own that are no transition, for partners' webhooks only (e.g.
    #: ``item_processed``): sent with ``events.emit_update``.
    extra_events: tuple[str, ...] = ()
    #: The kind's own pages (a module with ``urlpatterns``), served in its URL namespace
    #: beside the shared ones (e.g. the visit calendar).
    extra_urls: str = ""
    #: What a curator should notice about how one of a requester's earlier requests went,
    #: on the admin's requester panel (a loan overdue, or returned late), from the request's
    #: own row (no query: the panel's cost stays flat); ``""`` when nothing.
    outcome_warning: Callable[[Any], str | Promise] | None = None
    #: Mixins of the kind's own API endpoints (``@action``s), put before the shared viewset's
    #: class in the kind's viewset (e.g. digitisation's captures of an item).
    api_mixins: tuple[type, ...] = ()

    @property
    def api_path(self) -> str:
        """The API resource: ``loan-requests`` for ``loan``."""
        return f"{self.name}-requests"

    @property
    def url_namespace(self) -> str:
        """The researcher pages' URL namespace and path: ``loans`` for ``loan``."""
        return self.model._meta.app_label

    @property
    def label(self) -> str:
        return str(self.model._meta.verbose_name)

    @property
    def label_plural(self) -> str:
        return str(self.model._meta.verbose_name_plural)

    @property
    def statuses(self) -> list[tuple[str, str]]:
        choices = self.model._meta.get_field("status").choices
        return list(cast("Iterable[tuple[str, str]]", choices))

    @property
    def ask_label(self) -> str:
        return str(self.ask or _("New %(thing)s") % {"thing": self.label})

    def offered(self, path: str = "") -> Q:
        """The collections that take this kind's requests now: they offer it (the kind's
        ``accepts_flag``) and accept requests at all (``accepting_requests``). ``path`` leads
        from the queried model to the collection (``"collections__"`` from institutions)."""
        return Q(**{f"{path}{self.accepts_flag}": True, f"{path}accepting_requests": True})

    def offers(self, collection: Any) -> bool:
        """``offered()`` for one collection in memory (e.g. prefetched), without a query."""
        return bool(getattr(collection, self.accepts_flag) and collection.accepting_requests)

    @property
    def address_field(self) -> str | None:
        """The form field the profile's addresses fill (a shipping address), if any."""
        return next((name for name, value in self.prefill.items() if value == "address"), None)

    def next_step(self, status: str) -> str:
        step = self.next_steps.get(status) or COMMON_NEXT_STEPS.get(status)
        return str(step or _("Nothing more to do."))

    def queryset(self) -> AccessRequestQuerySet:
        """The kind's requests with its own annotations, for every face to scope further."""
        requests = self.model.objects.all()
        return self.annotate(requests) if self.annotate else requests

    def event_names(self) -> list[str]:
        """The events the kind emits: its table's, ``commented``, its reminders' and its own."""
        names = [f"{self.name}.{row.event}" for row in self.workflow.transitions.values()]
        names.append(f"{self.name}.commented")
        names += [f"{self.name}.{reminder.event}" for reminder in self.reminders]
        names += [f"{self.name}.{event}" for event in self.extra_events]
        return names


_registry: dict[str, RequestKind] = {}


def register(kind: RequestKind) -> RequestKind:
    """Declare a kind (from its app's ``kind.py``); its model then knows its workflow."""
    if kind.name in _registry and _registry[kind.name].model is not kind.model:
        raise ImproperlyConfigured(f"Two request kinds are named {kind.name!r}.")
    if kind.workflow.kind != kind.name:
        raise ImproperlyConfigured(f"Kind {kind.name!r} has the table of {kind.workflow.kind!r}.")
    _registry[kind.name] = kind
    return kind


def autodiscover() -> None:
    """Import every installed app's ``kind`` module, which registers its kind."""
    autodiscover_modules("kind")


def all_kinds() -> list[RequestKind]:
    return list(_registry.values())


def get_kind(name: str) -> RequestKind:
    return _registry[name]


def kind_of(model: type[Model] | Model) -> RequestKind:
    """The kind of a request model (or instance)."""
    cls = model if isinstance(model, type) else type(model)
    concrete = cls._meta.concrete_model
    for kind in _registry.values():
        if kind.model is concrete:
            return kind
    raise ImproperlyConfigured(f"{cls.__name__} is not a registered request kind.")
