"""A name holding a NUL byte finds nothing, on PostgreSQL too (which refuses NUL in a query: it was a 500, found
by the web form fuzz with a style named "\\x00")."""

from __future__ import annotations

import pytest

from horde.queue import errors
from horde.queue.domain.jobs import GenerationKind
from horde.queue.service import HordeService
from tests.factories import make_user


async def test_a_style_or_user_named_with_a_nul_byte_is_not_found(service: HordeService) -> None:
    someone = await make_user(service, "someone")
    with pytest.raises(errors.StyleNotFoundError):
        await service.styles.get("\x00", GenerationKind.IMAGE)
    with pytest.raises(errors.UserNotFoundError):
        await service.users.find(someone, "some\x00one")
