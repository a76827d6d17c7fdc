"""What the Discord bot keeps: linked accounts, per-guild settings, uses (for rate limits), pending kudos gifts."""

from __future__ import annotations

import datetime as dt
from typing import Any, NamedTuple

import sqlalchemy as sa

from horde.queue.store import locks, tables
from horde.queue.store.connection import Connection

LINKS = tables.discord_links
GUILDS = tables.discord_guilds
USES = tables.discord_uses
GIFTS = tables.discord_gifts


class LinkRow(NamedTuple):
    discord_id: str
    user_id: int
    api_key_sealed: str
    created_at: dt.datetime


class GuildRow(NamedTuple):
    guild_id: str
    blocked_words: list[str]
    rate_limit_count: int
    rate_limit_seconds: int
    default_model: str | None
    default_style: str | None
    allow_anonymous: bool
    updated_at: dt.datetime


class GiftRow(NamedTuple):
    id: int
    from_user_id: int
    to_discord_id: str
    amount_milli: int
    created_at: dt.datetime
    expires_at: dt.datetime


# --- linked accounts --------------------------------------------------------------------------------------------


async def link_of(conn: Connection, discord_id: str) -> LinkRow | None:
    row = (await conn.execute(sa.select(LINKS).where(LINKS.c.discord_id == discord_id))).one_or_none()
    return None if row is None else LinkRow(*row)


async def discord_ids_of(conn: Connection, user_id: int) -> list[str]:
    query = sa.select(LINKS.c.discord_id).where(LINKS.c.user_id == user_id)
    return list((await conn.execute(query)).scalars())


async def save_link(conn: Connection, discord_id: str, user_id: int, sealed: str, now: dt.datetime) -> None:
    await conn.execute(LINKS.delete().where(LINKS.c.discord_id == discord_id))
    await conn.execute(
        LINKS.insert().values(discord_id=discord_id, user_id=user_id, api_key_sealed=sealed, created_at=now)
    )


async def delete_link(conn: Connection, discord_id: str) -> bool:
    result = await conn.execute(LINKS.delete().where(LINKS.c.discord_id == discord_id))
    return bool(result.rowcount)


# --- guild settings ---------------------------------------------------------------------------------------------


async def guild(conn: Connection, guild_id: str) -> GuildRow | None:
    row = (await conn.execute(sa.select(GUILDS).where(GUILDS.c.guild_id == guild_id))).one_or_none()
    return None if row is None else GuildRow(*row)


async def save_guild(conn: Connection, values: dict[str, Any]) -> None:
    await conn.execute(GUILDS.delete().where(GUILDS.c.guild_id == values["guild_id"]))
    await conn.execute(GUILDS.insert().values(**values))


# --- uses, for per-guild rate limits ----------------------------------------------------------------------------


async def count_uses(conn: Connection, guild_id: str, discord_id: str, since: dt.datetime) -> int:
    query = (
        sa.select(sa.func.count())
        .select_from(USES)
        .where(USES.c.guild_id == guild_id, USES.c.discord_id == discord_id, USES.c.created_at >= since)
    )
    return int(await conn.scalar(query) or 0)


async def oldest_use(conn: Connection, guild_id: str, discord_id: str, since: dt.datetime) -> dt.datetime | None:
    query = sa.select(sa.func.min(USES.c.created_at)).where(
        USES.c.guild_id == guild_id, USES.c.discord_id == discord_id, USES.c.created_at >= since
    )
    value: object = await conn.scalar(query)
    if isinstance(value, str):  # SQLite's MIN() loses the column type
        value = dt.datetime.fromisoformat(value)
    if isinstance(value, dt.datetime) and value.tzinfo is None:
        value = value.replace(tzinfo=dt.UTC)
    return value if isinstance(value, dt.datetime) else None


async def lock_uses(conn: Connection, guild_id: str, discord_id: str) -> None:
    """Hold one person's uses in a guild until the transaction ends, so two commands cannot both pass the limit
    (PostgreSQL; SQLite's single writer already serialises write transactions)."""
    await locks.hold(conn, f"discord-uses:{guild_id}:{discord_id}")


async def record_use(conn: Connection, guild_id: str, discord_id: str, now: dt.datetime) -> int:
    query = USES.insert().values(guild_id=guild_id, discord_id=discord_id, created_at=now).returning(USES.c.id)
    return int((await conn.execute(query)).scalar_one())


async def delete_use(conn: Connection, use_id: int) -> None:
    await conn.execute(USES.delete().where(USES.c.id == use_id))


async def forget_uses_before(conn: Connection, before: dt.datetime) -> None:
    await conn.execute(USES.delete().where(USES.c.created_at < before))


# --- pending kudos gifts ----------------------------------------------------------------------------------------


async def add_gift(
    conn: Connection,
    from_user_id: int,
    to_discord_id: str,
    amount_milli: int,
    now: dt.datetime,
    expires_at: dt.datetime,
) -> None:
    await conn.execute(
        GIFTS.insert().values(
            from_user_id=from_user_id,
            to_discord_id=to_discord_id,
            amount_milli=amount_milli,
            created_at=now,
            expires_at=expires_at,
        )
    )


async def has_gifts(conn: Connection, to_discord_id: str, now: dt.datetime) -> bool:
    query = sa.select(GIFTS.c.id).where(GIFTS.c.to_discord_id == to_discord_id, GIFTS.c.expires_at > now).limit(1)
    return await conn.scalar(query) is not None


async def take_gifts(conn: Connection, to_discord_id: str, now: dt.datetime) -> list[GiftRow]:
    """Remove and return the gifts waiting for a Discord user, in one statement: of two deliveries running at once,
    each gift goes to exactly one."""
    query = GIFTS.delete().where(GIFTS.c.to_discord_id == to_discord_id, GIFTS.c.expires_at > now).returning(*GIFTS.c)
    return sorted((GiftRow(*row) for row in (await conn.execute(query)).all()), key=lambda g: g.id)


async def delete_expired_gifts(conn: Connection, now: dt.datetime) -> None:
    await conn.execute(GIFTS.delete().where(GIFTS.c.expires_at <= now))
