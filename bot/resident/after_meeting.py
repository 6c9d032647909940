"""After the meeting: "are you satisfied with the answer?" and, if not, the resident's comment.

The question comes with the answer (bot/services/answers.py builds its buttons); any follower
of the concern may answer it, once the answer is final.
"""

from __future__ import annotations

from bot.domain.messages import InboundKind, Reply
from bot.resident.payloads import GlobalAction, GlobalPayload
from bot.resident.turn import Outcome, Turn, aside


async def on_satisfaction_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    rating = payload.rating
    if rating is None:
        return None
    concern_id, satisfied = rating
    followers = dict(await turn.concerns.followers(concern_id))
    if turn.resident.id not in followers:
        return aside(Reply(turn.t("satisfaction.not_yours")))
    answer = await turn.answers.get(concern_id)
    if answer is None or answer.awaiting_agency:
        return aside(Reply(turn.t("satisfaction.not_yet")))
    await turn.satisfaction.record(concern_id, turn.resident.id, satisfied, turn.now)
    if satisfied:
        return aside(Reply(turn.t("satisfaction.thanks")))
    # The next text the resident sends, outside the flow, is their comment.
    turn.state.comment_pending = concern_id
    skip = turn.global_button(turn.t("satisfaction.skip"), GlobalAction.SATISFACTION_SKIP)
    return [Reply(turn.t("satisfaction.ask_comment"), buttons=((skip,),))]


async def on_skip_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    turn.state.comment_pending = None
    return aside(Reply(turn.t("satisfaction.thanks")))


def awaits_comment(turn: Turn) -> bool:
    return turn.state.comment_pending is not None and turn.inbound.kind is InboundKind.TEXT


async def take_comment(turn: Turn) -> list[Reply]:
    concern_id = turn.state.comment_pending
    assert concern_id is not None
    turn.state.comment_pending = None
    comment = (turn.inbound.text or "")[: turn.settings.limits.text_max_chars]
    await turn.satisfaction.comment(concern_id, turn.resident.id, comment)
    return [Reply(turn.t("satisfaction.comment_thanks")), turn.menu()]
