"""The alchemy side of ``horde.queue.dto`` (re-exported there): what the service answers about interrogations and
hands to alchemists."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any


@dataclasses.dataclass(frozen=True)
class FormStatus:
    """One form of an interrogation: its state and, once done, its result (a post-processor's is in
    ``result_key``, the image in the result store)."""

    id: str
    form: str
    state: str  #: waiting, processing, done, faulted, cancelled
    result: dict[str, Any] | None
    result_key: str | None


@dataclasses.dataclass(frozen=True)
class InterrogationStatus:
    id: str
    state: str  #: waiting, processing, done, faulted, cancelled
    forms: tuple[FormStatus, ...]
    source_key: str
    width: int
    height: int
    kudos: float  #: charged so far
    user_id: int

    @property
    def finished(self) -> bool:
        return self.state in ("done", "faulted", "cancelled")


@dataclasses.dataclass(frozen=True)
class PoppedForm:
    """A form an alchemist was handed: what to do, to which image, and which hand-out it is (its upload URL is
    bound to it)."""

    id: str
    form: str
    payload: dict[str, Any]
    interrogation_id: str
    source_key: str
    handout: int
    uploads: bool  #: a post-processor: the new image goes to the form's upload URL


@dataclasses.dataclass(frozen=True)
class PoppedForms:
    forms: tuple[PoppedForm, ...]
    skipped: dict[str, int]


@dataclasses.dataclass(frozen=True)
class CsamFlag:
    """An account flagged to moderators because workers' CSAM guards blocked many of its images."""

    user_id: int
    name: str
    detail: str
    at: dt.datetime
