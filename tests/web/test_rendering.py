"""Every page renders for anonymous visitors, users and moderators; pages vs htmx fragments; error pages."""

from __future__ import annotations

import httpx
import pytest

from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, HordeService
from tests import factories
from tests.factories import finished_image
from tests.web.conftest import by_testid, log_in, soup

PUBLIC_PAGES = ["/", "/register", "/login", "/generate", "/text", "/models", "/styles", "/workers", "/teams", "/stats"]
USER_PAGES = ["/gallery", "/account", "/gallery?show=favourites", "/gallery?page=2"]


@pytest.mark.parametrize("role", [None, "user", Role.MODERATOR])
async def test_every_page_renders_for_each_kind_of_visitor(
    client: httpx.AsyncClient, service: HordeService, role: Role | str | None
) -> None:
    owner = await factories.make_user(service, "owner", kudos=50)
    request_id, image_id = await finished_image(service, owner)
    await service.gallery.mark(owner, image_id, public=True)
    if role is not None:
        created = await service.users.create_user(
            SYSTEM, f"visitor-{role}", role=role if isinstance(role, Role) else None
        )
        await log_in(client, created.api_key)
    pages = [*PUBLIC_PAGES, f"/images/{image_id}", f"/images/{image_id}/file", f"/generate?from={image_id}"]
    pages += [f"/generate?source={image_id}", "/generate?model=tiny&prompt=hi", "/text?model=x"]
    if role is not None:
        pages += USER_PAGES
    if role is Role.MODERATOR:
        pages.append(f"/requests/{request_id}")
    for path in pages:
        response = await client.get(path)
        assert response.status_code == 200, (path, response.text[-2000:])
        if response.headers["content-type"].startswith("text/html"):
            page = soup(response)
            assert len(page.find_all("h1")) == 1, path
            assert page.find("script", src=False) is None, "no inline scripts (CSP)"


async def test_login_only_pages_send_anonymous_visitors_to_login(client: httpx.AsyncClient) -> None:
    for path in ("/gallery", "/account"):
        response = await client.get(path)
        assert response.status_code == 303
        assert response.headers["location"] == f"/login?next={path}"


async def test_a_page_request_gets_the_page_and_htmx_gets_the_fragment(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    anonymous = service.users.anonymous(ip="127.0.0.1")
    created = await factories.ask_image(service, anonymous)
    page = await client.get(f"/requests/{created.id}")
    fragment = await client.get(f"/requests/{created.id}", headers={"HX-Request": "true"})
    assert page.status_code == fragment.status_code == 200
    for response in (page, fragment):
        assert "HX-Request" in response.headers["vary"]
    assert soup(page).find("html") is not None
    assert soup(page).find("h1") is not None
    root = soup(fragment).find(recursive=False)
    assert soup(fragment).find("html") is None
    assert root is not None
    assert root["id"] == f"request-status-{created.id}"
    assert root["hx-trigger"] == "every 1s", "a waiting request polls itself"
    assert root["hx-swap"] == "outerHTML"


async def test_a_finished_request_stops_polling_and_shows_its_image(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    anonymous = service.users.anonymous(ip="127.0.0.1")
    request_id, image_id = await finished_image(service, anonymous)
    fragment = soup(await client.get(f"/requests/{request_id}", headers={"HX-Request": "true"}))
    root = fragment.find(recursive=False)
    assert root is not None
    assert not root.has_attr("hx-trigger")
    assert by_testid(fragment, "progress") == "1 of 1 done"
    assert fragment.find("img", src=f"http://testserver/images/{image_id}/file") is not None


async def test_no_worker_explains_why_the_request_waits(client: httpx.AsyncClient, service: HordeService) -> None:
    created = await factories.ask_image(service, service.users.anonymous(ip="127.0.0.1"), models=("nobody",))
    blocked = soup(await client.get(f"/requests/{created.id}")).select_one("[data-testid=blocked]")
    assert blocked is not None
    assert "No worker can take this request right now" in blocked.get_text()


async def test_unknown_paths_and_requests_get_an_html_404(client: httpx.AsyncClient) -> None:
    for path in ("/no-such-page", "/requests/not-a-uuid", "/requests/00000000-0000-4000-8000-000000000000"):
        response = await client.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "Traceback" not in response.text
        assert soup(response).find("h1") is not None


async def test_a_horde_error_under_htmx_is_a_flash_fragment(client: httpx.AsyncClient) -> None:
    response = await client.get("/images/nope", headers={"HX-Request": "true"})
    assert response.status_code == 404
    assert response.headers["hx-retarget"] == "#flash"
    assert soup(response).find(class_="flash-error") is not None
    assert soup(response).find("html") is None


async def test_security_headers_and_static_files(client: httpx.AsyncClient) -> None:
    response = await client.get("/")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    htmx = await client.get("/static/htmx.min.js")
    assert htmx.status_code == 200
    assert 'version:"2.' in htmx.text
