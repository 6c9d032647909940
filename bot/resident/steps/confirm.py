"""The end of the flow: similar concerns offered (+1 instead), the summary, and the concern sent."""

from __future__ import annotations

import logging
from dataclasses import replace

from bot.clock import format_local
from bot.domain.messages import Button, Reply
from bot.domain.records import NewConcern
from bot.domain.redaction import redact
from bot.domain.similar import Candidate, Match
from bot.domain.similar_lookup import find_similar
from bot.domain.textnorm import fold
from bot.resident.commands import cancel
from bot.resident.payloads import GlobalAction, StepAction, StepPayload
from bot.resident.state import StepName
from bot.resident.turn import Outcome, Turn, shorten

log = logging.getLogger(__name__)


def mask_phone(phone: str) -> str:
    return phone[:-6] + "***" + phone[-3:] if len(phone) > 6 else "***"


async def confirm_next(turn: Turn) -> list[Reply]:
    turn.advance(StepName.CONFIRM)
    offer = await similar_offer(turn)
    return ([offer] if offer else []) + [await summary(turn)]


async def similar_offer(turn: Turn) -> Reply | None:
    """Open concerns of the meeting that say the same, the resident's own area first: support one instead?"""
    matches = await _offered(turn)
    if not matches:
        return None
    # The best few of the whole meeting, shown from the resident's own tổ outwards.
    matches = sorted(matches, key=lambda m: (m.nearness, -m.score, m.concern_id))
    masks = turn.masks()
    lines: list[str] = [turn.t("similar.intro")]
    rows: list[tuple[Button, ...]] = []
    for match in matches:
        concern = await turn.concerns.get(match.concern_id)
        if concern is None:
            continue
        count = len(await turn.concerns.followers(concern.id))
        # Another resident's words: their phone number or e-mail is not this resident's to see.
        text = shorten(redact(concern.text, masks), 160)
        area = turn.intake.areas.get(concern.area_id)
        if match.nearness == 0 and area is not None:
            # The level's own name: "thôn của bạn" in a commune, "tổ dân phố của bạn" in a ward.
            where = turn.t("similar.your_area", level=turn.intake.areas.level_name(area, turn.language))
        else:
            where = area.label(turn.language) if area else ""
        lines.append(turn.t("similar.line", count=count, code=concern.code, text=text, area=where))
        rows.append((turn.step_button(turn.t("similar.support", code=concern.code), StepAction.SUPPORT, str(concern.id)),))
    rows.append((turn.step_button(turn.t("similar.none"), StepAction.NOT_SIMILAR),))
    lines.append(turn.t("similar.outro"))
    return Reply("\n".join(lines), buttons=tuple(rows))


async def _offered(turn: Turn) -> list[Match]:
    """What the lookup offers for the draft: the one place that decides it, for the offer and
    for checking a press of "support" (a forged button names a concern it would not offer)."""
    draft = turn.draft
    candidates = await turn.concerns.similarity_candidates(draft.meeting_id or 0)
    mine = Candidate(0, draft.text or "", draft.area_id or "", draft.latitude, draft.longitude)
    return find_similar(mine, candidates, nearness=turn.intake.areas.nearness, lexicon=turn.intake.lexicon)


async def summary(turn: Turn) -> Reply:
    draft = turn.draft
    if draft.contact_name or draft.contact_phone:
        contact = turn.t(
            "summary.contact",
            name=draft.contact_name or turn.t("summary.no_name"),
            phone=mask_phone(draft.contact_phone) if draft.contact_phone else turn.t("summary.no_phone"),
        )
    else:
        contact = turn.t("summary.anonymous")
    if draft.latitude is not None and draft.longitude is not None:
        location = turn.t("summary.location", lat=f"{draft.latitude:.5f}", lon=f"{draft.longitude:.5f}")
    else:
        location = turn.t("summary.no_location")
    if draft.proxy:
        contact = turn.t("proxy.summary", contact=contact)
    text = turn.t(
        "summary.text",
        area=turn.area_label(draft.area_id or ""),
        topic=turn.topic_label(draft.topic_id or ""),
        text=draft.text,
        photos=len(draft.photos),
        location=location,
        contact=contact,
    )
    return Reply(
        text,
        buttons=(
            (turn.step_button(turn.t("summary.send"), StepAction.SEND),),
            (turn.step_button(turn.t("summary.edit"), StepAction.EDIT),),
            (turn.step_button(turn.t("summary.cancel"), StepAction.CANCEL),),
        ),
    )


async def on_confirm_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is StepAction.SEND:
        return await submit(turn)
    if payload.action is StepAction.EDIT:
        turn.draft.editing = True
        return [Reply(turn.t("text.edit", text=turn.draft.text)), await turn.enter(StepName.TEXT)]
    if payload.action is StepAction.CANCEL:
        return await cancel(turn, "")
    if payload.action is StepAction.SUPPORT and payload.number is not None:
        return await support(turn, payload.number)
    if payload.action is StepAction.NOT_SIMILAR:
        return [Reply(turn.t("similar.none_done")), await summary(turn)]
    return None


async def support(turn: Turn, concern_id: int) -> list[Reply] | None:
    draft = turn.draft
    concern = await turn.concerns.get(concern_id)
    # Only what was offered: live, of the same meeting, and what the lookup offers.
    if (
        concern is None or concern.status != "open" or concern.merged_into is not None
        or concern.meeting_id != draft.meeting_id
        or concern_id not in {m.concern_id for m in await _offered(turn)}
    ):
        return None
    meeting = await turn.meetings.get(concern.meeting_id)
    if meeting is None or not meeting.accepts_concerns_at(turn.now):
        turn.leave_flow()
        return [Reply(turn.t("submit.closed", title=meeting.title if meeting else "")), turn.menu()]
    added = await turn.concerns.add_supporter(concern.id, turn.resident.id, turn.now)
    count = len(await turn.concerns.followers(concern.id))
    turn.leave_flow()
    key = "similar.supported" if added else "similar.already"
    return [Reply(turn.t(key, code=concern.code, count=count)), turn.menu()]


async def submit(turn: Turn) -> list[Reply]:
    draft = turn.draft
    meeting = await turn.meetings.get(draft.meeting_id or 0)
    if meeting is None or not meeting.accepts_concerns_at(turn.now):
        # Checked here as well as by the schedule: a late job must not let a late concern in.
        turn.leave_flow()
        return [Reply(turn.t("submit.closed", title=meeting.title if meeting else "")), turn.menu()]
    # The open concerns the offer compared the draft with: the new one's likely duplicates among them are stored.
    before = await turn.concerns.similarity_candidates(meeting.id)
    concern = await turn.concerns.submit(
        NewConcern(
            draft_key=draft.key,
            meeting_id=meeting.id,
            area_id=draft.area_id or meeting.area_id,
            topic_id=draft.topic_id or "",
            text=draft.text or "",
            text_folded=fold(draft.text or ""),
            author_id=turn.resident.id,
            language=turn.language,
            contact_name=draft.contact_name,
            contact_phone=draft.contact_phone,
            phone_verified=draft.phone_verified and not draft.proxy,
            latitude=draft.latitude,
            longitude=draft.longitude,
            photos=tuple(draft.photos),
            proxy=draft.proxy,
        ),
        turn.settings.unit.code_prefix,
        turn.now,
    )
    await turn.duplicates.submitted(concern, before)
    turn.leave_flow()
    log.info("concern %s submitted for meeting %s", concern.code, meeting.id)
    receipt = turn.t(
        "submit.receipt_proxy" if draft.proxy else "submit.receipt",
        code=concern.code,
        title=meeting.title,
        when=format_local(meeting.starts_at, turn.settings.zone),
        place=meeting.place,
    )
    return [Reply(receipt), await subscribe_offer(turn, concern.area_id) or turn.menu()]


async def subscribe_offer(turn: Turn, area_id: str) -> Reply | None:
    """After the receipt: the menu, with an offer of notices for the concern's area if not taken yet."""
    if area_id in await turn.subscriptions.areas_of(turn.resident.id):
        return None
    menu = turn.menu()
    offer = turn.global_button(turn.t("subscribe.button", area=turn.area_label(area_id)), GlobalAction.SUBSCRIBE, area_id)
    return replace(menu, buttons=((offer,), *menu.buttons))
