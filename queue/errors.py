"""The ``HordeError`` tree. ``rc`` matches AI Horde's return codes; the docstring is the default message.

The engine knows no HTTP: adapters map each family to a status (``horde.webapp.errors``), a Discord message
or a Mastodon reply.
"""

from __future__ import annotations


class HordeError(Exception):
    """Something went wrong."""

    rc = "BadRequest"

    def __init__(self, message: str | None = None) -> None:
        self.message = message or (self.__doc__ or "").strip()
        super().__init__(self.message)


# --- families -------------------------------------------------------------------------------------------------


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


# --- validation -----------------------------------------------------------------------------------------------


class MissingPromptError(ValidationError):
    """The prompt is empty."""

    rc = "MissingPrompt"


class NulByteError(ValidationError):
    """The payload contains a NUL byte."""

    rc = "NulByteInPayload"


class InvalidSizeError(ValidationError):
    """Width and height must be multiples of 64 between 64 and 3072."""

    rc = "InvalidSize"


class InvalidPromptSizeError(ValidationError):
    """The prompt is too long."""

    rc = "InvalidPromptSize"


class TooManyStepsError(ValidationError):
    """Too many steps."""

    rc = "TooManySteps"


class UnsupportedSamplerError(ValidationError):
    """This sampler is not supported."""

    rc = "UnsupportedSampler"


class TokenOverflowError(ValidationError):
    """max_length must not exceed max_context_length."""

    rc = "TokenOverflow"


class KudosValidationError(ValidationError):
    """The kudos amount is not valid."""

    rc = "KudosValidationError"


class NegativeKudosTransferError(KudosValidationError):
    """You cannot transfer a negative or zero amount of kudos."""

    rc = "NegativeKudosTransfer"


class KudosTransferToSelfError(KudosValidationError):
    """You cannot transfer kudos to yourself."""

    rc = "KudosTransferToSelf"


class KudosTransferNotEnoughError(KudosValidationError):
    """You do not have enough kudos for this transfer."""

    rc = "KudosTransferNotEnough"


class InvalidWorkerNameError(ValidationError):
    """This worker name is not allowed."""

    rc = "ProfaneWorkerName"


class SourceMaskUnnecessaryError(ValidationError):
    """A source mask needs a source image."""

    rc = "SourceMaskUnnecessary"


class TooManyUpscalersError(ValidationError):
    """At most one upscaler may be used."""

    rc = "TooManyUpscalers"


class NameAlreadyExistsError(ValidationError):
    """This name is already taken."""

    rc = "NameAlreadyExists"


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


# --- not found ------------------------------------------------------------------------------------------------


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


# --- forbidden ------------------------------------------------------------------------------------------------


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


class CorruptPromptError(ValidationError):
    """This prompt is not allowed."""

    rc = "CorruptPrompt"


class SharedKeyExpiredError(ForbiddenError):
    """This shared key has expired."""

    rc = "SharedKeyExpired"


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


class TooManyPromptsError(RateLimitedError):
    """You have too many images waiting; wait for some to finish."""

    rc = "TooManyPrompts"
