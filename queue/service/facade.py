"""``HordeService``: the engine's front door, grouping the areas (users, requests, workers, styles, sweeps…)."""

from __future__ import annotations

import json

from horde.queue import clock as clock_mod
from horde.queue.domain.model_reference import ModelReference
from horde.queue.service import key_scope, keys
from horde.queue.service.alchemy_requests import AlchemyRequests
from horde.queue.service.alchemy_work import AlchemyWork
from horde.queue.service.audit_log import AuditLog
from horde.queue.service.bot_leases import BotLeases
from horde.queue.service.capacity import Capacity
from horde.queue.service.context import Context
from horde.queue.service.csam_results import CsamReports
from horde.queue.service.discord_bot import DiscordService
from horde.queue.service.gallery import Gallery
from horde.queue.service.kudos import KudosService
from horde.queue.service.mastodon_bot import MastodonService
from horde.queue.service.moderation import Moderation
from horde.queue.service.offers import OfferBoard
from horde.queue.service.positions import QueuePositions
from horde.queue.service.ratings import RatingService
from horde.queue.service.requests import RequestService
from horde.queue.service.results import ResultService
from horde.queue.service.sessions import SessionService
from horde.queue.service.sharedkeys import SharedKeyService
from horde.queue.service.signer import Signer
from horde.queue.service.stats import StatsService
from horde.queue.service.styles import StyleService
from horde.queue.service.sweeps import Sweeps
from horde.queue.service.teams import TeamService
from horde.queue.service.user_moderation import UserModeration
from horde.queue.service.users import UserService
from horde.queue.service.worker_moderation import WorkerModeration
from horde.queue.service.workers import WorkerService
from horde.queue.settings import CoreSettings
from horde.queue.store.engine import Database
from horde.queue.store.results import DatabaseResultStore, FolderResultStore, ResultStore


class HordeService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx
        self.signer = Signer(ctx.secret)
        self.capacity = Capacity(ctx)
        self.users = UserService(ctx)
        self.sessions = SessionService(ctx)
        self.kudos = KudosService(ctx, self.users)
        self.moderation = Moderation(ctx)
        self.audit = AuditLog(ctx)
        self.modes = self.moderation.modes
        self.users.modes = self.moderation.modes
        self.styles = StyleService(ctx)
        self.sharedkeys = SharedKeyService(ctx)
        positions = QueuePositions(ctx.settings.queue_position_cache_seconds)
        self.requests = RequestService(ctx, self.capacity, self.moderation, self.styles, self.sharedkeys, positions)
        self.workers = WorkerService(ctx, self.capacity)
        self.worker_moderation = WorkerModeration(ctx, self.workers)
        self.user_moderation = UserModeration(
            ctx, self.users, self.kudos, self.sharedkeys, self.workers, self.audit, self.requests
        )
        self.interrogations = AlchemyRequests(ctx, self.capacity, self.moderation)
        self.alchemists = AlchemyWork(ctx, self.capacity)
        self.offers = OfferBoard(ctx)
        self.csam = CsamReports(ctx)
        self.sweeps = Sweeps(ctx, self.workers, self.alchemists)
        self.teams = TeamService(ctx)
        self.stats = StatsService(ctx, self.capacity)
        self.ratings = RatingService(ctx)
        self.results = ResultService(ctx)
        self.gallery = Gallery(ctx, self.requests)
        self.discord = DiscordService(ctx, self.users, self.kudos, self.requests)
        self.mastodon = MastodonService(ctx, self.users, self.requests)
        self.bot_leases = BotLeases(ctx)
        self._gate_shared_keys()

    def _gate_shared_keys(self) -> None:
        """Frontends reach every area through a gate that refuses a shared key beyond generating (``key_scope``);
        the areas built above hold each other ungated. Keep this the last step of ``__init__``."""
        for name, area in list(vars(self).items()):
            if name != "ctx":
                setattr(self, name, key_scope.for_generation_only(area))

    @classmethod
    def open(
        cls,
        settings: CoreSettings,
        *,
        clock: clock_mod.Clock = clock_mod.now,
        results: ResultStore | None = None,
    ) -> HordeService:
        """Connect to the configured database (already migrated: ``horde db upgrade``)."""
        secret = keys.server_secret(settings)  # first: a node that would hash keys differently never connects
        db = Database(settings.resolved_database_url(), pool_size=settings.database_pool_size)
        if results is None:
            results = FolderResultStore(settings.data_dir / "results") if db.is_sqlite else DatabaseResultStore(db)
        models = (
            ModelReference.with_file(json.loads(settings.model_reference_file.read_text()))
            if settings.model_reference_file
            else ModelReference()
        )
        return cls(Context(db=db, settings=settings, secret=secret, results=results, clock=clock, models=models))

    async def close(self) -> None:
        await self.ctx.db.dispose()
