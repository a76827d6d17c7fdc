"""The flows where the browser matters: register, generate and watch, cancel, gallery, transfer, img2img, text."""

from __future__ import annotations

import io
import re
import subprocess
import uuid
from pathlib import Path

import pytest
from PIL import Image
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveHorde

pytestmark = pytest.mark.browser
WAIT = 30_000  #: ms: one tiny 64×64 image takes well under a second; leave room for a busy machine


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:6]}"


def register(page: Page, name: str) -> str:
    page.goto("/register")
    page.get_by_label("Username").fill(name)
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Welcome")
    key = page.get_by_label("Your API key").input_value()
    assert len(key) == 22
    return key


def log_in(page: Page, key: str, *, here: bool = False) -> None:
    if not here:
        page.goto("/login")
    page.get_by_label("API key").fill(key)
    page.get_by_role("button", name="Log in").click()


def fill_generate(page: Page, prompt: str, *, model: str | None = "tiny") -> None:
    page.goto("/generate" if model in (None, "tiny") else f"/generate?model={model}")
    page.get_by_label("Prompt", exact=True).fill(prompt)
    page.get_by_role("button", name="Tiny 64").click()
    page.get_by_label("Steps").fill("4")
    if model == "tiny":
        page.get_by_label("Model").select_option("tiny")
    expect(page.get_by_test_id("kudos-cost")).to_be_visible()


def expect_images(page: Page, count: int = 1) -> None:
    expect(page.get_by_test_id("progress")).to_have_text(f"{count} of {count} done", timeout=WAIT)
    expect(page.locator(".image-grid img")).to_have_count(count)
    assert page.locator(".image-grid img").first.evaluate("img => img.complete && img.naturalWidth") == 64
    assert page.locator("h1").count() == 1


def test_register_generate_and_see_the_image(page: Page, tiny_worker: list[subprocess.Popen[bytes]]) -> None:
    register(page, unique("painter"))
    page.get_by_role("link", name="Start generating").click()
    fill_generate(page, "a red cat")
    page.get_by_label("Share for rating").check()
    page.get_by_role("button", name="Generate").click()
    expect(page).to_have_url(re.compile(r"/requests/[0-9a-f-]{36}$"))
    expect_images(page)
    page.get_by_label("Score for image 1").select_option("8")
    page.get_by_label("Best of the set").check()
    page.get_by_role("button", name="Rate images").click()
    expect(page.get_by_test_id("rating-reward")).to_contain_text("You earned")
    page.locator(".image-grid a").first.click()
    expect(page.get_by_role("link", name="Download")).to_be_visible()
    expect(page.get_by_text("a red cat").first).to_be_visible()


def test_anonymous_generation_with_a_nudge(page: Page, tiny_worker: list[subprocess.Popen[bytes]]) -> None:
    page.goto("/generate")
    expect(page.get_by_role("note")).to_contain_text("Register for free")
    fill_generate(page, "an anonymous lighthouse")
    page.get_by_role("button", name="Generate").click()
    expect_images(page)


def test_cancel_a_request_nobody_can_serve(page: Page, live_horde: LiveHorde) -> None:
    register(page, unique("canceller"))
    fill_generate(page, "a model nobody serves", model="no-such-model")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_test_id("blocked")).to_contain_text("No worker can take this request right now")
    page.get_by_role("button", name="Cancel").click()
    expect(page.get_by_text("Cancelled. Images that were already finished are kept")).to_be_visible()
    expect(page.locator(".badge", has_text="cancelled")).to_be_visible()
    expect(page.get_by_role("button", name="Cancel")).to_have_count(0)


def test_gallery_persists_after_logging_out_and_in(page: Page, tiny_worker: list[subprocess.Popen[bytes]]) -> None:
    key = register(page, unique("collector"))
    fill_generate(page, "a keeper")
    page.get_by_role("button", name="Generate").click()
    expect_images(page)
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("link", name="Log in")).to_be_visible()
    page.goto("/gallery")
    expect(page).to_have_url(re.compile(r"/login\?next=/gallery$"))
    log_in(page, key, here=True)
    expect(page).to_have_url(re.compile(r"/gallery$"))
    expect(page.locator(".image-grid img")).to_have_count(1)


def test_transfer_kudos(page: Page, live_horde: LiveHorde) -> None:
    giver_key, _ = live_horde.make_user(unique("giver"), kudos=100)
    receiver = unique("receiver")
    _, receiver_id = live_horde.make_user(receiver)
    log_in(page, giver_key)
    page.goto("/account")
    before = float(page.get_by_test_id("account-balance").inner_text().replace(",", ""))
    page.get_by_label("Recipient").fill(f"{receiver}#{receiver_id}")
    page.get_by_label("Amount").fill("10")
    page.get_by_role("button", name="Send kudos").click()
    expect(page.get_by_test_id("transfer-done")).to_have_text(f"Sent 10 kudos to {receiver}#{receiver_id}.")
    expect(page.get_by_test_id("transfer-balance")).to_have_text(f"{before - 10:g}")


def test_img2img_from_an_upload(page: Page, tiny_worker: list[subprocess.Popen[bytes]], tmp_path: Path) -> None:
    source = tmp_path / "source.png"
    buf = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 40, 40)).save(buf, "PNG")
    source.write_bytes(buf.getvalue())
    register(page, unique("remixer"))
    fill_generate(page, "a red square, watercolour")
    page.get_by_text("Start from an image").click()
    page.get_by_label("Source image").set_input_files(str(source))
    page.get_by_role("button", name="Generate").click()
    expect_images(page)


def test_text_generation(page: Page, tiny_worker: list[subprocess.Popen[bytes]]) -> None:
    register(page, unique("writer"))
    page.get_by_role("link", name="Text", exact=True).click()
    page.get_by_label("Prompt").fill("Once upon a time")
    page.get_by_label("Length (tokens)", exact=True).fill("16")
    page.get_by_label("Model").select_option("tiny")
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_test_id("progress")).to_have_text("1 of 1 done", timeout=WAIT)
    expect(page.get_by_test_id("text-output")).to_have_count(1)
