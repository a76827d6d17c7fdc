"""Web sessions that can be ended: logout and a new API key end every session of the user, and the old key, at once.

A session cookie names the user and the session generation it was made in; it is good only while that is still
the user's generation (one read, checked on every request). Logging out moves the user to the next generation, so
a copy of the cookie kept elsewhere (another browser, a thief) ends with it.
"""

from __future__ import annotations

import logging

from horde.queue import dto, errors
from horde.queue.service import keys
from horde.queue.service.context import Context
from horde.queue.service.users import actor_from_row
from horde.queue.store import sessions as session_store, users as user_store

logger = logging.getLogger(__name__)


class SessionService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def generation(self, user_id: int) -> int:
        """The generation a session made now belongs to."""
        async with self.ctx.db.read() as conn:
            return await session_store.generation(conn, user_id)

    async def actor(self, user_id: int, generation: int, *, ip: str | None = None) -> dto.Actor:
        """The user of a session made in ``generation``; ``errors.SessionEndedError`` once it has been ended."""
        async with self.ctx.db.read() as conn:
            row = await user_store.by_id(conn, user_id)
            current = await session_store.generation(conn, user_id)
        if row is None:
            raise errors.UserNotFoundError
        if row.suspended:
            raise errors.SuspendedError
        if generation != current:
            raise errors.SessionEndedError
        return actor_from_row(row, ip=ip, client_agent=None)

    async def end_all(self, actor: dto.Actor) -> int:
        """End every session of the actor (logout); returns the new generation."""
        if actor.is_anonymous:
            return 0
        async with self.ctx.db.write() as conn:
            generation = await session_store.advance(conn, actor.user_id)
        logger.info("sessions_ended", extra={"action": "sessions_ended", "user": actor.user_id})
        return generation

    async def rotate_key(self, actor: dto.Actor) -> tuple[str, int]:
        """A new API key for the actor: the old one stops working and every session ends, in one transaction.
        Returns the new key (shown once) and the generation of the session that asked for it."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        api_key = keys.new_api_key()
        async with self.ctx.db.write() as conn:
            await user_store.update(conn, actor.user_id, api_key_hash=keys.hash_api_key(self.ctx.secret, api_key))
            generation = await session_store.advance(conn, actor.user_id)
        logger.info("api_key_rotated", extra={"action": "api_key_rotated", "user": actor.user_id})
        return api_key, generation
