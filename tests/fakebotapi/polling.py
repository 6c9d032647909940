"""How updates leave the server: the queue, ``getUpdates`` long polling and the webhook switch.

``getUpdates`` only forgets updates when a later call confirms them with ``offset``: a bot that
crashes before confirming gets them again after a restart. A newer ``getUpdates`` ends an older
waiting one with 409 Conflict. Webhooks are accepted and reported but updates are never pushed
to them; ``allowed_updates`` is recorded but does not filter.
"""

from __future__ import annotations

import asyncio
import copy
import time
from typing import Any

from tests.fakebotapi.records import FileUpload
from tests.fakebotapi.wire import (
    CONFLICT_POLL,
    CONFLICT_WEBHOOK,
    ApiError,
    Handler,
    JSONDict,
    as_float,
    as_int,
    as_json,
    bad,
    truthy,
)


class Polling:
    def __init__(self) -> None:
        self.queue: list[JSONDict] = []
        self.next_update_id = 1
        self.confirmed_up_to = 0
        self.allowed_updates: list[str] | None = None
        self.webhook: JSONDict = {}
        self.last_poll: float | None = None  # time.monotonic() of the latest getUpdates
        self.closing: asyncio.Event | None = None
        self._waiter: asyncio.Future[str] | None = None

    def handlers(self) -> dict[str, Handler]:
        return {
            "getUpdates": self.get_updates,
            "deleteWebhook": self.delete_webhook,
            "setWebhook": self.set_webhook,
            "getWebhookInfo": self.get_webhook_info,
        }

    # -- the server's lifecycle ---------------------------------------------------------------

    def open(self) -> None:
        self.closing = asyncio.Event()

    def close(self) -> None:
        """Wakes a waiting long poll so shutdown never waits for it."""
        assert self.closing is not None
        self.closing.set()
        self.wake("closing")

    # -- the queue ----------------------------------------------------------------------------

    def push(self, update: dict[str, Any]) -> int:
        """Queues any raw update; a copy is stored so later edits do not rewrite history."""
        stored = copy.deepcopy(update)
        if "update_id" not in stored:
            stored["update_id"] = self.next_update_id
        update_id = stored["update_id"]
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            self.next_update_id = max(self.next_update_id, update_id + 1)
            self.queue.append(stored)
            self.queue.sort(key=lambda u: u["update_id"] if isinstance(u["update_id"], int) else 0)
        else:
            self.queue.append(stored)  # hostile: a non-integer id; delivered in arrival order
        self.wake("update")
        return update_id  # type: ignore[no-any-return]

    def wake(self, reason: str) -> None:
        if self._waiter is not None and not self._waiter.done():
            self._waiter.set_result(reason)

    def confirm(self, offset: int) -> None:
        if offset > 0:
            self.queue = [
                u
                for u in self.queue
                if not isinstance(u["update_id"], int) or u["update_id"] >= offset
            ]
            self.confirmed_up_to = max(self.confirmed_up_to, offset - 1)
        elif offset < 0:
            keep = -offset
            dropped, self.queue = self.queue[:-keep], self.queue[-keep:]
            for update in dropped:
                if isinstance(update["update_id"], int):
                    self.confirmed_up_to = max(self.confirmed_up_to, update["update_id"])

    def drop_pending(self) -> None:
        self.confirm(self.next_update_id)
        self.queue.clear()

    # -- Bot API methods ----------------------------------------------------------------------

    async def get_updates(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> list[JSONDict]:
        """Long poll; unconfirmed updates survive any number of deliveries and restarts."""
        self.last_poll = time.monotonic()
        if self.webhook.get("url"):
            raise ApiError(409, CONFLICT_WEBHOOK)
        self.wake("conflict")  # the newer request wins, like Telegram
        offset = as_int(params.get("offset") or 0, "offset")
        limit = min(100, max(1, as_int(params.get("limit") or 100, "limit")))
        timeout = max(0.0, as_float(params.get("timeout") or 0, "timeout"))
        if "allowed_updates" in params:
            allowed = as_json(params["allowed_updates"], "allowed_updates")
            self.allowed_updates = list(allowed) if allowed else None
        self.confirm(offset)
        batch = self.queue[:limit]
        assert self.closing is not None
        if batch or timeout == 0 or self.closing.is_set():
            return batch
        waiter: asyncio.Future[str] = asyncio.get_running_loop().create_future()
        self._waiter = waiter
        try:
            reason = await asyncio.wait_for(waiter, timeout)
        except TimeoutError:
            reason = "timeout"
        finally:
            if self._waiter is waiter:
                self._waiter = None
        if reason == "conflict":
            raise ApiError(409, CONFLICT_POLL)
        self.last_poll = time.monotonic()
        return self.queue[:limit]

    def delete_webhook(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        self.webhook = {}
        if truthy(params.get("drop_pending_updates")):
            self.drop_pending()
        return True

    def set_webhook(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad("bad webhook: An HTTPS URL must be provided for webhook")
        self.webhook = (
            {k: v for k, v in params.items() if k != "drop_pending_updates"} if url else {}
        )
        if truthy(params.get("drop_pending_updates")):
            self.drop_pending()
        self.wake("conflict")
        return True

    def get_webhook_info(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        info: JSONDict = {
            "url": self.webhook.get("url", ""),
            "has_custom_certificate": False,
            "pending_update_count": len(self.queue),
        }
        if self.webhook.get("allowed_updates"):
            info["allowed_updates"] = as_json(self.webhook["allowed_updates"], "allowed_updates")
        return info
