"""Image and text flows through the API, with their error paths."""

from __future__ import annotations

import base64
import io
from typing import Any

import httpx
from PIL import Image

from horde.queue.service import HordeService, Signer
from horde.webapp.api import signing
from tests.api.conftest import IMAGE, POP, Keys, h

TEXT: dict[str, Any] = {"prompt": "Once upon a time", "models": ["tiny-lm"], "params": {"max_length": 32}}


def webp() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (10, 200, 30)).save(out, format="WEBP", lossless=True)
    return out.getvalue()


async def kudos(client: httpx.AsyncClient, key: str) -> float:
    r = await client.get("/api/v2/find_user", headers=h(key))
    assert r.status_code == 200, r.text
    return float(r.json()["kudos"])


async def queue_and_pop(client: httpx.AsyncClient, asker: str, worker: str, **extra: Any) -> tuple[str, dict[str, Any]]:
    r = await client.post("/api/v2/generate/async", json={**IMAGE, **extra}, headers=h(asker))
    assert r.status_code == 202, r.text
    job = (await client.post("/api/v2/generate/pop", json=POP, headers=h(worker))).json()
    assert job["ids"], job
    return str(r.json()["id"]), job


async def test_image_round_trip_by_upload(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    start = await kudos(client, asker), await kudos(client, worker)
    rid, job = await queue_and_pop(client, asker, worker)
    assert job["payload"]["width"] == 64 and isinstance(job["payload"]["seed"], str)
    assert job["r2_uploads"] == [job["r2_upload"]]
    put = await client.put(job["r2_upload"], content=webp())
    assert put.status_code == 200
    r = await client.post(
        "/api/v2/generate/submit", json={"id": job["id"], "generation": "R2", "seed": 5}, headers=h(worker)
    )
    assert r.status_code == 200 and r.json()["reward"] > 0
    check = (await client.get(f"/api/v2/generate/check/{rid}")).json()
    assert check["done"] and check["finished"] == 1
    status = (await client.get(f"/api/v2/generate/status/{rid}")).json()
    gen = status["generations"][0]
    assert gen["seed"] == "5" and gen["worker_name"] == "w1"
    got = await client.get(gen["img"])
    assert got.status_code == 200 and got.headers["content-type"] == "image/webp"
    assert Image.open(io.BytesIO(got.content)).size == (64, 64)
    end = await kudos(client, asker), await kudos(client, worker)
    assert end[0] < start[0] and end[1] > start[1]


async def test_base64_result_and_second_submit_pays_once(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    rid, job = await queue_and_pop(client, asker, worker, r2=False)
    body = {"id": job["id"], "generation": base64.b64encode(webp()).decode(), "seed": 1}
    first = await client.post("/api/v2/generate/submit", json=body, headers=h(worker))
    balance = await kudos(client, worker)
    second = await client.post("/api/v2/generate/submit", json=body, headers=h(worker))
    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert await kudos(client, worker) == balance
    gen = (await client.get(f"/api/v2/generate/status/{rid}")).json()["generations"][0]
    assert Image.open(io.BytesIO(base64.b64decode(gen["img"]))).format == "WEBP"


async def test_text_round_trip_and_cancel(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    r = await client.post("/api/v2/generate/text/async", json=TEXT, headers=h(asker))
    assert r.status_code == 202, r.text
    rid = r.json()["id"]
    pop = {"name": "t1", "models": ["tiny-lm"]}
    job = (await client.post("/api/v2/generate/text/pop", json=pop, headers=h(worker))).json()
    assert job["payload"]["prompt"] == "Once upon a time" and job["model"] == "tiny-lm"
    r = await client.post("/api/v2/generate/text/submit", json={"id": job["id"], "generation": "hi"}, headers=h(worker))
    assert r.status_code == 200 and r.json()["reward"] > 0
    status = (await client.get(f"/api/v2/generate/text/status/{rid}")).json()
    assert status["done"] and status["generations"][0]["text"] == "hi"
    other = (await client.post("/api/v2/generate/text/async", json=TEXT, headers=h(asker))).json()["id"]
    r = await client.delete(f"/api/v2/generate/text/status/{other}")
    assert r.status_code == 200 and r.json()["waiting"] == 1
    assert (await client.get(f"/api/v2/generate/text/status/{other}")).json()["waiting"] == 0
    r = await client.post("/api/v2/generate/text/async", json={**TEXT, "dry_run": True}, headers=h(asker))
    assert r.status_code == 200 and "kudos" in r.json()


async def test_empty_pop_has_ids_and_payload(client: httpx.AsyncClient, keys: Keys) -> None:
    worker = await keys.user("runner")
    for path, name in (("/api/v2/generate/pop", "img"), ("/api/v2/generate/text/pop", "txt")):
        r = await client.post(path, json={**POP, "name": name}, headers=h(worker))
        assert r.status_code == 200
        assert r.json()["ids"] == [] and r.json()["payload"] == {} and r.json()["id"] is None


async def test_worker_does_not_get_a_model_it_does_not_serve(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))
    r = await client.post("/api/v2/generate/pop", json={**POP, "models": ["other"]}, headers=h(worker))
    assert r.status_code == 200 and r.json()["ids"] == []


async def test_dry_run_and_cancel_image(client: httpx.AsyncClient, keys: Keys) -> None:
    asker = await keys.user("asker", kudos=100)
    r = await client.post("/api/v2/generate/async", json={**IMAGE, "dry_run": True}, headers=h(asker))
    assert r.status_code == 200 and set(r.json()) == {"kudos"}
    rid = (await client.post("/api/v2/generate/async", json=IMAGE, headers=h(asker))).json()["id"]
    stranger = await keys.user("stranger")
    assert (await client.delete(f"/api/v2/generate/status/{rid}", headers=h(stranger))).json()["rc"] == "NotOwner"
    r = await client.delete(f"/api/v2/generate/status/{rid}", headers=h(asker))
    assert r.status_code == 200 and r.json()["waiting"] == 1


async def test_request_errors(client: httpx.AsyncClient, keys: Keys) -> None:
    asker = await keys.user("asker", kudos=5)
    cases: list[tuple[dict[str, Any], dict[str, str], int, str]] = [
        (IMAGE, h("not-a-real-key-123456"), 401, "InvalidAPIKey"),
        ({**IMAGE, "params": {"width": 65}}, h(asker), 400, "InvalidSize"),
        ({**IMAGE, "params": {"height": 4096}}, h(asker), 400, "InvalidSize"),
        ({**IMAGE, "params": {"steps": 501}}, h(asker), 400, "TooManySteps"),
        ({**IMAGE, "prompt": ""}, h(asker), 400, "MissingPrompt"),
        ({**IMAGE, "prompt": "a\x00cat"}, h(asker), 400, "NulByteInPayload"),
        ({**IMAGE, "params": {"width": 2048, "height": 2048, "steps": 100}}, h(asker), 403, "KudosUpfront"),
    ]
    for body, headers, status, rc in cases:
        r = await client.post("/api/v2/generate/async", json=body, headers=headers)
        assert (r.status_code, r.json()["rc"]) == (status, rc), (body, r.text)
    r = await client.post("/api/v2/generate/async", content=b"{not json", headers=h(asker))
    assert r.status_code == 400 and "errors" in r.json()


async def test_unknown_ids_are_404(client: httpx.AsyncClient, keys: Keys) -> None:
    worker = await keys.user("runner")
    missing = "00000000-0000-4000-8000-000000000000"
    for path in (
        f"/api/v2/generate/check/{missing}",
        "/api/v2/generate/status/nope",
        f"/api/v2/generate/text/status/{missing}",
    ):
        r = await client.get(path)
        assert (r.status_code, r.json()["rc"]) == (404, "RequestNotFound")
    r = await client.post("/api/v2/generate/submit", json={"id": missing, "generation": "R2"}, headers=h(worker))
    assert (r.status_code, r.json()["rc"]) == (404, "InvalidJobID")
    assert (await client.get("/api/v2/nothing/here")).json()["rc"] == "NotFound"


async def test_upload_needs_a_valid_signature(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    _, job = await queue_and_pop(client, asker, worker)
    forged = job["r2_upload"].replace("signature=", "signature=0")
    assert (await client.put(forged, content=b"x")).status_code == 403
    download = job["r2_upload"].replace("/upload/", "/download/")
    assert (await client.get(download)).status_code == 403


async def test_anonymous_cannot_run_a_worker(client: httpx.AsyncClient) -> None:
    r = await client.post("/api/v2/generate/pop", json=POP, headers=h("0000000000"))
    assert (r.status_code, r.json()["rc"]) == (403, "AnonForbidden")


async def test_rating_a_shared_request(client: httpx.AsyncClient, keys: Keys) -> None:
    asker, worker = await keys.user("asker", kudos=100), await keys.user("runner")
    rid, job = await queue_and_pop(client, asker, worker, shared=True)
    early = await client.post(f"/api/v2/generate/rate/{rid}", json={"best": job["id"]}, headers=h(asker))
    assert early.json()["rc"] == "AestheticsNotCompleted"
    await client.put(job["r2_upload"], content=webp())
    await client.post("/api/v2/generate/submit", json={"id": job["id"], "generation": "R2"}, headers=h(worker))
    body = {"ratings": [{"id": job["id"], "rating": 8, "artifacts": 1}]}
    r = await client.post(f"/api/v2/generate/rate/{rid}", json=body, headers=h(asker))
    assert r.status_code == 200 and r.json()["reward"] >= 0
    again = await client.post(f"/api/v2/generate/rate/{rid}", json=body, headers=h(asker))
    assert again.json()["rc"] == "AestheticsAlreadyExist"


def test_signed_urls_expire() -> None:
    signer = Signer(b"k")
    url = signing.signed_url("http://x", signer, signing.UPLOAD, "job", ttl=10, now=1000)
    expires = url.split("expires=")[1].split("&")[0]
    sig = url.split("signature=")[1]
    assert signer.verify(signing.UPLOAD, "job", expires, sig, now=1005)
    assert not signer.verify(signing.UPLOAD, "job", expires, sig, now=1011)
    assert not signer.verify(signing.DOWNLOAD, "job", expires, sig, now=1005)
    assert not Signer(b"other").verify(signing.UPLOAD, "job", expires, sig, now=1005)


def test_signer_tokens_are_salted_and_expire() -> None:
    signer = Signer(b"k")
    token = signer.dumps({"uid": 7}, salt="a")
    assert signer.loads(token, salt="a", max_age=60) == {"uid": 7}
    assert signer.loads(token, salt="b") is None
    assert signer.loads(token + "x", salt="a") is None
    assert Signer(b"other").loads(token, salt="a") is None
    assert "hunter2" not in repr(Signer(b"hunter2"))


async def test_client_agent_spellings_are_read(client: httpx.AsyncClient, api_service: HordeService) -> None:
    r = await client.post("/api/v2/generate/async", json=IMAGE, headers={"client_agent": "sdk:1:x"})
    assert r.status_code == 202
    r = await client.post("/api/v2/generate/async", json=IMAGE, headers={"Client-Agent": "web:2:y"})
    assert r.status_code == 202


async def test_a_worker_the_job_was_taken_from_cannot_upload_over_the_next_one(
    client: httpx.AsyncClient, keys: Keys, api_service: HordeService, frozen_clock: Any
) -> None:
    """Upload URLs are bound to the hand-out, not only the job (issue 14, defect 10)."""
    asker, slow, honest = await keys.user("asker", kudos=100), await keys.user("slow"), await keys.user("honest")
    rid, first = await queue_and_pop(client, asker, slow)
    frozen_clock.advance(first["ttl"] + 1)
    assert (await api_service.sweeps.run_once()).requeued == 1  # timed out: the job goes to another worker
    second = (await client.post("/api/v2/generate/pop", json={**POP, "name": "w2"}, headers=h(honest))).json()
    assert second["id"] == first["id"] and second["r2_upload"] != first["r2_upload"]

    honest_image = webp()
    assert (await client.put(second["r2_upload"], content=honest_image)).status_code == 200
    late = await client.put(first["r2_upload"], content=b"not the honest worker's image")
    assert (late.status_code, late.json()["rc"]) == (400, "AbortedGen")
    r = await client.post("/api/v2/generate/submit", json={"id": second["id"], "generation": "R2"}, headers=h(honest))
    assert r.status_code == 200 and r.json()["reward"] > 0

    status = (await client.get(f"/api/v2/generate/status/{rid}")).json()
    assert (await client.get(status["generations"][0]["img"])).content == honest_image
    after = await client.put(first["r2_upload"], content=b"x")
    assert after.json()["rc"] == "DuplicateGen"  # finished: nothing more is taken
