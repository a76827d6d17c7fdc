"""Trust escrow (reference §2.4): half of each job's reward and all the uptime of an untrusted worker owner are
held until the owner has earned enough, on an account old enough, to be trusted automatically; then the escrow is
paid out and the owner is trusted. Only the part held from jobs counts towards trust, never uptime; a suspicious
owner is never trusted automatically.

Holding is a pair of ledger entries, never a change to how much is earned: the reward (or uptime) entry, then an
``escrow_hold`` entry taking the held part off the balance; trust adds one ``escrow_release`` entry giving it all
back. So the ledger still sums to each balance, and the escrow is minus the sum of a user's hold and release
entries (``tests/property/test_kudos_conservation.py`` checks both).
"""

from __future__ import annotations

import datetime as dt
import logging

from horde.queue.domain import kudos as kudos_rules, suspicion as suspicion_rules
from horde.queue.domain.roles import ANONYMOUS_USER_ID
from horde.queue.settings import CoreSettings
from horde.queue.store import admin as admin_store, escrow as escrow_store, ledger
from horde.queue.store.connection import Connection

logger = logging.getLogger(__name__)


async def hold(
    conn: Connection, entries: list[ledger.Entry], settings: CoreSettings, now: dt.datetime
) -> list[ledger.Entry]:
    """``entries`` with the escrow entries they call for: a hold after each untrusted owner's reward, and a
    release for each owner whose escrow now earns them trust (who is then trusted). Append the result in place of
    ``entries``, in the same transaction."""
    held_of = {e.user_id for e in entries if kudos_rules.escrow_share(e.amount_milli, e.kind)}
    held_of.discard(ANONYMOUS_USER_ID)
    if not held_of:
        return entries
    owners = {uid: o for uid, o in (await escrow_store.owners(conn, held_of)).items() if not o.trusted}
    out: list[ledger.Entry] = []
    totals = {uid: (o.held_milli, o.work_milli) for uid, o in owners.items()}
    for entry in entries:
        out.append(entry)
        share = kudos_rules.escrow_share(entry.amount_milli, entry.kind)
        if entry.user_id not in owners or not share:
            continue
        held, work = totals[entry.user_id]
        work += share if entry.kind is kudos_rules.EntryKind.WORKER_REWARD else 0
        totals[entry.user_id] = (held + share, work)
        out.append(ledger.Entry(entry.user_id, -share, kudos_rules.EntryKind.ESCROW_HOLD, entry.request_id, entry.job_id, memo="held until trusted"))  # fmt: skip
    for user_id, (held, work) in sorted(totals.items()):
        age_days = (now - owners[user_id].created_at).total_seconds() / 86400
        if await _earns_trust(conn, user_id, work, age_days, settings):
            out.append(ledger.Entry(user_id, held, kudos_rules.EntryKind.ESCROW_RELEASE, memo="trusted: escrow paid"))
            await escrow_store.trust(conn, user_id)
            held = work = 0
            logger.info("user_trusted", extra={"action": "user_trusted", "user_id": user_id})
        await escrow_store.set_held(conn, user_id, held, work)
    return out


async def _earns_trust(conn: Connection, user_id: int, work: int, age_days: float, settings: CoreSettings) -> bool:
    """Only escrow held from jobs counts: uptime is paid for being online, which a worker that never finishes a
    job is too (until it is paused), so it alone must never earn trust."""
    if not kudos_rules.earns_trust(work, settings.trust_threshold_kudos, age_days, settings.trust_min_age_days):
        return False
    return not suspicion_rules.must_pause(len(await admin_store.suspicions(conn, user_id=user_id)))
