from __future__ import annotations

import dataclasses
from typing import Any

import pytest

from horde.queue import dto, errors
from horde.queue.domain.jobs import GenerationKind
from horde.queue.domain.roles import Role
from horde.queue.service import GenerationAsk, HordeService
from horde.queue.service.styles import fill_prompt
from tests.factories import make_user

IMAGE = GenerationKind.IMAGE


async def make_style(
    service: HordeService, owner_role: Role = Role.TRUSTED, **fields: Any
) -> tuple[dto.Actor, dto.StyleInfo]:
    owner = await make_user(service, "stylist", role=owner_role)
    defaults = {"name": "oil", "prompt": "{p}, oil painting ### {np}, blurry", "params": {"steps": 8}}
    style = await service.styles.create(owner, IMAGE, **(defaults | fields))
    return owner, style


async def test_only_trusted_users_create_styles(service: HordeService) -> None:
    plain = await make_user(service, "plain")
    with pytest.raises(errors.StylesRequiresCustomizerError):
        await service.styles.create(plain, IMAGE, name="x", prompt="{p}{np}")
    _, style = await make_style(service)
    assert style.name == "oil" and style.params == {"steps": 8} and style.creator.startswith("stylist#")


async def test_style_prompt_needs_both_placeholders_and_names_are_unique(service: HordeService) -> None:
    owner, _ = await make_style(service)
    with pytest.raises(errors.StylePromptMissingVarsError):
        await service.styles.create(owner, IMAGE, name="bad", prompt="{p} only")
    with pytest.raises(errors.NameAlreadyExistsError):
        await service.styles.create(owner, IMAGE, name="oil", prompt="{p}{np}")
    text_style = await service.styles.create(owner, GenerationKind.TEXT, name="poem", prompt="Write a poem: {p}")
    assert text_style.kind == "text"


async def test_owner_updates_and_moderator_deletes(service: HordeService) -> None:
    owner, style = await make_style(service)
    other = await make_user(service, "other", role=Role.TRUSTED)
    with pytest.raises(errors.NotOwnerError):
        await service.styles.update(other, style.id, name="mine")
    changed = await service.styles.update(owner, style.id, name="oil 2", models=["tiny"], public=False)
    assert (changed.name, changed.models, changed.public) == ("oil 2", ("tiny",), False)
    assert await service.styles.listing(IMAGE) == []
    assert [s.id for s in await service.styles.listing(IMAGE, viewer=owner)] == [style.id]
    mod = await make_user(service, "mod", role=Role.MODERATOR)
    await service.styles.delete(mod, style.id)
    with pytest.raises(errors.StyleNotFoundError):
        await service.styles.get(style.id)


def test_fill_prompt_joins_negative_parts() -> None:
    assert fill_prompt("{p}, oil ### {np}, blurry", "a cat ### dogs") == "a cat, oil ### , dogs, blurry"
    assert fill_prompt("{p}, oil{np}", "a cat ### dogs") == "a cat, oil ### dogs"
    assert fill_prompt("{p}, oil{np}", "a cat") == "a cat, oil"


async def test_apply_takes_the_style_params_and_keeps_n_seed_and_unset_size(service: HordeService) -> None:
    _, style = await make_style(service, models=["tiny"], params={"steps": 8, "width": 128, "sampler_name": "k_lms"})
    ask = GenerationAsk(
        "a cat", params={"n": 2, "seed": "7", "steps": 50, "width": 64, "height": 64, "cfg_scale": 9}, models=("x",)
    )
    styled = await service.styles.apply(await make_user(service, "req"), "oil", ask, IMAGE)
    assert styled.prompt == "a cat, oil painting ### , blurry"
    assert styled.params == {"n": 2, "seed": "7", "height": 64, "steps": 8, "width": 128, "sampler_name": "k_lms"}
    assert styled.models == ("tiny",) and styled.style_id == style.id
    with pytest.raises(errors.StyleNotFoundError):
        await service.styles.apply(await make_user(service, "r2"), "oil", ask, GenerationKind.TEXT)


async def test_using_someone_elses_style_pays_its_owner_and_counts_the_use(service: HordeService) -> None:
    owner, style = await make_style(service, models=["tiny"], params={"width": 64, "height": 64, "steps": 4})
    requester = await make_user(service, "req", kudos=100)
    before = (await service.users.me(requester)).kudos
    ask = await service.styles.apply(requester, style.id, GenerationAsk("a cat"), IMAGE)
    created = await service.requests.submit(requester, IMAGE, ask)
    assert (await service.users.me(owner)).kudos == pytest.approx(25 + 2)
    assert (await service.users.me(requester)).kudos == pytest.approx(before - 3)
    assert (await service.requests.status(requester, created.id)).kudos == pytest.approx(3)
    own = await service.styles.apply(owner, style.id, GenerationAsk("a dog"), IMAGE)
    await service.requests.submit(owner, IMAGE, dataclasses.replace(own))
    assert (await service.users.me(owner)).kudos == pytest.approx(25 + 2 - 1)  # own style: no style tax
    assert (await service.styles.get("oil")).uses == 2
