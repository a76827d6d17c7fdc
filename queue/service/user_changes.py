"""The rules of a moderator's change to an account, as upstream's ``PUT /v2/users/{id}`` has them.

- Moderators set every role flag but moderator and admin, and the account's concurrency, worker invites, name,
  contact, moderator comment and suspension, and reset its suspicion.
- Only admins set the moderator and admin flags, change kudos (a ledger entry with a reason) and set the kudos an
  account receives each month (``monthly_kudos``, paid by the sweep: ``service.monthly``).
- Nobody acts on an account of a higher role: moderators act on plain accounts only; admins on anyone.
- Setting moderator also sets trusted. The anonymous user holds no role and no kudos.
- Education raises concurrency to 200 (if lower); clearing it brings 200 back to the default.
"""

from __future__ import annotations

import dataclasses
import math
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, params as params_mod, roles as roles_mod
from horde.queue.domain.roles import ANONYMOUS_USER_ID, Role
from horde.queue.store.rows import UserRow

EDUCATION_CONCURRENCY = 200
MAX_KUDOS_CHANGE = 1_000_000_000
FLAGS = frozenset(r.value for r in Role)
#: changes that are not role flags: the column they set (``None``: handled on its own)
OTHER = {
    "concurrency": "concurrency",
    "worker_invited": "worker_invited",
    "username": "username",
    "contact": "contact",
    "admin_comment": "admin_comment",
    "suspended": "suspended",
    "reset_suspicion": None,
    "kudos": None,
    "kudos_reason": None,
    "monthly_kudos": None,
}
#: columns shown before and after in the audit log
AUDITED = (*sorted(FLAGS), "concurrency", "worker_invited", "username", "contact", "admin_comment", "suspended")


def check_username(username: str) -> str:
    params_mod.reject_nul_bytes(username, "username")
    name = " ".join(username.split())
    if not 1 <= len(name) <= 100:
        raise errors.ValidationError("A username has 1 to 100 characters.", {"username": "1-100 characters"})
    return name


@dataclasses.dataclass
class Change:
    values: dict[str, Any]
    kudos: float = 0.0
    reason: str = ""
    reset_suspicion: bool = False
    monthly_kudos: int | None = None  #: the new monthly amount, in whole kudos
    monthly_before: float | None = None  #: the amount it replaces (for the audit log; set by the caller)


def plan(actor: dto.Actor, row: UserRow, changes: dict[str, Any], default_concurrency: int) -> Change:
    """The columns to write for ``changes`` by ``actor`` to ``row``, or the error that refuses them."""
    unknown = set(changes) - FLAGS - set(OTHER)
    if unknown:
        raise errors.ValidationError(f"Cannot change {sorted(unknown)}.")
    if not roles_mod.can_act_on(actor.roles, roles_mod.from_flags(row)):
        raise errors.NotAdminError("Only admins act on moderators and admins, a moderator's own account too.")
    flags = {Role(name): bool(value) for name, value in changes.items() if name in FLAGS}
    if row.id == ANONYMOUS_USER_ID and (any(flags.values()) or changes.get("kudos") or changes.get("monthly_kudos")):
        raise errors.AnonForbiddenError("The anonymous user can hold no role or kudos.")
    for role in flags:
        if not roles_mod.can_set(actor.roles, role):
            raise errors.NotAdminError(f"Only admins set or clear {role.value}.")
    values: dict[str, Any] = {role.value: held for role, held in flags.items()}
    if flags.get(Role.MODERATOR):
        values[Role.TRUSTED.value] = True
    values |= _limits(changes)
    _education(values, row, default_concurrency)
    change = Change(values=values, reset_suspicion=bool(changes.get("reset_suspicion")))
    if changes.get("kudos"):
        change.kudos, change.reason = _kudos(actor, changes)
    if changes.get("monthly_kudos") is not None:
        if not actor.is_admin:
            raise errors.NotAdminError("Only admins set monthly kudos.")
        change.monthly_kudos = _whole(changes["monthly_kudos"], "monthly_kudos", 0, MAX_KUDOS_CHANGE)
    return change


def _limits(changes: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if "concurrency" in changes:
        values["concurrency"] = _whole(changes["concurrency"], "concurrency", 1, 1000)
    if "worker_invited" in changes:
        values["worker_invited"] = _whole(changes["worker_invited"], "worker_invited", 0, 100)
    if "username" in changes:
        values["username"] = check_username(str(changes["username"]))
    for name, limit in (("contact", 500), ("admin_comment", 500)):
        if name in changes:
            values[name] = str(changes[name] or "")[:limit] or None
    if "suspended" in changes:
        values["suspended"] = bool(changes["suspended"])
    return values


def _whole(value: Any, name: str, low: int, high: int) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise errors.ValidationError(f"{name} is a whole number.", {name: "not a number"}) from exc
    if not low <= number <= high:
        raise errors.ValidationError(f"{name} must be {low} to {high}.", {name: f"{low}-{high}"})
    return number


def _education(values: dict[str, Any], row: UserRow, default_concurrency: int) -> None:
    if Role.EDUCATION.value not in values or "concurrency" in values:
        return
    if values[Role.EDUCATION.value] and row.concurrency < EDUCATION_CONCURRENCY:
        values["concurrency"] = EDUCATION_CONCURRENCY
    elif not values[Role.EDUCATION.value] and row.concurrency == EDUCATION_CONCURRENCY:
        values["concurrency"] = default_concurrency


def _kudos(actor: dto.Actor, changes: dict[str, Any]) -> tuple[float, str]:
    if not actor.is_admin:
        raise errors.NotAdminError("Only admins change kudos.")
    try:
        amount = float(changes["kudos"])
    except (TypeError, ValueError) as exc:
        raise errors.KudosValidationError("kudos is a number.", {"kudos": "not a number"}) from exc
    if not math.isfinite(amount) or abs(amount) > MAX_KUDOS_CHANGE or kudos_rules.to_milli(amount) == 0:
        raise errors.KudosValidationError("kudos must be a finite, non-zero change.", {"kudos": "out of range"})
    reason = " ".join(str(changes.get("kudos_reason") or "").split())
    return amount, reason or "adjusted by an admin"


def audit_details(before: UserRow, after: UserRow, change: Change) -> dict[str, Any]:
    """What changed, as ``{"before": {...}, "after": {...}}`` of the columns that differ, plus kudos."""
    old = {name: getattr(before, name) for name in AUDITED if getattr(before, name) != getattr(after, name)}
    new = {name: getattr(after, name) for name in old}
    if change.kudos:
        old["kudos"] = kudos_rules.from_milli(before.kudos_milli)
        new["kudos"] = kudos_rules.from_milli(after.kudos_milli)
    if change.monthly_kudos is not None and change.monthly_kudos != change.monthly_before:
        old["monthly_kudos"], new["monthly_kudos"] = change.monthly_before, change.monthly_kudos
    details: dict[str, Any] = {"before": old, "after": new}
    if change.reason:
        details["reason"] = change.reason
    if change.reset_suspicion:
        details["reset_suspicion"] = True
    return details
