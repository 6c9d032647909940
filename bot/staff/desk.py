"""The staff side in chat: meetings, the queue, triage, merges and the agenda, by command or button.

Every command and every button is checked against the sender's role here, on the server,
whatever the button says; refusals are answered politely and written to the audit log.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bot.clock import Clock, format_local, parse_local
from bot.config import Settings
from bot.documents.agenda import agenda_csv, agenda_docx, agenda_xlsx, export_filename
from bot.documents.records import ExportError
from bot.domain.codes import format_code
from bot.domain.messages import Button, Document, Inbound, InboundKind, Reply
from bot.domain.records import Meeting
from bot.services.agenda import AgendaError, AgendaService
from bot.services.answers import AnswerError, AnswerInput, AnswerService
from bot.services.meetings import MeetingDraft, MeetingError, MeetingService
from bot.services.roles import Role, Roles
from bot.services.triage import TriageError, TriageService
from bot.text import Catalog
from storage.audit import AuditRepository
from storage.db import Database

log = logging.getLogger(__name__)

PAGE = 8
# Commands that belong to staff; everything else in a private chat is the resident dialogue.
STAFF_COMMANDS = frozenset(
    {
        "staffhelp", "meetings", "queue", "c", "concern", "topic", "area", "reject", "merge", "unmerge",
        "agenda", "agenda_build", "agenda_sort", "item", "attach", "detach", "export",
        "meeting_new", "meeting_edit", "meeting_open", "meeting_close", "meeting_announce", "meeting_cancel",
        "answer", "import", "publish", "progress", "followup", "final", "carry", "stats", "results", "retry",
    }
)
ADMIN_COMMANDS = frozenset({"meeting_new", "meeting_edit", "meeting_open", "meeting_close", "meeting_announce", "meeting_cancel"})
_FAILURES = (TriageError, AgendaError, MeetingError, ExportError, AnswerError)

Handler = Callable[[Inbound, list[str]], Awaitable[list[Reply]]]


class StaffDesk:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        meetings: MeetingService,
        triage: TriageService,
        agenda: AgendaService,
        answers: AnswerService,
        catalog: Catalog | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.meetings = meetings
        self.triage = triage
        self.agenda = agenda
        self.answers = answers
        self.catalog = catalog or Catalog.load()
        self.roles = Roles(settings)

    def claims(self, inbound: Inbound) -> bool:
        """Whether an event is for the staff desk rather than the resident dialogue."""
        if inbound.group:
            return inbound.chat_id == self.roles.staff_chat
        if inbound.kind is InboundKind.COMMAND:
            return (inbound.command or "").lower() in STAFF_COMMANDS
        return inbound.kind is InboundKind.BUTTON and (inbound.payload or "").startswith("s:")

    async def handle(self, inbound: Inbound) -> list[Reply]:
        if inbound.kind is InboundKind.COMMAND:
            command = (inbound.command or "").lower()
            if command not in STAFF_COMMANDS:
                return []
            return await self._guarded(inbound, command, inbound.args.split())
        if inbound.kind is InboundKind.BUTTON and (inbound.payload or "").startswith("s:"):
            parts = (inbound.payload or "").split(":")
            return await self._guarded(inbound, f"button:{parts[1] if len(parts) > 1 else ''}", parts[2:])
        if inbound.attachment is not None and inbound.attachment.filename.lower().endswith((".xlsx", ".csv")):
            # The agenda sheet sent back with its answer columns filled in.
            return await self._guarded(inbound, "import", (inbound.text or "").split()[1:])
        return []  # chatter in the staff chat is not for the bot

    # --- the frame ----------------------------------------------------------------------

    async def _guarded(self, inbound: Inbound, action: str, args: list[str]) -> list[Reply]:
        actor = f"{inbound.channel}:{inbound.user_id}"
        # Staff are configured by their Telegram ids: an id on another channel (Zalo) is nobody's.
        roles = self.roles.of(inbound.channel, inbound.user_id)
        needs_admin = action in ADMIN_COMMANDS
        if Role.STAFF not in roles or (needs_admin and Role.ADMIN not in roles):
            await self._audit_refusal(actor, action, args)
            log.info("staff action %s refused for %s", action, actor)
            return [Reply(self.t("staff.forbidden_admin" if needs_admin and Role.STAFF in roles else "staff.forbidden"))]
        handler = self._handlers().get(action)
        if handler is None:
            return [Reply(self.t("staff.unknown_button"))]
        try:
            return await handler(inbound, args)
        except _FAILURES as error:
            # The refusal's own sentence, in Vietnamese like the rest of the staff chat.
            return [Reply(self.t("staff.failed", reason=error.render(self.catalog, "vi")))]
        except (ValueError, IndexError):
            log.info("malformed staff %s from %s", action, actor)
            return [Reply(self.t("staff.bad_arguments"))]

    def _handlers(self) -> dict[str, Handler]:
        return {
            "staffhelp": self.help,
            "meetings": self.list_meetings,
            "queue": self.queue,
            "button:q": self.queue,
            "c": self.concern,
            "concern": self.concern,
            "button:c": self.concern_by_id,
            "topic": self.set_topic,
            "area": self.set_area,
            "button:tm": self.topic_menu,
            "button:st": self.set_topic_button,
            "button:am": self.area_menu,
            "button:sa": self.set_area_button,
            "reject": self.reject,
            "merge": self.merge,
            "button:mg": self.merge_button,
            "unmerge": self.unmerge,
            "agenda": self.show_agenda,
            "button:ag": self.show_agenda,
            "agenda_build": self.build_agenda,
            "agenda_sort": self.sort_agenda,
            "item": self.edit_item,
            "button:ai": self.toggle_item,
            "button:au": self.move_item_up,
            "attach": self.attach,
            "detach": self.detach,
            "export": self.export,
            "button:ex": self.export,
            "meeting_new": self.meeting_new,
            "meeting_edit": self.meeting_edit,
            "meeting_open": self.meeting_open,
            "meeting_close": self.meeting_close,
            "meeting_announce": self.meeting_announce,
            "meeting_cancel": self.meeting_cancel,
            "answer": self.answer,
            "import": self.import_answers,
            "publish": self.publish,
            "progress": self.progress,
            "followup": self.followup,
            "final": self.final,
            "carry": self.carry,
            "stats": self.stats,
            "results": self.results,
            "retry": self.retry,
        }

    def t(self, key: str, **values: object) -> str:
        return self.catalog.t("vi", key, **values)

    async def _audit_refusal(self, actor: str, action: str, args: list[str]) -> None:
        async with self.database.transaction() as connection:
            await AuditRepository(connection).record(
                actor=actor, action=action, subject="staff", now=self.clock.now(),
                after={"args": args[:6]}, outcome="forbidden",
            )

    async def _meeting(self, args: list[str], position: int = 0) -> Meeting:
        """The meeting named by args[position], or the one meeting being prepared."""
        return await self.meetings.current(_named(args, position))

    async def _held(self, args: list[str], position: int = 0) -> Meeting:
        """The meeting named by args[position], or the latest one held: what answers are about."""
        return await self.meetings.latest_held(_named(args, position))

    def _parse_time(self, raw: str) -> datetime:
        try:
            return parse_local(raw, self.settings.zone)
        except ValueError:
            raise MeetingError("refusal.bad_time", value=raw.strip()) from None

    def _when(self, instant: datetime) -> str:
        return format_local(instant, self.settings.zone)

    # --- meetings -----------------------------------------------------------------------

    async def help(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        return [Reply(self.t("staff.help"))]

    async def list_meetings(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meetings = await self.meetings.list()
        if not meetings:
            return [Reply(self.t("staff.meetings_none"))]
        now = self.clock.now()
        lines = [self.t("staff.meetings_header")]
        buttons = []
        for meeting in meetings:
            counts = await self.meetings.count_concerns(meeting.id)
            lines.append(
                self.t(
                    "staff.meeting_line", id=meeting.id, title=meeting.title, when=self._when(meeting.starts_at),
                    phase=self.t(f"phase.{meeting.phase(now)}"), count=counts.get("open", 0),
                )
            )
            if meeting.phase(now) not in ("cancelled", "published"):
                buttons.append((
                    Button(self.t("staff.button_queue", id=meeting.id), f"s:q:{meeting.id}:1"),
                    Button(self.t("staff.button_agenda", id=meeting.id), f"s:ag:{meeting.id}"),
                ))
        return [Reply("\n".join(lines), buttons=tuple(buttons))]

    async def meeting_new(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        # /meeting_new dd/mm/yyyy HH:MM | place | title
        parts = [p.strip() for p in " ".join(args).split("|")]
        if len(parts) != 3 or not all(parts):
            return [Reply(self.t("staff.meeting_new_usage"))]
        starts = self._parse_time(parts[0])
        created = await self.meetings.create(
            MeetingDraft(title=parts[2], starts_at=starts, place=parts[1]), actor=f"{inbound.channel}:{inbound.user_id}"
        )
        replies = [Reply(self.t("staff.meeting_created", id=created.meeting.id, title=created.meeting.title,
                                when=self._when(created.meeting.starts_at), closes=self._when(created.meeting.intake_closes_at)))]
        if created.warnings:
            replies.append(Reply(self.t("staff.short_notice")))
        return replies

    async def meeting_edit(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        # /meeting_edit ID field value…
        if len(args) < 3 or not args[0].isdecimal():
            return [Reply(self.t("staff.meeting_edit_usage"))]
        field, raw = args[1].lower(), " ".join(args[2:])
        fields = {"title": "title", "place": "place", "format": "format", "starts": "starts_at",
                  "opens": "intake_opens_at", "closes": "intake_closes_at", "area": "area_id"}
        if field not in fields:
            return [Reply(self.t("staff.meeting_edit_usage"))]
        value: object = self._parse_time(raw) if field in ("starts", "opens", "closes") else raw
        edited = await self.meetings.edit(int(args[0]), f"{inbound.channel}:{inbound.user_id}", **{fields[field]: value})
        replies = [Reply(self.t("staff.meeting_edited", id=edited.meeting.id))]
        if edited.warnings:
            replies.append(Reply(self.t("staff.short_notice")))
        return replies

    async def meeting_open(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self.meetings.open_intake(int(args[0]), f"{inbound.channel}:{inbound.user_id}")
        return [Reply(self.t("staff.intake_opened", id=meeting.id, closes=self._when(meeting.intake_closes_at)))]

    async def meeting_close(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self.meetings.close_intake(int(args[0]), f"{inbound.channel}:{inbound.user_id}")
        return [Reply(self.t("staff.intake_closed", id=meeting.id))]

    async def meeting_announce(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        created = await self.meetings.announce(int(args[0]), f"{inbound.channel}:{inbound.user_id}")
        replies = [Reply(self.t("staff.meeting_announced", id=created.meeting.id))]
        if created.warnings:
            replies.append(Reply(self.t("staff.short_notice")))
        return replies

    async def meeting_cancel(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self.meetings.cancel(int(args[0]), f"{inbound.channel}:{inbound.user_id}", " ".join(args[1:]))
        return [Reply(self.t("staff.meeting_cancelled", id=meeting.id))]

    # --- queue and concerns -------------------------------------------------------------

    async def queue(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._meeting(args)
        page = int(args[1]) if len(args) > 1 and args[1].isdecimal() else 1
        queue = await self.triage.queue(meeting.id)
        topics = ", ".join(f"{self._topic(t)}: {n}" for t, n in queue.by_topic) or "—"
        areas = ", ".join(f"{self._area(a)}: {n}" for a, n in queue.by_area) or "—"
        pages = max(1, -(-len(queue.entries) // PAGE))
        page = min(max(page, 1), pages)
        shown = queue.entries[(page - 1) * PAGE: page * PAGE]
        lines = [self.t("staff.queue_header", id=meeting.id, title=meeting.title, count=len(queue.entries),
                        page=page, pages=pages, topics=topics, areas=areas)]
        buttons: list[tuple[Button, ...]] = []
        for entry in shown:
            concern = entry.concern
            lines.append(self.t("staff.queue_line", code=concern.code, residents=entry.residents,
                                area=self._area(concern.area_id), text=_short(concern.text, 90)))
            buttons.append((Button(f"{concern.code} · {_short(concern.text, 40)}", f"s:c:{concern.id}"),))
        paging = []
        if page > 1:
            paging.append(Button(self.t("staff.previous"), f"s:q:{meeting.id}:{page - 1}"))
        if page < pages:
            paging.append(Button(self.t("staff.next"), f"s:q:{meeting.id}:{page + 1}"))
        if paging:
            buttons.append(tuple(paging))
        return [Reply("\n".join(lines), buttons=tuple(buttons))]

    async def concern(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        return await self._concern_reply(args[0])

    async def concern_by_id(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        return await self._concern_reply(self._code(int(args[0])))

    async def _concern_reply(self, code: str) -> list[Reply]:
        view = await self.triage.view(code)
        concern = view.concern
        contact = self.t("staff.anonymous")
        if concern.contact_name or concern.contact_phone:
            contact = f"{concern.contact_name or ''} {concern.contact_phone or ''}".strip()
            if concern.contact_phone:
                contact += self.t("staff.verified" if concern.phone_verified else "staff.unverified")
        lines = [
            self.t(
                "staff.concern_detail", code=concern.code, status=self.t(f"status.{concern.status}"),
                area=self._area(concern.area_id), topic=self._topic(concern.topic_id), residents=view.residents,
                photos=len(concern.photos), contact=contact, text=concern.text,
                submitted=self._when(concern.submitted_at),
            )
        ]
        if concern.proxy:
            lines.append(self.t("staff.concern_proxy"))
        if view.merged_into_code:
            lines.append(self.t("staff.concern_merged_into", target=view.merged_into_code))
        if view.merged_children:
            lines.append(self.t("staff.concern_children", codes=", ".join(c.code for c in view.merged_children)))
        if concern.reject_reason:
            lines.append(self.t("staff.concern_rejected", reason=concern.reject_reason))
        buttons: list[tuple[Button, ...]] = []
        if concern.status == "open":
            buttons.append((
                Button(self.t("staff.button_topic"), f"s:tm:{concern.id}:{concern.version}"),
                Button(self.t("staff.button_area"), f"s:am:{concern.id}:{concern.version}"),
            ))
            for other, score in view.similar:
                buttons.append((Button(self.t("staff.button_merge", target=other.code, score=round(score)), f"s:mg:{concern.id}:{other.id}"),))
            lines.append(self.t("staff.concern_commands", code=concern.code))
        return [Reply("\n".join(lines), buttons=tuple(buttons))]

    async def topic_menu(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern_id, version = int(args[0]), int(args[1])
        rows = tuple((Button(t.name, f"s:st:{concern_id}:{version}:{t.id}"),) for t in self.triage.topics.all())
        return [Reply(self.t("staff.choose_topic", code=self._code(concern_id)), buttons=rows)]

    async def area_menu(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern_id, version = int(args[0]), int(args[1])
        areas = [a for a in self.settings.areas]
        rows = tuple(
            tuple(Button(a.name, f"s:sa:{concern_id}:{version}:{a.id}") for a in areas[i:i + 2])
            for i in range(0, len(areas), 2)
        )
        return [Reply(self.t("staff.choose_area", code=self._code(concern_id)), buttons=rows)]

    async def set_topic_button(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern = await self.triage.set_topic(self._code(int(args[0])), args[2], self._actor(inbound), int(args[1]))
        return [Reply(self.t("staff.topic_set", code=concern.code, topic=self._topic(concern.topic_id)))]

    async def set_area_button(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern = await self.triage.set_area(self._code(int(args[0])), args[2], self._actor(inbound), int(args[1]))
        return [Reply(self.t("staff.area_set", code=concern.code, area=self._area(concern.area_id)))]

    async def set_topic(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern = await self.triage.set_topic(args[0], args[1], self._actor(inbound))
        return [Reply(self.t("staff.topic_set", code=concern.code, topic=self._topic(concern.topic_id)))]

    async def set_area(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern = await self.triage.set_area(args[0], args[1], self._actor(inbound))
        return [Reply(self.t("staff.area_set", code=concern.code, area=self._area(concern.area_id)))]

    async def reject(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        if len(args) < 2:
            return [Reply(self.t("staff.reject_usage"))]
        concern = await self.triage.reject(args[0], " ".join(args[1:]), self._actor(inbound))
        return [Reply(self.t("staff.rejected", code=concern.code))]

    async def merge(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        if len(args) != 2:
            return [Reply(self.t("staff.merge_usage"))]
        merged = await self.triage.merge(args[0], args[1], self._actor(inbound))
        return [Reply(self.t("staff.merged", code=merged.code, target=args[1].upper()))]

    async def merge_button(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        source, target = self._code(int(args[0])), self._code(int(args[1]))
        await self.triage.merge(source, target, self._actor(inbound))
        return [Reply(self.t("staff.merged", code=source, target=target))]

    async def unmerge(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        concern = await self.triage.unmerge(args[0], self._actor(inbound))
        return [Reply(self.t("staff.unmerged", code=concern.code))]

    # --- agenda -------------------------------------------------------------------------

    async def build_agenda(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._meeting(args)
        added = await self.agenda.build(meeting.id, self._actor(inbound))
        if not added:
            return [Reply(self.t("staff.agenda_nothing_new"))] + await self._agenda_reply(meeting)
        return [Reply(self.t("staff.agenda_built", count=added))] + await self._agenda_reply(meeting)

    async def sort_agenda(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._meeting(args)
        await self.agenda.sort(meeting.id, self._actor(inbound))
        return await self._agenda_reply(meeting)

    async def show_agenda(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        return await self._agenda_reply(await self._meeting(args))

    async def _agenda_reply(self, meeting: Meeting) -> list[Reply]:
        lines = await self.agenda.lines(meeting.id)
        if not lines:
            return [Reply(self.t("staff.agenda_empty", id=meeting.id))]
        text = [self.t("staff.agenda_header", id=meeting.id, title=meeting.title,
                       minutes=sum(line.item.minutes for line in lines if line.item.included))]
        buttons: list[tuple[Button, ...]] = []
        for number, line in enumerate(lines, start=1):
            mark = "✅" if line.item.included else "⛔"
            text.append(self.t("staff.agenda_line", mark=mark, number=number, title=line.item.title,
                               topic=line.topic, residents=line.residents, minutes=line.item.minutes,
                               codes=", ".join(c.code for c in line.concerns)))
            toggle = self.t("staff.button_exclude" if line.item.included else "staff.button_include", number=number)
            row = [Button(toggle, f"s:ai:{meeting.id}:{number}:{0 if line.item.included else 1}")]
            if number > 1:
                row.append(Button(self.t("staff.button_up", number=number), f"s:au:{meeting.id}:{number}"))
            buttons.append(tuple(row))
        buttons.append(tuple(Button(f"⬇️ {fmt.upper()}", f"s:ex:{meeting.id}:{fmt}") for fmt in ("docx", "xlsx", "csv")))
        text.append(self.t("staff.agenda_commands"))
        return [Reply("\n".join(text), buttons=tuple(buttons))]

    async def toggle_item(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self.meetings.get_or_fail(int(args[0]))
        await self.agenda.set_included(meeting.id, int(args[1]), args[2] == "1", self._actor(inbound))
        return await self._agenda_reply(meeting)

    async def move_item_up(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self.meetings.get_or_fail(int(args[0]))
        number = int(args[1])
        await self.agenda.move(meeting.id, number, number - 1, self._actor(inbound))
        return await self._agenda_reply(meeting)

    async def edit_item(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        # /item N minutes M | /item N title … | /item N in | /item N out | /item N move P   (meeting: the current one)
        if len(args) < 2 or not args[0].isdecimal():
            return [Reply(self.t("staff.item_usage"))]
        meeting = await self._meeting([])
        number, what, rest = int(args[0]), args[1].lower(), args[2:]
        actor = self._actor(inbound)
        if what == "minutes" and rest:
            await self.agenda.set_minutes(meeting.id, number, int(rest[0]), actor)
        elif what == "title" and rest:
            await self.agenda.rename(meeting.id, number, " ".join(rest), actor)
        elif what in ("in", "out"):
            await self.agenda.set_included(meeting.id, number, what == "in", actor)
        elif what == "move" and rest:
            await self.agenda.move(meeting.id, number, int(rest[0]), actor)
        else:
            return [Reply(self.t("staff.item_usage"))]
        return await self._agenda_reply(meeting)

    async def attach(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._meeting([])
        await self.agenda.attach(args[0], meeting.id, int(args[1]), self._actor(inbound))
        return await self._agenda_reply(meeting)

    async def detach(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._meeting([])
        await self.agenda.detach(args[0], self._actor(inbound))
        return await self._agenda_reply(meeting)

    async def export(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        # /export docx [meeting]  or the button s:ex:<meeting>:<format>
        if inbound.kind is InboundKind.BUTTON:
            meeting, fmt = await self.meetings.get_or_fail(int(args[0])), args[1]
        else:
            fmt = (args[0] if args else "docx").lower()
            meeting = await self._meeting(args, 1)
        render = {"docx": agenda_docx, "xlsx": agenda_xlsx, "csv": agenda_csv}.get(fmt)
        if render is None:
            return [Reply(self.t("staff.export_usage"))]
        document = await self.agenda.document(meeting.id)
        content = render(document)
        async with self.database.transaction() as connection:
            await AuditRepository(connection).record(
                actor=self._actor(inbound), action=f"agenda.export.{fmt}", subject=f"meeting:{meeting.id}",
                now=self.clock.now(), after={"items": len(document.entries)},
            )
        return [Reply(self.t("staff.exported", items=len(document.entries), format=fmt.upper()),
                      document=Document(export_filename(document, fmt), content))]

    # --- answers ------------------------------------------------------------------------

    async def answer(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        # /answer TT-0012 answered Chủ tịch UBND phường | answer…
        # /answer item 3 forwarded Chủ tịch UBND phường | Công ty Thoát nước | 31/12/2026 | answer…
        text = " ".join(args)
        head, _, rest = text.partition(" ")
        item = None
        if head.lower() == "item":
            number, _, rest = rest.partition(" ")
            item = int(number)
        disposition, _, rest = rest.strip().partition(" ")
        parts = [p.strip() for p in rest.split("|")]
        if disposition == "forwarded" and len(parts) == 4:
            by, agency, due, answer = parts
            given = AnswerInput(disposition, answer, by, agency, self._parse_time(due).astimezone(self.settings.zone).date())
        elif disposition != "forwarded" and len(parts) == 2:
            given = AnswerInput(disposition, parts[1], parts[0])
        else:
            return [Reply(self.t("staff.answer_usage"))]
        actor = self._actor(inbound)
        if item is not None:
            meeting = await self._held([])
            done = await self.answers.record_item(meeting.id, item, given, actor)
        else:
            done = [await self.answers.record(head, given, actor)]
        return [Reply(self.t("staff.answer_recorded", codes=", ".join(c.code for c in done)))]

    async def import_answers(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        if inbound.attachment is None:
            return [Reply(self.t("staff.import_usage"))]
        meeting = await self._held(args)
        report = await self.answers.import_sheet(meeting.id, inbound.attachment.filename, inbound.attachment.content,
                                                 self._actor(inbound))
        if report.problems:
            shown = "\n".join(f"• {p.render(self.catalog, 'vi')}" for p in report.problems[:30])
            return [Reply(self.t("staff.import_refused", count=len(report.problems), problems=shown))]
        return [Reply(self.t("staff.imported", applied=report.applied, unchanged=report.unchanged, id=meeting.id))]

    async def publish(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._held(args)
        report = await self.answers.publish(meeting.id, self._actor(inbound))
        replies = [Reply(self.t("staff.published", id=meeting.id, queued=report.queued, concerns=report.concerns))]
        if report.unanswered:
            replies.append(Reply(self.t("staff.unanswered", codes=", ".join(report.unanswered[:40]), count=len(report.unanswered))))
        return replies

    async def progress(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting = await self._held(args)
        counts = await self.answers.progress(meeting.id)
        replies = [Reply(self.t("staff.progress", id=meeting.id, sent=counts.get("sent", 0),
                                pending=counts.get("pending", 0) + counts.get("sending", 0),
                                undeliverable=counts.get("undeliverable", 0), failed=counts.get("failed", 0)))]
        if counts.get("held", 0):
            replies.append(Reply(self.t("staff.progress_held", held=counts["held"])))
        return replies

    async def followup(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        items = await self.answers.follow_ups()
        if not items:
            return [Reply(self.t("staff.followup_none"))]
        lines = [self.t("staff.followup_header", count=len(items))]
        for entry in items:
            due = entry.answer.due_date.strftime("%d/%m/%Y") if entry.answer.due_date else "—"
            lines.append(self.t("staff.followup_overdue" if entry.overdue else "staff.followup_line",
                                code=entry.concern.code, agency=entry.answer.agency, due=due,
                                text=_short(entry.concern.text, 70)))
        return [Reply("\n".join(lines))]

    async def final(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        if len(args) < 2:
            return [Reply(self.t("staff.final_usage"))]
        concern = await self.answers.finalise(args[0], " ".join(args[1:]), self._actor(inbound))
        return [Reply(self.t("staff.finalised", code=concern.code))]

    async def carry(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        if not args:
            return [Reply(self.t("staff.carry_usage"))]
        target = int(args[1]) if len(args) > 1 and args[1].isdecimal() else None
        carried = await self.answers.carry_over(args[0], self._actor(inbound), target)
        return [Reply(self.t("staff.carried", code=args[0].upper(), new=carried.code, id=carried.meeting_id))]

    async def stats(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        meeting_id = int(args[0]) if args and args[0].isdecimal() else None
        stats = await self.answers.stats(meeting_id)
        rate = "—" if stats.on_time_rate is None else f"{stats.on_time_rate:.0%}"
        return [Reply(self.t(
            "staff.stats", concerns=stats.concerns, residents=stats.residents,
            topics=", ".join(f"{self._topic(t)}: {n}" for t, n in stats.by_topic) or "—",
            areas=", ".join(f"{self._area(a)}: {n}" for a, n in stats.by_area) or "—",
            dispositions=", ".join(f"{self.t('disposition.' + d)}: {n}" for d, n in stats.by_disposition) or "—",
            forwarded=stats.forwarded, on_time=stats.forwarded_on_time, late=stats.forwarded_late,
            open=stats.forwarded_open, overdue=stats.forwarded_overdue, rate=rate,
            satisfied=stats.satisfied, unsatisfied=stats.unsatisfied,
        ))]

    async def results(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        fmt = (args[0] if args else "docx").lower()
        meeting = await self._held(args, 1)
        filename, content = await self.answers.export_results(meeting.id, fmt, self._actor(inbound))
        return [Reply(self.t("staff.results_exported", id=meeting.id), document=Document(filename, content))]

    async def retry(self, inbound: Inbound, args: list[str]) -> list[Reply]:
        count = await self.answers.retry_failed(self._actor(inbound))
        return [Reply(self.t("staff.retried", count=count))]

    # --- helpers ------------------------------------------------------------------------

    def _actor(self, inbound: Inbound) -> str:
        return f"{inbound.channel}:{inbound.user_id}"

    def _code(self, concern_id: int) -> str:
        return format_code(self.settings.unit.code_prefix, concern_id)

    def _topic(self, topic_id: str) -> str:
        topic = self.triage.topics.get(topic_id)
        return topic.name if topic else topic_id

    def _area(self, area_id: str) -> str:
        area = self.triage.areas.get(area_id)
        return area.name if area else area_id


def _named(args: list[str], position: int) -> int | None:
    return int(args[position]) if len(args) > position and args[position].isdecimal() else None


def _short(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"
