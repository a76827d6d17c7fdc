"""Factories for service tests: users, requests and workers with sensible defaults."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image

from horde.queue import dto
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, GenerationAsk, HordeService, PopAsk, SubmitAsk


async def make_user(
    service: HordeService, name: str = "alice", *, kudos: float = 0.0, role: Role | None = None, ip: str | None = None
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


def webp_bytes(size: int = 64) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (size, size), (30, 120, 200)).save(buf, "WEBP")
    return buf.getvalue()


async def finished_image(service: HordeService, owner: dto.Actor, prompt: str = "a blue square") -> tuple[str, str]:
    """A request of ``owner`` with one image a worker made: (request id, image id)."""
    created = await ask_image(service, owner, prompt)
    worker_owner = await make_user(service, f"worker-owner-{created.id[:6]}", role=Role.TRUSTED)
    job = await pop(service, worker_owner, name=f"w-{created.id[:6]}")
    assert job.found
    await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    return created.id, job.ids[0]
