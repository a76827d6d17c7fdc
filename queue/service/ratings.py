"""Aesthetic ratings of a finished, shared request's images, paid in kudos (AI Horde's ``generate/rate``)."""

from __future__ import annotations

import dataclasses

from horde.queue import dto, errors
from horde.queue.domain import kudos as kudos_rules, rating_spam
from horde.queue.domain.jobs import JobState, RequestState
from horde.queue.service.context import Context
from horde.queue.store import ledger, ratings as rating_store, requests as request_store

PER_RATING = 5.0
PER_ARTIFACTS = 5.0
FOR_BEST = 15.0


@dataclasses.dataclass(frozen=True)
class Rating:
    job_id: str
    rating: int
    artifacts: int | None = None


def _check(best: str | None, ratings: tuple[Rating, ...]) -> None:
    if not best and not ratings:
        raise errors.AestheticsMissingError
    for r in ratings:
        if not 1 <= r.rating <= 10 or (r.artifacts is not None and not 0 <= r.artifacts <= 5):
            raise errors.ValidationError("rating is 1-10, artifacts 0-5.", {"ratings": "out of range"})


def _reward(
    best: str | None, ratings: tuple[Rating, ...], *, images: int, charged_milli: int,
    latest: list[tuple[int | None, int | None]],
) -> float:  # fmt: skip
    """What a rating of a request of ``images`` images earns, capped below what it cost; nothing when the rater's
    ``latest`` ratings and these never vary (spam, not ratings)."""
    reward = sum(PER_RATING + (PER_ARTIFACTS if r.artifacts is not None else 0) for r in ratings)
    # picking the best of one image is no choice (issue 16: it paid 15 kudos for nothing)
    if best and images > 1 and (not ratings or any(r.job_id != best for r in ratings)):
        reward += FOR_BEST
    if rating_spam.never_varies([(r.rating, r.artifacts) for r in ratings] + latest):
        return 0.0
    return max(0.0, min(reward, kudos_rules.from_milli(charged_milli) - 1))


class RatingService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    async def is_rated(self, request_id: str) -> bool:
        """Whether any image of the request was rated already (a request is rated once)."""
        async with self.ctx.db.read() as conn:
            done = [j.id for j in await request_store.jobs_of(conn, request_id) if j.state == JobState.DONE.value]
            return bool(await rating_store.rated_job_ids(conn, done))

    async def unrated(self, actor: dto.Actor, *, limit: int = 10) -> list[str]:
        """The actor's shared, finished image requests still waiting for a rating, newest first."""
        if actor.is_anonymous:
            return []
        async with self.ctx.db.read() as conn:
            return await rating_store.unrated_requests(conn, actor.user_id, limit=limit)

    async def rate(
        self, actor: dto.Actor, request_id: str, *, best: str | None = None, ratings: tuple[Rating, ...] = ()
    ) -> float:
        """Record the ratings and pay the rater; returns the kudos awarded (capped below what the request cost;
        nothing when the rater's ratings never vary: ``rating_spam``)."""
        _check(best, ratings)
        now = self.ctx.clock()
        async with self.ctx.db.write() as conn:
            req = await request_store.by_id(conn, request_id)
            if req is None:
                raise errors.RequestNotFoundError
            if req.user_id != actor.user_id or actor.is_anonymous:
                raise errors.NotOwnerError
            if req.state != RequestState.DONE.value:
                raise errors.AestheticsNotCompletedError
            if not req.shared:
                raise errors.AestheticsNotPublicError
            done = {j.id for j in await request_store.jobs_of(conn, request_id) if j.state == JobState.DONE.value}
            wanted = {r.job_id for r in ratings} | ({best} if best else set())
            if not wanted <= done:
                raise errors.InvalidJobIdError("A rated image does not belong to this request.")
            if await rating_store.rated_job_ids(conn, sorted(done)):
                raise errors.AestheticsAlreadyExistError
            latest = await rating_store.latest_of(conn, actor.user_id, limit=rating_spam.IN_A_ROW)
            reward = _reward(best, ratings, images=len(done), charged_milli=req.charged_milli, latest=latest)
            rows: dict[str, dict[str, object]] = {
                r.job_id: {
                    "job_id": r.job_id,
                    "user_id": actor.user_id,
                    "rating": r.rating,
                    "artifacts": r.artifacts,
                    "created_at": now,
                }
                for r in ratings
            }
            if best and best not in rows:
                rows[best] = {"job_id": best, "user_id": actor.user_id, "rating": None, "artifacts": None}
                rows[best]["created_at"] = now
            await rating_store.insert(conn, list(rows.values()))
            if reward > 0:
                await ledger.append(
                    conn,
                    user_id=actor.user_id,
                    amount_milli=kudos_rules.to_milli(reward),
                    kind=kudos_rules.EntryKind.RATING,
                    request_id=request_id,
                    now=now,
                )
        return reward
