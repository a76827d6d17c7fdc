"""Roles as AI Horde has them: independent flags on an account, and the rules of who may grant which.

Upstream keeps roles as rows of ``user_roles`` (trusted, flagged, customizer, vpn, service, education, special,
moderator) and admins as a separate list; here each is a boolean column of ``users``, admin included. The
anonymous user holds none.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable


class Role(enum.StrEnum):
    """One flag an account may hold; the string is the column name and upstream's field name."""

    TRUSTED = "trusted"  #: serves and may ask for trusted-only work, runs more workers, makes teams and styles
    FLAGGED = "flagged"  #: no transfers, cannot run workers, goes to the back of the queue
    CUSTOMIZER = "customizer"  #: may host models outside the reference and make styles
    VPN = "vpn"  #: its workers skip the IP-safety check
    SERVICE = "service"  #: a service account (may proxy for its own users)
    EDUCATION = "education"  #: an educator: higher concurrency, safe-for-work only
    SPECIAL = "special"  #: may use special payloads
    MODERATOR = "moderator"  #: moderates users, workers, filters, IPs and modes
    ADMIN = "admin"  #: everything a moderator does, plus kudos, maintenance and granting moderator or admin


ALL = tuple(Role)
#: flags only an admin may set or clear
ADMIN_ONLY = frozenset({Role.MODERATOR, Role.ADMIN})
#: what a whole-role shorthand (``horde users create --role``) grants: the old ladder, kept as presets
PRESETS = {
    Role.TRUSTED: frozenset({Role.TRUSTED}),
    Role.MODERATOR: frozenset({Role.MODERATOR, Role.TRUSTED}),
    Role.ADMIN: frozenset({Role.ADMIN, Role.MODERATOR, Role.TRUSTED}),
}


def preset(role: Role | None) -> frozenset[Role]:
    """The flags a single role stands for (moderator brings trusted; admin brings both)."""
    if role is None:
        return frozenset()
    return PRESETS.get(role, frozenset({role}))


def with_implied(roles: Iterable[Role]) -> frozenset[Role]:
    """Setting moderator also sets trusted, as upstream."""
    held = frozenset(roles)
    return held | {Role.TRUSTED} if Role.MODERATOR in held else held


def is_admin(roles: Iterable[Role]) -> bool:
    return Role.ADMIN in frozenset(roles)


def is_moderator(roles: Iterable[Role]) -> bool:
    """Holds a moderator's powers (moderators and admins)."""
    held = frozenset(roles)
    return Role.MODERATOR in held or Role.ADMIN in held


def is_trusted(roles: Iterable[Role]) -> bool:
    """Trusted, or trusted by being staff."""
    held = frozenset(roles)
    return Role.TRUSTED in held or is_moderator(held)


def rank(roles: Iterable[Role]) -> int:
    """0 for an account, 1 for a moderator, 2 for an admin: who may act on whom."""
    held = frozenset(roles)
    return 2 if Role.ADMIN in held else 1 if Role.MODERATOR in held else 0


def can_act_on(actor: Iterable[Role], target: Iterable[Role]) -> bool:
    """Moderators act on accounts below them; admins on every account. Nobody acts on a higher role."""
    mine = rank(actor)
    return mine >= 1 and (mine == 2 or rank(target) < mine)


def can_set(actor: Iterable[Role], role: Role) -> bool:
    """Moderators set every flag but moderator and admin; only admins set those."""
    return is_admin(actor) if role in ADMIN_ONLY else is_moderator(actor)


def from_flags(flags: object) -> frozenset[Role]:
    """The roles of anything with one boolean attribute per role (a ``users`` row)."""
    return frozenset(role for role in Role if getattr(flags, role.value, False))


class AccountKind(enum.StrEnum):
    """How an account came to be; it decides the kudos floor."""

    REGISTERED = "registered"  #: registered through the web page or the command line
    PSEUDONYMOUS = "pseudonymous"  #: created for a Discord or Mastodon user by a bot
    ANONYMOUS = "anonymous"  #: the shared anonymous user, API key ``0000000000``


ANONYMOUS_API_KEY = "0000000000"
ANONYMOUS_USER_ID = 0
