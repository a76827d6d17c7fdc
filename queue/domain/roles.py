"""Roles and account kinds, and what each may do."""

from __future__ import annotations

import enum


class Role(enum.StrEnum):
    """A user's role; each one includes the powers of the roles before it."""

    USER = "user"  #: a plain account
    TRUSTED = "trusted"  #: serves and may ask for trusted-only work, runs more workers
    MODERATOR = "moderator"  #: moderates users, workers, filters and IP timeouts
    ADMIN = "admin"  #: everything, including granting roles and kudos


RANK = {Role.USER: 0, Role.TRUSTED: 1, Role.MODERATOR: 2, Role.ADMIN: 3}


def at_least(role: Role, needed: Role) -> bool:
    """Whether ``role`` carries the powers of ``needed``."""
    return RANK[role] >= RANK[needed]


class AccountKind(enum.StrEnum):
    """How an account came to be; it decides the kudos floor."""

    REGISTERED = "registered"  #: registered through the web page or the command line
    PSEUDONYMOUS = "pseudonymous"  #: created for a Discord or Mastodon user by a bot
    ANONYMOUS = "anonymous"  #: the shared anonymous user, API key ``0000000000``


ANONYMOUS_API_KEY = "0000000000"
ANONYMOUS_USER_ID = 0
