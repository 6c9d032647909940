"""The agenda as the staff chat shows it: items with their concerns, and buttons to shape it."""

from __future__ import annotations

from collections.abc import Sequence

from bot.domain.messages import Button, Document, Reply
from bot.domain.records import Meeting
from bot.services.agenda import AgendaLine
from bot.services.exports import ExportedFile
from bot.staff.payloads import Export, MoveItemUp, ToggleItem
from bot.staff.views.wording import Wording

# The download buttons under the agenda, in the order offices most often want them.
DOWNLOADS = ("docx", "xlsx", "csv")


def agenda(words: Wording, meeting: Meeting, lines: Sequence[AgendaLine]) -> list[Reply]:
    if not lines:
        return words.say("staff.agenda_empty", id=meeting.id)
    minutes = sum(line.item.minutes for line in lines if line.item.included)
    text = [words.t("staff.agenda_header", id=meeting.id, title=meeting.title, minutes=minutes)]
    buttons: list[tuple[Button, ...]] = []
    for number, line in enumerate(lines, start=1):
        included = line.item.included
        text.append(words.t(
            "staff.agenda_line", mark="✅" if included else "⛔", number=number, title=line.item.title,
            topic=line.topic, residents=line.residents, minutes=line.item.minutes,
            codes=", ".join(c.code for c in line.concerns),
        ))
        toggle = words.t("staff.button_exclude" if included else "staff.button_include", number=number)
        row = [Button(toggle, ToggleItem(meeting.id, number, include=not included).payload)]
        if number > 1:
            row.append(Button(words.t("staff.button_up", number=number), MoveItemUp(meeting.id, number).payload))
        buttons.append(tuple(row))
    buttons.append(tuple(Button(f"⬇️ {fmt.upper()}", Export(meeting.id, fmt).payload) for fmt in DOWNLOADS))
    text.append(words.t("staff.agenda_commands"))
    return [Reply("\n".join(text), buttons=tuple(buttons))]


def built(words: Wording, added: int) -> list[Reply]:
    return words.say("staff.agenda_built", count=added) if added else words.say("staff.agenda_nothing_new")


def exported(words: Wording, file: ExportedFile, fmt: str) -> list[Reply]:
    return [Reply(words.t("staff.exported", items=file.items, format=fmt.upper()),
                  document=Document(file.name, file.content))]
