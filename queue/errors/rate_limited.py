"""Errors of a caller who asks too often or for too much at once (``RateLimitedError``)."""

from __future__ import annotations

from horde.queue.errors.families import RateLimitedError


class TooManyPromptsError(RateLimitedError):
    """You have too many images waiting; wait for some to finish."""

    rc = "TooManyPrompts"
