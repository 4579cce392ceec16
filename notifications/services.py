"""Creating notifications and getting their e-mails on their way."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, models, transaction
from django.template.loader import select_template
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.text import Truncator

from collections_app.roles import institution_ids, is_site_staff

from .models import Notification
from .tasks import enqueue_emails_on_commit

PREVIEW_LENGTH = Notification._meta.get_field("preview").max_length or 200


def _render(event: str, part: str, context: dict[str, Any]) -> str:
    """The event's own template (``loan.overdue.subject.txt``), else the shared one of its verb
    for every kind (``submission_received.subject.txt``), else its kind's default
    (``loan.default.subject.txt``), else the shared one: a kind overrides only what it must."""
    kind, _dot, verb = event.partition(".")
    template = select_template(
        [
            f"notifications/email/{event}.{part}",
            f"notifications/email/{verb}.{part}",
            f"notifications/email/{kind}.default.{part}",
            f"notifications/email/default.{part}",
        ]
    )
    return template.render(context).strip()


def _one_line(text: str, length: int) -> str:
    return Truncator(" ".join(text.split())).chars(length)


def _rendered(event: str, context: dict[str, Any], language: str) -> dict[str, str]:
    """Subject, text, HTML and one-line preview of one recipient's notification, in their
    language."""
    with translation.override(language):
        return {
            "subject": " ".join(_render(event, "subject.txt", context).split())[:255],
            "body": _render(event, "body.txt", context),
            "html_body": _render(event, "body.html", context),
            "preview": _one_line(_render(event, "preview.txt", context), PREVIEW_LENGTH),
        }


@dataclass(frozen=True)
class Guest:
    """Someone to e-mail who has no account (a co-visitor): no in-app notification."""

    email: str
    full_name: str = ""
    #: The language to write in; the caller passes the language of whoever named the guest
    #: (a co-visitor is written to in the applicant's language); empty: the site's default.
    language: str = ""
    is_active: bool = True
    pk: None = None

    def get_full_name(self) -> str:
        return self.full_name


def language_of(recipient: Any) -> str:
    """A user's preferred language (``User.language``), a guest's, else the site's default."""
    return getattr(recipient, "language", "") or settings.LANGUAGE_CODE


def notify(
    recipients: Iterable[Any],
    event: str,
    *,
    target: models.Model | None = None,
    context: dict[str, Any] | None = None,
    dedupe_key: str | None = None,
    attachments: list[dict[str, str]] | None = None,
) -> list[Notification]:
    """Record one notification (in-app + e-mail) per recipient; e-mails leave after commit.

    With ``dedupe_key`` (reminders) a recipient gets at most one notification per key, even when
    two beat schedulers or a restart run the same reminder twice. A ``Guest`` gets the e-mail
    only; ``attachments`` (``{"name", "mimetype", "content"}``, text) go with every e-mail.
    Each e-mail (and the in-app text) is rendered in its recipient's language, so the context's
    translatable values should be lazy (``gettext_lazy``, ``interpolate_lazy``) or callables.
    """
    created: list[Notification] = []
    seen: set[str] = set()
    for recipient in recipients:
        who = f"user:{recipient.pk}" if recipient.pk else f"guest:{recipient.email.lower()}"
        if who in seen or not recipient.is_active:
            continue
        seen.add(who)
        ctx = {"event": event, "target": target, "recipient": recipient, **(context or {})}
        ctx["url"] = _admin_url(recipient, target) or ctx.get("url", "")
        ctx["absolute_url"] = settings.SITE_URL.rstrip("/") + ctx["url"] if ctx["url"] else ""
        key = f"{dedupe_key}:{recipient.pk or recipient.email.lower()}" if dedupe_key else None
        notification = Notification(
            recipient=recipient if recipient.pk else None,
            email="" if recipient.pk else recipient.email,
            email_attachments=attachments or [],
            event=event,
            **_rendered(event, ctx, language_of(recipient)),
            url=ctx["url"],
            content_type=ContentType.objects.get_for_model(target) if target else None,
            object_id=target.pk if target else None,
            reference=getattr(target, "reference", ""),
            dedupe_key=key,
        )
        if key:
            try:
                with transaction.atomic():
                    notification.save()
            except IntegrityError:
                continue  # this reminder went out already
        else:
            notification.save()
        created.append(notification)
    enqueue_emails_on_commit(n.pk for n in created)
    return created


def _admin_url(recipient: Any, target: models.Model | None) -> str:
    """Curators, coordinators and site staff work in the admin: their link opens the target's
    admin page there, not the researcher's page. Not for a request of their own (asked of
    another institution, say), which they follow on the site like any researcher; "" when the
    target has no admin page or the recipient no admin role for it (a guest, a researcher)."""
    if target is None or not getattr(recipient, "pk", None):
        return ""
    if getattr(target, "requester_id", None) == recipient.pk:
        return ""
    institution_id = getattr(target, "institution_id", None)
    if not (is_site_staff(recipient) or institution_id in institution_ids(recipient)):
        return ""
    meta = target._meta
    try:
        return reverse(f"admin:{meta.app_label}_{meta.model_name}_change", args=[target.pk])
    except NoReverseMatch:
        return ""


def mark_read(user: Any, target: models.Model) -> int:
    """Mark ``user``'s unread notifications about ``target`` read, in one statement however
    many there are: opening what they are about is reading them."""
    return (
        Notification.objects.for_user(user)
        .unread()
        .filter(content_type=ContentType.objects.get_for_model(target), object_id=target.pk)
        .update(read_at=timezone.now())
    )
