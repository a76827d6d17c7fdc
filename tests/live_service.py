"""What every live-server handle of the tests does beside its server: service calls on the same database."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from horde.webapp.settings import WebSettings
from tests.conftest import _run


class ServiceCalls:
    """A mixin for a handle with ``settings``: run service calls against its database, each with a service of its
    own (the server's runs in another thread or process)."""

    settings: WebSettings

    def call(self, func: Callable[[HordeService], Awaitable[Any]]) -> Any:
        """Run ``func(service)`` against the same database, with a service of its own."""

        async def run() -> Any:
            service = HordeService.open(self.settings)
            try:
                return await func(service)
            finally:
                await service.close()

        return _run(run())

    def make_user(self, name: str, *, kudos: float = 0.0, role: Role | None = None) -> str:
        """A user made straight in the database (as ``horde users create`` does); its API key."""

        async def create(service: HordeService) -> str:
            created = await service.users.create_user(SYSTEM, name, kudos=kudos, role=role)
            return created.api_key

        key: str = self.call(create)
        return key
