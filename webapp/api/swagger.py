"""The Swagger 2.0 document (``/api/swagger.json``) and a browsable page (``/api/``), both generated from the
``Endpoint`` list and the pydantic models that validate requests, so the document cannot drift from the code."""

from __future__ import annotations

import html
import json
import re
from typing import Any

from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response

from horde.webapp.api.endpoint import Endpoint
from horde.webapp.api.schemas import base, generate

REF = "#/definitions/{model}"
ERROR_TEXT = {
    400: "Validation error",
    401: "Invalid API key",
    403: "Access denied",
    404: "Not found",
    429: "Too many requests",
}


def to_swagger(node: Any) -> Any:
    """JSON Schema (pydantic's) → Swagger 2.0 schema: ``anyOf [X, null]`` becomes X with ``x-nullable``."""
    if isinstance(node, list):
        return [to_swagger(item) for item in node]
    if not isinstance(node, dict):
        return node
    node = dict(node)
    options = node.get("anyOf")
    if options is not None:
        real = [o for o in options if o.get("type") != "null"]
        if len(real) == 1:
            del node["anyOf"]
            merged = {**real[0], **node}
            if len(real) < len(options):
                merged["x-nullable"] = True
            node = merged
    if "const" in node:
        node["enum"] = [node.pop("const")]
    node.pop("examples", None)
    for bound, plain in (("exclusiveMinimum", "minimum"), ("exclusiveMaximum", "maximum")):
        if isinstance(node.get(bound), int | float) and not isinstance(node[bound], bool):
            node[plain], node[bound] = node[bound], True
    return {k: to_swagger(v) for k, v in node.items()}


class Definitions:
    def __init__(self) -> None:
        self.items: dict[str, Any] = {}

    def ref(self, model: type[base.Input] | type[base.Output], *, many: bool = False) -> dict[str, Any]:
        schema = model.model_json_schema(ref_template=REF, by_alias=True, mode="serialization")
        if issubclass(model, base.Input):
            schema = model.model_json_schema(ref_template=REF, by_alias=True, mode="validation")
        for name, sub in schema.pop("$defs", {}).items():
            self.items[name] = to_swagger(sub)
        self.items[model.__name__] = to_swagger(schema)
        ref = {"$ref": REF.format(model=model.__name__)}
        return {"type": "array", "items": ref} if many else ref


def _query_parameters(model: type[base.Input]) -> list[dict[str, Any]]:
    schema = to_swagger(model.model_json_schema())
    params = []
    for name, prop in schema.get("properties", {}).items():
        param: dict[str, Any] = {"name": name, "in": "query", "required": name in schema.get("required", [])}
        param.update({k: v for k, v in prop.items() if k not in ("title", "x-nullable")})
        param.setdefault("type", "string")
        if param["type"] == "string" and "enum" in param and "" in param["enum"]:
            param["allowEmptyValue"] = True
        params.append(param)
    return params


def operation(endpoint: Endpoint, defs: Definitions) -> dict[str, Any]:
    params: list[dict[str, Any]] = []
    for name in re.findall(r"{(\w+)}", endpoint.path):
        kind = endpoint.path_types.get(name, "string")
        param: dict[str, Any] = {"name": name, "in": "path", "required": True, "type": kind}
        if kind == "integer":
            param.update(minimum=0, maximum=2**31 - 1)
        params.append(param)
    if endpoint.auth:
        params.append({"name": "apikey", "in": "header", "type": "string", "required": False, "default": "0000000000"})
    params.append({"name": "Client-Agent", "in": "header", "type": "string", "required": False})
    if endpoint.query is not None:
        params.extend(_query_parameters(endpoint.query))
    if endpoint.body is not None:
        params.append({"name": "payload", "in": "body", "required": True, "schema": defs.ref(endpoint.body)})
    ok: dict[str, Any] = {"description": "Success"}
    if endpoint.response is not None:
        ok["schema"] = defs.ref(endpoint.response, many=endpoint.many)
    responses: dict[str, Any] = {str(endpoint.status): ok}
    if endpoint.status == 202:
        responses["200"] = {"description": "Dry run: the cost only", "schema": defs.ref(generate.DryRunKudos)}
    errors = {400, 401, 403, 404, *endpoint.extra_statuses}
    if endpoint.limit:
        errors.add(429)
    for status in sorted(errors):
        responses[str(status)] = {
            "description": ERROR_TEXT.get(status, "Error"),
            "schema": defs.ref(base.RequestError),
        }
    if endpoint.limit:
        responses["429"]["headers"] = {"Retry-After": {"type": "integer", "description": "Seconds to wait"}}
    return {
        "tags": [endpoint.tag],
        "summary": endpoint.summary,
        "operationId": f"{endpoint.method.lower()}_{endpoint.handler.__name__}",
        "parameters": params,
        "responses": responses,
    }


def document(endpoints: list[Endpoint]) -> dict[str, Any]:
    defs = Definitions()
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = operation(endpoint, defs)
    return {
        "swagger": "2.0",
        "basePath": "/api",
        "info": {
            "title": "AI Horde",
            "version": "2.5",
            "description": "Horde's implementation of the AI Horde REST API v2 (see docs/reference/api.md).",
        },
        "produces": ["application/json"],
        "consumes": ["application/json"],
        "securityDefinitions": {"apikey": {"type": "apiKey", "in": "header", "name": "apikey"}},
        "tags": [{"name": tag} for tag in dict.fromkeys(e.tag for e in endpoints)],
        "paths": paths,
        "definitions": dict(sorted(defs.items.items())),
    }


def swagger_json(endpoints: list[Endpoint]) -> Any:
    body = json.dumps(document(endpoints)).encode()

    async def swagger(request: Request) -> Response:
        return Response(body, media_type="application/json")

    return swagger


def browse_page(endpoints: list[Endpoint]) -> Any:
    rows = []
    for e in endpoints:
        rows.append(
            f"<tr><td><code>{e.method}</code></td><td><code>/api{html.escape(e.path)}</code></td>"
            f"<td>{html.escape(e.summary)}</td><td>{html.escape(e.tag)}</td></tr>"
        )
    page = (
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>Horde API v2</title></head><body>"
        "<main><h1>Horde API v2</h1><p>AI-Horde-compatible. The machine-readable document is "
        "<a href='/api/swagger.json'>/api/swagger.json</a> (Swagger 2.0). Send your key in the <code>apikey</code> "
        "header; <code>0000000000</code> is anonymous.</p><table><thead><tr><th>Method</th><th>Path</th>"
        "<th>What it does</th><th>Area</th></tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></main></body></html>"
    )

    async def browse(request: Request) -> Response:
        return HTMLResponse(page)

    return browse


async def not_found(request: Request) -> Response:
    return JSONResponse({"message": "No such API endpoint.", "rc": "NotFound"}, status_code=404)
