"""The delivery itself — what ELViS POSTs to a subscriber — in the OpenAPI document.

OpenAPI 3.0 (which the project's document is) has no ``webhooks`` object; ``x-webhooks`` is the
extension Redoc and other tools read for it (OpenAPI 3.1 made it ``webhooks``), so a partner's
tooling sees the headers to verify and the envelope to expect next to the subscription API.
"""

from __future__ import annotations

from typing import Any

from ..delivery import USER_AGENT

DEPRECATION = "Deprecated: sent until at least 2027-05-31 (see the webhooks guide)."
STANDARD = "Standard Webhooks (https://www.standardwebhooks.com/)."


def _header(name: str, description: str, *, deprecated: bool = False) -> dict[str, Any]:
    header: dict[str, Any] = {
        "name": name,
        "in": "header",
        "required": not deprecated,
        "schema": {"type": "string"},
        "description": f"{description} {DEPRECATION if deprecated else STANDARD}",
    }
    if deprecated:
        header["deprecated"] = True
    return header


DELIVERY = {
    "post": {
        "operationId": "webhook_delivery",
        "tags": ["webhooks"],
        "summary": "A delivery: what ELViS POSTs to a subscription's URL",
        "description": (
            "One event, signed as Standard Webhooks sign: verify it with a `standardwebhooks` "
            "library and the subscription's secret, on the raw body, and deduplicate on "
            "`webhook-id`. Answer any 2xx within 10 seconds; 5xx, 429 and no answer are "
            f"retried for 24 hours. Sent with `User-Agent: {USER_AGENT}`."
        ),
        "parameters": [
            _header(
                "webhook-id",
                "The event id (the envelope's `id`): the same on every attempt and redelivery.",
            ),
            _header("webhook-timestamp", "When this attempt was sent, in Unix seconds."),
            _header(
                "webhook-signature",
                "`v1,<base64 HMAC-SHA256 of id.timestamp.body>` per valid secret, "
                "space-separated (two during a secret rotation).",
            ),
            {
                "name": "ELViS-Event",
                "in": "header",
                "required": True,
                "schema": {"type": "string"},
                "description": "The event name, as the envelope's `event`.",
            },
            _header("ELViS-Delivery", "The event id, as `webhook-id`.", deprecated=True),
            _header("ELViS-Timestamp", "As `webhook-timestamp`.", deprecated=True),
            _header(
                "ELViS-Signature",
                "`v1=<hex HMAC-SHA256 of timestamp.body keyed with the whole secret>` per "
                "valid secret, comma-separated.",
                deprecated=True,
            ),
        ],
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Envelope"}}},
        },
        "responses": {
            "2XX": {"description": "Delivered."},
            "429": {"description": "Retried, not before the `Retry-After` you send."},
            "5XX": {"description": "Retried with backoff for 24 hours."},
        },
    }
}


def document_deliveries(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    """drf-spectacular post-processing hook: the delivery under ``x-webhooks``."""
    if "Envelope" in result.get("components", {}).get("schemas", {}):
        result["x-webhooks"] = {"delivery": DELIVERY}
    return result
