"""Answering mentions: each one taken on once (in the database), its images asked of the horde, followed, and
posted back in the thread; a fixed, polite reply for anything else."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any
from urllib.parse import urlsplit

from horde.bots.mastodon import grammar, replies
from horde.bots.mastodon.api import RETRIABLE, Api, GoneError
from horde.bots.mastodon.settings import MastodonSettings
from horde.queue import dto, errors
from horde.queue.service import GenerationAsk, HordeService, MastodonRules, Mention

logger = logging.getLogger(__name__)

RETRIES = 6  #: an answer that failed (the instance down, say) is tried this many more times, each wait twice the last


class MastodonBot:
    def __init__(self, service: HordeService, settings: MastodonSettings, api: Api) -> None:
        self.service = service
        self.settings = settings
        self.api = api
        self.instance = urlsplit(settings.base_url or "").netloc or "mastodon"
        self.rules = MastodonRules(settings.rate_limit_seconds, settings.word_list())
        self.throttle = replies.PublicThrottle(settings.public_replies_per_hour)
        self.handle = self.account_id = ""
        self.char_limit = 500
        self.tasks: set[asyncio.Task[None]] = set()
        self.busy: set[str] = set()  #: the mentions being answered now (by this process)
        self.retries: dict[str, tuple[int, float]] = {}  #: a failed answer's failures and when it is tried next
        self.retry_delay = 30.0 * api.backoff  #: the first wait before an answer that failed is tried again

    async def start(self) -> None:
        """Who the bot is and what its instance allows."""
        me = await self.api.me()
        self.handle, self.account_id = str(me["username"]), str(me["id"])
        self.char_limit = replies.char_limit(await self.api.instance())

    def account_of(self, account: Any) -> str:
        """``user@instance`` for a mention's author (local accounts carry no domain in ``acct``)."""
        acct = str(account["acct"])
        return acct if "@" in acct else f"{acct}@{self.instance}"

    # --- taking mentions on ---------------------------------------------------------------------------------

    async def catch_up(self) -> int:
        """Take on every mention after the last one handled (on the very first start, those not older than
        ``first_start_max_age``); returns how many were taken on."""
        cursor = await self.service.mastodon.cursor(self.instance)
        taken = 0
        while True:
            found = await self.api.mentions(cursor)
            if not found:
                if cursor is None:
                    await self.service.mastodon.started(self.instance)
                return taken
            for notification in found:
                if cursor is not None or _age(notification) <= self.settings.first_start_max_age:
                    taken += await self.take_on(notification)
            cursor = str(found[-1]["id"])
            await self.service.mastodon.save_cursor(self.instance, cursor)

    async def take_on(self, notification: Any) -> int:
        status = notification.get("status")
        if notification.get("type") != "mention" or status is None:
            return 0
        account = self.account_of(notification["account"])
        if not await self.service.mastodon.take_on(self.instance, str(status["id"]), account):
            return 0  # answered before (or being answered): never twice
        self._spawn(str(status["id"]), self.answer(Mention(str(status["id"]), account, None), status))
        return 1

    async def resume(self, only: set[str] | None = None) -> None:
        """Mentions taken on but not answered (before a restart; or ``only`` those whose answer failed here):
        followed, or asked, again."""
        left = set(only or ())
        for mention in await self.service.mastodon.unanswered(self.instance):
            if (only is not None and mention.status_id not in only) or mention.status_id in self.busy:
                continue
            left.discard(mention.status_id)
            try:
                status = await self.api.status(mention.status_id)
            except GoneError:
                await self.service.mastodon.answered(mention.status_id)
                continue
            except RETRIABLE:
                self._failed(mention.status_id)
                continue
            self._spawn(mention.status_id, self.answer(mention, status))
        for status_id in left:  # answered meanwhile
            self.retries.pop(status_id, None)

    async def retry_due(self) -> None:
        """The failed answers whose time has come, tried again."""
        now = time.monotonic()
        due = {status_id for status_id, (_, at) in self.retries.items() if at <= now}
        if due:
            await self.resume(only=due)

    def _failed(self, status_id: str) -> None:
        failures = self.retries.get(status_id, (0, 0.0))[0] + 1
        if failures > RETRIES:  # left for a restart
            self.retries.pop(status_id, None)
            logger.warning("mastodon_answer_abandoned", extra={"action": "mastodon_answer_abandoned"})
            return
        self.retries[status_id] = (failures, time.monotonic() + self.retry_delay * 2 ** (failures - 1))

    def _spawn(self, status_id: str, work: Any) -> None:
        self.busy.add(status_id)  # at once: the next look at the notifications or the retries passes it by
        task = asyncio.ensure_future(work)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(lambda _: self.busy.discard(status_id))

    # --- answering one ----------------------------------------------------------------------------------------

    async def answer(self, mention: Mention, status: Any) -> None:
        try:
            await self._answer(mention, status)
        except GoneError:
            logger.info("mastodon_mention_gone", extra={"action": "mastodon_mention_gone"})
        except Exception:
            logger.exception("mastodon_answer_failed", extra={"action": "mastodon_answer_failed"})
            self._failed(mention.status_id)  # left unanswered: tried again later, and after a restart
            return
        self.retries.pop(mention.status_id, None)
        await self.service.mastodon.answered(mention.status_id)

    async def _answer(self, mention: Mention, status: Any) -> None:
        request_id = mention.request_id
        if request_id is None:
            drawing = grammar.parse(str(status["content"]), self.handle)
            if drawing is None:
                if str(status.get("in_reply_to_account_id")) != self.account_id:  # not chatter under its own post
                    await self.say(status, replies.HELP)
                return
            try:
                request_id = await self._ask(mention, status, drawing)
            except errors.HordeError as exc:
                await self.say(status, replies.refusal(exc))
                return
            if request_id is None:
                await self.say(status, replies.NO_WORKER)
                return
        await self.follow(request_id, status)

    async def _ask(self, mention: Mention, status: Any, drawing: grammar.Drawing) -> str | None:
        """The request's id, or None when no worker can serve it (it is cancelled again)."""
        author = status["account"]
        actor = await self.service.mastodon.actor(mention.account, str(author.get("display_name") or ""))
        width, height = self.settings.dimensions()
        prompt = f"{drawing.prompt} ### {drawing.negative}" if drawing.negative else drawing.prompt
        params = {"width": width, "height": height, "steps": self.settings.steps, "n": self.settings.images}
        model = (self.settings.model,) if self.settings.model else ()
        ask = GenerationAsk(
            prompt, params=params, models=model, style=drawing.style, censor_nsfw=self.settings.censor_nsfw
        )
        created = await self.service.mastodon.generate(actor, mention, ask, self.rules)
        if created.warnings:
            await self.service.requests.cancel(actor, created.id)
            return None
        return created.id

    async def follow(self, request_id: str, status: Any) -> None:
        """Wait for the images (one short "working on it" reply if it takes a while), then post them."""
        started, notice = time.monotonic(), None
        try:
            while True:
                progress = await self.service.requests.status(None, request_id, with_generations=False)
                if progress.done or progress.cancelled or progress.faulted:
                    break
                waited = time.monotonic() - started
                if notice is None and waited > self.settings.working_notice_after:
                    text = replies.WORKING.format(position=max(1, progress.queue_position))
                    notice = await self.say(status, text, most_open="unlisted")
                if waited > self.settings.max_wait:
                    await self._give_up(request_id)
                    break
                await asyncio.sleep(1.0)
            await self.post_result(await self.service.requests.status(None, request_id), status)
        finally:  # also when the answer failed: a retry posts a notice of its own if it must
            if notice is not None:
                await self.api.delete(str(notice["id"]))

    async def _give_up(self, request_id: str) -> None:
        """Past ``max_wait``: what is still queued is dropped (no worker spends time on images nobody will see);
        what is finished is posted."""
        try:
            await self.service.requests.cancel_without_key(request_id, ip=None)
        except errors.HordeError:
            logger.warning("mastodon_cancel_failed", exc_info=True, extra={"action": "mastodon_cancel_failed"})

    async def post_result(self, result: dto.RequestStatus, status: Any) -> None:
        shown = [g for g in result.generations if not g.censored and g.result_key][:4]
        media = []
        for gen in shown:
            data = await self.service.results.load(gen.result_key or "")
            if data is not None:
                prompt = result.prompt.partition("###")[0].strip()
                media.append(await self.api.upload(data, replies.alt_text(prompt, gen.seed)))
        if not media:
            censored = any(g.censored for g in result.generations)
            await self.say(status, replies.ALL_CENSORED if censored else replies.NOT_MADE)
            return
        text = replies.DONE.format(prompt=result.prompt.partition("###")[0].strip())
        await self.say(status, text, media_ids=[m["id"] for m in media], spoiler_text=replies.CONTENT_WARNING)

    async def say(self, status: Any, text: str, *, most_open: str = "public", **fields: Any) -> Any:
        """A reply in the mention's thread: as open as the mention (public only within the instance's budget),
        never more open than ``most_open``."""
        asked = str(status.get("visibility") or "unlisted")
        if replies.OPENNESS.get(asked, 2) > replies.OPENNESS[most_open]:
            asked = most_open
        visibility = self.throttle.visibility(self.instance, asked)
        body = replies.fit(f"@{status['account']['acct']}", text, self.char_limit)
        return await self.api.reply(body, str(status["id"]), visibility=visibility, **fields)


def _age(notification: Any) -> float:
    created = notification.get("created_at")
    return 0.0 if created is None else time.time() - created.timestamp()
