"""Models of the moderation API beyond filters and IP timeouts: deleting users, blocking a worker's address,
messages to workers' owners, the horde's modes and news (``/v2/users``, ``/v2/operations``, ``/v2/workers/messages``,
``/v2/status/modes``, ``/v2/status/news``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output


class DeletedUser(Output):
    deleted_id: str
    deleted_name: str


class BlockWorkerIPInput(Input):
    days: int = Field(ge=1, le=30)


class MessagesQuery(Input):
    user_id: int | None = Field(None, ge=0, le=2**31 - 1)
    worker_id: str | None = Field(None, max_length=64)
    validity: Literal["active", "expired", "all"] = "active"


class MessageInput(Input):
    worker_id: str = Field(min_length=1, max_length=64)
    message: str = Field(min_length=1, max_length=1000)
    origin: str | None = Field(None, max_length=100)
    expiry: int = Field(12, ge=1, le=720, description="Hours until the message expires.")


class WorkerMessage(Output):
    id: str
    worker_id: str
    user_id: str
    message: str
    origin: str | None = None
    expiry: str


class ModesInput(Input):
    maintenance_mode: bool | None = Field(None, description="Admins only.")
    invite_only_mode: bool | None = None
    raid_mode: bool | None = None


class Newspiece(Output):
    date_published: str
    newspiece: str
    importance: str
    title: str
    tags: list[str] = Field(default_factory=list)
