"""What the service hands back: frozen dataclasses, never ORM rows, so adapters can neither lazy-load nor write."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from horde.queue.alchemy_dto import (
    CsamFlag as CsamFlag,
    FormStatus as FormStatus,
    InterrogationStatus as InterrogationStatus,
    PoppedForm as PoppedForm,
    PoppedForms as PoppedForms,
)
from horde.queue.domain import roles as roles_mod
from horde.queue.domain.roles import AccountKind, Role


@dataclasses.dataclass(frozen=True)
class Actor:
    """Who is calling the service. Every service method takes one."""

    user_id: int
    username: str
    kind: AccountKind
    roles: frozenset[Role] = frozenset()
    ip: str | None = None
    client_agent: str | None = None
    shared_key_id: str | None = None

    @property
    def is_anonymous(self) -> bool:
        return self.kind is AccountKind.ANONYMOUS

    @property
    def flagged(self) -> bool:
        return Role.FLAGGED in self.roles

    @property
    def is_trusted(self) -> bool:
        return roles_mod.is_trusted(self.roles)

    @property
    def is_moderator(self) -> bool:
        """Holds a moderator's powers (a moderator or an admin)."""
        return roles_mod.is_moderator(self.roles)

    @property
    def is_admin(self) -> bool:
        return roles_mod.is_admin(self.roles)

    @property
    def display_name(self) -> str:
        return f"{self.username}#{self.user_id}"


@dataclasses.dataclass(frozen=True)
class UserInfo:
    id: int
    username: str
    kind: AccountKind
    roles: frozenset[Role]
    kudos: float
    suspended: bool
    concurrency: int
    created_at: dt.datetime
    worker_count: int = 0
    worker_invited: int = 0
    deleted: bool = False
    suspicion: int = 0
    contact: str | None = None  #: for the user and moderators only
    admin_comment: str | None = None  #: for moderators only
    private: bool = False  #: the viewer is this user or a moderator: vpn, special and contact may be shown
    recurring: float = 0.0  #: all the monthly kudos it ever received
    monthly_kudos: float | None = None  #: a month's kudos (an admin's amount, any moderators' grant); user and mods
    monthly_received_at: dt.datetime | None = None  #: when monthly kudos were last paid
    evaluating_kudos: float | None = None  #: held in trust escrow; for the user and moderators only

    @property
    def flagged(self) -> bool:
        return Role.FLAGGED in self.roles

    @property
    def moderator(self) -> bool:
        return roles_mod.is_moderator(self.roles)

    @property
    def trusted(self) -> bool:
        return roles_mod.is_trusted(self.roles)

    def has(self, role: Role) -> bool:
        return role in self.roles

    @property
    def display_name(self) -> str:
        return f"{self.username}#{self.id}"


@dataclasses.dataclass(frozen=True)
class NewUser:
    """A freshly created account; ``api_key`` is shown once and never stored."""

    user: UserInfo
    api_key: str


@dataclasses.dataclass(frozen=True)
class KudosEntryInfo:
    id: int
    amount: float
    kind: str
    created_at: dt.datetime
    request_id: str | None
    counterparty_id: int | None
    memo: str | None


@dataclasses.dataclass(frozen=True)
class TransferResult:
    amount: float
    sender_balance: float


@dataclasses.dataclass(frozen=True)
class RequestCreated:
    id: str
    kudos: float  #: the expected cost of the whole request
    warnings: tuple[dict[str, str], ...] = ()
    message: str | None = None


@dataclasses.dataclass(frozen=True)
class Estimate:
    kudos: float
    needs_upfront: bool


@dataclasses.dataclass(frozen=True)
class Generation:
    """One finished result of a request."""

    id: str
    worker_id: str
    worker_name: str
    model: str
    seed: int
    state: str
    censored: bool
    result_key: str | None
    text: str | None
    gen_metadata: tuple[dict[str, Any], ...]
    favourite: bool = False
    public: bool = False


@dataclasses.dataclass(frozen=True)
class RequestStatus:
    id: str
    kind: str
    state: str
    prompt: str
    params: dict[str, Any]
    models: tuple[str, ...]
    n: int
    finished: int
    processing: int
    restarted: int
    waiting: int
    done: bool
    faulted: bool
    cancelled: bool
    is_possible: bool
    wait_time: int
    queue_position: int
    kudos: float
    shared: bool
    r2: bool
    created_at: dt.datetime
    warnings: tuple[dict[str, str], ...]
    generations: tuple[Generation, ...] = ()
    blocked_reason: str | None = None
    user_id: int = 0


@dataclasses.dataclass(frozen=True)
class PoppedJob:
    """What a worker gets from a pop: one or more jobs of one request, or nothing and why."""

    ids: tuple[str, ...]
    request_id: str | None
    kind: str
    model: str | None
    prompt: str
    params: dict[str, Any]
    seeds: tuple[int, ...]
    ttl: int
    nsfw_censor: bool
    source_image_key: str | None
    source_mask_key: str | None
    source_processing: str | None
    skipped: dict[str, int]
    handouts: tuple[int, ...] = ()  #: per job, which hand-out this is: an upload is taken for the latest one only

    @property
    def found(self) -> bool:
        return bool(self.ids)


@dataclasses.dataclass(frozen=True)
class SubmitResult:
    reward: float
    duplicate: bool = False


@dataclasses.dataclass(frozen=True)
class WorkerInfo:
    id: str
    name: str
    owner_id: int
    kind: str
    models: tuple[str, ...]
    max_pixels: int
    nsfw: bool
    trusted: bool
    maintenance: bool
    paused: bool
    online: bool
    threads: int
    uptime_seconds: int
    kudos_earned: float
    jobs_done: int
    things_per_second: float
    info: str | None
    team_id: str | None
    bridge_agent: str | None
    capabilities: dict[str, Any]


@dataclasses.dataclass(frozen=True)
class ModelStatus:
    name: str
    kind: str
    workers: int
    queued: int
    queued_things: float
    eta: int
    performance: float  #: average speed of one thread
    threads: int = 0  #: threads of all the workers serving the model
    max_pixels: int = 0  #: the largest width × height an online worker of this model takes


@dataclasses.dataclass(frozen=True)
class TeamInfo:
    id: str
    name: str
    owner_id: int
    info: str | None
    worker_ids: tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class SharedKeyInfo:
    id: str  #: the key's handle (a hash of the key), which its owner may also use to manage it
    user_id: int
    name: str
    kudos_limit: float  #: -1: unlimited
    utilized: float
    expires_at: dt.datetime | None
    max_image_pixels: int
    max_image_steps: int
    max_text_tokens: int
    key: str | None = None  #: the key itself: only when it is made, never stored


@dataclasses.dataclass(frozen=True)
class StyleInfo:
    id: str
    owner_id: int
    kind: str
    name: str
    info: str | None
    prompt: str
    params: dict[str, Any]
    models: tuple[str, ...]
    public: bool
    uses: int = 0
    creator: str = ""  #: the owner as ``alias#id``
    created_at: dt.datetime | None = None


@dataclasses.dataclass(frozen=True)
class FilterInfo:
    id: int
    regex: str
    filter_type: int
    description: str | None
    replacement: str | None


@dataclasses.dataclass(frozen=True)
class IpTimeoutInfo:
    ip: str
    expires_at: dt.datetime
    reason: str | None


@dataclasses.dataclass(frozen=True)
class SweepReport:
    requeued: int = 0
    faulted: int = 0
    expired: int = 0
    led: bool = False  #: this node held the sweep lock and ran the round (the others skip it)


@dataclasses.dataclass(frozen=True)
class AuditEntry:
    """One moderator or admin action: who, what, on what, when, and the values before and after."""

    id: int
    actor_id: int | None
    actor_name: str | None
    action: str
    target_type: str
    target_id: str
    details: dict[str, Any]
    created_at: dt.datetime

    @property
    def before(self) -> dict[str, Any]:
        value = self.details.get("before")
        return value if isinstance(value, dict) else {}

    @property
    def after(self) -> dict[str, Any]:
        value = self.details.get("after")
        return value if isinstance(value, dict) else {}


@dataclasses.dataclass(frozen=True)
class RequestSummary:
    """A request as the moderation panel lists it: who asked, from where, how urgent."""

    id: str
    kind: str
    user_id: int
    username: str
    prompt: str
    models: tuple[str, ...]
    n: int
    state: str
    priority: float
    ip: str | None
    created_at: dt.datetime
    queued: int = 0  #: its jobs still waiting for a worker


@dataclasses.dataclass(frozen=True)
class SuspicionInfo:
    reason: str
    detail: str | None
    worker_id: str | None
    created_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class WorkerMessage:
    id: int
    worker_id: str
    owner_id: int
    message: str
    origin: str | None
    created_at: dt.datetime
    expires_at: dt.datetime


@dataclasses.dataclass(frozen=True)
class WorkerAdminInfo:
    """A worker with what only moderators see: its owner, address, drops and suspicion."""

    worker: WorkerInfo
    owner_name: str
    ip: str | None
    jobs_aborted: int
    suspicion: int
    maintenance_msg: str | None


@dataclasses.dataclass(frozen=True)
class UserDossier:
    """Everything a moderator sees about one account."""

    user: UserInfo
    ledger: tuple[KudosEntryInfo, ...]
    requests: tuple[RequestSummary, ...]
    workers: tuple[WorkerInfo, ...]
    ips: tuple[str, ...]
    shared_keys: tuple[SharedKeyInfo, ...]
    suspicions: tuple[SuspicionInfo, ...]
    audit: tuple[AuditEntry, ...]
