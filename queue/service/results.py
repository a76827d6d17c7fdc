"""Stored results and source images, read back for download URLs, base64 answers and workers' source images."""

from __future__ import annotations

from horde.queue.service.context import Context


class ResultService:
    def __init__(self, ctx: Context) -> None:
        self.ctx = ctx

    @staticmethod
    def key_for_job(job_id: str) -> str:
        return f"{job_id}.webp"

    async def load(self, key: str) -> bytes | None:
        """The bytes stored under ``key`` (a job's result key or a request's source image key), or None."""
        try:
            return await self.ctx.results.load(key)
        except ValueError:  # not a storage key at all
            return None

    async def load_job_result(self, job_id: str) -> bytes | None:
        return await self.load(self.key_for_job(job_id))
