"""Errors of the horde's modes and of moderation objects (maintenance, invite-only workers, raid mode, messages)."""

from __future__ import annotations

from horde.queue.errors.families import ForbiddenError, NotFoundError


class MaintenanceModeError(ForbiddenError):
    """The horde is in maintenance mode: new requests are refused for now. Please try again later."""

    rc = "MaintenanceMode"


class WorkerInviteOnlyError(ForbiddenError):
    """This horde takes new workers by invitation only; ask a moderator for an invite."""

    rc = "WorkerInviteOnly"


class RaidModeError(ForbiddenError):
    """The horde is defending itself from abuse: new accounts and anonymous requests are refused for now."""

    rc = "RaidMode"


class MessageNotFoundError(NotFoundError):
    """No such message."""

    rc = "MessageNotFound"


class NewsNotFoundError(NotFoundError):
    """No such news item."""

    rc = "NewsNotFound"
