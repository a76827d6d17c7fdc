"""Every endpoint of ``/api``: one list feeds both the Starlette routes and the Swagger document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from horde.webapp.api import swagger
from horde.webapp.api.endpoint import Endpoint, Handler, limited
from horde.webapp.api.schemas import (
    admin as admin_s,
    base as base_s,
    generate as image_s,
    interrogate as alchemy_s,
    moderation as moderation_s,
    status as status_s,
    styles as styles_s,
    text as text_s,
    users as users_s,
    workers as workers_s,
)
from horde.webapp.api.v2 import admin, generate, interrogate, moderation, status, styles, text, users, workers

E = Endpoint
INT = {"user_id": "integer", "filter_id": "integer", "message_id": "integer"}


# image generation
IMAGE: tuple[E, ...] = (
    E("POST", "/v2/generate/async", generate.generate_async, "Ask for images", "generate",
      image_s.RequestAsync, status=202, body=image_s.GenerationInputStable, auth=True, limit="generate"),
    E("GET", "/v2/generate/check/{id}", generate.check, "How an image request is doing (no images)",
      "generate", image_s.RequestStatusCheck, limit="check"),
    E("GET", "/v2/generate/status/{id}", generate.status, "An image request with its images", "generate",
      image_s.RequestStatusStable, limit="status", extra_statuses=(410,)),
    E("DELETE", "/v2/generate/status/{id}", generate.cancel, "Cancel an image request", "generate",
      image_s.RequestStatusStable, auth=True),
    E("POST", "/v2/generate/rate/{id}", generate.rate, "Rate the images of a finished, shared request",
      "generate", image_s.GenerationRated, body=image_s.AestheticsPayload, auth=True),
    E("POST", "/v2/generate/pop", generate.pop, "A worker asks for an image job", "generate",
      image_s.GenerationPopStable, body=image_s.PopInputStable, auth=True, limit="pop"),
    E("POST", "/v2/generate/submit", generate.submit, "A worker returns an image", "generate",
      image_s.GenerationSubmitted, body=image_s.SubmitInput, auth=True, limit="submit"),
)  # fmt: skip

# text generation
TEXT: tuple[E, ...] = (
    E("POST", "/v2/generate/text/async", text.text_async, "Ask for texts", "text", image_s.RequestAsync,
      status=202, body=text_s.GenerationInputKobold, auth=True, limit="generate"),
    E("GET", "/v2/generate/text/status/{id}", text.text_status, "A text request with its texts", "text",
      text_s.RequestStatusKobold, limit="text_status"),
    E("DELETE", "/v2/generate/text/status/{id}", text.text_cancel, "Cancel a text request", "text",
      text_s.RequestStatusKobold, auth=True),
    E("POST", "/v2/generate/text/pop", text.text_pop, "A worker asks for a text job", "text",
      text_s.GenerationPopKobold, body=text_s.PopInputKobold, auth=True, limit="pop"),
    E("POST", "/v2/generate/text/submit", text.text_submit, "A worker returns a text", "text",
      image_s.GenerationSubmitted, body=text_s.SubmitInputKobold, auth=True, limit="submit"),
)  # fmt: skip

# alchemy
ALCHEMY: tuple[E, ...] = (
    E("POST", "/v2/interrogate/async", interrogate.interrogate_async, "Ask for alchemy on an image", "interrogate",
      alchemy_s.RequestInterrogationResponse, status=202, body=alchemy_s.ModelInterrogationInputStable, auth=True,
      limit="generate"),
    E("GET", "/v2/interrogate/status/{id}", interrogate.interrogate_status, "An interrogation with its results",
      "interrogate", alchemy_s.InterrogationStatus, limit="status"),
    E("DELETE", "/v2/interrogate/status/{id}", interrogate.interrogate_cancel, "Cancel an interrogation",
      "interrogate", alchemy_s.InterrogationStatus),
    E("POST", "/v2/interrogate/pop", interrogate.interrogate_pop, "An alchemist asks for forms", "interrogate",
      alchemy_s.InterrogationPopPayload, body=alchemy_s.InterrogationPopInput, auth=True, limit="pop"),
    E("POST", "/v2/interrogate/submit", interrogate.interrogate_submit, "An alchemist returns a form's result",
      "interrogate", image_s.GenerationSubmitted, body=alchemy_s.SubmitInputInterrogation, auth=True,
      limit="submit"),
)  # fmt: skip

# users and kudos
USERS: tuple[E, ...] = (
    E("GET", "/v2/find_user", users.find_user, "The caller's account", "users", users_s.UserDetails, auth=True),
    E("GET", "/v2/users", users.users, "Accounts, 25 a page", "users", users_s.UserDetails, many=True,
      query=users_s.UsersQuery, auth=True),
    E("GET", "/v2/users/{user_id}", users.user, "One account", "users", users_s.UserDetails, auth=True,
      path_types=INT),
    E("PUT", "/v2/users/{user_id}", users.modify_user, "Change an account (moderators)", "users",
      users_s.ModifyUser, body=users_s.ModifyUserInput, auth=True, path_types=INT),
    E("POST", "/v2/kudos/transfer", users.transfer, "Send kudos to another user", "users",
      users_s.KudosTransferred, body=users_s.KudosTransferInput, auth=True),
    E("PUT", "/v2/sharedkeys", users.create_sharedkey, "Make a shared key", "sharedkeys", users_s.SharedKeyDetails,
      body=users_s.SharedKeyInput, auth=True),
    E("GET", "/v2/sharedkeys/{key_id}", users.sharedkey, "One shared key", "sharedkeys", users_s.SharedKeyDetails),
    E("PATCH", "/v2/sharedkeys/{key_id}", users.modify_sharedkey, "Change a shared key", "sharedkeys",
      users_s.SharedKeyDetails, body=users_s.SharedKeyInput, auth=True),
    E("DELETE", "/v2/sharedkeys/{key_id}", users.delete_sharedkey, "Delete a shared key", "sharedkeys",
      base_s.SimpleResponse, auth=True),
)  # fmt: skip

# workers and teams
WORKERS: tuple[E, ...] = (
    E("GET", "/v2/workers", workers.workers, "Every worker", "workers", workers_s.WorkerDetails, many=True,
      query=workers_s.WorkersQuery, auth=True),
    E("GET", "/v2/workers/{worker_id}", workers.worker, "One worker (by id or name)", "workers",
      workers_s.WorkerDetails),
    E("PUT", "/v2/workers/{worker_id}", workers.modify_worker, "Change a worker (owner; pause: moderators)",
      "workers", workers_s.ModifyWorker, body=workers_s.ModifyWorkerInput, auth=True),
    E("DELETE", "/v2/workers/{worker_id}", workers.delete_worker, "Delete a worker", "workers",
      workers_s.DeletedWorker, auth=True),
    E("GET", "/v2/teams", workers.teams, "Every team", "teams", workers_s.TeamDetails, many=True),
    E("POST", "/v2/teams", workers.create_team, "Found a team", "teams", workers_s.ModifyTeam,
      body=workers_s.CreateTeamInput, auth=True, limit="create"),
    E("GET", "/v2/teams/{team_id}", workers.team, "One team", "teams", workers_s.TeamDetails),
    E("PATCH", "/v2/teams/{team_id}", workers.modify_team, "Change a team (owner)", "teams", workers_s.ModifyTeam,
      body=workers_s.ModifyTeamInput, auth=True),
    E("DELETE", "/v2/teams/{team_id}", workers.delete_team, "Delete a team (owner)", "teams", workers_s.DeletedTeam,
      auth=True),
)  # fmt: skip

# styles
STYLES: tuple[E, ...] = (
    E("GET", "/v2/styles/image", styles.listing, "Public image styles, 25 a page", "styles", styles_s.StyleStable,
      many=True, query=styles_s.StylesQuery),
    E("POST", "/v2/styles/image", styles.create, "Make an image style (trusted users)", "styles",
      styles_s.StyleModify, body=styles_s.ModelStyleInputStable, auth=True, limit="create"),
    E("GET", "/v2/styles/image/{style_id}", styles.one, "One image style", "styles", styles_s.StyleStable),
    E("PATCH", "/v2/styles/image/{style_id}", styles.modify, "Change an image style (owner, moderators)",
      "styles", styles_s.StyleModify, body=styles_s.ModelStylePatchStable, auth=True),
    E("DELETE", "/v2/styles/image/{style_id}", styles.delete, "Delete an image style (owner, moderators)",
      "styles", base_s.SimpleResponse, auth=True),
    E("GET", "/v2/styles/image_by_name/{name}", styles.by_name, "One image style, by name", "styles",
      styles_s.StyleStable),
    E("GET", "/v2/styles/text", styles.listing, "Public text styles, 25 a page", "styles", styles_s.StyleKobold,
      many=True, query=styles_s.StylesQuery),
    E("POST", "/v2/styles/text", styles.create, "Make a text style (trusted users)", "styles",
      styles_s.StyleModify, body=styles_s.ModelStyleInputKobold, auth=True, limit="create"),
    E("GET", "/v2/styles/text/{style_id}", styles.one, "One text style", "styles", styles_s.StyleKobold),
    E("PATCH", "/v2/styles/text/{style_id}", styles.modify, "Change a text style (owner, moderators)",
      "styles", styles_s.StyleModify, body=styles_s.ModelStylePatchKobold, auth=True),
    E("DELETE", "/v2/styles/text/{style_id}", styles.delete, "Delete a text style (owner, moderators)",
      "styles", base_s.SimpleResponse, auth=True),
    E("GET", "/v2/styles/text_by_name/{name}", styles.by_name, "One text style, by name", "styles",
      styles_s.StyleKobold),
)  # fmt: skip

# status and stats
STATUS: tuple[E, ...] = (
    E("GET", "/v2/status/heartbeat", status.heartbeat, "Is the horde up", "status", status_s.HordeHeartbeat),
    E("GET", "/v2/status/modes", admin.modes, "Maintenance, invite-only and raid modes", "status",
      status_s.HordeModes, auth=True),
    E("PUT", "/v2/status/modes", admin.change_modes, "Change the modes (maintenance: admins; others: moderators)",
      "status", status_s.HordeModes, body=admin_s.ModesInput, auth=True),
    E("GET", "/v2/status/news", admin.news, "The horde's news", "status", admin_s.Newspiece, many=True),
    E("GET", "/v2/status/performance", status.performance, "Load and throughput", "status",
      status_s.HordePerformance),
    E("GET", "/v2/status/models", status.models, "Models served or queued", "status", status_s.ActiveModel,
      many=True, query=status_s.ModelsQuery),
    E("GET", "/v2/status/models/{model_name}", status.model, "One model", "status", status_s.ActiveModel,
      many=True, query=status_s.ModelsQuery),
    E("GET", "/v2/stats/img/totals", status.img_totals, "Images made per period", "stats", status_s.StatsImgTotals),
    E("GET", "/v2/stats/img/models", status.img_models, "Images made per model", "stats", status_s.ModelStats,
      query=status_s.StatsQuery),
    E("GET", "/v2/stats/text/totals", status.text_totals, "Texts made per period", "stats", status_s.StatsTxtTotals),
    E("GET", "/v2/stats/text/models", status.text_models, "Texts made per model", "stats", status_s.ModelStats,
      query=status_s.StatsQuery),
)  # fmt: skip

# moderation
MODERATION: tuple[E, ...] = (
    E("GET", "/v2/filters", moderation.filters, "Prompt filters (moderators)", "filters", moderation_s.FilterDetails,
      many=True, query=moderation_s.FiltersQuery, auth=True),
    E("PUT", "/v2/filters", moderation.add_filter, "Add a prompt filter (moderators)", "filters",
      moderation_s.FilterDetails, body=moderation_s.PutNewFilter, auth=True),
    E("POST", "/v2/filters", moderation.check_prompt, "Which filters a prompt matches (moderators)",
      "filters", moderation_s.FilterPromptSuspicion, body=moderation_s.FilterCheckInput, auth=True),
    E("GET", "/v2/filters/{filter_id}", moderation.one_filter, "One prompt filter (moderators)", "filters",
      moderation_s.FilterDetails, auth=True, path_types=INT),
    E("PATCH", "/v2/filters/{filter_id}", moderation.patch_filter, "Change a prompt filter (moderators)",
      "filters", moderation_s.FilterDetails, body=moderation_s.PatchExistingFilter, auth=True, path_types=INT),
    E("DELETE", "/v2/filters/{filter_id}", moderation.delete_filter, "Delete a prompt filter (moderators)",
      "filters", base_s.SimpleResponse, auth=True, path_types=INT),
    E("GET", "/v2/operations/ipaddr", moderation.ip_timeouts, "IP addresses in timeout (moderators)",
      "operations", moderation_s.IPTimeout, many=True, auth=True),
    E("POST", "/v2/operations/ipaddr", moderation.add_ip_timeout, "Put an IP in timeout (moderators)",
      "operations", base_s.SimpleResponse, body=moderation_s.AddTimeoutIPInput, auth=True),
    E("DELETE", "/v2/operations/ipaddr", moderation.delete_ip_timeout, "End an IP's timeout (moderators)",
      "operations", base_s.SimpleResponse, body=moderation_s.DeleteTimeoutIPInput, auth=True),
)  # fmt: skip


# the moderation twins of the /admin panel; before WORKERS, so /v2/workers/messages is not taken for a worker id
ADMIN: tuple[E, ...] = (
    E("DELETE", "/v2/users/{user_id}", admin.delete_user, "Soft-delete an account (the user or a moderator)",
      "users", admin_s.DeletedUser, auth=True, path_types=INT),
    E("PUT", "/v2/operations/block_worker_ipaddr/{worker_id}", admin.block_worker_ip,
      "Block a worker's IP for N days (moderators)", "operations", base_s.SimpleResponse,
      body=admin_s.BlockWorkerIPInput, auth=True),
    E("DELETE", "/v2/operations/block_worker_ipaddr/{worker_id}", admin.unblock_worker_ip,
      "Unblock a worker's IP (moderators)", "operations", base_s.SimpleResponse, auth=True),
    E("GET", "/v2/workers/messages", admin.messages, "Messages to workers' owners", "workers",
      admin_s.WorkerMessage, many=True, query=admin_s.MessagesQuery, auth=True),
    E("POST", "/v2/workers/messages", admin.send_message, "Message a worker's owner (moderators; owners: their own)",
      "workers", admin_s.WorkerMessage, body=admin_s.MessageInput, auth=True),
    E("GET", "/v2/workers/messages/{message_id}", admin.message, "One message", "workers", admin_s.WorkerMessage,
      auth=True, path_types=INT),
    E("DELETE", "/v2/workers/messages/{message_id}", admin.delete_message, "Delete a message", "workers",
      base_s.SimpleResponse, auth=True, path_types=INT),
)  # fmt: skip


def endpoints() -> list[E]:
    return [*IMAGE, *TEXT, *ALCHEMY, *USERS, *ADMIN, *WORKERS, *STYLES, *STATUS, *MODERATION]


def _starlette_path(endpoint: E) -> str:
    """The route's path inside the ``/api`` mount."""
    path = endpoint.path
    for name, kind in endpoint.path_types.items():
        if kind == "integer":
            path = path.replace("{" + name + "}", "{" + name + ":int}")
    return path


def _dispatch(by_method: dict[str, Handler]) -> Handler:
    if len(by_method) == 1:
        return next(iter(by_method.values()))

    async def dispatch(request: Request) -> Response:
        return await by_method[request.method](request)

    return dispatch


def api_routes() -> list[BaseRoute]:
    """One mount at ``/api`` (named ``api``, so its route names never shadow the pages'): a request to the API is
    matched against the API's routes only, and a page request skips them all with one test."""
    listed = endpoints()
    grouped: dict[str, dict[str, Handler]] = {}
    for endpoint in listed:
        grouped.setdefault(_starlette_path(endpoint), {})[endpoint.method] = limited(endpoint)
    routes: list[BaseRoute] = [
        Route(path, _dispatch(by_method), methods=list(by_method)) for path, by_method in grouped.items()
    ]
    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes += [
        Route("/v2/r2/upload/{id}", generate.upload, methods=["PUT"], name="api-r2-upload"),
        Route("/v2/r2/download/{id}", generate.download, methods=["GET"], name="api-r2-download"),
        Route("/v2/r2/source/{id}", interrogate.source, methods=["GET"], name="api-r2-source"),
        Route("/v2/r2/alchemy-upload/{id}", interrogate.upload, methods=["PUT"], name="api-r2-alchemy-upload"),
        Route("/v2/r2/alchemy/{id}", interrogate.result, methods=["GET"], name="api-r2-alchemy"),
        Route("/swagger.json", swagger.swagger_json(listed), methods=["GET"], name="api-swagger"),
        Route("/", swagger.browse_page(listed), methods=["GET"], name="api-browse"),
        Route("/{rest:path}", swagger.not_found, methods=every, name="api-not-found"),
    ]
    return [Mount("/api", routes=routes, name="api")]
