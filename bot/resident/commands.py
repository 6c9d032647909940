"""The commands that start, steer and leave the flow: /start, /help, /new, /proxy, /cancel."""

from __future__ import annotations

from bot.domain.messages import Reply
from bot.resident.state import StepName
from bot.resident.steps.choice import start_draft
from bot.resident.turn import CONTACT_PURPOSE, Outcome, Turn, aside


async def start(turn: Turn, args: str) -> Outcome:
    if turn.in_flow:
        return aside(Reply(turn.t("start.again")))
    greeting = Reply(turn.t("start.greeting", unit=turn.settings.unit.name))
    if await turn.residents.latest_consent(turn.resident.id, CONTACT_PURPOSE) is None:
        return [greeting, await turn.enter(StepName.CONSENT)]
    return [greeting, turn.menu()]


async def show_help(turn: Turn, args: str) -> Outcome:
    return aside(Reply(turn.t("help")))


async def new(turn: Turn, args: str) -> Outcome:
    if turn.in_flow:
        return aside(Reply(turn.t("new.busy")))
    return await start_draft(turn)


async def proxy(turn: Turn, args: str) -> Outcome:
    """A head of a residential group sends a concern for a resident without a smartphone."""
    if not turn.is_head:
        return aside(Reply(turn.t("proxy.not_head")))
    if turn.in_flow:
        return aside(Reply(turn.t("new.busy")))
    return await start_draft(turn, proxy=True)


async def cancel(turn: Turn, args: str) -> Outcome:
    state = turn.state
    busy = turn.in_flow or state.step == StepName.CONSENT or state.delete_pending or state.withdraw_pending
    state.delete_pending = False
    state.withdraw_pending = None
    turn.leave_flow()
    return [Reply(turn.t("cancel.done" if busy else "cancel.nothing"), remove_keyboard=True), turn.menu()]
