"""Models of the horde's status and statistics (``/v2/status/…``, ``/v2/stats/…``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output


class HordeHeartbeat(Output):
    message: str
    version: str


class HordeModes(Output):
    maintenance_mode: bool
    invite_only_mode: bool
    raid_mode: bool


class HordePerformance(Output):
    queued_requests: int
    queued_text_requests: int
    worker_count: int
    thread_count: int
    text_worker_count: int
    text_thread_count: int
    interrogator_count: int = 0
    interrogator_thread_count: int = 0
    queued_megapixelsteps: float
    queued_tokens: float
    queued_forms: float = 0
    past_minute_megapixelsteps: float
    past_minute_tokens: float


class ModelsQuery(Input):
    type: Literal["image", "text"] = "image"
    min_count: int | None = Field(None, ge=0, le=1_000_000)
    max_count: int | None = Field(None, ge=0, le=1_000_000)
    model_state: Literal["known", "custom", "all"] = "all"


class ActiveModel(Output):
    name: str
    count: int
    performance: float
    queued: float
    jobs: float
    eta: int
    type: Literal["image", "text"]


class StatsQuery(Input):
    model_state: Literal["known", "custom", "all"] = "all"


class SinglePeriodImgStat(Output):
    images: int
    ps: int


class StatsImgTotals(Output):
    minute: SinglePeriodImgStat
    hour: SinglePeriodImgStat
    day: SinglePeriodImgStat
    month: SinglePeriodImgStat
    total: SinglePeriodImgStat


class SinglePeriodTxtStat(Output):
    requests: int
    tokens: int


class StatsTxtTotals(Output):
    minute: SinglePeriodTxtStat
    hour: SinglePeriodTxtStat
    day: SinglePeriodTxtStat
    month: SinglePeriodTxtStat
    total: SinglePeriodTxtStat


class ModelStats(Output):
    day: dict[str, int]
    month: dict[str, int]
    total: dict[str, int]
