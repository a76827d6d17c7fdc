"""The alchemy pages (issue 17): the form offers what online alchemists serve, refuses bad uploads clearly and
keeps the choices, and the status page shows each form's result once a real alchemist (service-level pop and
submit) has sent it; /generate offers the post-processors online image workers run."""

from __future__ import annotations

import base64
import io

import httpx
from bs4 import BeautifulSoup
from PIL import Image

from horde.queue import clock as clock_mod, dto
from horde.queue.domain.roles import Role
from horde.queue.service import SYSTEM, AlchemyPopAsk, AlchemySubmitAsk, HordeService, PopAsk
from tests import factories
from tests.web.conftest import by_testid, csrf_token, log_in, post_form, soup

ALL_FORMS = ("caption", "nsfw", "interrogation", "RealESRGAN_x2plus")


def image_bytes(width: int = 64, height: int = 48, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "green").save(out, format=fmt)
    return out.getvalue()


async def upload(
    client: httpx.AsyncClient,
    forms: tuple[str, ...] = ("caption",),
    *,
    file: tuple[str, bytes, str] | None = ("cat.png", image_bytes(), "image/png"),
    upscaler: str = "",
    htmx: bool = False,
) -> httpx.Response:
    token = await csrf_token(client)
    fields = {"csrf_token": token, "upscaler": upscaler, "forms": list(forms)}
    files = {"source_image": file or ("", b"", "application/octet-stream")}
    headers = {"HX-Request": "true", "X-CSRF-Token": token} if htmx else {}
    return await client.post("/alchemy", data=fields, files=files, headers=headers)


async def alchemist(service: HordeService, forms: tuple[str, ...] = ALL_FORMS) -> tuple[dto.Actor, dto.PoppedForms]:
    """An alchemist that checks in (and takes whatever of ``forms`` is waiting)."""
    actor = await factories.make_user(service, "alchemist", role=Role.TRUSTED)
    return actor, await service.alchemists.pop(actor, AlchemyPopAsk(name="alc", forms=forms, amount=len(forms)))


def checked(page: BeautifulSoup, input_id: str) -> bool:
    element = page.find("input", id=input_id)
    assert element is not None, input_id
    return element.has_attr("checked")


async def test_the_page_marks_what_no_alchemist_serves_and_still_lets_you_ask(
    client: httpx.AsyncClient, service: HordeService, frozen_clock: clock_mod.FrozenClock
) -> None:
    page = soup(await client.get("/alchemy"))
    assert page.find("a", string="Alchemy") is not None  # in the nav
    assert "No alchemist is online" in by_testid(page, "no-alchemist")
    assert page.select("[data-testid^=unserved-]") == []  # the note above says it once
    for name in ("caption", "nsfw", "GFPGAN", "strip_background"):
        assert not page.find("input", id=f"forms-{name}").has_attr("disabled")  # type: ignore[union-attr]

    await alchemist(service, ("caption", "RealESRGAN_x2plus"))
    frozen_clock.advance(6)  # past the offers' cache
    page = soup(await client.get("/alchemy"))
    assert page.select_one("[data-testid=no-alchemist]") is None
    assert page.select_one("[data-testid=unserved-caption]") is None
    assert page.select_one("[data-testid=unserved-RealESRGAN_x2plus]") is None
    assert "no alchemist online serves this now" in by_testid(page, "unserved-nsfw")
    assert page.select_one("[data-testid=unserved-RealESRGAN_x4plus]") is not None


async def test_asking_needs_the_csrf_token(client: httpx.AsyncClient, service: HordeService) -> None:
    files = {"source_image": ("cat.png", image_bytes(), "image/png")}
    response = await client.post("/alchemy", data={"forms": "caption"}, files=files)
    assert response.status_code == 403
    assert (await service.stats.performance()).queued_forms == 0
    assert (await upload(client, ("caption",))).status_code == 303
    assert (await service.stats.performance()).queued_forms == 1


async def test_bad_uploads_say_why_and_keep_the_choices(client: httpx.AsyncClient) -> None:
    cases = [
        (("notes.png", b"not an image at all", "image/png"), "The image is not an image"),
        (None, "Choose an image to work on"),
        (("huge.png", b"\x89PNG" + b"0" * (10 * 1024 * 1024), "image/png"), "larger than 10 MB"),
    ]
    for file, words in cases:
        response = await upload(client, ("caption", "GFPGAN"), file=file, upscaler="RealESRGAN_x4plus")
        assert response.status_code == 400, response.text
        page = soup(response)
        assert words in by_testid(page, "alchemy-error")
        assert checked(page, "forms-caption") and checked(page, "forms-GFPGAN") and not checked(page, "forms-nsfw")
        assert checked(page, "upscaler-RealESRGAN_x4plus") and not checked(page, "upscaler-none")
    response = await upload(client, ("caption", "sharpen"))
    assert response.status_code == 400 and "Unknown form 'sharpen'" in by_testid(soup(response), "alchemy-error")
    response = await upload(client, ())
    assert response.status_code == 400 and "at least one form" in by_testid(soup(response), "alchemy-error")


async def test_an_htmx_error_replaces_only_the_message(client: httpx.AsyncClient) -> None:
    """The form stays in the browser (with the chosen file): only ``#alchemy-errors`` comes back."""
    response = await upload(client, ("caption",), file=("a.png", b"nope", "image/png"), htmx=True)
    assert response.status_code == 400
    page = soup(response)
    assert page.find("h1") is None and page.find("form") is None
    root = page.find(id="alchemy-errors")
    assert root is not None and "not an image" in root.get_text()
    response = await upload(client, ("caption",), htmx=True)
    assert response.status_code == 204 and response.headers["HX-Redirect"].startswith("/alchemy/")


async def test_a_gallery_image_can_be_sent_to_the_alchemists(client: httpx.AsyncClient, service: HordeService) -> None:
    owner = await service.users.create_user(SYSTEM, "painter", kudos=100)
    await log_in(client, owner.api_key)
    _, image_id = await factories.finished_image(service, await service.users.authenticate(owner.api_key))
    detail = soup(await client.get(f"/images/{image_id}"))
    link = detail.find("a", string="Upscale")
    assert link is not None
    page = soup(await client.get(str(link["href"])))
    assert checked(page, "upscaler-RealESRGAN_x4plus") and not checked(page, "forms-caption")
    assert page.find("input", attrs={"name": "source_from", "value": image_id}) is not None
    token = await csrf_token(client)
    fields = {"csrf_token": token, "upscaler": "RealESRGAN_x4plus", "source_from": image_id}
    response = await client.post("/alchemy", data=fields, files={"source_image": ("", b"", "application/octet-stream")})
    assert response.status_code == 303, response.text
    source = await client.get(response.headers["location"] + "/source")
    assert source.content == factories.webp_bytes() and source.headers["content-type"] == "image/webp"


async def finish_all(service: HordeService, actor: dto.Actor, popped: dto.PoppedForms) -> None:
    """Send each popped form's result as an alchemist would."""
    results: dict[str, dict[str, object]] = {
        "caption": {"caption": "a green field"},
        "nsfw": {"nsfw": False},
        "interrogation": {
            "interrogation": {"tags": [{"text": "grass", "confidence": 0.2}, {"text": "field", "confidence": 0.7}]}
        },
        "RealESRGAN_x2plus": {"RealESRGAN_x2plus": base64.b64encode(image_bytes(128, 96, "WEBP")).decode()},
    }
    for form in popped.forms:
        await service.alchemists.submit(actor, AlchemySubmitAsk(form_id=form.id, result=results[form.form]))


async def test_the_status_page_shows_each_result(client: httpx.AsyncClient, service: HordeService) -> None:
    asker = await service.users.create_user(SYSTEM, "asker", kudos=100)
    await log_in(client, asker.api_key)
    response = await upload(client, ("caption", "nsfw", "interrogation"), upscaler="RealESRGAN_x2plus")
    assert response.status_code == 303, response.text
    url = response.headers["location"]
    page = soup(await client.get(url))
    for rendered in (page, soup(await client.get("/alchemy"))):
        assert len(rendered.find_all("h1")) == 1 and rendered.find("script", src=False) is None  # CSP
    assert page.select_one("[hx-trigger]") is not None  # polls while waiting
    assert by_testid(page, "alchemy-progress") == "0 of 4 done"
    assert page.select_one("[data-testid=waiting-caption]") is not None  # no alchemist online
    source = await client.get(str(page.select_one(".alchemy-source img")["src"]))  # type: ignore[index]
    assert source.status_code == 200 and source.headers["content-type"] == "image/png"

    actor, popped = await alchemist(service)
    await finish_all(service, actor, popped)
    fragment = soup(await client.get(url, headers={"HX-Request": "true"}))
    assert fragment.find("h1") is None and fragment.select_one("[hx-trigger]") is None  # final: polling stops
    assert by_testid(fragment, "alchemy-progress") == "4 of 4 done"
    assert by_testid(fragment, "caption") == "a green field"
    use = fragment.find("a", string="Use as prompt")
    assert use is not None and str(use["href"]).endswith("/generate?prompt=a+green+field")
    assert "No" in by_testid(fragment, "nsfw")
    assert [li.get_text(" ", strip=True) for li in fragment.select("[data-testid=tags-tags] li")] == [
        "field 0.70",
        "grass 0.20",
    ]
    image = fragment.select_one("[data-testid=form-RealESRGAN_x2plus] img")
    assert image is not None
    result = await client.get(str(image["src"]))
    assert result.status_code == 200 and result.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(result.content)).size == (128, 96)
    generate = soup(await client.get(str(use["href"])))
    assert generate.select_one("textarea#prompt").get_text() == "a green field"  # type: ignore[union-attr]


async def test_only_the_requester_and_moderators_see_it(client: httpx.AsyncClient, service: HordeService) -> None:
    asker = await service.users.create_user(SYSTEM, "asker", kudos=100)
    await log_in(client, asker.api_key)
    url = (await upload(client, ("RealESRGAN_x2plus",))).headers["location"]
    actor, popped = await alchemist(service, ("RealESRGAN_x2plus",))
    await finish_all(service, actor, popped)
    image_url = f"{url}/results/{popped.forms[0].id}"
    assert (await client.get(image_url)).status_code == 200

    stranger = await service.users.create_user(SYSTEM, "stranger")
    await log_in(client, stranger.api_key)
    for address in (url, f"{url}/source", image_url):
        assert (await client.get(address)).status_code == 404, address
    client.cookies.clear()  # anonymous
    assert (await client.get(url)).status_code == 404
    moderator = await service.users.create_user(SYSTEM, "mod", role=Role.MODERATOR)
    await log_in(client, moderator.api_key)
    assert (await client.get(image_url)).status_code == 200
    other_form = f"{url}/results/00000000-0000-0000-0000-000000000000"
    assert (await client.get(other_form)).status_code == 404


async def test_cancel_drops_what_waits(client: httpx.AsyncClient, service: HordeService) -> None:
    url = (await upload(client, ("caption", "nsfw"))).headers["location"]  # anonymous: the id is the proof
    response = await post_form(client, f"{url}/cancel", {}, htmx=True)
    assert response.status_code == 200
    fragment = soup(response)
    assert "Cancelled" in fragment.get_text() and fragment.select_one("[hx-trigger]") is None
    assert [a["data-state"] for a in fragment.select("article")] == ["cancelled", "cancelled"]
    assert fragment.find("button", string="Cancel") is None


async def test_a_poll_of_a_request_that_is_gone_stops_polling(client: httpx.AsyncClient) -> None:
    url = "/alchemy/00000000-0000-0000-0000-000000000000"
    assert (await client.get(url)).status_code == 404
    response = await client.get(url, headers={"HX-Request": "true"})
    assert response.status_code == 286  # htmx stops polling
    fragment = soup(response)
    assert "gone" in by_testid(fragment, "alchemy-gone") and fragment.select_one("[hx-trigger]") is None


async def image_worker(service: HordeService, post_processors: tuple[str, ...]) -> None:
    owner = await factories.make_user(service, "painter", role=Role.TRUSTED)
    await service.workers.pop(owner, PopAsk(name="painter", models=("tiny",), post_processors=post_processors))


async def test_generate_offers_only_the_post_processors_workers_run(
    client: httpx.AsyncClient, service: HordeService, frozen_clock: clock_mod.FrozenClock
) -> None:
    page = soup(await client.get("/generate"))
    assert "No image worker online runs post-processing" in by_testid(page, "no-post-processing")
    assert all(o.has_attr("disabled") for o in page.select("#upscaler option[value!='']"))
    assert page.find("input", id="post_processing-GFPGAN").has_attr("disabled")  # type: ignore[union-attr]

    await image_worker(service, ("RealESRGAN_x4plus", "GFPGAN"))
    frozen_clock.advance(6)
    page = soup(await client.get("/generate"))
    assert page.select_one("[data-testid=no-post-processing]") is None
    enabled = [o["value"] for o in page.select("#upscaler option") if not o.has_attr("disabled")]
    assert enabled == ["", "RealESRGAN_x4plus"]
    assert not page.find("input", id="post_processing-GFPGAN").has_attr("disabled")  # type: ignore[union-attr]
    assert page.find("input", id="post_processing-CodeFormers").has_attr("disabled")  # type: ignore[union-attr]


async def test_generate_sends_the_chosen_post_processors(client: httpx.AsyncClient, service: HordeService) -> None:
    data = {"prompt": "a cat", "model": "tiny", "width": "64", "height": "64", "steps": "4", "_submitted": "1"}
    chosen = {"upscaler": "RealESRGAN_x4plus", "post_processing": "GFPGAN"}
    response = await post_form(client, "/generate", data | chosen)
    assert response.status_code == 303, response.text
    status = await service.requests.status(None, response.headers["location"].rsplit("/", 1)[1])
    assert status.params["post_processing"] == ["RealESRGAN_x4plus", "GFPGAN"]
    response = await post_form(client, "/generate", data | {"post_processing": "sharpen"})
    page = soup(response)
    assert response.status_code == 400 and "Unknown post-processor 'sharpen'" in page.find(role="alert").get_text()  # type: ignore[union-attr]
    assert page.select_one("#post-processing[open] .field-error") is not None
    response = await post_form(client, "/generate", data | chosen | {"post_processing": "CodeFormers"})
    assert response.status_code == 303
    plain = await post_form(client, "/generate/estimate", data, htmx=True)
    upscaled = await post_form(client, "/generate/estimate", data | chosen, htmx=True)
    costs = [float(by_testid(soup(r), "kudos-cost")) for r in (plain, upscaled)]
    assert costs[1] > costs[0]  # the estimate counts the post-processors
