"""The one async service API every frontend calls. Build it with ``HordeService.open(settings)``.

Frontends (``horde.webapp``, ``horde.bots``) import from here, ``horde.queue.dto``, ``horde.queue.errors`` and the
settings, never from the service's sub-modules, the domain or the store: what they need is re-exported below.
"""

from __future__ import annotations

from horde.queue import clock
from horde.queue.domain.jobs import GenerationKind, RequestState, ResultState
from horde.queue.domain.params import KNOWN_SAMPLERS
from horde.queue.domain.roles import Role
from horde.queue.dto import Actor
from horde.queue.service.alchemy_requests import AlchemyAsk
from horde.queue.service.alchemy_work import AlchemyPopAsk, AlchemySubmitAsk
from horde.queue.service.asks import GenerationAsk
from horde.queue.service.discord_bot import GiftResult, GuildSettings
from horde.queue.service.facade import HordeService
from horde.queue.service.gallery import GalleryItem
from horde.queue.service.mastodon_bot import MastodonRules, Mention
from horde.queue.service.pops import PopAsk
from horde.queue.service.ratings import Rating
from horde.queue.service.signer import Signer
from horde.queue.service.submits import SubmitAsk
from horde.queue.service.sweeps import running as running_sweeps
from horde.queue.service.users import SYSTEM

__all__ = [
    "KNOWN_SAMPLERS",
    "SYSTEM",
    "Actor",
    "AlchemyAsk",
    "AlchemyPopAsk",
    "AlchemySubmitAsk",
    "GalleryItem",
    "GenerationAsk",
    "GenerationKind",
    "GiftResult",
    "GuildSettings",
    "HordeService",
    "MastodonRules",
    "Mention",
    "PopAsk",
    "Rating",
    "RequestState",
    "ResultState",
    "Role",
    "Signer",
    "SubmitAsk",
    "clock",
    "running_sweeps",
]
