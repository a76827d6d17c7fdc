"""What every part of the service shares: the database, settings, clock, secret and result store."""

from __future__ import annotations

import dataclasses

from horde.queue import clock as clock_mod
from horde.queue.domain.model_reference import ModelReference
from horde.queue.settings import CoreSettings
from horde.queue.store.engine import Database
from horde.queue.store.results import ResultStore


@dataclasses.dataclass
class Context:
    db: Database
    settings: CoreSettings
    secret: bytes
    results: ResultStore
    clock: clock_mod.Clock = clock_mod.now
    models: ModelReference = dataclasses.field(default_factory=ModelReference)  #: prices images, pays uptime
