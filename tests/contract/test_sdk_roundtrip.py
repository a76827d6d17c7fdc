"""The real horde-sdk 0.33.3 client (in .venv-sdk, Python 3.12) against a real Horde server on a loopback port."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

from tests.contract.conftest import LiveServer

ROOT = Path(__file__).resolve().parents[2]
SDK_PYTHON = ROOT / ".venv-sdk" / "bin" / "python"


@pytest.mark.skipif(
    not SDK_PYTHON.exists(), reason="no .venv-sdk: run tests/contract/setup_sdk_venv.sh (needs Python >= 3.12)"
)
@pytest.mark.parametrize("strict", [False, True], ids=["lenient", "strict-models"])
def test_image_text_and_alchemy_round_trip_through_horde_sdk(live_server: LiveServer, strict: bool) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AI_HORDE", "TESTS_ONGOING"))}
    env |= {
        "AI_HORDE_URL": f"{live_server.url}/api/",
        "AI_HORDE_DEV_URL": f"{live_server.url}/api/",
        "HORDE_TEST_REQUESTER_KEY": live_server.requester_key,
        "HORDE_TEST_WORKER_KEY": live_server.worker_key,
        "LOGFIRE_IGNORE_NO_CONFIG": "1",
        "HORDE_SDK_DISABLE_CUSTOM_SINKS": "1",
    }
    if strict:
        env["TESTS_ONGOING"] = "1"  # the SDK's own test mode: every response key must be one it models
    done = subprocess.run(
        [str(SDK_PYTHON), str(Path(__file__).with_name("sdk_roundtrip.py"))],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-4000:]
    found = json.loads(done.stdout.strip().splitlines()[-1])
    assert found["image_r2"]["reward"] > 0
    assert found["text"]["reward"] > 0
    assert found["alchemy"]["rewards"] == [1.0, 1.0, 3.0]  # caption, nsfw (in the order asked), 3 per tile to upscale
