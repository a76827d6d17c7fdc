"""Prompt filters and IP timeouts: one place for the rules every frontend is held to.

Each process keeps the compiled prompt filters for at most ``FILTERS_MAX_AGE_SECONDS``: a filter added, changed or
deleted through any node holds on every node within that time (at once on the node that changed it). IP timeouts
are not kept: every check reads them from the database."""

from __future__ import annotations

import datetime as dt
import re
import unicodedata

from horde.queue import dto, errors
from horde.queue.domain.jobs import GenerationKind
from horde.queue.service import ip_blocks, modes
from horde.queue.service.context import Context
from horde.queue.service.single_flight import Kept, SingleFlight, kept_or_read
from horde.queue.service.users import require_moderator
from horde.queue.store import audit, moderation as mod_store

FILTERS_MAX_AGE_SECONDS = 2.0  #: the oldest reading of the prompt filters a process screens with
BLOCKING_TYPES = frozenset({10, 11, 20})  #: AI Horde: 10-11 the "underage" group, 20 the "lewd" group
_WEIGHT = re.compile(r"\(([^():]+):[0-9.]+\)")
_PUNCT = re.compile(r"[^\w\s#]")


def normalise(prompt: str) -> str:
    """What filters match against: weights removed, punctuation to spaces, accents folded, spaces collapsed."""
    text = prompt.split("###", 1)[0]
    text = _WEIGHT.sub(r"\1", text)
    text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    text = _PUNCT.sub(" ", text)
    return " ".join(text.lower().split())


Compiled = list[tuple[int, re.Pattern[str], str | None]]  #: (filter type, pattern, replacement or None)


class Moderation:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.ips = ip_blocks.IpBlocks(ctx)
        self.modes = modes.ModeService(ctx)
        self._filters: Kept[Compiled] | None = None
        self._rows: tuple[tuple[int, str, str | None], ...] = ()  #: what ``_filters`` was compiled from
        self._flight: SingleFlight[Kept[Compiled]] = SingleFlight()

    # --- prompt filters -------------------------------------------------------------------------------------

    async def _compiled(self) -> Compiled:
        """The filters as this process last read them: at most ``FILTERS_MAX_AGE_SECONDS`` old."""
        now = self.ctx.clock().timestamp()
        return (await kept_or_read(self._flight, "filters", self._filters, now, lambda: self._read(now))).value

    async def _read(self, now: float) -> Kept[Compiled]:
        async with self.ctx.db.read() as conn:
            rows = tuple((row.filter_type, row.regex, row.replacement) for row in await mod_store.filters(conn))
        if self._filters is None or rows != self._rows:  # compiled again only when they changed
            compiled: Compiled = []
            for filter_type, regex, replacement in rows:
                try:
                    compiled.append((filter_type, re.compile(regex, re.IGNORECASE), replacement))
                except re.error:
                    continue  # stored filters were validated on write; an old bad one must not break submissions
        else:
            compiled = self._filters.value
        self._filters, self._rows = Kept(compiled, now, FILTERS_MAX_AGE_SECONDS), rows
        return self._filters

    async def check_prompt(self, prompt: str) -> list[int]:
        """The filter types a prompt matches."""
        text = normalise(prompt)
        return sorted({ftype for ftype, pattern, _ in await self._compiled() if pattern.search(text)})

    async def screen_prompt(self, actor: dto.Actor, prompt: str, kind: GenerationKind) -> str:
        """Replace what replacement filters name; block an image prompt that a blocking filter matches, and put
        the IP in a short timeout. Moderators are exempt from the timeout. Text prompts are not filtered."""
        if kind is GenerationKind.TEXT:
            return prompt
        compiled = await self._compiled()
        text = normalise(prompt)
        blocked = [
            ftype
            for ftype, pattern, replacement in compiled
            if ftype in BLOCKING_TYPES and replacement is None and pattern.search(text)
        ]
        if blocked:
            if actor.ip and not actor.is_moderator:
                await self._timeout(actor.ip, minutes=3, reason="blocked prompt", by=None)
            raise errors.CorruptPromptError
        positive, sep, negative = prompt.partition("###")
        for _, pattern, replacement in compiled:
            if replacement is not None:
                positive = pattern.sub(replacement, positive)
        if not positive.strip():
            raise errors.CorruptPromptError
        return positive + sep + negative

    async def test_prompt(self, actor: dto.Actor, prompt: str) -> list[int]:
        """The filter types a prompt matches, for a moderator testing the filters (``POST /v2/filters``)."""
        require_moderator(actor)
        return await self.check_prompt(prompt)

    async def list_filters(self, actor: dto.Actor, filter_type: int | None = None) -> list[dto.FilterInfo]:
        require_moderator(actor)
        async with self.ctx.db.read() as conn:
            rows = await mod_store.filters(conn, filter_type)
        return [dto.FilterInfo(r.id, r.regex, r.filter_type, r.description, r.replacement) for r in rows]

    async def put_filter(
        self,
        actor: dto.Actor,
        *,
        regex: str,
        filter_type: int,
        description: str | None = None,
        replacement: str | None = None,
        filter_id: int | None = None,
    ) -> dto.FilterInfo:
        require_moderator(actor)
        try:
            re.compile(regex)
        except re.error as exc:
            raise errors.ValidationError(f"Not a valid regular expression: {exc}", {"regex": "invalid"}) from exc
        if not 10 <= filter_type <= 29:
            raise errors.ValidationError("filter_type must be 10 to 29.", {"filter_type": "10-29"})
        now = self.ctx.clock()
        values = {"regex": regex, "filter_type": filter_type, "description": description, "replacement": replacement}
        async with self.ctx.db.write() as conn:
            before: dict[str, object] = {}
            if filter_id is None:
                filter_id = await mod_store.add_filter(conn, {**values, "user_id": actor.user_id, "created_at": now})
            else:
                old = await mod_store.filter_by_id(conn, filter_id)
                if old is None:
                    raise errors.FilterNotFoundError
                before = {key: getattr(old, key) for key in values}
                await mod_store.update_filter(conn, filter_id, values)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="filter_saved",
                target_type="filter",
                target_id=str(filter_id),
                details={"before": before, "after": values},
                now=now,
            )
        self._filters = None
        return dto.FilterInfo(filter_id, regex, filter_type, description, replacement)

    async def delete_filter(self, actor: dto.Actor, filter_id: int) -> None:
        require_moderator(actor)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            old = await mod_store.filter_by_id(conn, filter_id)
            if old is None:
                raise errors.FilterNotFoundError
            await mod_store.delete_filter(conn, filter_id)
            await audit.record(
                conn,
                actor_id=actor.user_id,
                action="filter_deleted",
                target_type="filter",
                target_id=str(filter_id),
                details={"before": {"regex": old.regex, "filter_type": old.filter_type}, "after": {}},
                now=now,
            )
        self._filters = None

    async def admit(self, actor: dto.Actor) -> None:
        """Whether a new request may be queued at all: the horde's modes (maintenance, raid), then the caller's IP."""
        await self.modes.admit_request(actor)
        if actor.ip:
            await self.ips.check(actor.ip)

    # --- IP timeouts (``ip_blocks``) -----------------------------------------------------------------------

    async def check_ip(self, ip: str) -> None:
        await self.ips.check(ip)

    async def _timeout(self, ip: str, *, minutes: float, reason: str | None, by: int | None) -> dt.datetime:
        return (await self.ips.put(None, ip, hours=minutes / 60, reason=reason)).expires_at

    async def put_ip_timeout(
        self, actor: dto.Actor, ip: str, *, hours: float, reason: str | None = None
    ) -> dto.IpTimeoutInfo:
        return await self.ips.put(actor, ip, hours=hours, reason=reason)

    async def delete_ip_timeout(self, actor: dto.Actor, ip: str) -> bool:
        return await self.ips.delete(actor, ip)

    async def ip_timeouts(self, actor: dto.Actor) -> list[dto.IpTimeoutInfo]:
        return await self.ips.listing(actor)
