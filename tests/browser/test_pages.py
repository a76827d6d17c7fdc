"""Pages in a real browser: htmx 2 runs, the CSP blocks nothing we ship, and screenshots of the main pages.

Screenshots go to a temporary folder; ``HORDE_SCREENSHOTS_DIR=docs/screenshots pytest -m browser`` refreshes the
committed ones (shown in the README).
"""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from tests.browser.test_flows import WAIT, fill_generate, register, unique

pytestmark = pytest.mark.browser
PAGES = ["/", "/generate", "/text", "/models", "/styles", "/workers", "/teams", "/stats", "/login", "/register"]


def test_pages_load_htmx_and_break_no_csp_rule(page: Page, tiny_worker: list[subprocess.Popen[bytes]]) -> None:
    problems: list[str] = []

    def on_console(message: ConsoleMessage) -> None:
        if message.type == "error":
            problems.append(f"{page.url}: {message.text}")

    page.on("console", on_console)
    page.on("pageerror", lambda error: problems.append(f"{page.url}: {error}"))
    register(page, unique("visitor"))
    for path in [*PAGES, "/gallery", "/account"]:
        page.goto(path)
        assert str(page.evaluate("htmx.version")).startswith("2."), path
        expect(page.locator("h1")).to_have_count(1)
    page.goto("/generate")
    page.get_by_label("Prompt", exact=True).fill("estimate me")
    page.get_by_role("button", name="Wide 16:9").click()
    expect(page.get_by_label("Width", exact=True)).to_have_value("896")
    page.get_by_label("Lock aspect ratio").check()
    page.get_by_label("Width", exact=True).fill("448")
    page.get_by_label("Width", exact=True).dispatch_event("change")
    expect(page.get_by_label("Height", exact=True)).to_have_value("256")
    page.get_by_role("button", name="Swap width and height").click()
    expect(page.get_by_label("Width", exact=True)).to_have_value("256")
    expect(page.get_by_test_id("kudos-cost")).to_be_visible()
    assert problems == []


def _shots_dir(tmp_path: Path) -> Path:
    folder = os.environ.get("HORDE_SCREENSHOTS_DIR")
    path = Path(folder) if folder else tmp_path
    path.mkdir(parents=True, exist_ok=True)
    return path


def test_screenshots_of_the_main_pages(page: Page, tiny_worker: list[subprocess.Popen[bytes]], tmp_path: Path) -> None:
    shots = _shots_dir(tmp_path)
    page.set_viewport_size({"width": 1280, "height": 860})
    page.goto("/")
    page.screenshot(path=str(shots / "home.png"))
    register(page, unique("ada"))
    page.screenshot(path=str(shots / "register-key.png"))
    fill_generate(page, "a lighthouse on a cliff at dawn, oil painting")
    page.get_by_label("Number of images").fill("4")
    page.get_by_label("Negative prompt").fill("blurry")
    page.get_by_label("Number of images").dispatch_event("change")
    expect(page.get_by_test_id("kudos-cost")).to_be_visible()
    page.screenshot(path=str(shots / "generate.png"), full_page=True)
    page.get_by_role("button", name="Generate").click()
    expect(page.get_by_test_id("progress")).to_have_text("4 of 4 done", timeout=WAIT)
    page.screenshot(path=str(shots / "request.png"))
    page.locator(".image-grid a").first.click()
    expect(page).to_have_url(re.compile(r"/images/"))
    page.screenshot(path=str(shots / "image.png"))
    for name, path in [("gallery", "/gallery"), ("account", "/account"), ("models", "/models"), ("stats", "/stats")]:
        page.goto(path)
        page.screenshot(path=str(shots / f"{name}.png"), full_page=name == "account")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto("/generate")
    page.screenshot(path=str(shots / "phone-generate.png"))
    page.goto("/gallery")
    page.screenshot(path=str(shots / "phone-gallery.png"))
    assert all(p.stat().st_size > 5_000 for p in shots.glob("*.png"))
