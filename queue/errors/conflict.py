"""Errors of a change that clashes with the current state (``ConflictError``)."""

from __future__ import annotations

from horde.queue.errors.families import ConflictError


class DuplicateGenError(ConflictError):
    """This job was already submitted."""

    rc = "DuplicateGen"


class AbortedGenError(ConflictError):
    """This job was aborted or timed out and handed to another worker."""

    rc = "AbortedGen"


class InvalidTransitionError(ConflictError):
    """This state change is not allowed."""

    rc = "InvalidTransition"


class AlreadyExistsError(ConflictError):
    """This already exists (a concurrent call created it first)."""

    rc = "AlreadyExists"


class TooFastKudosTransfersError(ConflictError):
    """The recipient sent you kudos less than a minute ago; wait before sending it back."""

    rc = "TooFastKudosTransfers"
