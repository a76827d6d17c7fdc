"""Workers and teams: ``workers``, ``workers/{id}`` (GET, PUT, DELETE), ``teams``, ``teams/{id}``."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from horde.queue import dto, errors
from horde.webapp import appstate
from horde.webapp.api import caller, parsing, responses
from horde.webapp.api.schemas import workers as schemas

UNITS = {"image": "megapixelsteps", "text": "tokens", "interrogation": "tiles"}


def performance(worker: dto.WorkerInfo) -> str:
    unit = UNITS.get(worker.kind, "jobs")
    return f"{worker.things_per_second:g} {unit} per second"


def worker_view(worker: dto.WorkerInfo, teams: dict[str, str]) -> dict[str, object]:
    caps = worker.capabilities
    team = schemas.TeamLink(id=worker.team_id, name=teams.get(worker.team_id)) if worker.team_id else schemas.TeamLink()
    view = schemas.WorkerDetails(
        type=worker.kind if worker.kind in UNITS else "image",
        name=worker.name,
        id=worker.id,
        online=worker.online,
        requests_fulfilled=worker.jobs_done,
        kudos_rewards=round(worker.kudos_earned, 2),
        kudos_details=schemas.WorkerKudosDetails(generated=round(worker.kudos_earned, 2), uptime=0),
        performance=performance(worker),
        threads=worker.threads,
        uptime=worker.uptime_seconds,
        uncompleted_jobs=0,
        maintenance_mode=worker.maintenance,
        paused=worker.paused or None,  # shown only to moderators (the service tells only them)
        info=worker.info,
        nsfw=worker.nsfw,
        trusted=worker.trusted,
        models=list(worker.models),
        team=team,
        bridge_agent=worker.bridge_agent or "unknown:0:unknown",
    )
    if worker.kind == "image":
        view.max_pixels = worker.max_pixels
        view.megapixelsteps_generated = 0
        view.img2img = bool(caps.get("img2img", True))
        view.painting = bool(caps.get("painting", True))
        view.post_processing = bool(caps.get("post_processing", True))
        view.lora = bool(caps.get("lora", False))
    elif worker.kind == "text":
        view.max_length = int(caps.get("max_length", 512))
        view.max_context_length = int(caps.get("max_context_length", 2048))
    return view.model_dump(mode="json", exclude_none=True, by_alias=True)


async def team_names(request: Request) -> dict[str, str]:
    return {team.id: team.name for team in await appstate.service(request).teams.listing()}


async def viewer(request: Request) -> dto.Actor | None:
    """The caller when its key is good (moderators see which workers are paused), else nobody in particular."""
    try:
        return await caller.actor(request)
    except errors.HordeError:
        return None


async def workers(request: Request) -> Response:
    q = parsing.query(request, schemas.WorkersQuery)
    listing = await appstate.service(request).workers.listing(await viewer(request), kind=q.type or None)
    teams = await team_names(request)
    return JSONResponse([worker_view(w, teams) for w in listing if q.name is None or w.name == q.name])


async def worker(request: Request) -> Response:
    found = await appstate.service(request).workers.get(await viewer(request), parsing.path_str(request, "worker_id"))
    return JSONResponse(worker_view(found, await team_names(request)))


async def modify_worker(request: Request) -> Response:
    data = await parsing.body(request, schemas.ModifyWorkerInput)
    who = await caller.actor(request)
    changes = data.model_dump(exclude_unset=True)
    if not changes:
        error = errors.ValidationError("Nothing to change.")
        error.rc = "NoWorkerModSelected"
        raise error
    changed = await appstate.service(request).workers.modify(who, parsing.path_str(request, "worker_id"), **changes)
    answer = schemas.ModifyWorker(
        maintenance=changed.maintenance if "maintenance" in changes else None,
        paused=changed.paused if "paused" in changes else None,
        info=changed.info if "info" in changes else None,
        name=changed.name if "name" in changes else None,
        team=changed.team_id if "team" in changes else None,
    )
    return JSONResponse(answer.model_dump(mode="json", exclude_none=True))


async def delete_worker(request: Request) -> Response:
    who = await caller.actor(request)
    svc = appstate.service(request)
    found = await svc.workers.get(who, parsing.path_str(request, "worker_id"))
    await svc.workers.delete(who, found.id)
    return responses.ok(schemas.DeletedWorker(deleted_id=found.id, deleted_name=found.name))


# --- teams ----------------------------------------------------------------------------------------------------


async def team_view(request: Request, team: dto.TeamInfo, members: list[dto.WorkerInfo]) -> schemas.TeamDetails:
    owner = await appstate.service(request).users.get(appstate.service(request).users.anonymous(), team.owner_id)
    mine = [w for w in members if w.team_id == team.id]
    return schemas.TeamDetails(
        name=team.name,
        id=team.id,
        info=team.info,
        creator=owner.display_name,
        worker_count=len(mine),
        workers=[schemas.TeamWorker(name=w.name, id=w.id, online=w.online) for w in mine],
        requests_fulfilled=sum(w.jobs_done for w in mine),
        kudos=round(sum(w.kudos_earned for w in mine), 2),
        uptime=sum(w.uptime_seconds for w in mine),
    )


async def teams(request: Request) -> Response:
    svc = appstate.service(request)
    members = await svc.workers.listing(None)
    return responses.ok([await team_view(request, t, members) for t in await svc.teams.listing()])


async def team(request: Request) -> Response:
    svc = appstate.service(request)
    found = await svc.teams.get(parsing.path_str(request, "team_id"))
    return responses.ok(await team_view(request, found, await svc.workers.listing(None)))


async def create_team(request: Request) -> Response:
    data = await parsing.body(request, schemas.CreateTeamInput)
    who = await caller.actor(request)
    made = await appstate.service(request).teams.create(who, data.name, data.info)
    return responses.ok(schemas.ModifyTeam(id=made.id, name=made.name, info=made.info))


async def modify_team(request: Request) -> Response:
    data = await parsing.body(request, schemas.ModifyTeamInput)
    who = await caller.actor(request)
    svc = appstate.service(request)
    changed = await svc.teams.modify(who, parsing.path_str(request, "team_id"), name=data.name, info=data.info)
    return responses.ok(schemas.ModifyTeam(id=changed.id, name=changed.name, info=changed.info))


async def delete_team(request: Request) -> Response:
    who = await caller.actor(request)
    gone = await appstate.service(request).teams.delete(who, parsing.path_str(request, "team_id"))
    return responses.ok(schemas.DeletedTeam(deleted_id=gone.id, deleted_name=gone.name))
