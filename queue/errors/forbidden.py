"""Errors of a caller who may not do this (``ForbiddenError``)."""

from __future__ import annotations

from horde.queue.errors.families import ForbiddenError


class WrongCredentialsError(ForbiddenError):
    """This belongs to another user."""

    rc = "WrongCredentials"


class AnonForbiddenError(ForbiddenError):
    """Anonymous users cannot do this; register for an API key."""

    rc = "AnonForbidden"


class NotModeratorError(ForbiddenError):
    """Only moderators can do this."""

    rc = "NotModerator"


class NotAdminError(ForbiddenError):
    """Only admins can do this."""

    rc = "NotAdmin"


class NotOwnerError(ForbiddenError):
    """Only the owner can do this."""

    rc = "NotOwner"


class NotTrustedError(ForbiddenError):
    """Only trusted users can do this."""

    rc = "NotTrusted"


class KudosUpfrontError(ForbiddenError):
    """This request needs kudos up front, and you do not have enough."""

    rc = "KudosUpfront"

    def __init__(self, message: str | None = None, needed: float = 0.0, balance: float = 0.0) -> None:
        super().__init__(message)
        self.needed = needed
        self.balance = balance


class SuspendedError(ForbiddenError):
    """This account is suspended."""

    rc = "UserSuspended"


class FlaggedError(ForbiddenError):
    """This account is flagged and cannot run workers."""

    rc = "WorkerFlaggedMaintenance"


class WorkerMaintenanceError(ForbiddenError):
    """This worker is in maintenance mode."""

    rc = "WorkerMaintenance"


class TimeoutIPError(ForbiddenError):
    """Your IP address is in timeout."""

    rc = "TimeoutIP"


class SharedKeyExpiredError(ForbiddenError):
    """This shared key has expired."""

    rc = "SharedKeyExpired"


class SharedKeyScopeError(ForbiddenError):
    """A shared key can only generate images and text, and follow or cancel what it asked for. Use your own API
    key for anything else."""

    rc = "SharedKeyScope"


class SharedKeyEmptyError(ForbiddenError):
    """This shared key has no kudos left."""

    rc = "SharedKeyEmpty"


class TooManyWorkersError(ForbiddenError):
    """You have too many workers."""

    rc = "TooManyWorkers"


class KudosTransferFromAnonError(ForbiddenError):
    """Anonymous users cannot send kudos."""

    rc = "KudosTransferFromAnon"


class KudosTransferToAnonError(ForbiddenError):
    """Kudos cannot be sent to the anonymous user."""

    rc = "KudosTransferToAnon"


class FaultWhenKudosSendingError(ForbiddenError):
    """Flagged or suspended accounts cannot send or receive kudos."""

    rc = "FaultWhenKudosSending"


class StylesRequiresCustomizerError(ForbiddenError):
    """Only trusted users may create styles."""

    rc = "StylesRequiresCustomizer"
