"""Pops: a worker checks in (``check_in``) and is handed the best waiting job it can do (``matcher``); what it
says of itself is checked once per distinct ask (``asks``). ``PopService`` carries pops out in batches."""

from __future__ import annotations

from horde.queue.service.pops.asks import Pop, PopAsk
from horde.queue.service.pops.check_in import CHECK_IN_EVERY
from horde.queue.service.pops.matcher import job_ttl
from horde.queue.service.pops.service import PopService

__all__ = ["CHECK_IN_EVERY", "Pop", "PopAsk", "PopService", "job_ttl"]
