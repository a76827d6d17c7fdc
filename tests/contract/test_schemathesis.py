"""Property-based conformance: schemathesis generates requests from /api/swagger.json and checks that no answer is a
500 and every answer matches the document (status code, content type, body schema)."""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.contract.conftest import LiveServer

CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


MAX_EXAMPLES = 8


def test_api_conforms_to_its_swagger(live_server: LiveServer) -> None:
    api = schemathesis.openapi.from_url(f"{live_server.url}/api/swagger.json")
    failures: list[str] = []
    operations = 0
    for result in api.get_all_operations():
        assert isinstance(result, Ok), result
        operation = result.ok()
        operations += 1

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            derandomize=True,
            database=None,
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
        )
        def check(case: Any) -> None:
            key = live_server.requester_key if case.method.upper() == "DELETE" else live_server.moderator_key
            response = case.call(headers={"apikey": key}, timeout=30)
            case.validate_response(response, checks=CHECKS)

        try:
            check()
        except Exception as exc:  # noqa: BLE001 - collected so that one run reports every operation
            failures.append(f"{operation.method.upper()} {operation.path}: {str(exc)[:1500]}")
    assert operations > 40
    assert not failures, "\n\n".join(failures)
