"""The one async service API every frontend calls. Build it with ``HordeService.open(settings)``."""

from __future__ import annotations

from horde.queue.domain.jobs import GenerationKind, ResultState
from horde.queue.dto import Actor
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.facade import HordeService
from horde.queue.service.pops import PopAsk
from horde.queue.service.submits import SubmitAsk
from horde.queue.service.users import SYSTEM

__all__ = [
    "SYSTEM",
    "Actor",
    "GenerationAsk",
    "GenerationKind",
    "HordeService",
    "PopAsk",
    "ResultState",
    "SubmitAsk",
]
