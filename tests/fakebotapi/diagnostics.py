"""What a failing test prints about the fake: is the bot polling, and what did it get wrong."""

from __future__ import annotations

import time

from tests.fakebotapi.polling import Polling
from tests.fakebotapi.records import ApiCall


def describe_traffic(polling: Polling, calls: list[ApiCall], server_errors: list[Exception]) -> str:
    lines = [
        (
            f"[fakebotapi] pending updates: {len(polling.queue)} "
            f"(confirmed up to {polling.confirmed_up_to}, "
            f"next update_id {polling.next_update_id})"
        )
    ]
    if polling.last_poll is None:
        lines.append("[fakebotapi] the bot never called getUpdates")
    else:
        ago = time.monotonic() - polling.last_poll
        lines.append(f"[fakebotapi] last getUpdates call {ago:.2f}s ago")
    for error in server_errors[-3:]:
        lines.append(f"[fakebotapi] BUG in the fake server: {error!r}")
    recent = [call for call in calls if call.method != "getUpdates"][-15:]
    if recent:
        lines.append("[fakebotapi] recent calls:")
        for call in recent:
            detail = f" {call.description}" if call.description else ""
            chat = f" chat={call.chat_id}" if call.chat_id is not None else ""
            lines.append(f"  {call.method}{chat} -> {call.status or 'pending'}{detail}")
    return "\n".join(lines)
