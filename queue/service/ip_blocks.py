"""IP timeouts and blocks: single addresses and CIDR blocks, each with an expiry. A blocked address cannot ask
for generations; a worker's address can be blocked for N days (an IPv6 one as its /64, as upstream)."""

from __future__ import annotations

import datetime as dt
import ipaddress

from horde.queue import dto, errors
from horde.queue.service.context import Context
from horde.queue.service.users import require_moderator
from horde.queue.store import audit, moderation as mod_store, workers as worker_store

MAX_HOURS = 24 * 30
MIN_PREFIX = {4: 8, 6: 32}  #: the widest block a moderator may set (and so the widest one an address looks up)


def network_of(value: str) -> str:
    """``value`` as stored: an address (``10.0.0.1``) or a block (``10.0.0.0/8``); a full-length block is an
    address. Raises ``ValidationError`` for anything else, or a block wider than /8 (IPv6: /32)."""
    text = value.strip()
    try:
        net = ipaddress.ip_network(text, strict=False)
    except ValueError as exc:
        raise errors.ValidationError("Not an IP address or CIDR block.", {"ipaddr": "not an IP address"}) from exc
    if net.prefixlen < MIN_PREFIX[net.version]:
        raise errors.ValidationError(
            f"A block may be at most /{MIN_PREFIX[net.version]} wide.", {"ipaddr": "block too wide"}
        )
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def networks_holding(ip: str) -> list[str]:
    """The address and every block (as ``network_of`` stores them) that holds it."""
    try:
        address = ipaddress.ip_address(ip.strip())
    except ValueError:
        return [ip]
    nets = [str(address)]
    for prefix in range(MIN_PREFIX[address.version], address.max_prefixlen):
        nets.append(str(ipaddress.ip_network(f"{address}/{prefix}", strict=False)))
    return nets


def worker_block(ip: str) -> str:
    """What blocking a worker's address blocks: the address, or an IPv6 address's /64."""
    address = ipaddress.ip_address(ip)
    return str(ipaddress.ip_network(f"{address}/64", strict=False)) if address.version == 6 else str(address)


class IpBlocks:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def check(self, ip: str) -> None:
        """Raise ``TimeoutIPError`` while the address, or a block holding it, is in timeout."""
        now = self.ctx.clock()
        async with self.ctx.db.read() as conn:
            row = await mod_store.timeout_for(conn, networks_holding(ip), now)
        if row is not None:
            seconds = int((row.expires_at - now).total_seconds())
            shown = f"{seconds} more seconds" if seconds < 4 * 86400 else "a long time"
            raise errors.TimeoutIPError(f"Your IP address is in timeout for {shown}.")

    async def put(
        self, actor: dto.Actor | None, ip: str, *, hours: float, reason: str | None = None
    ) -> dto.IpTimeoutInfo:
        """Put an address or block in timeout for ``hours`` (moderators; ``None``: the horde itself)."""
        if actor is not None:
            require_moderator(actor)
        if not 0 < hours <= MAX_HOURS:
            raise errors.ValidationError("hours must be more than 0 and at most 720.", {"hours": "0-720"})
        network = network_of(ip)
        now = self.ctx.clock()
        expires = now + dt.timedelta(hours=hours)
        by = None if actor is None else actor.user_id
        async with self.ctx.db.write() as conn:
            await mod_store.set_timeout(
                conn, {"ip": network, "expires_at": expires, "reason": reason, "created_by": by, "created_at": now}
            )
            if actor is not None:
                after = {"expires_at": expires, "reason": reason}
                await audit.record(
                    conn,
                    actor_id=by,
                    action="ip_blocked",
                    target_type="ip",
                    target_id=network,
                    details={"before": {}, "after": after},
                    now=now,
                )
        return dto.IpTimeoutInfo(network, expires, reason)

    async def delete(self, actor: dto.Actor, ip: str) -> bool:
        require_moderator(actor)
        network = network_of(ip)
        async with self.ctx.db.write() as conn:
            removed = await mod_store.delete_timeout(conn, network) > 0
            if removed:
                await audit.record(
                    conn,
                    actor_id=actor.user_id,
                    action="ip_unblocked",
                    target_type="ip",
                    target_id=network,
                    details={"before": {"blocked": True}, "after": {}},
                    now=self.ctx.clock(),
                )
        return removed

    async def listing(self, actor: dto.Actor) -> list[dto.IpTimeoutInfo]:
        require_moderator(actor)
        async with self.ctx.db.read() as conn:
            rows = await mod_store.timeouts(conn, self.ctx.clock())
        return [dto.IpTimeoutInfo(r.ip, r.expires_at, r.reason) for r in rows]

    async def block_worker_ip(self, actor: dto.Actor, worker_id: str, *, days: int) -> dto.IpTimeoutInfo:
        """Block the address a worker last checked in from for ``days`` (1 to 30), moderators."""
        require_moderator(actor)
        if not 1 <= days <= 30:
            raise errors.ValidationError("days must be 1 to 30.", {"days": "1-30"})
        async with self.ctx.db.read() as conn:
            row = await worker_store.by_id(conn, worker_id)
        if row is None:
            raise errors.WorkerNotFoundError
        if not row.ip:
            raise errors.ValidationError("This worker has no known IP address.", {"worker_id": "no IP"})
        return await self.put(actor, worker_block(row.ip), hours=days * 24, reason=f"worker {row.name}")

    async def unblock_worker_ip(self, actor: dto.Actor, worker_id: str) -> bool:
        require_moderator(actor)
        async with self.ctx.db.read() as conn:
            row = await worker_store.by_id(conn, worker_id)
        if row is None:
            raise errors.WorkerNotFoundError
        return bool(row.ip) and await self.delete(actor, worker_block(row.ip or ""))
