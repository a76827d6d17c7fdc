"""Errors of input that is not valid (``ValidationError``)."""

from __future__ import annotations

from horde.queue.errors.families import ValidationError


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


class CorruptPromptError(ValidationError):
    """This prompt is not allowed."""

    rc = "CorruptPrompt"


class AestheticsNotCompletedError(ValidationError):
    """Only a finished request can be rated."""

    rc = "AestheticsNotCompleted"


class AestheticsNotPublicError(ValidationError):
    """Only a shared request can be rated."""

    rc = "AestheticsNotPublic"


class AestheticsAlreadyExistError(ValidationError):
    """This request was already rated."""

    rc = "AestheticsAlreadyExist"


class AestheticsMissingError(ValidationError):
    """Give a best image, ratings, or both."""

    rc = "AestheticsMissing"


class StylePromptMissingVarsError(ValidationError):
    """An image style's prompt needs both {p} and {np}; a text style's needs {p}."""

    rc = "StylePromptMissingVars"


class SourceImageResolutionExceededError(ValidationError):
    """The source image is larger than alchemy takes."""

    rc = "SourceImageResolutionExceeded"
