"""A property-based fuzz of every API route: schemathesis makes valid and invalid requests (wrong types, missing
fields, values out of range, odd strings) from /api/swagger.json, with and without a key, and no answer may be a
500 (issue 14, defect 11). ``test_schemathesis`` checks conformance; this one only hunts server errors, with a
larger budget. Derandomized, so a run is repeatable; about 30 s."""

from __future__ import annotations

import zlib
from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok

from tests.contract.conftest import LiveServer

EXAMPLES = {GenerationMode.POSITIVE: 15, GenerationMode.NEGATIVE: 25}


def _can_be_invalid(operation: Any) -> bool:
    """Whether schemathesis can make an invalid request of ``operation``: not when all it takes is string path
    parameters (any string is a valid one), where it would search in vain."""
    typed_path = any(p.definition.get("type") != "string" for p in operation.path_parameters)
    return bool(len(operation.body) or len(operation.query) or typed_path)


def test_no_api_input_makes_a_server_error(live_server: LiveServer) -> None:
    api = schemathesis.openapi.from_url(f"{live_server.url}/api/swagger.json")
    keys = [live_server.moderator_key, live_server.requester_key, "0000000000", "not-a-key"]
    failures: list[str] = []
    runs = 0
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        for mode, examples in EXAMPLES.items():
            if mode is GenerationMode.NEGATIVE and not _can_be_invalid(operation):
                continue
            runs += 1

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=examples,
                deadline=None,
                derandomize=True,
                database=None,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def check(case: Any) -> None:
                key = keys[zlib.crc32(repr((case.body, case.query)).encode()) % len(keys)]
                response = case.call(headers={"apikey": key}, timeout=30)
                case.validate_response(response, checks=[not_a_server_error])

            try:
                check()
            except Unsatisfiable:  # nothing of this operation can be made invalid (a string path parameter)
                continue
            except Exception as exc:  # noqa: BLE001 - collected so that one run reports every operation
                failures.append(f"{mode.value} {operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert runs > 70
    assert not failures, "\n\n".join(failures)
