# mypy: ignore-errors
# (run by .venv-sdk, Python 3.12, where horde_sdk is installed; the main venv does not have it)
"""Run by tests/contract/test_sdk_roundtrip.py with .venv-sdk's Python (horde-sdk 0.33.3 needs Python >= 3.12).

Drives a full image round trip, a text round trip and an alchemy round trip against the server at $AI_HORDE_URL through the real client:
a requester submits, a worker pops, uploads (a PUT to r2_upload) and submits, the requester polls and downloads,
and kudos moved on both sides. Prints one JSON line of findings; any failure raises.
"""

from __future__ import annotations

import io
import json
import os
import sys
import time

import requests
from horde_sdk.ai_horde_api import AIHordeAPIManualClient
from horde_sdk.ai_horde_api.apimodels import (
    AIHordeHeartbeatRequest,
    AIHordeHeartbeatResponse,
    AlchemyAsyncRequest,
    AlchemyAsyncRequestFormItem,
    AlchemyAsyncResponse,
    AlchemyDeleteRequest,
    AlchemyJobPopResponse,
    AlchemyJobSubmitRequest,
    AlchemyJobSubmitResponse,
    AlchemyPopRequest,
    AlchemyStatusRequest,
    AlchemyStatusResponse,
    AllWorkersDetailsRequest,
    AllWorkersDetailsResponse,
    FindUserRequest,
    HordePerformanceRequest,
    HordePerformanceResponse,
    HordeStatusModelsAllRequest,
    HordeStatusModelsAllResponse,
    ImageGenerateAsyncRequest,
    ImageGenerateAsyncResponse,
    ImageGenerateCheckRequest,
    ImageGenerateCheckResponse,
    ImageGenerateJobPopRequest,
    ImageGenerateJobPopResponse,
    ImageGenerateStatusRequest,
    ImageGenerateStatusResponse,
    ImageGenerationInputPayload,
    ImageGenerationJobSubmitRequest,
    JobSubmitResponse,
    TextGenerateAsyncRequest,
    TextGenerateAsyncResponse,
    TextGenerateJobPopRequest,
    TextGenerateJobPopResponse,
    TextGenerateStatusRequest,
    TextGenerateStatusResponse,
    TextGenerationJobSubmitRequest,
    UserDetailsResponse,
    base as sdk_base,
)
from horde_sdk.generic_api.apimodels import RequestErrorResponse
from PIL import Image

REQUESTER = os.environ["HORDE_TEST_REQUESTER_KEY"]
WORKER = os.environ["HORDE_TEST_WORKER_KEY"]
BRIDGE = "AI Horde Worker reGen:8.0.1-citests:https://github.com/Haidra-Org/horde-worker-reGen"


def call(client: AIHordeAPIManualClient, request: object, answer: type) -> object:
    result = client.submit_request(request, answer)
    if isinstance(result, RequestErrorResponse):
        raise AssertionError(f"{type(request).__name__}: {result}")
    assert isinstance(result, answer), result
    return result


def kudos(client: AIHordeAPIManualClient, key: str) -> float:
    found = call(client, FindUserRequest(apikey=key), UserDetailsResponse)
    return float(found.kudos)


def image_round_trip(client: AIHordeAPIManualClient, r2: bool) -> dict[str, object]:
    before = kudos(client, REQUESTER), kudos(client, WORKER)
    created = call(
        client,
        ImageGenerateAsyncRequest(
            apikey=REQUESTER,
            prompt=f"a lighthouse sdk-{r2}",
            models=["stable_diffusion"],
            params=ImageGenerationInputPayload(width=64, height=64, steps=4, n=1, seed="1312"),
            r2=r2,
        ),
        ImageGenerateAsyncResponse,
    )
    check = call(client, ImageGenerateCheckRequest(id=created.id_), ImageGenerateCheckResponse)
    assert not check.done and check.waiting == 1, check
    job = call(
        client,
        ImageGenerateJobPopRequest(
            apikey=WORKER, name="sdk-worker", models=["stable_diffusion"], max_pixels=262144, bridge_agent=BRIDGE
        ),
        ImageGenerateJobPopResponse,
    )
    assert job.model == "stable_diffusion" and job.ids, job
    payload = job.payload
    assert payload.width == 64 and payload.height == 64 and payload.ddim_steps == 4 and payload.seed == "1312"
    assert job.r2_upload and job.r2_uploads, job
    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(buffer, format="WEBP", lossless=True)
    put = requests.put(str(job.r2_uploads[0]), data=buffer.getvalue(), timeout=30)
    assert put.status_code == 200, put.status_code
    submitted = call(
        client,
        ImageGenerationJobSubmitRequest(
            apikey=WORKER,
            id=job.ids[0],
            generation="R2",
            state="ok",
            seed=int(payload.seed),
        ),
        JobSubmitResponse,
    )
    assert submitted.reward > 0, submitted
    check = call(client, ImageGenerateCheckRequest(id=created.id_), ImageGenerateCheckResponse)
    assert check.done and check.finished == 1, check
    status = call(client, ImageGenerateStatusRequest(id=created.id_), ImageGenerateStatusResponse)
    gen = status.generations[0]
    assert gen.seed == "1312" and gen.worker_name == "sdk-worker" and gen.model == "stable_diffusion", gen
    if r2:
        assert gen.img.startswith("http"), gen.img
        image = Image.open(io.BytesIO(requests.get(gen.img, timeout=30).content))
    else:
        import base64

        image = Image.open(io.BytesIO(base64.b64decode(gen.img)))
    assert image.size == (64, 64), image.size
    after = kudos(client, REQUESTER), kudos(client, WORKER)
    assert after[0] < before[0] and after[1] > before[1], (before, after)
    return {"reward": submitted.reward, "requester": [before[0], after[0]], "worker": [before[1], after[1]]}


def text_round_trip(client: AIHordeAPIManualClient) -> dict[str, object]:
    before = kudos(client, REQUESTER), kudos(client, WORKER)
    created = call(
        client,
        TextGenerateAsyncRequest(apikey=REQUESTER, prompt="Once upon a time", models=["tiny-lm"]),
        TextGenerateAsyncResponse,
    )
    job = call(
        client,
        TextGenerateJobPopRequest(
            apikey=WORKER, name="sdk-text-worker", models=["tiny-lm"], bridge_agent="KoboldCppEmbedWorker:1:x"
        ),
        TextGenerateJobPopResponse,
    )
    assert job.model == "tiny-lm" and job.ids and job.payload.prompt == "Once upon a time", job
    submitted = call(
        client,
        TextGenerationJobSubmitRequest(apikey=WORKER, id=job.ids[0], generation=" there was a horde.", state="ok"),
        JobSubmitResponse,
    )
    assert submitted.reward > 0, submitted
    status = call(client, TextGenerateStatusRequest(id=created.id_), TextGenerateStatusResponse)
    assert status.done and status.generations[0].text == " there was a horde.", status
    after = kudos(client, REQUESTER), kudos(client, WORKER)
    assert after[0] < before[0] and after[1] > before[1], (before, after)
    return {"reward": submitted.reward}


def alchemy_round_trip(client: AIHordeAPIManualClient) -> dict[str, object]:
    """Caption, NSFW and an x2 upscale of one image: the requester asks, an alchemist pops the three forms, fetches
    the source, uploads the upscaled image (PUT to r2_upload) and submits; the requester reads every result."""
    import base64

    source = io.BytesIO()
    Image.new("RGB", (48, 40), "orange").save(source, format="WEBP")
    forms = [AlchemyAsyncRequestFormItem(name=name) for name in ("caption", "nsfw", "RealESRGAN_x2plus")]
    created = call(
        client,
        AlchemyAsyncRequest(apikey=REQUESTER, forms=forms, source_image=base64.b64encode(source.getvalue()).decode()),
        AlchemyAsyncResponse,
    )
    popped = call(
        client,
        AlchemyPopRequest(
            apikey=WORKER, name="sdk-alchemist", priority_usernames=[], forms=["caption", "nsfw", "RealESRGAN_x2plus"],
            amount=3, bridge_agent=BRIDGE, max_tiles=4,
        ),
        AlchemyJobPopResponse,
    )  # fmt: skip
    assert popped.forms and len(popped.forms) == 3, popped
    rewards = []
    for form in popped.forms:
        image = Image.open(io.BytesIO(requests.get(form.source_image, timeout=30).content))
        assert image.size == (48, 40), image.size
        if form.form == "caption":
            result = {"caption": "an orange square"}
        elif form.form == "nsfw":
            result = {"nsfw": False}
        else:
            assert form.r2_upload, form
            upscaled = io.BytesIO()
            image.resize((96, 80)).save(upscaled, format="WEBP")
            assert requests.put(form.r2_upload, data=upscaled.getvalue(), timeout=30).status_code == 200
            result = {"RealESRGAN_x2plus": "R2"}
        submitted = call(
            client,
            AlchemyJobSubmitRequest(apikey=WORKER, id=form.id_, result=result, state="ok"),
            AlchemyJobSubmitResponse,
        )
        rewards.append(submitted.reward)
    status = call(client, AlchemyStatusRequest(id=created.id_), AlchemyStatusResponse)
    assert status.is_job_complete(3) and status.state == "done", status
    assert [r.caption for r in status.all_caption_results] == ["an orange square"], status
    assert [r.nsfw for r in status.all_nsfw_results] == [False], status
    [upscale] = status.all_upscale_results
    assert Image.open(io.BytesIO(requests.get(upscale.url, timeout=30).content)).size == (96, 80)
    # a second interrogation, cancelled before any alchemist takes it
    second = call(
        client,
        AlchemyAsyncRequest(
            apikey=REQUESTER, forms=[AlchemyAsyncRequestFormItem(name="caption")],
            source_image=base64.b64encode(source.getvalue()).decode(),
        ),
        AlchemyAsyncResponse,
    )  # fmt: skip
    cancelled = call(client, AlchemyDeleteRequest(id=second.id_), AlchemyStatusResponse)
    assert cancelled.state == "cancelled", cancelled
    return {"rewards": rewards}


def main() -> None:
    base = os.environ["AI_HORDE_URL"]
    assert base == sdk_base.AI_HORDE_BASE_URL, sdk_base.AI_HORDE_BASE_URL
    client = AIHordeAPIManualClient()
    started = time.monotonic()
    beat = call(client, AIHordeHeartbeatRequest(), AIHordeHeartbeatResponse)
    assert beat.version
    found = {}
    found["image_r2"] = image_round_trip(client, r2=True)
    found["image_base64"] = image_round_trip(client, r2=False)
    found["text"] = text_round_trip(client)
    found["alchemy"] = alchemy_round_trip(client)
    workers = call(client, AllWorkersDetailsRequest(), AllWorkersDetailsResponse)
    found["workers"] = len(workers.root)
    call(client, HordeStatusModelsAllRequest(), HordeStatusModelsAllResponse)
    call(client, HordePerformanceRequest(), HordePerformanceResponse)
    found["seconds"] = round(time.monotonic() - started, 2)
    sys.stdout.write(json.dumps(found) + "\n")


if __name__ == "__main__":
    main()
