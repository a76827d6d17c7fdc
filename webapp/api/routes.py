"""Every endpoint of ``/api``: one list feeds both the Starlette routes and the Swagger document."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Mount, Route

from horde.webapp.api import http, schemas as s, style_schemas as ss, swagger
from horde.webapp.api.v2 import generate, moderation, status, styles, text, users, workers

E = http.Endpoint
INT = {"user_id": "integer", "filter_id": "integer"}


def endpoints() -> list[E]:
    return [
        # image generation
        E("POST", "/v2/generate/async", generate.generate_async, "Ask for images", "generate",
          s.RequestAsync, status=202, body=s.GenerationInputStable, auth=True, limit="generate"),
        E("GET", "/v2/generate/check/{id}", generate.check, "How an image request is doing (no images)",
          "generate", s.RequestStatusCheck, limit="check"),
        E("GET", "/v2/generate/status/{id}", generate.status, "An image request with its images", "generate",
          s.RequestStatusStable, limit="status", extra_statuses=(410,)),
        E("DELETE", "/v2/generate/status/{id}", generate.cancel, "Cancel an image request", "generate",
          s.RequestStatusStable, auth=True),
        E("POST", "/v2/generate/rate/{id}", generate.rate, "Rate the images of a finished, shared request",
          "generate", s.GenerationRated, body=s.AestheticsPayload, auth=True),
        E("POST", "/v2/generate/pop", generate.pop, "A worker asks for an image job", "generate",
          s.GenerationPopStable, body=s.PopInputStable, auth=True, limit="pop"),
        E("POST", "/v2/generate/submit", generate.submit, "A worker returns an image", "generate",
          s.GenerationSubmitted, body=s.SubmitInput, auth=True, limit="submit"),
        # text generation
        E("POST", "/v2/generate/text/async", text.text_async, "Ask for texts", "text", s.RequestAsync,
          status=202, body=s.GenerationInputKobold, auth=True, limit="generate"),
        E("GET", "/v2/generate/text/status/{id}", text.text_status, "A text request with its texts", "text",
          s.RequestStatusKobold, limit="text_status"),
        E("DELETE", "/v2/generate/text/status/{id}", text.text_cancel, "Cancel a text request", "text",
          s.RequestStatusKobold, auth=True),
        E("POST", "/v2/generate/text/pop", text.text_pop, "A worker asks for a text job", "text",
          s.GenerationPopKobold, body=s.PopInputKobold, auth=True, limit="pop"),
        E("POST", "/v2/generate/text/submit", text.text_submit, "A worker returns a text", "text",
          s.GenerationSubmitted, body=s.SubmitInputKobold, auth=True, limit="submit"),
        # users and kudos
        E("GET", "/v2/find_user", users.find_user, "The caller's account", "users", s.UserDetails, auth=True),
        E("GET", "/v2/users", users.users, "Accounts, 25 a page", "users", s.UserDetails, many=True,
          query=s.UsersQuery, auth=True),
        E("GET", "/v2/users/{user_id}", users.user, "One account", "users", s.UserDetails, auth=True,
          path_types=INT),
        E("PUT", "/v2/users/{user_id}", users.modify_user, "Change an account (moderators)", "users",
          s.ModifyUser, body=s.ModifyUserInput, auth=True, path_types=INT),
        E("POST", "/v2/kudos/transfer", users.transfer, "Send kudos to another user", "users",
          s.KudosTransferred, body=s.KudosTransferInput, auth=True),
        E("PUT", "/v2/sharedkeys", users.create_sharedkey, "Make a shared key", "sharedkeys", s.SharedKeyDetails,
          body=s.SharedKeyInput, auth=True),
        E("GET", "/v2/sharedkeys/{key_id}", users.sharedkey, "One shared key", "sharedkeys", s.SharedKeyDetails),
        E("PATCH", "/v2/sharedkeys/{key_id}", users.modify_sharedkey, "Change a shared key", "sharedkeys",
          s.SharedKeyDetails, body=s.SharedKeyInput, auth=True),
        E("DELETE", "/v2/sharedkeys/{key_id}", users.delete_sharedkey, "Delete a shared key", "sharedkeys",
          s.SimpleResponse, auth=True),
        # workers and teams
        E("GET", "/v2/workers", workers.workers, "Every worker", "workers", s.WorkerDetails, many=True,
          query=s.WorkersQuery, auth=True),
        E("GET", "/v2/workers/{worker_id}", workers.worker, "One worker (by id or name)", "workers",
          s.WorkerDetails),
        E("PUT", "/v2/workers/{worker_id}", workers.modify_worker, "Change a worker (owner; pause: moderators)",
          "workers", s.ModifyWorker, body=s.ModifyWorkerInput, auth=True),
        E("DELETE", "/v2/workers/{worker_id}", workers.delete_worker, "Delete a worker", "workers",
          s.DeletedWorker, auth=True),
        E("GET", "/v2/teams", workers.teams, "Every team", "teams", s.TeamDetails, many=True),
        E("POST", "/v2/teams", workers.create_team, "Found a team", "teams", s.ModifyTeam,
          body=s.CreateTeamInput, auth=True),
        E("GET", "/v2/teams/{team_id}", workers.team, "One team", "teams", s.TeamDetails),
        E("PATCH", "/v2/teams/{team_id}", workers.modify_team, "Change a team (owner)", "teams", s.ModifyTeam,
          body=s.ModifyTeamInput, auth=True),
        E("DELETE", "/v2/teams/{team_id}", workers.delete_team, "Delete a team (owner)", "teams", s.DeletedTeam,
          auth=True),
        # styles
        E("GET", "/v2/styles/image", styles.listing, "Public image styles, 25 a page", "styles", ss.StyleStable,
          many=True, query=ss.StylesQuery),
        E("POST", "/v2/styles/image", styles.create, "Make an image style (trusted users)", "styles",
          ss.StyleModify, body=ss.ModelStyleInputStable, auth=True),
        E("GET", "/v2/styles/image/{style_id}", styles.one, "One image style", "styles", ss.StyleStable),
        E("PATCH", "/v2/styles/image/{style_id}", styles.modify, "Change an image style (owner, moderators)",
          "styles", ss.StyleModify, body=ss.ModelStylePatchStable, auth=True),
        E("DELETE", "/v2/styles/image/{style_id}", styles.delete, "Delete an image style (owner, moderators)",
          "styles", s.SimpleResponse, auth=True),
        E("GET", "/v2/styles/image_by_name/{name}", styles.by_name, "One image style, by name", "styles",
          ss.StyleStable),
        E("GET", "/v2/styles/text", styles.listing, "Public text styles, 25 a page", "styles", ss.StyleKobold,
          many=True, query=ss.StylesQuery),
        E("POST", "/v2/styles/text", styles.create, "Make a text style (trusted users)", "styles",
          ss.StyleModify, body=ss.ModelStyleInputKobold, auth=True),
        E("GET", "/v2/styles/text/{style_id}", styles.one, "One text style", "styles", ss.StyleKobold),
        E("PATCH", "/v2/styles/text/{style_id}", styles.modify, "Change a text style (owner, moderators)",
          "styles", ss.StyleModify, body=ss.ModelStylePatchKobold, auth=True),
        E("DELETE", "/v2/styles/text/{style_id}", styles.delete, "Delete a text style (owner, moderators)",
          "styles", s.SimpleResponse, auth=True),
        E("GET", "/v2/styles/text_by_name/{name}", styles.by_name, "One text style, by name", "styles",
          ss.StyleKobold),
        # status and stats
        E("GET", "/v2/status/heartbeat", status.heartbeat, "Is the horde up", "status", s.HordeHeartbeat),
        E("GET", "/v2/status/modes", status.modes, "Maintenance, invite-only and raid modes", "status",
          s.HordeModes),
        E("GET", "/v2/status/performance", status.performance, "Load and throughput", "status",
          s.HordePerformance),
        E("GET", "/v2/status/models", status.models, "Models served or queued", "status", s.ActiveModel,
          many=True, query=s.ModelsQuery),
        E("GET", "/v2/status/models/{model_name}", status.model, "One model", "status", s.ActiveModel,
          many=True, query=s.ModelsQuery),
        E("GET", "/v2/stats/img/totals", status.img_totals, "Images made per period", "stats", s.StatsImgTotals),
        E("GET", "/v2/stats/img/models", status.img_models, "Images made per model", "stats", s.ModelStats,
          query=s.StatsQuery),
        E("GET", "/v2/stats/text/totals", status.text_totals, "Texts made per period", "stats", s.StatsTxtTotals),
        E("GET", "/v2/stats/text/models", status.text_models, "Texts made per model", "stats", s.ModelStats,
          query=s.StatsQuery),
        # moderation
        E("GET", "/v2/filters", moderation.filters, "Prompt filters (moderators)", "filters", s.FilterDetails,
          many=True, query=s.FiltersQuery, auth=True),
        E("PUT", "/v2/filters", moderation.add_filter, "Add a prompt filter (moderators)", "filters",
          s.FilterDetails, body=s.PutNewFilter, auth=True),
        E("POST", "/v2/filters", moderation.check_prompt, "Which filters a prompt matches (moderators)",
          "filters", s.FilterPromptSuspicion, body=s.FilterCheckInput, auth=True),
        E("GET", "/v2/filters/{filter_id}", moderation.one_filter, "One prompt filter (moderators)", "filters",
          s.FilterDetails, auth=True, path_types=INT),
        E("PATCH", "/v2/filters/{filter_id}", moderation.patch_filter, "Change a prompt filter (moderators)",
          "filters", s.FilterDetails, body=s.PatchExistingFilter, auth=True, path_types=INT),
        E("DELETE", "/v2/filters/{filter_id}", moderation.delete_filter, "Delete a prompt filter (moderators)",
          "filters", s.SimpleResponse, auth=True, path_types=INT),
        E("GET", "/v2/operations/ipaddr", moderation.ip_timeouts, "IP addresses in timeout (moderators)",
          "operations", s.IPTimeout, many=True, auth=True),
        E("POST", "/v2/operations/ipaddr", moderation.add_ip_timeout, "Put an IP in timeout (moderators)",
          "operations", s.SimpleResponse, body=s.AddTimeoutIPInput, auth=True),
        E("DELETE", "/v2/operations/ipaddr", moderation.delete_ip_timeout, "End an IP's timeout (moderators)",
          "operations", s.SimpleResponse, body=s.DeleteTimeoutIPInput, auth=True),
    ]  # fmt: skip


def _starlette_path(endpoint: E) -> str:
    """The route's path inside the ``/api`` mount."""
    path = endpoint.path
    for name, kind in endpoint.path_types.items():
        if kind == "integer":
            path = path.replace("{" + name + "}", "{" + name + ":int}")
    return path


def _dispatch(by_method: dict[str, http.Handler]) -> http.Handler:
    if len(by_method) == 1:
        return next(iter(by_method.values()))

    async def dispatch(request: Request) -> Response:
        return await by_method[request.method](request)

    return dispatch


def api_routes() -> list[BaseRoute]:
    """One mount at ``/api`` (named ``api``, so its route names never shadow the pages'): a request to the API is
    matched against the API's routes only, and a page request skips them all with one test."""
    listed = endpoints()
    grouped: dict[str, dict[str, http.Handler]] = {}
    for endpoint in listed:
        grouped.setdefault(_starlette_path(endpoint), {})[endpoint.method] = http.limited(endpoint)
    routes: list[BaseRoute] = [
        Route(path, _dispatch(by_method), methods=list(by_method)) for path, by_method in grouped.items()
    ]
    every = ["GET", "POST", "PUT", "PATCH", "DELETE"]
    routes += [
        Route("/v2/r2/upload/{id}", generate.upload, methods=["PUT"], name="api-r2-upload"),
        Route("/v2/r2/download/{id}", generate.download, methods=["GET"], name="api-r2-download"),
        Route("/swagger.json", swagger.swagger_json(listed), methods=["GET"], name="api-swagger"),
        Route("/", swagger.browse_page(listed), methods=["GET"], name="api-browse"),
        Route("/{rest:path}", swagger.not_found, methods=every, name="api-not-found"),
    ]
    return [Mount("/api", routes=routes, name="api")]
