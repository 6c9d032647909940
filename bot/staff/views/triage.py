"""The queue and one concern as the staff chat shows them, with the buttons to triage them."""

from __future__ import annotations

from collections.abc import Sequence

from bot.config import AreaSettings
from bot.domain.areas import Topic
from bot.domain.messages import Button, Reply
from bot.domain.records import Concern, Meeting
from bot.services.triage import ConcernView, Queue
from bot.staff.payloads import AreaMenu, Merge, QueuePage, SetArea, SetTopic, ShowConcern, TopicMenu
from bot.staff.views.wording import Wording, short

PAGE = 8  # concerns per page of the queue: a screenful on a phone
AREAS_PER_ROW = 2


def queue_page(words: Wording, meeting: Meeting, queue: Queue, page: int) -> list[Reply]:
    """One page of the queue (pages count from 1; out of range shows the nearest page)."""
    pages = max(1, -(-len(queue.entries) // PAGE))
    page = min(max(page, 1), pages)
    lines = [words.t(
        "staff.queue_header", id=meeting.id, title=meeting.title, count=len(queue.entries), page=page, pages=pages,
        topics=words.counts(queue.by_topic, words.topic), areas=words.counts(queue.by_area, words.area),
    )]
    buttons: list[tuple[Button, ...]] = []
    for entry in queue.entries[(page - 1) * PAGE: page * PAGE]:
        concern = entry.concern
        lines.append(words.t("staff.queue_line", code=concern.code, residents=entry.residents,
                             area=words.area(concern.area_id), text=short(words.quote(concern.text), 90)))
        buttons.append((Button(f"{concern.code} · {short(words.quote(concern.text), 40)}", ShowConcern(concern.id).payload),))
    paging = []
    if page > 1:
        paging.append(Button(words.t("staff.previous"), QueuePage(meeting.id, page - 1).payload))
    if page < pages:
        paging.append(Button(words.t("staff.next"), QueuePage(meeting.id, page + 1).payload))
    if paging:
        buttons.append(tuple(paging))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


def concern_detail(words: Wording, view: ConcernView, private: bool) -> list[Reply]:
    """One concern; its text as written and the resident's contact only in a private chat with the bot,
    since every member of a group would read them."""
    concern = view.concern
    contact = _contact(words, concern) if private else words.t("staff.contact_in_private")
    lines = [words.t(
        "staff.concern_detail", code=concern.code, status=words.t(f"status.{concern.status}"),
        area=words.area(concern.area_id), topic=words.topic(concern.topic_id), residents=view.residents,
        photos=len(concern.photos), contact=contact, text=concern.text if private else words.quote(concern.text),
        submitted=words.when(concern.submitted_at),
    )]
    if concern.proxy:
        lines.append(words.t("staff.concern_proxy"))
    if view.merged_into_code:
        lines.append(words.t("staff.concern_merged_into", target=view.merged_into_code))
    if view.merged_children:
        lines.append(words.t("staff.concern_children", codes=", ".join(c.code for c in view.merged_children)))
    if concern.reject_reason:
        lines.append(words.t("staff.concern_rejected", reason=concern.reject_reason))
    if view.similar and concern.status == "open":
        lines.append(words.t("staff.duplicates_header"))
        lines.extend(
            words.t(
                "staff.duplicate_line", code=other.code, score=round(score), area=words.area(other.area_id),
                text=short(words.quote(other.text), 100),
            )
            for other, score in view.similar
        )
    buttons: list[tuple[Button, ...]] = []
    if concern.status == "open":
        buttons.append((
            Button(words.t("staff.button_topic"), TopicMenu(concern.id, concern.version).payload),
            Button(words.t("staff.button_area"), AreaMenu(concern.id, concern.version).payload),
        ))
        for other, score in view.similar:
            label = words.t("staff.button_merge", target=other.code, score=round(score))
            buttons.append((Button(label, Merge(concern.id, other.id).payload),))
        lines.append(words.t("staff.concern_commands", code=concern.code))
    return [Reply("\n".join(lines), buttons=tuple(buttons))]


def _contact(words: Wording, concern: Concern) -> str:
    """Name and number for staff (they need them to call back), or "anonymous"."""
    if not (concern.contact_name or concern.contact_phone):
        return words.t("staff.anonymous")
    contact = f"{concern.contact_name or ''} {concern.contact_phone or ''}".strip()
    if concern.contact_phone:
        contact += words.t("staff.verified" if concern.phone_verified else "staff.unverified")
    return contact


def topic_menu(words: Wording, menu: TopicMenu, topics: Sequence[Topic]) -> list[Reply]:
    rows = tuple((Button(t.name, SetTopic(menu.concern_id, menu.version, t.id).payload),) for t in topics)
    return [Reply(words.t("staff.choose_topic", code=words.code(menu.concern_id)), buttons=rows)]


def area_menu(words: Wording, menu: AreaMenu, areas: Sequence[AreaSettings]) -> list[Reply]:
    rows = tuple(
        tuple(Button(a.name, SetArea(menu.concern_id, menu.version, a.id).payload) for a in areas[i:i + AREAS_PER_ROW])
        for i in range(0, len(areas), AREAS_PER_ROW)
    )
    return [Reply(words.t("staff.choose_area", code=words.code(menu.concern_id)), buttons=rows)]


def topic_set(words: Wording, concern: Concern) -> list[Reply]:
    return words.say("staff.topic_set", code=concern.code, topic=words.topic(concern.topic_id))


def area_set(words: Wording, concern: Concern) -> list[Reply]:
    return words.say("staff.area_set", code=concern.code, area=words.area(concern.area_id))


def rejected(words: Wording, concern: Concern) -> list[Reply]:
    return words.say("staff.rejected", code=concern.code)


def merged(words: Wording, source: str, target: str) -> list[Reply]:
    return words.say("staff.merged", code=source, target=target)


def unmerged(words: Wording, concern: Concern) -> list[Reply]:
    return words.say("staff.unmerged", code=concern.code)
