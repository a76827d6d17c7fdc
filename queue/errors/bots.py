"""Errors of the chat frontends' rules (guild settings, linked accounts), which the service enforces."""

from __future__ import annotations

from horde.queue.errors.families import AuthError, ForbiddenError, RateLimitedError, ValidationError


class NsfwChannelError(ForbiddenError):
    """NSFW images are made only in age-restricted channels."""

    rc = "NsfwChannelOnly"


class BlockedWordError(ValidationError):
    """This server does not allow a word in the prompt."""

    rc = "BlockedWord"


class GuildRateLimitedError(RateLimitedError):
    """This server limits how often each person may generate."""

    rc = "GuildRateLimited"


class LoginRequiredError(ForbiddenError):
    """This server lets only linked Horde accounts generate."""

    rc = "LoginRequired"


class LinkBrokenError(AuthError):
    """The linked API key no longer works: it was reset, or the server's secret changed."""

    rc = "LinkBroken"


class NotManagerError(ForbiddenError):
    """Only the server's managers (Manage Server permission) change its settings."""

    rc = "NotGuildManager"
