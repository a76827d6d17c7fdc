"""Generating, estimating, cancelling, retrying, the gallery's marks, images' visibility, and transfers."""

from __future__ import annotations

import io

import httpx
from PIL import Image

from horde.queue.service import SYSTEM, HordeService, SubmitAsk
from tests import factories
from tests.factories import finished_image, webp_bytes
from tests.web.conftest import by_testid, log_in, post_form, register, soup, text_of


def png() -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 10)).save(buf, "PNG")
    return buf.getvalue()


async def test_generate_queues_a_request_and_goes_to_its_page(client: httpx.AsyncClient, service: HordeService) -> None:
    data = {"prompt": "a cat", "negative_prompt": "dogs", "model": "tiny", "width": "64", "height": "64"}
    data |= {"steps": "4", "n": "2", "seed": "42", "_submitted": "1", "karras": "on"}
    response = await post_form(client, "/generate", data)
    assert response.status_code == 303
    request_id = response.headers["location"].rsplit("/", 1)[1]
    status = await service.requests.status(None, request_id)
    assert status.prompt == "a cat ### dogs"
    assert status.n == 2
    assert status.params["width"] == 64
    assert status.params["karras"] is True
    assert status.params["tiling"] is False


async def test_a_bad_value_shows_the_form_again_with_what_was_typed(client: httpx.AsyncClient) -> None:
    data = {"prompt": "keep me", "width": "64", "height": "64", "steps": "9999", "_submitted": "1"}
    response = await post_form(client, "/generate", data)
    assert response.status_code == 400
    page = soup(response)
    assert page.find(role="alert") is not None
    assert text_of(page, "textarea#prompt") == "keep me"


async def test_img2img_upload_is_queued_with_its_source(client: httpx.AsyncClient, service: HordeService) -> None:
    data = {"prompt": "vary", "width": "64", "height": "64", "steps": "4", "_submitted": "1", "csrf_token": ""}
    page = await client.get("/generate")
    data["csrf_token"] = str(soup(page).find("input", attrs={"name": "csrf_token"})["value"])  # type: ignore[index]
    files = {"source_image": ("src.png", png(), "image/png"), "source_mask": ("", b"", "application/octet-stream")}
    response = await client.post("/generate", data=data, files=files)
    assert response.status_code == 303, response.text
    request_id = response.headers["location"].rsplit("/", 1)[1]
    anonymous = service.users.anonymous(ip="127.0.0.1")
    source, mask, processing = await service.gallery.source_image(anonymous, request_id)
    assert source == png()
    assert mask is None
    assert processing == "img2img"


async def test_the_estimate_fragment_shows_the_cost(client: httpx.AsyncClient) -> None:
    data = {"prompt": "x", "width": "512", "height": "512", "steps": "30", "_submitted": "1"}
    response = await post_form(client, "/generate/estimate", data, htmx=True)
    assert response.status_code == 200
    fragment = soup(response)
    assert fragment.find(id="estimate") is not None
    assert float(by_testid(fragment, "kudos-cost")) > 0
    bad = await post_form(client, "/generate/estimate", {**data, "steps": "nope"}, htmx=True)
    assert soup(bad).select_one("[data-testid=estimate-error]") is not None


async def test_cancel_keeps_finished_images(client: httpx.AsyncClient, service: HordeService) -> None:
    await register(client, "canceller")
    response = await post_form(
        client, "/generate", {"prompt": "two", "n": "2", "width": "64", "height": "64", "steps": "4", "model": "tiny"}
    )
    request_id = response.headers["location"].rsplit("/", 1)[1]
    worker_owner = await factories.make_user(service, "wo")
    job = await factories.pop(service, worker_owner, name="w-cancel")
    await service.workers.submit(worker_owner, SubmitAsk(job_id=job.ids[0], image=webp_bytes()))
    cancelled = await post_form(client, f"/requests/{request_id}/cancel", {}, htmx=True)
    assert cancelled.status_code == 200
    fragment = soup(cancelled)
    assert "Cancelled" in fragment.get_text()
    assert len(fragment.select(".image-grid img")) == 1
    assert (await service.requests.status(None, request_id)).cancelled


async def test_retry_asks_again_with_the_same_settings(client: httpx.AsyncClient, service: HordeService) -> None:
    anonymous = service.users.anonymous(ip="127.0.0.1")
    params = {"width": 64, "height": 64, "steps": 5, "post_processing": ["GFPGAN"], "facefixer_strength": 0.4}
    old = await factories.ask_image(service, anonymous, "again please", params=params)
    await service.requests.cancel(anonymous, old.id)
    response = await post_form(client, f"/requests/{old.id}/retry", {})
    assert response.status_code == 303
    new_id = response.headers["location"].rsplit("/", 1)[1]
    assert new_id != old.id
    new = await service.requests.status(None, new_id)
    assert new.prompt == "again please"
    assert new.params["steps"] == 5
    assert (new.params["post_processing"], new.params["facefixer_strength"]) == (["GFPGAN"], 0.4)


async def test_others_cannot_see_a_private_image_until_it_is_public(
    client: httpx.AsyncClient, service: HordeService
) -> None:
    owner = await factories.make_user(service, "owner")
    request_id, image_id = await finished_image(service, owner)
    assert (await client.get(f"/images/{image_id}/file")).status_code == 404
    assert (await client.get(f"/images/{image_id}")).status_code == 404
    assert (await client.get(f"/requests/{request_id}")).status_code == 404
    await service.gallery.mark(owner, image_id, public=True)
    shown = await client.get(f"/images/{image_id}/file")
    assert shown.status_code == 200
    assert shown.headers["content-type"] == "image/webp"
    assert shown.content[:4] == b"RIFF"
    page = soup(await client.get(f"/images/{image_id}"))
    assert page.find("button", string="Delete") is None, "only the owner gets the owner's buttons"


async def test_owner_favourites_publishes_and_deletes(client: httpx.AsyncClient, service: HordeService) -> None:
    created = await service.users.create_user(service.users.anonymous(), "artist")
    await log_in(client, created.api_key)
    owner = await service.users.authenticate(created.api_key, ip="127.0.0.1")
    _, image_id = await finished_image(service, owner)
    gallery = soup(await client.get("/gallery"))
    assert len(gallery.select(".image-grid img")) == 1
    fav = await post_form(client, f"/images/{image_id}/mark", {"favourite": "on"}, htmx=True)
    assert soup(fav).find(id="image-actions") is not None
    public = await post_form(client, f"/images/{image_id}/mark", {"public": "on"}, htmx=True)
    assert soup(public).find("input", id="permalink") is not None
    favourites = soup(await client.get("/gallery?show=favourites"))
    assert len(favourites.select(".image-grid img")) == 1
    download = await client.get(f"/images/{image_id}/file?download=1")
    assert "attachment" in download.headers["content-disposition"]
    deleted = await post_form(client, f"/images/{image_id}/delete", {})
    assert deleted.status_code == 303
    assert (await client.get(f"/images/{image_id}")).status_code == 404
    assert not soup(await client.get("/gallery")).select(".image-grid img")


async def test_transfer_kudos_from_the_account_page(client: httpx.AsyncClient, service: HordeService) -> None:
    giver = await service.users.create_user(SYSTEM, "giver", kudos=100)
    receiver = await service.users.create_user(SYSTEM, "receiver")
    await log_in(client, giver.api_key)
    to = f"receiver#{receiver.user.id}"
    response = await post_form(client, "/account/transfer", {"to": to, "amount": "10"}, htmx=True)
    assert response.status_code == 200
    fragment = soup(response)
    assert by_testid(fragment, "transfer-done") == f"Sent 10 kudos to {to}."
    assert (await service.users.get(SYSTEM, receiver.user.id)).kudos == receiver.user.kudos + 10
    too_much = await post_form(client, "/account/transfer", {"to": to, "amount": "100000"}, htmx=True)
    assert soup(too_much).find(role="alert") is not None
    not_a_number = await post_form(client, "/account/transfer", {"to": to, "amount": "lots"})
    assert not_a_number.status_code == 400
    account = soup(await client.get("/account"))
    kinds = [row.get_text() for row in account.select("#ledger tbody tr")]
    assert any("You sent kudos" in k for k in kinds)


async def test_text_page_queues_a_text_request(client: httpx.AsyncClient, service: HordeService) -> None:
    response = await post_form(client, "/text", {"prompt": "Once upon", "max_length": "32", "model": "tiny-text"})
    assert response.status_code == 303
    status = await service.requests.status(None, response.headers["location"].rsplit("/", 1)[1])
    assert status.kind == "text"
    assert status.params["max_length"] == 32
    empty = await post_form(client, "/text", {"prompt": ""})
    assert empty.status_code == 400
