"""SQLite WAL checkpoints on a thread of their own, off the event loop.

In WAL mode a COMMIT appends pages to the write-ahead log; every so many pages (``wal_autocheckpoint``, 1,000 by
default) the committing connection also copies the log back into the database file and syncs it. On the event
loop that checkpoint stalls every writer behind it: about 15% of ``bench/queue.py``'s cycle time. Here a thread
with its own connection runs a PASSIVE checkpoint (it never waits for readers or writers) every ``INTERVAL``
seconds; sqlite3 releases the GIL while it works, so the loop goes on. The writer keeps an automatic checkpoint at
a much larger size (``WRITER_AUTOCHECKPOINT``) as a backstop, so the log stays bounded even if this thread falls
behind.
"""

from __future__ import annotations

import logging
import sqlite3
import threading

INTERVAL = 0.5
#: pages (4 KiB each) the log may reach before the writer checkpoints by itself
WRITER_AUTOCHECKPOINT = 16_000

logger = logging.getLogger(__name__)


class Checkpointer:
    def __init__(self, path: str, *, interval: float | None = None) -> None:
        self.path = path
        self.interval = INTERVAL if interval is None else interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="horde-sqlite-checkpoint", daemon=True)
        self.runs = 0

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        conn = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        try:
            conn.execute("PRAGMA busy_timeout=0")
            while not self._stop.wait(self.interval):
                try:
                    conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                    self.runs += 1
                except sqlite3.Error as exc:  # busy or locked: the next round tries again
                    logger.debug("checkpoint skipped: %s", exc)
        finally:
            conn.close()

    def stop(self) -> None:
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join()
