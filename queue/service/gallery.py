"""The server-side gallery: one finished image (or text) by id, who may see it, and the owner's marks on it."""

from __future__ import annotations

import dataclasses
import logging

from horde.queue import dto, errors
from horde.queue.domain.jobs import JobState
from horde.queue.service.context import Context
from horde.queue.service.requests import RequestService
from horde.queue.store import jobs as job_store, requests as request_store
from horde.queue.store.rows import JobRow, RequestRow

logger = logging.getLogger(__name__)

DELETED = "deleted"


@dataclasses.dataclass(frozen=True)
class GalleryItem:
    """One result with the request it belongs to, and whether the viewer owns it."""

    request: dto.RequestStatus
    generation: dto.Generation
    is_owner: bool


def is_owner(actor: dto.Actor | None, req: RequestRow) -> bool:
    if actor is None or req.user_id != actor.user_id:
        return False
    # every anonymous visitor shares one account: only the same address counts as the owner
    return not actor.is_anonymous or (req.ip is not None and req.ip == actor.ip)


def can_view(actor: dto.Actor | None, req: RequestRow, job: JobRow | None = None) -> bool:
    """Owners and moderators see everything; others see a result only once its owner made it public."""
    if is_owner(actor, req) or (actor is not None and actor.is_moderator):
        return True
    return bool(job is not None and job.public)


def public_view(status: dto.RequestStatus, generation: dto.Generation) -> dto.RequestStatus:
    """What a stranger may know of a public image's request: its prompt and settings, and this one image. Not the
    request's id (it unlocks every image of the request through ``generate/status`` and cancels it without a key),
    not the other images, not who asked or what it cost."""
    return dataclasses.replace(
        status,
        id="",
        generations=(generation,),
        n=1,
        finished=1,
        processing=0,
        restarted=0,
        waiting=0,
        queue_position=0,
        wait_time=0,
        kudos=0.0,
        warnings=(),
        blocked_reason=None,
        user_id=0,
    )


class Gallery:
    def __init__(self, ctx: Context, requests: RequestService) -> None:
        self.ctx = ctx
        self.requests = requests

    async def _rows(self, generation_id: str) -> tuple[JobRow, RequestRow]:
        async with self.ctx.db.read() as conn:
            job = await job_store.by_id(conn, generation_id)
            req = await request_store.by_id(conn, job.request_id) if job is not None else None
        if job is None or req is None or job.state != JobState.DONE.value or job.result_state == DELETED:
            raise errors.NotFoundError("No such image.")
        return job, req

    async def item(self, actor: dto.Actor | None, generation_id: str) -> GalleryItem:
        """One result, if the actor may see it (owner, moderator, or public). Else: not found."""
        job, req = await self._rows(generation_id)
        if not can_view(actor, req, job):
            raise errors.NotFoundError("No such image.")
        status = await self.requests.status(actor, req.id)
        generation = next(g for g in status.generations if g.id == generation_id)
        if not can_view(actor, req):  # seen only because it is public: nothing of the request that is not
            status = public_view(status, generation)
        return GalleryItem(request=status, generation=generation, is_owner=is_owner(actor, req))

    async def check_request_viewer(self, actor: dto.Actor, request_id: str) -> None:
        """Raise not-found unless the actor may follow this request (its owner or a moderator)."""
        async with self.ctx.db.read() as conn:
            req = await request_store.by_id(conn, request_id)
        if req is None or not can_view(actor, req):
            raise errors.RequestNotFoundError

    async def load(self, actor: dto.Actor | None, generation_id: str) -> tuple[bytes, bool]:
        """The stored image bytes, and whether the image is public (for caching)."""
        item = await self.item(actor, generation_id)
        key = item.generation.result_key
        data = await self.ctx.results.load(key) if key else None
        if data is None:
            raise errors.NotFoundError("This image is no longer stored.")
        return data, item.generation.public

    async def mark(
        self, actor: dto.Actor, generation_id: str, *, favourite: bool | None = None, public: bool | None = None
    ) -> GalleryItem:
        """Set the owner's favourite and public marks."""
        _, req = await self._rows(generation_id)
        if not is_owner(actor, req) or actor.is_anonymous:
            raise errors.NotOwnerError
        values = {k: v for k, v in (("favourite", favourite), ("public", public)) if v is not None}
        if values:
            async with self.ctx.db.write() as conn:
                await job_store.set_flags(conn, [generation_id], **values)
        logger.info("image_marked", extra={"action": "image_marked", "job_id": generation_id, "actor": actor.user_id})
        return await self.item(actor, generation_id)

    async def delete(self, actor: dto.Actor, generation_id: str) -> None:
        """Remove a result from the gallery: its file goes, the job row stays (the ledger refers to it)."""
        job, req = await self._rows(generation_id)
        if not is_owner(actor, req) and not actor.is_moderator:
            raise errors.NotOwnerError
        async with self.ctx.db.write() as conn:
            await job_store.set_flags(conn, [generation_id], result_state=DELETED, result_key=None, public=False)
        if job.result_key:
            await self.ctx.results.delete(job.result_key)
        logger.info("image_deleted", extra={"action": "image_deleted", "job_id": generation_id, "actor": actor.user_id})

    async def source_image(self, actor: dto.Actor, request_id: str) -> tuple[bytes | None, bytes | None, str | None]:
        """The uploaded source image and mask of a request (for retry), if the actor owns it."""
        async with self.ctx.db.read() as conn:
            req = await request_store.by_id(conn, request_id)
        if req is None or not can_view(actor, req):
            raise errors.RequestNotFoundError
        image = await self.ctx.results.load(req.source_image_key) if req.source_image_key else None
        mask = await self.ctx.results.load(req.source_mask_key) if req.source_mask_key else None
        return image, mask, req.source_processing
