"""The API's JSON replies: a model (or a list of them) dumped by alias, without the fields left unset."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from starlette.responses import JSONResponse

from horde.webapp.api.schemas.base import Output


def ok(model: Output | Sequence[Output] | Mapping[str, object], status: int = 200) -> JSONResponse:
    if isinstance(model, Output):
        content: object = model.model_dump(mode="json", by_alias=True, exclude_none=True)
    elif isinstance(model, Sequence):
        content = [m.model_dump(mode="json", by_alias=True, exclude_none=True) for m in model]
    else:
        content = model
    return JSONResponse(content, status_code=status)
