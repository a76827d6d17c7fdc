"""Errors of the horde's modes and of moderation objects (maintenance, invite-only workers, raid mode, messages)."""

from __future__ import annotations

from horde.queue.errors.families import ForbiddenError, HordeError, NotFoundError


class MaintenanceModeError(ForbiddenError):
    """The horde is in maintenance mode: new requests are refused for now. Please try again later."""

    rc = "MaintenanceMode"


class ServiceBusyError(HordeError):
    """The horde is too busy right now (its database has no free connection). Please try again in a moment."""

    rc = "ServiceBusy"
    retry_after = 1.0  #: seconds a client should wait before it tries again


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
