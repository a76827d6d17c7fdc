"""Who is asking: the requester's row, locked while a new request of any kind (images, text, alchemy) is checked
against their limits and written."""

from __future__ import annotations

from horde.queue import dto, errors
from horde.queue.store import users as user_store
from horde.queue.store.connection import Connection
from horde.queue.store.rows import UserRow


async def locked(conn: Connection, actor: dto.Actor) -> UserRow:
    """The requester's row, locked so that the checks of what they have waiting hold until the new request is
    written; for the anonymous user, their address is locked instead (one anonymous row serves every address).
    A suspended account may ask for nothing."""
    if actor.is_anonymous:
        if actor.ip:
            await user_store.lock_anonymous_ip(conn, actor.ip)
        user = await user_store.by_id(conn, actor.user_id)
    else:
        user = await user_store.lock(conn, actor.user_id)
    if user is None:
        raise errors.UserNotFoundError
    if user.suspended:
        raise errors.SuspendedError
    return user
