"""Kudos: prices, rewards, floors, priority and the upfront rule. Pure functions; amounts are kudos (floats).

The image price is a transparent formula fitted to AI Horde's learned cost model (reference §2.1):
512×512×30 costs about 7.6 kudos, 512×512×50 about 11, 1024×1024×30 about 21. The ledger stores
thousandths of a kudos as integers (``to_milli``), so sums are exact.
"""

from __future__ import annotations

import enum
import math
import re
from collections.abc import Sequence

from horde.queue import errors
from horde.queue.domain import params as params_mod
from horde.queue.domain.roles import AccountKind

HORDE_TAX = 1.0  #: paid per image (and once per request) on top of the worker's reward
STYLE_TAX = 2.0  #: paid once per request that uses someone else's style, to the style's owner
SOURCE_IMAGE_BURN = 1.3
SLOW_WORKERS_OFF_BURN = 1.2
WORKER_BLACKLIST_BURN = 1.1
LORA_COST = 3.0
TI_COST = 1.0
MAX_TRANSFER = 1_000_000_000  #: kudos in one transfer (the API's bound too)

FLOORS = {AccountKind.REGISTERED: 25.0, AccountKind.PSEUDONYMOUS: 14.0, AccountKind.ANONYMOUS: -50.0}


class EntryKind(enum.StrEnum):
    """Why kudos moved. Sources create kudos, sinks destroy it, transfers only move it."""

    WORKER_REWARD = "worker_reward"  #: source: a worker's owner is paid for a result
    UPTIME = "uptime"  #: source: a worker stayed online for 10 minutes
    FLOOR_ADJUSTMENT = "floor_adjustment"  #: source: a balance is lifted back to the account's floor
    ADMIN_GRANT = "admin_grant"  #: source or sink: an admin adds or removes kudos
    RATING = "rating"  #: source: the requester rated a result
    STYLE_REWARD = "style_reward"  #: source: someone used the owner's style (the requester pays it as tax)
    REQUEST_CHARGE = "request_charge"  #: sink: a requester pays for a finished job
    REQUEST_TAX = "request_tax"  #: sink: a requester pays the horde tax when a request starts
    TRANSFER_OUT = "transfer_out"  #: the sending half of a transfer
    TRANSFER_IN = "transfer_in"  #: the receiving half of a transfer
    ESCROW_HOLD = "escrow_hold"  #: an untrusted owner's reward set aside until they are trusted (moves, no source)
    ESCROW_RELEASE = "escrow_release"  #: what was set aside, paid out when its owner becomes trusted
    RECURRING = "recurring"  #: source: monthly kudos (an admin set an amount; moderators get a grant)


def to_milli(kudos: float) -> int:
    return round(kudos * 1000)


def transfer_milli(amount: object) -> int:
    """A transfer's amount in thousandths: a finite number from 0.001 to ``MAX_TRANSFER`` kudos, else an error
    that says so (never a transfer of 0.0 kudos, never an overflow)."""
    if not isinstance(amount, int | float) or isinstance(amount, bool) or not math.isfinite(amount) or amount <= 0:
        raise errors.NegativeKudosTransferError
    if amount > MAX_TRANSFER:
        raise errors.KudosValidationError(f"You can send at most {MAX_TRANSFER:,} kudos at once.")
    milli = to_milli(amount)
    if milli < 1:
        raise errors.KudosValidationError("The smallest transfer is 0.001 kudos.")
    return milli


def from_milli(milli: int) -> float:
    return milli / 1000


def floor_for(kind: AccountKind) -> float:
    """The lowest balance an account can fall to; below it the horde forgives the difference."""
    return FLOORS[kind]


def spare_milli(balance_milli: int, kind: AccountKind, reserved_milli: int) -> int:
    """What an account may spend or send, in thousandths: its balance above its floor, less what its waiting
    requests hold up front."""
    return balance_milli - to_milli(floor_for(kind)) - reserved_milli


# --- images ---------------------------------------------------------------------------------------------------


def image_base_cost(p: params_mod.ImageParams, *, has_source: bool = False) -> float:
    """Cost of one image before multipliers and tax: a fixed part plus a per-step part, both growing with size."""
    megapixel_units = p.pixels / 262_144  # 1.0 at 512×512
    steps = float(p.accurate_steps)
    if has_source:
        steps *= p.denoising_strength
    cost = (1.42 + 1.135 * megapixel_units) + (0.0575 + 0.111 * megapixel_units) * steps
    if p.hires_fix:
        cost *= 1.6
    if p.control_type:
        cost *= 2.0
    for name in p.post_processing:
        cost *= 1.35 if name in params_mod.UPSCALERS else 1.1
    cost += LORA_COST * len(p.loras) + (TI_COST if p.tis else 0.0)
    return round(cost, 2)


def image_worker_reward(base_cost: float, multiplier: float) -> float:
    """What a worker's owner earns for one image: its base cost times the request's model multiplier (the horde's
    model reference's, fixed when the request is made: ``model_reference.price_multiplier``)."""
    return round(base_cost * multiplier, 2)


def covered_reward(reward_milli: int, charge_milli: int, paid_milli: int) -> int:
    """A worker's reward when its requester paid only ``paid_milli`` of the job's charge: the same share of it."""
    if paid_milli >= charge_milli or charge_milli <= 0:
        return reward_milli
    return reward_milli * max(0, paid_milli) // charge_milli


def image_charge(
    reward: float,
    post_processing: Sequence[str],
    *,
    has_source: bool,
    slow_workers: bool,
    worker_blacklist: bool,
    censored: bool = False,
) -> float:
    """What the requester pays for one finished image (a censored image costs only the tax)."""
    cost = 0.0 if censored else reward
    if not censored:
        if has_source:
            cost *= SOURCE_IMAGE_BURN
        for name in post_processing:
            cost *= 1.05 if name in params_mod.UPSCALERS else 1.0
    cost += HORDE_TAX
    if not slow_workers:
        cost *= SLOW_WORKERS_OFF_BURN
    if worker_blacklist:
        cost *= WORKER_BLACKLIST_BURN
    return round(cost, 2)


def image_estimate(
    p: params_mod.ImageParams, multiplier: float, *, has_source: bool, slow_workers: bool, worker_blacklist: bool
) -> float:
    """The whole request's cost when every image is made: every image's charge plus the request tax."""
    base = image_base_cost(p, has_source=has_source)
    per_image = image_charge(
        image_worker_reward(base, multiplier),
        p.post_processing,
        has_source=has_source,
        slow_workers=slow_workers,
        worker_blacklist=worker_blacklist,
    )
    return round(per_image * p.n + HORDE_TAX, 2)


def image_needs_upfront(p: params_mod.ImageParams, *, slow_workers: bool, active_threads: int, queued: int) -> bool:
    """AI Horde's rule: big or long requests must be paid for up front when the horde is busy."""
    if not slow_workers:
        return True
    max_res = max(576, min(1024, 1024 + 10 * active_threads - round(0.9 * queued)))
    if p.sampler_name == "lcm" and p.steps > 10:
        return True
    if p.control_type and p.steps > 20:
        return True
    return p.accurate_steps > 50 or p.pixels > max_res * max_res


# --- text -----------------------------------------------------------------------------------------------------

_PARAMS_RE = re.compile(r"(\d+(?:\.\d+)?)\s*[bB](?![a-zA-Z])")


def text_model_size(model: str) -> float:
    """Billions of parameters, read from the model's name ("Llama-3-8B" → 8); 1 when unknown."""
    match = _PARAMS_RE.search(model)
    return float(match.group(1)) if match else 1.0


def _context_multiplier(context: int) -> float:
    return float(min(30.0, max(0.1, 1.2 + 2.2 ** math.log2(context / 1024))))


def text_worker_reward(text: str, model: str, max_length: int, max_context_length: int) -> float:
    """Tokens (estimated as characters / 4) × a size bonus × the context multiplier (reference §2.2)."""
    size = text_model_size(model)
    bonus = float((max(size, 13) / 13) ** 0.2)
    tokens = min(max(math.ceil(len(text) / 4), 20), max_length)
    return round(tokens * bonus * size / 125 * _context_multiplier(max_context_length), 2)


def text_charge(reward: float) -> float:
    return round(reward + HORDE_TAX, 2)


def text_estimate(p: params_mod.TextParams, models: list[str]) -> float:
    size = max((text_model_size(m) for m in models), default=13.0)
    bonus = float((max(size, 13) / 13) ** 0.2)
    per_text = p.max_length * bonus * size * _context_multiplier(p.max_context_length) / 100
    return round(per_text * p.n + HORDE_TAX, 2)


def text_needs_upfront(p: params_mod.TextParams, *, slow_workers: bool, active_threads: int, queued: int) -> bool:
    if not slow_workers:
        return True
    max_tokens = max(256, min(512, 512 + 5 * active_threads - round(0.9 * queued)))
    return p.max_length > max_tokens


# --- trust escrow ---------------------------------------------------------------------------------------------


def escrow_share(amount_milli: int, kind: EntryKind) -> int:
    """What of an untrusted worker owner's earning is held until they are trusted (reference §2.4): half of a
    job's reward, all of an uptime reward; nothing of anything else."""
    if amount_milli <= 0:
        return 0
    if kind is EntryKind.WORKER_REWARD:
        return amount_milli // 2
    return amount_milli if kind is EntryKind.UPTIME else 0


def earns_trust(held_milli: int, threshold: float, account_age_days: float, min_age_days: float) -> bool:
    """An untrusted owner is trusted automatically once their escrow reaches ``threshold`` kudos on an account at
    least ``min_age_days`` old (a suspicious owner never is: the caller checks). A threshold of 0 turns it off."""
    return threshold > 0 and held_milli >= to_milli(threshold) and account_age_days >= min_age_days


# --- uptime and priority --------------------------------------------------------------------------------------

UPTIME_PERIOD_SECONDS = 600


def uptime_reward(models: int, allows_lora: bool) -> float:
    """Paid for each 10 minutes an image worker stays online (reference §2.4)."""
    return 50.0 + 2.0 * models + (30.0 if allows_lora else 0.0)


def initial_priority(balance: float, *, flagged: bool) -> float:
    """A request starts with the requester's balance as its priority; flagged users go to the back."""
    if flagged:
        return -100.0 if balance <= 10 else float(round(balance / 1000))
    return balance


def queue_rank(priority: float, created_epoch: float, ageing_per_second: float) -> float:
    """A rank that orders the queue by priority plus ageing with no periodic writes.

    AI Horde adds +50 to every waiting request every 10 s. Effective priority at time t is
    ``priority + rate × (t − created)``; since ``rate × t`` is the same for every request at any moment,
    ordering by ``priority − rate × created`` gives the same order, forever, without updating a row.
    """
    return priority - ageing_per_second * created_epoch
