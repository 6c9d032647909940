"""Between concerns: a typed text is a comment on an answer if one was asked for, else a hint."""

from __future__ import annotations

from bot.domain.messages import InboundKind, Reply
from bot.resident.after_meeting import awaits_comment, take_comment
from bot.resident.turn import Outcome, Turn


async def on_text(turn: Turn) -> Outcome:
    if awaits_comment(turn):
        return await take_comment(turn)
    return [Reply(turn.t("idle.hint")), turn.menu()]


async def refuse(turn: Turn) -> Outcome:
    if turn.inbound.kind is InboundKind.UNSUPPORTED:
        return [Reply(turn.t("idle.unsupported")), turn.menu()]
    return [Reply(turn.t("idle.hint")), turn.menu()]
