"""OpenAPI post-processing: the error responses every operation can give, documented once.

Views document their own success shapes and their specific errors (e.g. 409 on transitions);
the contract's generic errors (DESIGN.md §3) apply to every operation alike, so they are added
here rather than repeated on each view. Schemathesis checks the live API against the result.
"""

from __future__ import annotations

from typing import Any

ERROR = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "required": ["detail"],
    "description": "An error with a human-readable `detail`.",
}
VALIDATION_ERRORS = {
    "type": "object",
    "description": (
        "Invalid input: `{field: [messages]}`; nested fields nest the same way "
        '(e.g. `{"items": {"2": {"specimen": ["…"]}}}`); `non_field_errors` for the whole body.'
    ),
    "additionalProperties": True,
}
GENERIC = {
    "401": ("Error", "No credentials, or invalid, expired or revoked ones."),
    "403": ("Error", "You are known but may not do this."),
    "404": ("Error", "No such resource visible to you (never says whether it exists)."),
    "429": ("Error", "Too many requests; retry after the `Retry-After` header's seconds."),
}
WRITE_METHODS = {"post", "put", "patch"}


def error_response(component: str, description: str) -> dict[str, Any]:
    return {
        "description": description,
        "content": {"application/json": {"schema": {"$ref": f"#/components/schemas/{component}"}}},
    }


def add_error_responses(result: dict[str, Any], generator, request, public) -> dict[str, Any]:
    schemas = result.setdefault("components", {}).setdefault("schemas", {})
    schemas.setdefault("Error", ERROR)
    schemas.setdefault("ValidationErrors", VALIDATION_ERRORS)
    for operations in result.get("paths", {}).values():
        for method, operation in operations.items():
            if method not in {"get", "post", "put", "patch", "delete"}:
                continue
            responses = operation.setdefault("responses", {})
            for code, (component, description) in GENERIC.items():
                responses.setdefault(code, error_response(component, description))
            if method in WRITE_METHODS or operation.get("parameters"):
                responses.setdefault(
                    "400", error_response("ValidationErrors", "Invalid input or query parameters.")
                )
            body = operation.get("requestBody", {}).get("content", {})
            if method in WRITE_METHODS:
                responses.setdefault(
                    "415", error_response("Error", "The body's content type is not accepted.")
                )
            if "multipart/form-data" in body:
                responses.setdefault(
                    "413", error_response("Error", "The upload is larger than the site accepts.")
                )
    return result
