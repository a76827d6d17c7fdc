"""Asking for alchemy: an image and the forms wanted of it (caption, interrogation, NSFW check, post-processors);
following it and cancelling it. The workers' side is ``alchemy_work``."""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import logging
import uuid
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

from PIL import Image

from horde.queue import dto, errors
from horde.queue.domain import alchemy, kudos as kudos_rules, params as params_mod
from horde.queue.domain.alchemy import FormState
from horde.queue.service import requesters
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.service.moderation import Moderation
from horde.queue.service.request_checks import check_image_bytes
from horde.queue.store import alchemy as alchemy_store
from horde.queue.store.connection import Connection
from horde.queue.store.rows import UserRow
from horde.queue.store.tables import AnyRow

logger = logging.getLogger(__name__)

NO_ALCHEMIST_WARNING = {
    "code": "NoAvailableWorker",
    "message": "No alchemist online serves these forms right now. The request waits until one comes, or expires.",
}


@dataclasses.dataclass(frozen=True)
class AlchemyAsk:
    forms: Sequence[Mapping[str, Any]]  #: ``{name, payload}`` each
    source_image: bytes
    slow_workers: bool = True
    trusted_workers: bool = False


def source_key(interrogation_id: str) -> str:
    return f"alc-{interrogation_id}.img"


def image_size(data: bytes) -> tuple[int, int]:
    """Width and height of an image already checked by ``check_image_bytes``."""
    with warnings.catch_warnings(), Image.open(io.BytesIO(data)) as img:
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        return img.width, img.height


def overall_state(states: Sequence[str], cancelled: bool) -> str:
    """An interrogation's state from its forms': in work while any is; once all are final, done if any is."""
    if FormState.PROCESSING.value in states:
        return FormState.PROCESSING.value
    if FormState.WAITING.value in states:
        return FormState.WAITING.value
    if FormState.DONE.value in states:
        return FormState.DONE.value
    return FormState.CANCELLED.value if cancelled else FormState.FAULTED.value


def status_of(row: AnyRow, forms: Sequence[AnyRow]) -> dto.InterrogationStatus:
    return dto.InterrogationStatus(
        id=row.id,
        state=overall_state([f.state for f in forms], row.state == FormState.CANCELLED.value),
        forms=tuple(dto.FormStatus(f.id, f.name, f.state, f.result, f.result_key) for f in forms),
        source_key=row.source_key,
        width=row.width,
        height=row.height,
        kudos=kudos_rules.from_milli(row.charged_milli),
        user_id=row.user_id,
    )


def interrogation_row(
    interrogation_id: str, user_id: int, ask: AlchemyAsk, size: tuple[int, int, int], ip: str | None,
    now: dt.datetime, expires: dt.datetime,
) -> dict[str, Any]:  # fmt: skip
    width, height, tiles = size
    return {
        "id": interrogation_id,
        "user_id": user_id,
        "source_key": source_key(interrogation_id),
        "width": width,
        "height": height,
        "tiles": tiles,
        "state": FormState.WAITING.value,
        "trusted_workers": ask.trusted_workers,
        "slow_workers": ask.slow_workers,
        "ip": ip,
        "charged_milli": 0,
        "created_at": now,
        "updated_at": now,
        "expires_at": expires,
    }


def form_rows(
    interrogation: dict[str, Any], forms: Sequence[tuple[str, dict[str, Any]]], rank: float
) -> list[dict[str, Any]]:
    """One row per form, carrying what a pop filters and orders by (rank, size, trusted only)."""
    return [
        {
            "id": str(uuid.uuid4()),
            "interrogation_id": interrogation["id"],
            "position": position,
            "name": name,
            "payload": payload,
            "state": FormState.WAITING.value,
            "rank": rank,
            "user_id": interrogation["user_id"],
            "tiles": interrogation["tiles"],
            "trusted_only": interrogation["trusted_workers"],
            "attempts": 0,
            "reward_milli": 0,
            "charge_milli": 0,
        }
        for position, (name, payload) in enumerate(forms)
    ]


class AlchemyRequests:
    def __init__(self, ctx: Context, capacity: Capacity, moderation: Moderation) -> None:
        self.ctx = ctx
        self.capacity = capacity
        self.moderation = moderation

    async def submit(self, actor: dto.Actor, ask: AlchemyAsk) -> dto.RequestCreated:
        """Queue an interrogation. Refused: unknown or repeated forms, an image that is not one or is larger than
        255 tiles of 512×512, maintenance or a blocked address, and more than ``concurrency × 10`` forms waiting.
        Priced like AI Horde (``domain.alchemy``): each finished form is charged when its result comes back."""
        forms = alchemy.checked_forms(ask.forms)
        params_mod.reject_nul_bytes([repr(payload) for _, payload in forms], "forms")
        check_image_bytes(ask.source_image, "source_image")
        width, height = image_size(ask.source_image)
        tiles = alchemy.tiles(width, height)
        if tiles > alchemy.MAX_TILES:
            raise errors.SourceImageResolutionExceededError(
                f"The image is {width}×{height}, {tiles} tiles of 512×512; alchemy takes at most {alchemy.MAX_TILES}."
            )
        await self.moderation.admit(actor)
        names = [name for name, _ in forms]
        charge = sum(
            alchemy.requester_charge(alchemy.form_kudos(name, tiles), slow_workers=ask.slow_workers) for name in names
        )
        snap = await self.capacity.snapshot()
        notes = [] if snap.serving("interrogation", names) else [NO_ALCHEMIST_WARNING]
        interrogation_id = str(uuid.uuid4())
        key = source_key(interrogation_id)
        now = self.ctx.clock()
        try:
            async with self.ctx.db.write() as conn:
                user = await self._requester(conn, actor, len(forms))
                priority = kudos_rules.initial_priority(kudos_rules.from_milli(user.kudos_milli), flagged=user.flagged)
                rank = kudos_rules.queue_rank(priority, now.timestamp(), self.ctx.settings.ageing_per_second)
                await self.ctx.results.save_all_in(conn, [(key, ask.source_image)])
                expires = now + dt.timedelta(seconds=self.ctx.settings.request_expiry_seconds)
                row = interrogation_row(interrogation_id, user.id, ask, (width, height, tiles), actor.ip, now, expires)
                await alchemy_store.insert(conn, row, form_rows(row, forms, rank))
        except BaseException:
            await self.ctx.results.delete(key)  # written before a COMMIT that did not happen
            raise
        logger.info("interrogation_queued", extra={"action": "interrogation_queued", "request_id": interrogation_id})
        message = NO_ALCHEMIST_WARNING["message"] if notes else None
        return dto.RequestCreated(id=interrogation_id, kudos=round(charge, 2), warnings=tuple(notes), message=message)

    @staticmethod
    async def _requester(conn: Connection, actor: dto.Actor, count: int) -> UserRow:
        """The requester's row, locked, if they may have ``count`` more forms waiting (per address for the
        anonymous user)."""
        user = await requesters.locked(conn, actor)
        active = await alchemy_store.active_forms(conn, user.id, actor.ip if actor.is_anonymous else None)
        allowed = user.concurrency * alchemy.FORMS_PER_CONCURRENCY
        if active + count > allowed:
            raise errors.TooManyPromptsError(
                f"You have {active} alchemy forms waiting; at most {allowed} may wait at once.", retry_after=10
            )
        return user

    async def status(self, interrogation_id: str) -> dto.InterrogationStatus:
        """Where an interrogation stands, with the results of its finished forms."""
        try:
            uuid.UUID(interrogation_id)
        except ValueError as exc:
            raise errors.RequestNotFoundError("No interrogation has this id.") from exc
        async with self.ctx.db.read() as conn:
            row = await alchemy_store.by_id(conn, interrogation_id)
            if row is None:
                raise errors.RequestNotFoundError("No interrogation has this id (or it expired).")
            forms = await alchemy_store.forms_of(conn, interrogation_id)
        return status_of(row, forms)

    async def cancel(self, actor: dto.Actor | None, interrogation_id: str) -> dto.InterrogationStatus:
        """Stop an interrogation: waiting forms are dropped, finished results kept, forms in work finish and are
        paid. Its requester or a moderator may; without an API key, holding the id is the proof (as for images:
        horde-sdk sends none)."""
        before = await self.status(interrogation_id)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            row = await alchemy_store.by_id(conn, interrogation_id)
            if row is None:
                raise errors.RequestNotFoundError("No interrogation has this id (or it expired).")
            if actor is not None and row.user_id != actor.user_id and not actor.is_moderator:
                raise errors.NotOwnerError
            if await alchemy_store.cancel_waiting(conn, interrogation_id):
                await alchemy_store.update(conn, interrogation_id, state=FormState.CANCELLED.value, updated_at=now)
        logger.info("interrogation_cancelled", extra={"action": "interrogation_cancelled", "request_id": row.id})
        return dataclasses.replace(
            before,
            state=FormState.CANCELLED.value if before.state == FormState.WAITING.value else before.state,
            forms=tuple(
                dataclasses.replace(f, state=FormState.CANCELLED.value) if f.state == FormState.WAITING.value else f
                for f in before.forms
            ),
        )
