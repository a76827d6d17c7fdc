"""Factories for service tests: users, requests and workers with sensible defaults."""

from __future__ import annotations

from typing import Any

from horde.queue import dto
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, GenerationAsk, HordeService, PopAsk


async def make_user(
    service: HordeService, name: str = "alice", *, kudos: float = 0.0, role: Role = Role.USER, ip: str | None = None
) -> dto.Actor:
    created = await service.users.create_user(SYSTEM, name, kudos=kudos, role=role)
    return await service.users.authenticate(created.api_key, ip=ip)


async def ask_image(
    service: HordeService, actor: dto.Actor, prompt: str = "a red cat", **kwargs: Any
) -> dto.RequestCreated:
    params = kwargs.pop("params", {"width": 64, "height": 64, "steps": 4})
    models = tuple(kwargs.pop("models", ("tiny",)))
    return await service.requests.submit(
        actor, GenerationKind.IMAGE, GenerationAsk(prompt, params=params, models=models, **kwargs)
    )


async def pop(service: HordeService, actor: dto.Actor, name: str = "w1", **kwargs: Any) -> dto.PoppedJob:
    kwargs.setdefault("models", ("tiny",))
    return await service.workers.pop(actor, PopAsk(name=name, **kwargs))
