"""Image results a worker's CSAM guard blocked (submitted with state ``csam``): recorded against the requester and
their address (an IPv6 address as its /64); past ``csam_limit_per_hour`` in an hour or ``csam_limit_per_day`` in a
day, for either, the account is flagged to moderators (a suspicion they see in the admin panel), once per crossing.
The requester pays only the horde's tax for such a result (``kudos.image_charge``)."""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging

from horde.queue import dto
from horde.queue.domain.suspicion import Reason
from horde.queue.service.context import Context
from horde.queue.service.users import require_moderator
from horde.queue.settings import CoreSettings
from horde.queue.store import admin as admin_store, csam as csam_store, users as user_store
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)
HOUR = dt.timedelta(hours=1)
DAY = dt.timedelta(days=1)


def address_of(ip: str | None) -> str | None:
    """The address results are counted by: an IPv4 address, or an IPv6 address's /64."""
    if not ip:
        return None
    try:
        address = ipaddress.ip_address(ip)
    except ValueError:
        return ip[:64]
    return str(ipaddress.ip_network(f"{address}/64", strict=False)) if address.version == 6 else str(address)


async def record(
    conn: Connection, settings: CoreSettings, *, user_id: int, request_id: str, job_id: str, worker_id: str | None,
    now: dt.datetime,
) -> None:  # fmt: skip
    """Count one blocked result; flag the account when it (or its address) just went past a limit."""
    ip = address_of(await csam_store.request_ip(conn, request_id))
    await csam_store.add(conn, user_id=user_id, ip=ip, job_id=job_id, worker_id=worker_id, now=now)
    limits = ((HOUR, settings.csam_limit_per_hour, "an hour"), (DAY, settings.csam_limit_per_day, "a day"))
    for span, limit, words in limits:
        counts = [("account", await csam_store.count_for_user(conn, user_id, now - span))]
        if ip is not None:
            counts.append((f"address {ip}", await csam_store.count_for_ip(conn, ip, now - span)))
        for who, count in counts:
            if count == limit + 1:  # just went past: one flag per crossing, not one per result after it
                detail = f"{count} images blocked as CSAM within {words} ({who})"
                await admin_store.add_suspicion(
                    conn, user_id=user_id, worker_id=None, reason=Reason.CSAM_RESULTS.value, detail=detail, now=now
                )
                logger.warning(
                    "csam_limit_passed", extra={"action": "csam_flagged", "user_id": user_id, "detail": detail}
                )


class CsamReports:
    """What moderators see of it: the accounts flagged in the last ``days``, newest first."""

    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def flagged(self, actor: dto.Actor, *, days: int = 30) -> list[dto.CsamFlag]:
        require_moderator(actor)
        since = self.ctx.clock() - dt.timedelta(days=days)
        async with self.ctx.db.read() as conn:
            rows = await admin_store.suspicions_for_reason(conn, Reason.CSAM_RESULTS.value, since)
            names = {}
            for row in rows:
                user = await user_store.by_id(conn, row.user_id)
                names[row.user_id] = f"{user.username}#{user.id}" if user else f"#{row.user_id}"
        return [dto.CsamFlag(row.user_id, names[row.user_id], row.detail or "", row.created_at) for row in rows]
