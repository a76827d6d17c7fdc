"""The server-rendered web UI: one module per resource, handlers are functions, routes listed here.

``install(app)`` wires the UI into the app: the Jinja environment, the security middleware (CSRF, headers) and
the HTML error renderers. ``routes()`` is spliced into ``horde.webapp.routes.all_routes()``.
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from horde.webapp import assets, security, templating
from horde.webapp.pages import (
    account,
    admin,
    alchemy,
    alchemy_status,
    auth,
    errors,
    gallery,
    generate,
    home,
    images,
    models,
    requests,
    stats,
    styles,
    teams,
    text,
    workers,
)


def routes() -> list[BaseRoute]:
    return [
        Route("/", home.home, name="home"),
        Route("/register", auth.register_form, name="register"),
        Route("/register", auth.register, methods=["POST"], name="register-submit"),
        Route("/login", auth.login_form, name="login"),
        Route("/login", auth.login, methods=["POST"], name="login-submit"),
        Route("/logout", auth.logout, methods=["POST"], name="logout"),
        Route("/generate", generate.generate_form, name="generate"),
        Route("/generate", generate.generate_submit, methods=["POST"], name="generate-submit"),
        Route("/generate/estimate", generate.generate_estimate, methods=["POST"], name="generate-estimate"),
        Route("/text", text.text_form, name="text"),
        Route("/text", text.text_submit, methods=["POST"], name="text-submit"),
        Route("/alchemy", alchemy.alchemy_form, name="alchemy"),
        Route("/alchemy", alchemy.alchemy_submit, methods=["POST"], name="alchemy-submit"),
        Route("/alchemy/{interrogation_id}", alchemy_status.alchemy_detail, name="alchemy-detail"),
        Route(
            "/alchemy/{interrogation_id}/cancel",
            alchemy_status.alchemy_cancel,
            methods=["POST"],
            name="alchemy-cancel",
        ),
        Route("/alchemy/{interrogation_id}/source", alchemy_status.alchemy_source_image, name="alchemy-source"),
        Route(
            "/alchemy/{interrogation_id}/results/{form_id}",
            alchemy_status.alchemy_result_image,
            name="alchemy-result",
        ),
        Route("/requests/{request_id}", requests.request_detail, name="request-detail"),
        Route("/requests/{request_id}/cancel", requests.request_cancel, methods=["POST"], name="request-cancel"),
        Route("/requests/{request_id}/retry", requests.request_retry, methods=["POST"], name="request-retry"),
        Route("/requests/{request_id}/rate", requests.request_rate, methods=["POST"], name="request-rate"),
        Route("/gallery", gallery.gallery_index, name="gallery"),
        Route("/images/{image_id}", images.image_detail, name="image-detail"),
        Route("/images/{image_id}/file", images.image_file, name="image-file"),
        Route("/images/{image_id}/mark", images.image_mark, methods=["POST"], name="image-mark"),
        Route("/images/{image_id}/delete", images.image_delete, methods=["POST"], name="image-delete"),
        Route("/account", account.account_index, name="account"),
        Route("/account/transfer", account.account_transfer, methods=["POST"], name="account-transfer"),
        Route("/account/shared-keys", account.shared_key_create, methods=["POST"], name="shared-key-create"),
        Route("/account/api-key", account.api_key_rotate, methods=["POST"], name="api-key-rotate"),
        Route(
            "/account/shared-keys/{key_id}/delete",
            account.shared_key_delete,
            methods=["POST"],
            name="shared-key-delete",
        ),
        Route(
            "/account/workers/{worker_id}/maintenance",
            account.worker_maintenance,
            methods=["POST"],
            name="worker-maintenance",
        ),
        Route("/models", models.models_index, name="models"),
        Route("/styles", styles.styles_index, name="styles"),
        Route("/styles", styles.style_create, methods=["POST"], name="style-create"),
        Route("/styles/{style_id}/delete", styles.style_delete, methods=["POST"], name="style-delete"),
        Route("/workers", workers.workers_index, name="workers"),
        Route("/teams", teams.teams_index, name="teams"),
        Route("/stats", stats.stats_index, name="stats"),
        *admin.routes(),  # the moderation panel under /admin
        Mount("/static", app=StaticFiles(directory=assets.static_dir()), name="static"),
    ]


def install(app: Starlette) -> None:
    """Templates, the security middleware and the HTML error pages (the API keeps its JSON errors)."""
    app.state.templates = templating.make_templates()
    app.state.page_error_renderer = errors.render_error
    app.add_middleware(security.SecurityMiddleware, exempt_prefixes=("/api/",))
    app.add_exception_handler(HTTPException, errors.on_http_error)
    app.add_exception_handler(Exception, errors.on_server_error)
