"""Register (the API key is shown once), log in with an API key, log out."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from horde.queue import errors
from horde.webapp import appstate, errors as web_errors, ratelimit, security, templating
from horde.webapp.pages import forms


async def register_form(request: Request) -> Response:
    return await templating.render(request, page="pages/auth_register.html", context={"username": "", "error": None})


async def register(request: Request) -> Response:
    form = await request.form()
    username = forms.text(form, "username")
    service = appstate.service(request)
    try:
        await ratelimit.limiter_for(request.app).hit(
            "register", ip=appstate.client_ip(request), api_key=None, path=request.url.path
        )
        created = await service.users.register(await security.viewer(request), username)
    except (errors.ValidationError, errors.RateLimitedError) as exc:
        context = {"username": username, "error": exc.message}
        status, headers = (
            (429, web_errors.error_headers(exc)) if isinstance(exc, errors.RateLimitedError) else (400, {})
        )
        return await templating.render(
            request, page="pages/auth_register.html", context=context, status_code=status, headers=headers
        )
    request.state.viewer = await service.users.actor_for(created.user.id, ip=appstate.client_ip(request))
    response = await templating.render(
        request,
        page="pages/auth_registered.html",
        context={"user": created.user, "api_key": created.api_key},
        headers={"Cache-Control": "no-store"},
    )
    await security.log_in(request, response, created.user.id)
    return response


async def login_form(request: Request) -> Response:
    next_url = security.safe_next(request.query_params.get("next"))
    return await templating.render(request, page="pages/auth_login.html", context={"next": next_url, "error": None})


async def login(request: Request) -> Response:
    form = await request.form()
    next_url = security.safe_next(form.get("next"))
    api_key = forms.text(form, "api_key").strip()
    message, status, headers = None, 401, {}
    if not api_key or api_key == "0000000000":
        message = "Enter the API key you got when you registered."
    else:
        try:
            await ratelimit.limiter_for(request.app).hit(
                "login", ip=appstate.client_ip(request), api_key=None, path=request.url.path
            )
            actor = await appstate.service(request).users.authenticate(api_key, ip=appstate.client_ip(request))
        except errors.RateLimitedError as exc:
            message = f"Too many attempts from your address ({exc.message}); wait a little."
            status, headers = 429, web_errors.error_headers(exc)
        except errors.AuthError:
            message = "That API key is not valid. Check for missing characters, or register a new account."
        except errors.ForbiddenError as exc:
            message = exc.message
    if message is not None:
        context = {"next": next_url, "error": message}
        return await templating.render(
            request, page="pages/auth_login.html", context=context, status_code=status, headers=headers
        )
    response = RedirectResponse(next_url, status_code=303)
    await security.log_in(request, response, actor.user_id)
    return response


async def logout(request: Request) -> Response:
    response = RedirectResponse(request.url_for("home").path, status_code=303)
    await security.log_out(request, response)
    return response
