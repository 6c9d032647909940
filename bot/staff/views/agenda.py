"""The agenda as the staff chat shows it: items with their concerns, and buttons to shape it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.messages import Button, Document, Reply
from bot.domain.records import Meeting
from bot.services.agenda import AgendaLine, PossibleDuplicate
from bot.services.exports import ExportedFile
from bot.staff.payloads import Export, Merge, MoveItemUp, ToggleItem
from bot.staff.views.wording import Wording

# The download buttons under the agenda, in the order offices most often want them.
DOWNLOADS = ("docx", "xlsx", "csv")


def agenda(
    words: Wording, meeting: Meeting, lines: Sequence[AgendaLine], duplicates: Sequence[PossibleDuplicate] = ()
) -> list[Reply]:
    if not lines:
        return words.say("staff.agenda_empty", id=meeting.id)
    minutes = sum(line.item.minutes for line in lines if line.item.included)
    text = [words.t("staff.agenda_header", id=meeting.id, title=meeting.title, minutes=minutes)]
    buttons: list[tuple[Button, ...]] = []
    for number, line in enumerate(lines, start=1):
        included = line.item.included
        entry = words.t(
            "staff.agenda_line", mark="✅" if included else "⛔", number=number, title=line.item.title,
            topic=line.topic, residents=line.residents, minutes=line.item.minutes,
            codes=", ".join(c.code for c in line.concerns),
        )
        # The mark alone is easy to misread: an item left out says so in words.
        text.append(entry if included else f"{entry} {words.t('staff.agenda_excluded')}")
        toggle = words.t("staff.button_exclude" if included else "staff.button_include", number=number)
        row = [Button(toggle, ToggleItem(meeting.id, number, include=not included).payload)]
        if number > 1:
            row.append(Button(words.t("staff.button_up", number=number), MoveItemUp(meeting.id, number).payload))
        buttons.append(tuple(row))
    if duplicates:
        # The same measure as the grouping: what it left in two items, staff may merge in one press.
        text.append(words.t("staff.agenda_duplicates"))
        for dup in duplicates:
            text.append(words.t(
                "staff.agenda_duplicate", code=dup.concern.code, item=dup.item, like=dup.like.code,
                like_item=dup.like_item, score=round(dup.score),
            ))
            label = words.t("staff.button_merge", target=dup.like.code, score=round(dup.score))
            buttons.append((Button(f"{dup.concern.code} → {label}", Merge(dup.concern.id, dup.like.id).payload),))
    buttons.append(tuple(Button(f"⬇️ {fmt.upper()}", Export(meeting.id, fmt).payload) for fmt in DOWNLOADS))
    text.append(words.t("staff.agenda_commands"))
    return [Reply("\n".join(text), buttons=tuple(buttons))]


def built(words: Wording, added: int) -> list[Reply]:
    return words.say("staff.agenda_built", count=added) if added else words.say("staff.agenda_nothing_new")


def exported(words: Wording, file: ExportedFile, fmt: str) -> list[Reply]:
    return [Reply(words.t("staff.exported", items=file.items, format=fmt.upper()),
                  document=Document(file.name, file.content))]
