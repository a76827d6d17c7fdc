"""The ``HordeError`` root and its families; adapters map each family to an HTTP status."""

from __future__ import annotations


class HordeError(Exception):
    """Something went wrong."""

    rc = "BadRequest"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or "").strip()
        super().__init__(self.message)


class ValidationError(HordeError):
    """The input is not valid."""

    rc = "BadRequest"

    def __init__(self, message: str | None = None, field_errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.field_errors = field_errors or {}


class NotFoundError(HordeError):
    """Not found."""

    rc = "NotFound"


class AuthError(HordeError):
    """The API key is not valid."""

    rc = "InvalidAPIKey"


class ForbiddenError(HordeError):
    """You are not allowed to do this."""

    rc = "Forbidden"


class ConflictError(HordeError):
    """This conflicts with the current state."""

    rc = "Conflict"


class RateLimitedError(HordeError):
    """Too many requests; try again later."""

    rc = "TooManyPrompts"

    def __init__(self, message: str | None = None, retry_after: float = 1.0) -> None:
        super().__init__(message)
        self.retry_after = retry_after
