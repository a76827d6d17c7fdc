"""Teams: a name that groups workers, owned by one (non-anonymous) user."""

from __future__ import annotations

import uuid
from typing import Any

from horde.queue import dto, errors
from horde.queue.domain import params as params_mod
from horde.queue.service.context import Context
from horde.queue.store import teams as team_store
from horde.queue.store.rows import WorkerRow


def _name(name: str) -> str:
    params_mod.reject_nul_bytes(name, "name")
    clean = " ".join(name.split())
    if not 3 <= len(clean) <= 100:
        raise errors.ValidationError("A team name has 3 to 100 characters.", {"name": "3-100 characters"})
    return clean


def _info(row: team_store.TeamRow, workers: list[WorkerRow]) -> dto.TeamInfo:
    return dto.TeamInfo(
        id=row.id, name=row.name, owner_id=row.owner_id, info=row.info, worker_ids=tuple(w.id for w in workers)
    )


class TeamService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def listing(self) -> list[dto.TeamInfo]:
        async with self.ctx.db.read() as conn:
            rows = await team_store.listing(conn)
            members = await team_store.workers_of(conn, [r.id for r in rows])
        return [_info(row, members.get(row.id, [])) for row in rows]

    async def get(self, team_id: str) -> dto.TeamInfo:
        async with self.ctx.db.read() as conn:
            row = await team_store.by_id(conn, team_id)
            if row is None:
                raise errors.TeamNotFoundError
            members = await team_store.workers_of(conn, [team_id])
        return _info(row, members.get(team_id, []))

    async def create(self, actor: dto.Actor, name: str, info: str | None = None) -> dto.TeamInfo:
        """Any registered user may found a team."""
        if actor.is_anonymous:
            raise errors.AnonForbiddenError
        clean = _name(name)
        if info is not None:
            params_mod.reject_nul_bytes(info, "info")
        team_id = str(uuid.uuid4())
        async with self.ctx.db.write() as conn:
            if await team_store.by_name(conn, clean) is not None:
                raise errors.NameAlreadyExistsError
            await team_store.insert(
                conn,
                {
                    "id": team_id,
                    "name": clean,
                    "owner_id": actor.user_id,
                    "info": (info or "")[:1000] or None,
                    "created_at": self.ctx.clock(),
                },
            )
        return await self.get(team_id)

    async def modify(
        self, actor: dto.Actor, team_id: str, *, name: str | None = None, info: str | None = None
    ) -> dto.TeamInfo:
        async with self.ctx.db.write() as conn:
            row = await team_store.by_id(conn, team_id)
            if row is None:
                raise errors.TeamNotFoundError
            if row.owner_id != actor.user_id and not actor.is_moderator:
                raise errors.NotOwnerError
            values: dict[str, Any] = {}
            if name is not None:
                values["name"] = _name(name)
                other = await team_store.by_name(conn, values["name"])
                if other is not None and other.id != team_id:
                    raise errors.NameAlreadyExistsError
            if info is not None:
                params_mod.reject_nul_bytes(info, "info")
                values["info"] = info[:1000] or None
            if values:
                await team_store.update(conn, team_id, **values)
        return await self.get(team_id)

    async def delete(self, actor: dto.Actor, team_id: str) -> dto.TeamInfo:
        team = await self.get(team_id)
        if team.owner_id != actor.user_id and not actor.is_moderator:
            raise errors.NotOwnerError
        async with self.ctx.db.write() as conn:
            await team_store.delete(conn, team_id)
        return team
