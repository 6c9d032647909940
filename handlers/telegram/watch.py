"""Noticing that python-telegram-bot has stopped polling while the process runs on.

PTB retries Telegram's own errors forever, but any other exception in its polling loop (an
update it cannot take, a bug) ends its polling task silently: the process would stay up and
answer nobody. The watch turns that into a failure the runtime acts on: it logs the reason and
exits non-zero, so that a supervisor starts the bot again.
"""

from __future__ import annotations

import asyncio
import logging

from telegram.ext import Updater

log = logging.getLogger(__name__)

# PTB keeps its polling task private (name-mangled); when a version renames it, the watch
# says so in the log and the bot runs as before, only unwatched.
_POLLING_TASK = "_Updater__polling_task"


class PollingWatch:
    def __init__(self) -> None:
        self._ended: asyncio.Future[str] | None = None

    def watch(self, updater: Updater) -> None:  # type: ignore[type-arg]
        """Called once polling has started."""
        task = getattr(updater, _POLLING_TASK, None)
        if not isinstance(task, asyncio.Task):
            log.warning("cannot watch polling: this python-telegram-bot keeps its polling task elsewhere")
            return
        task.add_done_callback(lambda ended: self._ended_while(updater, ended))

    async def failed(self) -> str:
        """Waits until polling has ended on its own; why, in a sentence for the operator."""
        return await asyncio.shield(self._future())

    def _ended_while(self, updater: Updater, task: asyncio.Task[None]) -> None:  # type: ignore[type-arg]
        if not updater.running:
            return  # stopped on purpose: Updater.stop clears `running` before it ends the task
        error = None if task.cancelled() else task.exception()
        reason = "polling for Telegram updates stopped" + (f" on {type(error).__name__}" if error else "")
        # The traceback is for the log (redacted like every record); the reason is for stderr.
        log.error("%s: the bot hears nobody, so it stops", reason, exc_info=error)
        if not self._future().done():
            self._future().set_result(reason)

    def _future(self) -> asyncio.Future[str]:
        if self._ended is None:
            self._ended = asyncio.get_running_loop().create_future()
        return self._ended
