"""The audit log: every moderator and admin action (who, what, on what, when, before and after), for moderators.

Actions write their entry in the same transaction as the change (``horde.queue.store.audit.record``); this area
reads them back, searchable by actor, target and action.
"""

from __future__ import annotations

from horde.queue import dto, errors
from horde.queue.service.context import Context
from horde.queue.service.users import MAX_ID, require_moderator
from horde.queue.store import audit, users as user_store
from horde.queue.store.connection import Connection
from horde.queue.store.tables import AnyRow

TARGET_TYPES = ("user", "worker", "filter", "ip", "request", "mode", "news", "message")


def entry(row: AnyRow) -> dto.AuditEntry:
    return dto.AuditEntry(
        id=int(row.id),
        actor_id=row.actor_id,
        actor_name=row.actor_name,
        action=row.action,
        target_type=row.target_type,
        target_id=row.target_id,
        details=dict(row.details or {}),
        created_at=row.created_at,
    )


def parse_target(target: str) -> tuple[str | None, str | None]:
    """``user:12``, ``worker:<id>``, ``ip:10.0.0.0/8``… or a bare id, which matches any type."""
    kind, sep, ident = target.strip().partition(":")
    if sep and kind in TARGET_TYPES:
        return kind, ident.strip() or None
    return None, target.strip() or None


class AuditLog:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def search(
        self,
        actor: dto.Actor,
        *,
        by: str | None = None,
        target: str | None = None,
        action: str | None = None,
        limit: int = 100,
    ) -> list[dto.AuditEntry]:
        """Entries, newest first. ``by``: the acting user's name, ``name#id`` or id; ``target``: ``type:id`` or
        an id; ``action``: part of an action's name (``user_modified``, ``worker_paused``…). Moderators only."""
        require_moderator(actor)
        async with self.ctx.db.read() as conn:
            actor_id = None
            if by and by.strip():
                actor_id = await self._user_id(conn, by.strip())
            target_type, target_id = parse_target(target) if target else (None, None)
            rows = await audit.search(
                conn,
                actor_id=actor_id,
                target_type=target_type,
                target_id=target_id,
                action=(action or "").strip() or None,
                limit=max(1, min(limit, 500)),
            )
        return [entry(row) for row in rows]

    async def about(self, actor: dto.Actor, target_type: str, target_id: str) -> list[dto.AuditEntry]:
        """The entries about one user, worker, filter or IP (linked from their pages)."""
        return await self.search(actor, target=f"{target_type}:{target_id}")

    @staticmethod
    async def _user_id(conn: Connection, name: str) -> int:
        _, _, number = name.rpartition("#")
        if number.isascii() and number.isdigit() and len(number) <= len(str(MAX_ID)):
            return int(number)
        row = await user_store.by_username(conn, name)
        if row is None:
            raise errors.UserNotFoundError
        return row.id
