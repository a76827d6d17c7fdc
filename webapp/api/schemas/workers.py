"""Models of workers and teams (``/v2/workers``, ``/v2/teams``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output


class WorkersQuery(Input):
    type: Literal["", "image", "text", "interrogation"] | None = None
    name: str | None = Field(None, max_length=100)


class TeamLink(Output):
    name: str | None = None
    id: str | None = None


class WorkerKudosDetails(Output):
    generated: float
    uptime: int


class WorkerDetails(Output):
    type: Literal["image", "text", "interrogation"]
    name: str
    id: str
    online: bool
    requests_fulfilled: int
    kudos_rewards: float
    kudos_details: WorkerKudosDetails
    performance: str
    threads: int
    uptime: int
    uncompleted_jobs: int
    maintenance_mode: bool
    paused: bool | None = None
    info: str | None = None
    nsfw: bool
    owner: str | None = None
    trusted: bool
    flagged: bool = False
    models: list[str]
    team: TeamLink
    bridge_agent: str
    max_pixels: int | None = None
    megapixelsteps_generated: int | None = None
    img2img: bool | None = None
    painting: bool | None = None
    post_processing: bool | None = Field(None, alias="post-processing")
    lora: bool | None = None
    max_length: int | None = None
    max_context_length: int | None = None


class ModifyWorkerInput(Input):
    maintenance: bool | None = None
    maintenance_msg: str | None = Field(None, max_length=500)
    paused: bool | None = None
    info: str | None = Field(None, max_length=1000)
    name: str | None = Field(None, min_length=1, max_length=100)
    team: str | None = Field(None, max_length=36, description="A team id; empty to leave the team.")


class ModifyWorker(Output):
    maintenance: bool | None = None
    paused: bool | None = None
    info: str | None = None
    name: str | None = None
    team: str | None = None


class DeletedWorker(Output):
    deleted_id: str
    deleted_name: str


class TeamWorker(Output):
    name: str
    id: str
    online: bool


class TeamDetails(Output):
    name: str
    id: str
    info: str | None = None
    creator: str
    worker_count: int
    workers: list[TeamWorker]
    requests_fulfilled: int
    kudos: float
    uptime: int


class CreateTeamInput(Input):
    name: str = Field(min_length=3, max_length=100)
    info: str | None = Field(None, max_length=1000)


class ModifyTeamInput(Input):
    name: str | None = Field(None, min_length=3, max_length=100)
    info: str | None = Field(None, max_length=1000)


class ModifyTeam(Output):
    id: str
    name: str
    info: str | None = None


class DeletedTeam(Output):
    deleted_id: str
    deleted_name: str
