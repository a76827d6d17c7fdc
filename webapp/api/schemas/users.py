"""Models of accounts, kudos transfers and shared keys (``/v2/users``, ``/v2/kudos``, ``/v2/sharedkeys``)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from horde.webapp.api.schemas.base import Input, Output


class UserKudosDetails(Output):
    """Kudos by where they came from; only the buckets Horde keeps a running total of are given."""

    accumulated: float | None = None
    gifted: float | None = None
    admin: float | None = None
    received: float | None = None
    recurring: float | None = Field(None, description="Monthly kudos received, all told.")
    awarded: float | None = None


class MonthlyKudos(Output):
    amount: int = Field(description="Kudos received each month (an admin's amount plus any moderators' grant).")
    last_received: str | None = Field(None, description="When they were last paid (ISO 8601, UTC).")


class UserDetails(Output):
    username: str
    id: int
    kudos: float
    concurrency: int
    worker_count: int
    account_age: int
    moderator: bool
    trusted: bool
    flagged: bool
    suspicious: int = 0
    pseudonymous: bool
    service: bool = False
    education: bool = False
    customizer: bool = False
    deleted: bool = False
    worker_invited: int = 0
    sharedkey_ids: list[str] | None = None
    vpn: bool | None = Field(None, description="Shown to the user and moderators.")
    special: bool | None = Field(None, description="Shown to the user and moderators.")
    contact: str | None = Field(None, description="Shown to the user and moderators.")
    admin_comment: str | None = Field(None, description="Shown to moderators.")
    kudos_details: UserKudosDetails | None = None
    monthly_kudos: MonthlyKudos | None = Field(None, description="Shown to the user and moderators.")
    evaluating_kudos: float | None = Field(None, description="Held in trust escrow; shown to the user and moderators.")


class UsersQuery(Input):
    page: int = Field(1, ge=1, le=10_000)
    sort: Literal["kudos", "age"] = "kudos"


class ModifyUserInput(Input):
    kudos: float | None = Field(None, ge=-1_000_000_000, le=1_000_000_000, description="A change (admins).")
    kudos_reason: str | None = Field(None, max_length=150, description="Why kudos change (kept in the ledger).")
    monthly_kudos: int | None = Field(None, ge=0, le=1_000_000_000, description="Kudos paid each month (admins).")
    concurrency: int | None = Field(None, ge=1, le=1000)
    worker_invited: int | None = Field(None, ge=0, le=100)
    moderator: bool | None = Field(None, description="Admins only; also sets trusted.")
    trusted: bool | None = None
    flagged: bool | None = None
    customizer: bool | None = None
    vpn: bool | None = None
    service: bool | None = None
    education: bool | None = None
    special: bool | None = None
    reset_suspicion: bool | None = None
    username: str | None = Field(None, min_length=1, max_length=100)
    contact: str | None = Field(None, max_length=500)
    admin_comment: str | None = Field(None, max_length=500)
    undelete: bool | None = Field(None, description="Bring back a soft-deleted account (moderators).")


class ModifyUser(Output):
    new_kudos: float | None = None
    monthly_kudos: int | None = None
    concurrency: int | None = None
    worker_invited: int | None = None
    moderator: bool | None = None
    trusted: bool | None = None
    flagged: bool | None = None
    customizer: bool | None = None
    vpn: bool | None = None
    service: bool | None = None
    education: bool | None = None
    special: bool | None = None
    new_suspicion: int | None = None
    new_username: str | None = None
    contact: str | None = None
    admin_comment: str | None = None
    undeleted: bool | None = None


class KudosTransferInput(Input):
    username: str = Field(min_length=1, max_length=120)
    amount: float = Field(100, gt=0, le=1_000_000_000)


class KudosTransferred(Output):
    transferred: float


class SharedKeyInput(Input):
    kudos: int | None = Field(None, ge=-1, le=50_000_000)
    expiry: int | None = Field(None, ge=-1, le=3650)
    name: str | None = Field(None, min_length=3, max_length=255)
    max_image_pixels: int | None = Field(None, ge=-1, le=4_194_304)
    max_image_steps: int | None = Field(None, ge=-1, le=500)
    max_text_tokens: int | None = Field(None, ge=-1, le=500)


class SharedKeyDetails(Output):
    id: str
    username: str
    name: str
    kudos: int
    expiry: str | None = None
    utilized: int
    max_image_pixels: int
    max_image_steps: int
    max_text_tokens: int
