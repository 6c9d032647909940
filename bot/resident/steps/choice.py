"""The first steps of a concern: which meeting, where (walking the area tree), what about."""

from __future__ import annotations

import uuid

from bot.clock import format_local
from bot.domain.messages import Button, Reply
from bot.domain.records import Meeting
from bot.resident.payloads import StepAction, StepPayload
from bot.resident.state import Draft, StepName
from bot.resident.turn import Outcome, Turn


async def start_draft(turn: Turn, proxy: bool = False) -> list[Reply]:
    """A new concern: straight to its area when only one meeting takes concerns."""
    open_meetings = await turn.meetings.list_accepting(turn.now)
    if not open_meetings:
        return [Reply(turn.t("meeting.none")), turn.menu()]
    turn.state.draft = Draft(key=uuid.uuid4().hex, proxy=proxy)
    if len(open_meetings) == 1:
        return await choose_meeting(turn, open_meetings[0])
    return [await turn.enter(StepName.MEETING)]


# --- meeting ---------------------------------------------------------------------------


async def meeting_prompt(turn: Turn) -> Reply:
    rows = tuple(
        (turn.step_button(f"{m.title} – {format_local(m.starts_at, turn.settings.zone)[:10]}", StepAction.MEETING, str(m.id)),)
        for m in await turn.meetings.list_accepting(turn.now)
    )
    return Reply(turn.t("meeting.ask"), buttons=rows)


async def on_meeting_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.MEETING or payload.number is None:
        return None
    meeting = await turn.meetings.get(payload.number)
    if meeting is None or not meeting.accepts_concerns_at(turn.now):
        return None
    return await choose_meeting(turn, meeting)


async def choose_meeting(turn: Turn, meeting: Meeting) -> list[Reply]:
    draft = turn.draft
    draft.meeting_id = meeting.id
    draft.meeting_area = meeting.area_id
    draft.area_node = meeting.area_id
    zone = turn.settings.zone
    intro = Reply(
        turn.t(
            "meeting.chosen",
            title=meeting.title,
            when=format_local(meeting.starts_at, zone),
            place=meeting.place,
            closes=format_local(meeting.intake_closes_at, zone),
        )
    )
    if draft.proxy:
        areas = proxy_areas(turn)
        if not areas:
            turn.leave_flow()
            return [intro, Reply(turn.t("proxy.no_area")), turn.menu()]
        if len(areas) == 1:
            return [intro, await choose_area(turn, areas[0])]
    return [intro, await turn.enter(StepName.AREA)]


# --- area ------------------------------------------------------------------------------


def proxy_areas(turn: Turn) -> list[str]:
    """The head's own areas that lie within the meeting's area."""
    heads = turn.intake.roles.head_areas(turn.inbound.channel, turn.inbound.user_id)
    return [a for a in heads if turn.intake.areas.is_within(a, turn.draft.meeting_area or "")]


async def area_prompt(turn: Turn) -> Reply:
    tree = turn.intake.areas
    language = turn.language
    if turn.draft.proxy:
        rows = tuple((turn.step_button(turn.area_label(a), StepAction.AREA, a),) for a in proxy_areas(turn))
        return Reply(turn.t("proxy.area"), buttons=rows)
    node = tree.get(turn.draft.area_node)
    assert node is not None
    children = tree.children(node.id)
    buttons = [turn.step_button(child.label(language), StepAction.AREA, child.id) for child in children]
    # Two areas a row: the tree's lowest levels can be long lists.
    rows: list[tuple[Button, ...]] = [tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2)]
    whole = turn.t("area.whole", level=tree.level_name(node, language), name=node.label(language))
    rows.append((turn.step_button(whole, StepAction.AREA_WHOLE, node.id),))
    if node.id != turn.draft.meeting_area:
        rows.append((turn.step_button(turn.t("area.back"), StepAction.AREA_BACK),))
    child_level = tree.level_name(children[0], language) if children else ""
    return Reply(turn.t("area.ask", level=child_level, name=node.label(language)), buttons=tuple(rows))


async def on_area_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    tree = turn.intake.areas
    action, arg = payload.action, payload.arg
    if turn.draft.proxy:
        # Heads submit only for their own groups, whatever the button says.
        return [await choose_area(turn, arg)] if action is StepAction.AREA and arg in proxy_areas(turn) else None
    node = tree.get(turn.draft.area_node)
    if node is None:
        return None
    if action is StepAction.AREA:
        target = tree.get(arg)
        if target is None or target.parent != node.id:
            return None
        if tree.children(target.id):
            turn.draft.area_node = target.id
            return [await turn.enter(StepName.AREA)]
        return [await choose_area(turn, target.id)]
    if action is StepAction.AREA_WHOLE and arg == node.id:
        return [await choose_area(turn, node.id)]
    # The walk never climbs above the meeting's own area.
    if action is StepAction.AREA_BACK and node.id != turn.draft.meeting_area and node.parent is not None:
        turn.draft.area_node = node.parent
        return [await turn.enter(StepName.AREA)]
    return None


async def choose_area(turn: Turn, area_id: str) -> Reply:
    turn.draft.area_id = area_id
    return await turn.enter(StepName.TOPIC)


# --- topic -----------------------------------------------------------------------------


async def topic_prompt(turn: Turn) -> Reply:
    rows = tuple(
        (turn.step_button(topic.label(turn.language), StepAction.TOPIC, topic.id),) for topic in turn.intake.topics.all()
    )
    return Reply(turn.t("topic.ask", area=turn.area_label(turn.draft.area_id or "")), buttons=rows)


async def on_topic_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.TOPIC or turn.intake.topics.get(payload.arg) is None:
        return None
    turn.draft.topic_id = payload.arg
    return [await turn.enter(StepName.TEXT)]
