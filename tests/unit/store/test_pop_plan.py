"""Pop never scans the queue: the candidate query is an index range scan on both databases."""

from __future__ import annotations

import sqlalchemy as sa

from horde.queue.service import HordeService
from horde.queue.store import queue as queue_store


async def test_candidate_query_uses_the_pick_index(service: HordeService) -> None:
    part = (
        sa.select(queue_store.Q.c.request_id)
        .where(queue_store.Q.c.kind == "image", queue_store.Q.c.model == "tiny")
        .order_by(queue_store.Q.c.rank.desc())
        .limit(25)
    )
    async with service.ctx.db.read() as conn:
        compiled = part.compile(dialect=conn.dialect, compile_kwargs={"literal_binds": True})
        if service.ctx.db.is_sqlite:
            plan = " ".join(str(row) for row in (await conn.execute(sa.text(f"EXPLAIN QUERY PLAN {compiled}"))).all())
            assert "ix_queue_entries_pick" in plan
            assert "TEMP B-TREE" not in plan  # no sort: rows come out of the index in rank order
        else:
            await conn.execute(sa.text("SET LOCAL enable_seqscan = off"))  # the table is empty; ask what it would do
            plan = " ".join(str(row) for row in (await conn.execute(sa.text(f"EXPLAIN {compiled}"))).all())
            assert "ix_queue_entries_pick" in plan
            assert "Sort" not in plan
