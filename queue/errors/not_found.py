"""Errors of a thing that does not exist (``NotFoundError``)."""

from __future__ import annotations

from horde.queue.errors.families import NotFoundError


class RequestNotFoundError(NotFoundError):
    """No request with this id."""

    rc = "RequestNotFound"


class InvalidJobIdError(NotFoundError):
    """No job with this id."""

    rc = "InvalidJobID"


class UserNotFoundError(NotFoundError):
    """No such user."""

    rc = "UserNotFound"


class WorkerNotFoundError(NotFoundError):
    """No such worker."""

    rc = "WorkerNotFound"


class TeamNotFoundError(NotFoundError):
    """No such team."""

    rc = "TeamNotFound"


class SharedKeyNotFoundError(NotFoundError):
    """No such shared key."""

    rc = "SharedKeyNotFound"


class StyleNotFoundError(NotFoundError):
    """No such style."""

    rc = "StyleNotFound"


class FilterNotFoundError(NotFoundError):
    """No such filter."""

    rc = "FilterNotFound"


class RequestExpiredError(NotFoundError):
    """This request has expired."""

    rc = "RequestExpired"
