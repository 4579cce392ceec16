"""Domain errors of the workflow. Views map them to the contract's status codes."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class WorkflowError(Exception):
    """Base class: something about the request prevents the action."""

    status_code = 400

    def __init__(self, message: StrOrPromise) -> None:
        super().__init__(message)
        self.message = message


class UnknownAction(WorkflowError):
    """The kind has no such action (404 on the API: no such endpoint)."""

    status_code = 404


class ActionForbidden(WorkflowError):
    """The actor may see the request but holds no role that may perform this action (403)."""

    status_code = 403


class InvalidTransition(WorkflowError):
    """The action is not allowed from the request's current state (409)."""

    status_code = 409

    def __init__(
        self, message: StrOrPromise, *, status: str, allowed_actions: Sequence[str]
    ) -> None:
        super().__init__(message)
        self.status = status
        self.allowed_actions = list(allowed_actions)


class ActionConflict(WorkflowError):
    """The action clashes with other data, e.g. a specimen already out on another loan (409)."""

    status_code = 409
