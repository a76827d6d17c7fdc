"""What a shared key may do: generate within its limits, and follow or cancel what it asked for. Nothing else.

A shared key acts for its owner, so without this it would carry all of the owner's powers: transfers, new keys,
lifting its own limit, and a moderator's or admin's levers. ``for_generation_only`` puts an area of the service
behind a gate: a call that carries an ``Actor`` holding a shared key is refused unless the method is in
``FOR_SHARED_KEYS``. Deny by default, so a method added later is covered without anyone remembering to.
Calls between areas inside the service use the areas themselves, not the gated ones.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable
from typing import Any, TypeVar, cast

from horde.queue import dto, errors

Area = TypeVar("Area")

#: ``Class.method`` a shared key may call
FOR_SHARED_KEYS = frozenset(
    {
        "RequestService.estimate",
        "RequestService.submit",
        "RequestService.status",
        "RequestService.cancel",
    }
)


def _holds_shared_key(args: tuple[Any, ...], kwargs: dict[str, Any]) -> bool:
    return any(isinstance(a, dto.Actor) and a.shared_key_id is not None for a in (*args, *kwargs.values()))


def _gated(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    async def call(*args: Any, **kwargs: Any) -> Any:
        if _holds_shared_key(args, kwargs):
            raise errors.SharedKeyScopeError
        return await method(*args, **kwargs)

    return call


class _Gate:
    def __init__(self, area: object) -> None:
        self._area = area
        self._name = type(area).__name__

    def __getattr__(self, name: str) -> Any:
        attr = getattr(self._area, name)
        if not inspect.iscoroutinefunction(attr):
            return attr  # data and plain methods pass through, read from the area each time
        if f"{self._name}.{name}" not in FOR_SHARED_KEYS:
            attr = _gated(attr)
        setattr(self, name, attr)  # a method is looked up once
        return attr


def for_generation_only(area: Area) -> Area:
    """``area`` as frontends see it: its methods refuse a shared key, except those in ``FOR_SHARED_KEYS``."""
    return cast(Area, _Gate(area))
