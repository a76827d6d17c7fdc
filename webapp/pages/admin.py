"""The moderation panel under ``/admin``: shared helpers and the routes of every admin page.

Each handler asks the service, which checks the caller's role (a template never decides who may act): an
anonymous visitor is sent to log in, anyone else who is not a moderator gets the service's 403. Each action
answers, for htmx, the partial of its section with the result in place; without htmx, the whole page.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from horde.queue import dto
from horde.webapp import security, templating
from horde.webapp.pages.gallery import login_redirect


async def viewer_or_login(request: Request) -> dto.Actor | Response:
    """The logged-in viewer, or the redirect to log in for an anonymous one."""
    actor = await security.viewer(request)
    return login_redirect(request) if actor.is_anonymous else actor


async def show(
    request: Request, page: str, partial: str, context: Mapping[str, Any], *, notice: str | None = None
) -> Response:
    """The page, or for htmx its section's partial, with ``notice`` (the result of an action) shown in place."""
    return await templating.render(
        request,
        page=f"admin/{page}.html",
        partial=f"admin/_{partial}.html",
        context={**context, "notice": notice},
        headers={"Cache-Control": "no-store"},
    )


def routes() -> list[BaseRoute]:
    from horde.webapp.pages import admin_filters, admin_site, admin_users, admin_workers

    post = ["POST"]
    return [
        Route("/admin", admin_site.home, name="admin"),
        Route("/admin/users", admin_users.users, name="admin-users"),
        Route("/admin/users/{user_id:int}", admin_users.user, name="admin-user"),
        Route("/admin/users/{user_id:int}/flags", admin_users.flags, methods=post, name="admin-user-flags"),
        Route("/admin/users/{user_id:int}/kudos", admin_users.kudos, methods=post, name="admin-user-kudos"),
        Route("/admin/users/{user_id:int}/monthly", admin_users.monthly, methods=post, name="admin-user-monthly"),
        Route("/admin/users/{user_id:int}/suspicion", admin_users.reset, methods=post, name="admin-user-suspicion"),
        Route("/admin/users/{user_id:int}/delete", admin_users.delete, methods=post, name="admin-user-delete"),
        Route("/admin/users/{user_id:int}/undelete", admin_users.undelete, methods=post, name="admin-user-undelete"),
        Route("/admin/workers", admin_workers.workers, name="admin-workers"),
        Route("/admin/workers/{worker_id}/pause", admin_workers.pause, methods=post, name="admin-worker-pause"),
        Route(
            "/admin/workers/{worker_id}/maintenance",
            admin_workers.maintenance,
            methods=post,
            name="admin-worker-maintenance",
        ),
        Route("/admin/workers/{worker_id}/message", admin_workers.message, methods=post, name="admin-worker-message"),
        Route("/admin/workers/{worker_id}/delete", admin_workers.delete, methods=post, name="admin-worker-delete"),
        Route("/admin/workers/{worker_id}/block-ip", admin_workers.block_ip, methods=post, name="admin-worker-block"),
        Route("/admin/queue", admin_workers.queue, name="admin-queue"),
        Route("/admin/queue/{request_id}/cancel", admin_workers.cancel, methods=post, name="admin-queue-cancel"),
        Route("/admin/filters", admin_filters.filters, name="admin-filters"),
        Route("/admin/filters", admin_filters.add_filter, methods=post, name="admin-filter-add"),
        Route("/admin/filters/test", admin_filters.test_prompt, methods=post, name="admin-filter-test"),
        Route(
            "/admin/filters/{filter_id:int}/delete",
            admin_filters.delete_filter,
            methods=post,
            name="admin-filter-delete",
        ),
        Route("/admin/ips", admin_filters.ips, name="admin-ips"),
        Route("/admin/ips", admin_filters.add_ip, methods=post, name="admin-ip-add"),
        Route("/admin/ips/delete", admin_filters.delete_ip, methods=post, name="admin-ip-delete"),
        Route("/admin/modes", admin_site.modes, name="admin-modes"),
        Route("/admin/modes", admin_site.change_modes, methods=post, name="admin-modes-change"),
        Route("/admin/news", admin_site.add_news, methods=post, name="admin-news-add"),
        Route("/admin/news/{news_id:int}/delete", admin_site.delete_news, methods=post, name="admin-news-delete"),
        Route("/admin/audit", admin_site.audit, name="admin-audit"),
    ]
