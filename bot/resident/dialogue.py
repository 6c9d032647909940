"""The resident dialogue: one `Inbound` in, the conversation moved on, `Reply`s out.

Each event is handled inside one database transaction: the resident, the event's dedupe
mark, the conversation state and any submitted concern are written together, so a crash
at any point leaves either the whole step or nothing. Button payloads are never trusted:
step buttons carry the conversation's version and are checked against what the current
step offers; global buttons re-check ownership and deadlines.
"""

from __future__ import annotations

import json
import logging
import re
import uuid
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime

import aiosqlite

from bot.clock import Clock, format_local
from bot.config import LANGUAGES, Settings
from bot.domain.areas import AreaTree, TopicList
from bot.domain.codes import normalise_code
from bot.domain.messages import Button, Document, Inbound, InboundKind, Reply
from bot.domain.records import Concern, Meeting, NewConcern, Resident
from bot.domain.similar import find_similar
from bot.domain.textnorm import clean, fold, letter_count
from bot.outbox.dispatcher import decode_body, encode_body
from bot.services.flood import FloodGuard
from bot.services.roles import Roles
from bot.text import Catalog
from storage.agenda import AgendaRepository
from storage.answers import AnswerRepository, SatisfactionRepository
from storage.concerns import ConcernRepository
from storage.conversations import ConversationRepository
from storage.db import Database
from storage.meetings import MeetingRepository
from storage.residents import ResidentRepository
from storage.subscriptions import SubscriptionRepository

log = logging.getLogger(__name__)

CONTACT_PURPOSE = "contact"
_PHONE = re.compile(r"^(?:\+?84|0)(\d{9,10})$")


@dataclass
class Draft:
    key: str
    meeting_id: int | None = None
    meeting_area: str | None = None
    area_node: str | None = None
    area_id: str | None = None
    topic_id: str | None = None
    text: str | None = None
    photos: list[str] = field(default_factory=list)
    latitude: float | None = None
    longitude: float | None = None
    contact_name: str | None = None
    contact_phone: str | None = None
    phone_verified: bool = False
    # Back from the summary to rewrite the text: the other answers stay.
    editing: bool = False
    # A head of a residential group submitting for a resident without a smartphone.
    proxy: bool = False


@dataclass
class Conversation:
    step: str = "idle"
    version: int = 0
    draft: Draft | None = None
    # The buttons of the last prompt, so a typed label or its number works like a press.
    choices: list[list[str]] = field(default_factory=list)
    delete_pending: bool = False
    withdraw_pending: int | None = None
    # A concern the resident said they were not satisfied with: the next text is their comment.
    comment_pending: int | None = None
    # What the last event produced, sent again if the channel delivers that event twice.
    last_event: str | None = None
    last_replies: list[str] = field(default_factory=list)

    def to_json(self) -> str:
        return json.dumps(asdict(self), ensure_ascii=False)

    @classmethod
    def from_json(cls, raw: str | None) -> Conversation:
        if not raw:
            return cls()
        data = json.loads(raw)
        draft = data.pop("draft", None)
        return cls(draft=Draft(**draft) if draft else None, **data)


FLOW_STEPS = (
    "meeting", "area", "topic", "text", "photos", "location", "contact", "phone", "proxy_name", "proxy_phone", "confirm"
)


class Intake:
    def __init__(
        self,
        settings: Settings,
        database: Database,
        clock: Clock,
        catalog: Catalog | None = None,
    ) -> None:
        self.settings = settings
        self.database = database
        self.clock = clock
        self.catalog = catalog or Catalog.load()
        self.areas = AreaTree(settings)
        self.topics = TopicList(settings)
        self.flood = FloodGuard(settings.limits.messages_per_minute)
        self.roles = Roles(settings)

    async def handle(self, inbound: Inbound) -> list[Reply]:
        now = self.clock.now()
        inbound = _cleaned(inbound)
        verdict = self.flood.check(f"{inbound.channel}:{inbound.user_id}", now)
        if verdict == "drop":
            return []
        async with self.database.transaction() as connection:
            turn = await _Turn.begin(self, connection, inbound, now)
            if verdict == "warn":
                replies = [Reply(turn.t("flood"))]
            else:
                replies = await turn.run()
            await turn.finish(replies)
        return replies


class _Turn:
    """Everything about handling one event; lives for one transaction."""

    def __init__(
        self,
        intake: Intake,
        connection: aiosqlite.Connection,
        inbound: Inbound,
        resident: Resident,
        state: Conversation,
        now: datetime,
    ) -> None:
        self.intake = intake
        self.settings = intake.settings
        self.inbound = inbound
        self.resident = resident
        self.state = state
        self.now = now
        self.language = resident.language
        self.residents = ResidentRepository(connection)
        self.meetings = MeetingRepository(connection)
        self.concerns = ConcernRepository(connection)
        self.conversations = ConversationRepository(connection)
        self.subscriptions = SubscriptionRepository(connection)
        self.answers = AnswerRepository(connection)
        self.agenda = AgendaRepository(connection)
        self.satisfaction = SatisfactionRepository(connection)
        self.duplicate = False

    @classmethod
    async def begin(cls, intake: Intake, connection: aiosqlite.Connection, inbound: Inbound, now: datetime) -> _Turn:
        residents = ResidentRepository(connection)
        resident = await residents.get_or_create(
            inbound.channel, inbound.user_id, intake.settings.unit.default_language, now
        )
        raw = await ConversationRepository(connection).load(resident.id)
        try:
            state = Conversation.from_json(raw)
        except (ValueError, TypeError, KeyError):
            log.warning("conversation state of resident %s unreadable; starting over", resident.id)
            state = Conversation()
        return cls(intake, connection, inbound, resident, state, now)

    # --- the frame -------------------------------------------------------------------

    async def run(self) -> list[Reply]:
        event = self.inbound.event_id
        if event is not None:
            if event == self.state.last_event:
                self.duplicate = True
                return [decode_body(r) for r in self.state.last_replies]
            if not await self.conversations.mark_processed(self.inbound.channel, event, self.now):
                self.duplicate = True
                return []
        kind = self.inbound.kind
        if kind is InboundKind.COMMAND:
            return await self.on_command(self.inbound.command or "", self.inbound.args)
        if kind is InboundKind.BUTTON:
            return await self.on_payload(self.inbound.payload or "")
        if kind is InboundKind.TEXT:
            chosen = self.match_choice(self.inbound.text or "")
            if chosen is not None:
                return await self.on_payload(chosen)
        return await self.on_input()

    async def finish(self, replies: list[Reply]) -> None:
        if not self.duplicate and self.inbound.event_id is not None:
            self.state.last_event = self.inbound.event_id
            # A file is not kept for sending again: the resident can ask for it anew.
            self.state.last_replies = [encode_body(r) for r in replies if r.document is None]
        prompts = [r for r in replies if r.buttons]
        if prompts:
            self.state.choices = [[b.label, b.payload] for b in prompts[-1].all_buttons()]
        await self.conversations.save(self.resident.id, self.state.to_json(), self.now)

    def t(self, key: str, **values: object) -> str:
        return self.intake.catalog.t(self.language, key, **values)

    def match_choice(self, text: str) -> str | None:
        typed = fold(text)
        if not typed or not self.state.choices:
            return None
        if typed.isdecimal():
            index = int(typed) - 1
            return self.state.choices[index][1] if 0 <= index < len(self.state.choices) else None
        for label, payload in self.state.choices:
            if fold(label) == typed:
                return payload
        return None

    @property
    def in_flow(self) -> bool:
        return self.state.step in FLOW_STEPS and self.state.draft is not None

    def advance(self, step: str) -> None:
        self.state.step = step
        self.state.version += 1

    def step_button(self, label: str, action: str, arg: str = "") -> Button:
        return Button(label, f"{self.state.version}:{action}:{arg}")

    # --- commands ----------------------------------------------------------------------

    async def on_command(self, command: str, args: str) -> list[Reply]:
        handlers = {
            "start": self.cmd_start,
            "help": self.cmd_help,
            "new": self.cmd_new,
            "cancel": self.cmd_cancel,
            "my": self.cmd_my,
            "status": self.cmd_status,
            "withdraw": self.cmd_withdraw,
            "privacy": self.cmd_privacy,
            "delete": self.cmd_delete,
            "language": self.cmd_language,
            "lang": self.cmd_language,
            "unsubscribe": self.cmd_unsubscribe,
            "proxy": self.cmd_proxy,
            "mydata": self.cmd_mydata,
        }
        handler = handlers.get(command.lower())
        if handler is None:
            return [Reply(self.t("command.unknown", command=command))] + await self.resume()
        return await handler(args)

    async def cmd_start(self, args: str) -> list[Reply]:
        if self.in_flow:
            return [Reply(self.t("start.again"))] + await self.resume()
        if await self.residents.latest_consent(self.resident.id, CONTACT_PURPOSE) is None:
            self.advance("consent")
            return [Reply(self.t("start.greeting", unit=self.settings.unit.name)), self.consent_prompt()]
        return [Reply(self.t("start.greeting", unit=self.settings.unit.name)), self.menu()]

    async def cmd_help(self, args: str) -> list[Reply]:
        return [Reply(self.t("help"))] + await self.resume()

    async def cmd_new(self, args: str) -> list[Reply]:
        if self.in_flow:
            return [Reply(self.t("new.busy"))] + await self.resume()
        return await self.start_draft()

    async def cmd_proxy(self, args: str) -> list[Reply]:
        if not self.is_head:
            return [Reply(self.t("proxy.not_head"))] + await self.resume()
        if self.in_flow:
            return [Reply(self.t("new.busy"))] + await self.resume()
        return await self.start_draft(proxy=True)

    @property
    def is_head(self) -> bool:
        return bool(self.intake.roles.head_areas(self.inbound.channel, self.inbound.user_id))

    async def cmd_cancel(self, args: str) -> list[Reply]:
        busy = self.in_flow or self.state.step == "consent" or self.state.delete_pending or self.state.withdraw_pending
        self.state.draft = None
        self.state.delete_pending = False
        self.state.withdraw_pending = None
        self.advance("idle")
        return [Reply(self.t("cancel.done" if busy else "cancel.nothing"), remove_keyboard=True), self.menu()]

    async def cmd_my(self, args: str) -> list[Reply]:
        followed = await self.concerns.followed_by(self.resident.id)
        if not followed:
            return [Reply(self.t("my.empty"))] + await self.resume()
        lines = [self.t("my.header", count=len(followed))]
        buttons: list[tuple[Button, ...]] = []
        meetings: dict[int, Meeting | None] = {}
        for item in followed[:20]:
            concern = item.concern
            lines.append(
                self.t(
                    "my.line",
                    code=concern.code,
                    status=await self.status_label(concern),
                    role=self.t(f"role.{item.role}"),
                    text=_shorten(concern.text, 80),
                )
            )
            if concern.meeting_id not in meetings:
                meetings[concern.meeting_id] = await self.meetings.get(concern.meeting_id)
            if item.role == "author" and self.can_withdraw(concern, meetings[concern.meeting_id]):
                buttons.append((Button(self.t("my.withdraw_button", code=concern.code), f"g:wd:{concern.id}"),))
        if len(followed) > 20:
            lines.append(self.t("my.more", count=len(followed) - 20))
        return [Reply("\n".join(lines), buttons=tuple(buttons))] + await self.resume()

    async def status_label(self, concern: Concern) -> str:
        """Where a concern stands, answers included (a merged concern shows its survivor's)."""
        chain = await self.concerns.ancestors(concern.id)
        answer = await self.answers.get(chain[-1] if chain else concern.id)
        if answer is None or concern.status not in ("open", "merged"):
            return self.t(f"status.{concern.status}")
        if answer.awaiting_agency:
            due = answer.due_date.strftime("%d/%m/%Y") if answer.due_date else ""
            return self.t("status.forwarded", agency=answer.agency, due=due)
        return self.t("status.answered")

    async def answer_lines(self, concern: Concern) -> str:
        chain = await self.concerns.ancestors(concern.id)
        answer = await self.answers.get(chain[-1] if chain else concern.id)
        if answer is None:
            return ""
        text = "\n" + self.t("status.answer", disposition=self.t(f"disposition.{answer.disposition}"),
                              answer=answer.answer, by=answer.answered_by)
        if answer.final_answer:
            text += "\n" + self.t("status.final", agency=answer.agency, answer=answer.final_answer)
        return text

    async def cmd_status(self, args: str) -> list[Reply]:
        code = self.parse_code(args)
        if code is None:
            return [Reply(self.t("status.usage"))] + await self.resume()
        concern = await self.concerns.by_code(code)
        role = None if concern is None else await self.concerns.follower_role(concern.id, self.resident.id)
        if concern is None or role is None:
            return [Reply(self.t("status.not_found", code=code))] + await self.resume()
        meeting = await self.meetings.get(concern.meeting_id)
        assert meeting is not None
        text = self.t(
            "status.detail",
            code=concern.code,
            status=await self.status_label(concern),
            meeting=meeting.title,
            when=format_local(meeting.starts_at, self.settings.zone),
            place=meeting.place,
            area=self.intake.areas.path_label(concern.area_id, self.language),
            topic=self.topic_label(concern.topic_id),
            text=concern.text,
            submitted=format_local(concern.submitted_at, self.settings.zone),
        ) + await self.answer_lines(concern)
        buttons: tuple[tuple[Button, ...], ...] = ()
        if role == "author" and self.can_withdraw(concern, meeting):
            buttons = ((Button(self.t("my.withdraw_button", code=concern.code), f"g:wd:{concern.id}"),),)
        return [Reply(text, buttons=buttons)] + await self.resume()

    async def cmd_withdraw(self, args: str) -> list[Reply]:
        code = self.parse_code(args)
        concern = None if code is None else await self.concerns.by_code(code)
        if concern is None:
            return [Reply(self.t("withdraw.usage"))] + await self.resume()
        return await self.ask_withdraw(concern.id)

    async def cmd_privacy(self, args: str) -> list[Reply]:
        consent = await self.residents.latest_consent(self.resident.id, CONTACT_PURPOSE)
        if consent is None:
            status = self.t("privacy.consent_none")
        elif consent.given:
            status = self.t("privacy.consent_given", at=format_local(consent.at, self.settings.zone), version=consent.text_version)
        else:
            status = self.t("privacy.consent_refused", at=format_local(consent.at, self.settings.zone))
        text = self.t(
            "privacy.text",
            controller=self.settings.privacy.controller,
            contact=self.settings.privacy.contact,
            status=status,
        )
        buttons = (
            (Button(self.t("privacy.delete_button"), "g:del:ask"),),
            (Button(self.t("privacy.consent_button"), "g:consent:yes"),)
            if not (consent and consent.given)
            else (Button(self.t("privacy.withdraw_consent_button"), "g:del:ask"),),
        )
        return [Reply(text, buttons=buttons)] + await self.resume()

    async def cmd_mydata(self, args: str) -> list[Reply]:
        """The right of access: everything stored about this resident, as a file."""
        zone = self.settings.zone
        concerns = []
        for item in await self.concerns.followed_by(self.resident.id):
            concern = item.concern
            concerns.append({
                "code": concern.code,
                "role": item.role,
                "status": concern.status,
                "submitted": format_local(concern.submitted_at, zone),
                "area": self.intake.areas.path_label(concern.area_id, self.language),
                "topic": self.topic_label(concern.topic_id),
                "text": concern.text,
                "name": concern.contact_name if item.role == "author" else None,
                "phone": concern.contact_phone if item.role == "author" else None,
                "location": [concern.latitude, concern.longitude] if concern.latitude is not None else None,
                "photos": len(concern.photos),
            })
        data = {
            "controller": self.settings.privacy.controller,
            "account": {"channel": self.resident.channel, "id": self.resident.channel_user_id,
                        "language": self.resident.language, "since": format_local(self.resident.created_at, zone)},
            "consents": [{"purpose": c.purpose, "version": c.text_version, "given": c.given, "at": format_local(c.at, zone)}
                         for c in await self.residents.consents(self.resident.id)],
            "concerns": concerns,
            "notices_for_areas": await self.subscriptions.areas_of(self.resident.id),
        }
        content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
        return [Reply(self.t("mydata.caption", count=len(concerns)), document=Document("du-lieu-cua-toi.json", content))] + await self.resume()

    async def cmd_delete(self, args: str) -> list[Reply]:
        self.state.delete_pending = True
        return [
            Reply(
                self.t("delete.ask"),
                buttons=((Button(self.t("delete.yes"), "g:del:yes"), Button(self.t("delete.no"), "g:del:no")),),
            )
        ]

    async def cmd_language(self, args: str) -> list[Reply]:
        wanted = args.strip().lower()[:2]
        if wanted in LANGUAGES:
            return await self.set_language(wanted)
        return [
            Reply(
                self.t("language.ask"),
                buttons=((Button("Tiếng Việt", "g:lang:vi"), Button("English", "g:lang:en")),),
            )
        ]

    # --- buttons -----------------------------------------------------------------------

    async def on_payload(self, payload: str) -> list[Reply]:
        parts = payload.split(":", 2)
        if len(parts) != 3 or len(payload) > 64:
            log.info("malformed button payload from resident %s", self.resident.id)
            return [Reply(self.t("button.invalid"))] + await self.resume()
        scope, action, arg = parts
        if scope == "g":
            return await self.on_global(action, arg)
        if not scope.isdecimal() or int(scope) != self.state.version or not self.in_flow and self.state.step != "consent":
            return [Reply(self.t("button.stale"))] + await self.resume()
        handler = {
            "consent": self.on_consent_button,
            "meeting": self.on_meeting_button,
            "area": self.on_area_button,
            "topic": self.on_topic_button,
            "photos": self.on_photos_button,
            "location": self.on_location_button,
            "contact": self.on_contact_button,
            "phone": self.on_phone_button,
            "proxy_name": self.on_no_button,
            "proxy_phone": self.on_proxy_phone_button,
            "confirm": self.on_confirm_button,
        }.get(self.state.step, self.on_no_button)
        replies = await handler(action, arg)
        if replies is None:
            log.info("button %r not offered at step %s (resident %s)", payload, self.state.step, self.resident.id)
            return [Reply(self.t("button.invalid"))] + await self.resume()
        return replies

    async def on_global(self, action: str, arg: str) -> list[Reply]:
        if action == "new":
            return await self.cmd_new("")
        if action == "proxy":
            return await self.cmd_proxy("")
        if action == "my":
            return await self.cmd_my("")
        if action == "help":
            return await self.cmd_help("")
        if action == "lang":
            return await (self.set_language(arg) if arg in LANGUAGES else self.cmd_language(""))
        if action == "wd" and arg.isdecimal():
            return await self.ask_withdraw(int(arg))
        if action == "wdy" and arg.isdecimal():
            return await self.do_withdraw(int(arg))
        if action == "wdn":
            self.state.withdraw_pending = None
            return [Reply(self.t("withdraw.kept"))] + await self.resume()
        if action == "del" and arg == "ask":
            return await self.cmd_delete("")
        if action == "del" and arg == "yes":
            return await self.do_delete()
        if action == "del" and arg == "no":
            self.state.delete_pending = False
            return [Reply(self.t("delete.kept"))] + await self.resume()
        if action == "sub":
            return await self.subscribe(arg)
        if action == "sat":
            concern_id, _, verdict = arg.partition(":")
            if concern_id.isdecimal() and verdict in ("0", "1"):
                return await self.rate(int(concern_id), verdict == "1")
        if action == "satskip":
            self.state.comment_pending = None
            return [Reply(self.t("satisfaction.thanks"))] + await self.resume()
        if action == "consent" and arg == "yes":
            await self.record_consent(True)
            return [Reply(self.t("consent.thanks"))] + await self.resume()
        log.info("unknown global button %s:%s (resident %s)", action, arg, self.resident.id)
        return [Reply(self.t("button.invalid"))] + await self.resume()

    # --- free input (text, photos, contact, location, stickers …) -----------------------

    async def on_input(self) -> list[Reply]:
        handler = {
            "meeting": self.expect_button,
            "area": self.expect_button,
            "topic": self.expect_button,
            "consent": self.expect_button,
            "confirm": self.expect_button,
            "text": self.on_text_step,
            "photos": self.on_photos_input,
            "location": self.on_location_input,
            "contact": self.on_contact_input,
            "phone": self.on_phone_input,
            "proxy_name": self.on_proxy_name,
            "proxy_phone": self.on_proxy_phone,
        }.get(self.state.step if self.in_flow or self.state.step == "consent" else "idle")
        if handler is None:
            return await self.idle_input()
        return await handler()

    async def idle_input(self) -> list[Reply]:
        if self.state.comment_pending is not None and self.inbound.kind is InboundKind.TEXT:
            return await self.take_comment()
        if self.inbound.kind is InboundKind.UNSUPPORTED:
            return [Reply(self.t("idle.unsupported")), self.menu()]
        return [Reply(self.t("idle.hint")), self.menu()]

    async def on_no_button(self, action: str, arg: str) -> list[Reply] | None:
        return None

    async def expect_button(self) -> list[Reply]:
        return [Reply(self.t("input.use_buttons"))] + await self.resume()

    # --- consent ----------------------------------------------------------------------

    def consent_prompt(self) -> Reply:
        return Reply(
            self.consent_text(),
            buttons=(
                (self.step_button(self.t("consent.yes"), "c", "yes"),),
                (self.step_button(self.t("consent.no"), "c", "no"),),
            ),
        )

    def consent_text(self) -> str:
        return self.t(
            "consent.ask",
            controller=self.settings.privacy.controller,
            version=self.settings.privacy.consent_version,
        )

    async def on_consent_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "c" or arg not in ("yes", "no"):
            return None
        await self.record_consent(arg == "yes")
        self.advance("idle")
        return [Reply(self.t("consent.thanks" if arg == "yes" else "consent.declined")), self.menu()]

    async def record_consent(self, given: bool) -> None:
        await self.residents.record_consent(
            self.resident.id,
            CONTACT_PURPOSE,
            self.settings.privacy.consent_version,
            self.consent_text(),
            given,
            self.now,
        )

    async def has_consent(self) -> bool:
        consent = await self.residents.latest_consent(self.resident.id, CONTACT_PURPOSE)
        return consent is not None and consent.given

    # --- the submission flow ------------------------------------------------------------

    async def start_draft(self, proxy: bool = False) -> list[Reply]:
        open_meetings = await self.accepting_meetings()
        if not open_meetings:
            return [Reply(self.t("meeting.none")), self.menu()]
        self.state.draft = Draft(key=uuid.uuid4().hex, proxy=proxy)
        if len(open_meetings) == 1:
            return self.choose_meeting(open_meetings[0])
        self.advance("meeting")
        return [await self.meeting_prompt(open_meetings)]

    async def accepting_meetings(self) -> list[Meeting]:
        return await self.meetings.list_accepting(self.now)

    async def meeting_prompt(self, meetings: list[Meeting] | None = None) -> Reply:
        meetings = meetings if meetings is not None else await self.accepting_meetings()
        rows = tuple(
            (self.step_button(f"{m.title} – {format_local(m.starts_at, self.settings.zone)[:10]}", "m", str(m.id)),)
            for m in meetings
        )
        return Reply(self.t("meeting.ask"), buttons=rows)

    async def on_meeting_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "m" or not arg.isdecimal():
            return None
        meeting = await self.meetings.get(int(arg))
        if meeting is None or not meeting.accepts_concerns_at(self.now):
            return None
        return self.choose_meeting(meeting)

    def choose_meeting(self, meeting: Meeting) -> list[Reply]:
        draft = self.draft
        draft.meeting_id = meeting.id
        draft.meeting_area = meeting.area_id
        draft.area_node = meeting.area_id
        intro = Reply(
            self.t(
                "meeting.chosen",
                title=meeting.title,
                when=format_local(meeting.starts_at, self.settings.zone),
                place=meeting.place,
                closes=format_local(meeting.intake_closes_at, self.settings.zone),
            )
        )
        if draft.proxy:
            areas = self.proxy_areas()
            if not areas:
                self.state.draft = None
                self.advance("idle")
                return [intro, Reply(self.t("proxy.no_area")), self.menu()]
            if len(areas) == 1:
                return [intro] + self.choose_area(areas[0])
        self.advance("area")
        return [intro, self.area_prompt()]

    def proxy_areas(self) -> list[str]:
        """The head's own areas that lie within the meeting's area."""
        heads = self.intake.roles.head_areas(self.inbound.channel, self.inbound.user_id)
        return [a for a in heads if self.intake.areas.is_within(a, self.draft.meeting_area or "")]

    @property
    def draft(self) -> Draft:
        assert self.state.draft is not None
        return self.state.draft

    def area_prompt(self) -> Reply:
        tree = self.intake.areas
        if self.draft.proxy:
            rows = tuple((self.step_button(self.intake.areas.path_label(a, self.language), "a", a),) for a in self.proxy_areas())
            return Reply(self.t("proxy.area"), buttons=rows)
        node = tree.get(self.draft.area_node)
        assert node is not None
        children = tree.children(node.id)
        rows: list[tuple[Button, ...]] = []
        pair: list[Button] = []
        for child in children:
            pair.append(self.step_button(child.label(self.language), "a", child.id))
            if len(pair) == 2:
                rows.append(tuple(pair))
                pair = []
        if pair:
            rows.append(tuple(pair))
        rows.append(
            (self.step_button(self.t("area.whole", level=tree.level_name(node, self.language), name=node.label(self.language)), "ah", node.id),)
        )
        if node.id != self.draft.meeting_area:
            rows.append((self.step_button(self.t("area.back"), "ab"),))
        child_level = tree.level_name(children[0], self.language) if children else ""
        return Reply(self.t("area.ask", level=child_level, name=node.label(self.language)), buttons=tuple(rows))

    async def on_area_button(self, action: str, arg: str) -> list[Reply] | None:
        tree = self.intake.areas
        if self.draft.proxy:
            # Heads submit only for their own groups, whatever the button says.
            return self.choose_area(arg) if action == "a" and arg in self.proxy_areas() else None
        node = tree.get(self.draft.area_node)
        if node is None:
            return None
        if action == "a":
            target = tree.get(arg)
            if target is None or target.parent != node.id:
                return None
            if tree.children(target.id):
                self.draft.area_node = target.id
                self.advance("area")
                return [self.area_prompt()]
            return self.choose_area(target.id)
        if action == "ah" and arg == node.id:
            return self.choose_area(node.id)
        # The walk never climbs above the meeting's own area.
        if action == "ab" and node.id != self.draft.meeting_area and node.parent is not None:
            self.draft.area_node = node.parent
            self.advance("area")
            return [self.area_prompt()]
        return None

    def choose_area(self, area_id: str) -> list[Reply]:
        self.draft.area_id = area_id
        self.advance("topic")
        return [self.topic_prompt()]

    def topic_prompt(self) -> Reply:
        rows = tuple(
            (self.step_button(topic.label(self.language), "t", topic.id),) for topic in self.intake.topics.all()
        )
        area = self.intake.areas.path_label(self.draft.area_id or "", self.language)
        return Reply(self.t("topic.ask", area=area), buttons=rows)

    async def on_topic_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "t" or self.intake.topics.get(arg) is None:
            return None
        self.draft.topic_id = arg
        self.advance("text")
        return [self.text_prompt()]

    def text_prompt(self) -> Reply:
        limits = self.settings.limits
        return Reply(self.t("text.ask", min=limits.text_min_chars, max=limits.text_max_chars))

    async def on_text_step(self) -> list[Reply]:
        inbound = self.inbound
        if inbound.kind is InboundKind.PHOTO and inbound.text:
            # A photo with a caption: the caption is the concern, the photo comes along.
            problem = self.text_problem(inbound.text)
            if problem:
                return [Reply(problem)]
            self.draft.text = inbound.text
            self.draft.photos = list(inbound.photos[: self.settings.limits.photos_max])
            return await self.after_text()
        if inbound.kind is not InboundKind.TEXT:
            return [Reply(self.t("text.not_text"))]
        problem = self.text_problem(inbound.text or "")
        if problem:
            return [Reply(problem)]
        self.draft.text = inbound.text
        return await self.after_text()

    def text_problem(self, text: str) -> str | None:
        limits = self.settings.limits
        if len(text) > limits.text_max_chars:
            return self.t("text.too_long", length=len(text), max=limits.text_max_chars)
        if letter_count(text) < 3:
            return self.t("text.no_words")
        if len(text) < limits.text_min_chars:
            return self.t("text.too_short", min=limits.text_min_chars)
        return None

    async def after_text(self) -> list[Reply]:
        if self.draft.editing:
            self.draft.editing = False
            return await self.confirm_next()
        if self.settings.limits.photos_max > 0:
            self.advance("photos")
            return [self.photos_prompt()]
        return self.location_next()

    def location_next(self) -> list[Reply]:
        self.advance("location")
        return [self.location_prompt()]

    def photos_prompt(self) -> Reply:
        count = len(self.draft.photos)
        if count:
            return Reply(
                self.t("photos.more", count=count, max=self.settings.limits.photos_max),
                buttons=((self.step_button(self.t("photos.done"), "p", "done"),),),
            )
        return Reply(
            self.t("photos.ask", max=self.settings.limits.photos_max),
            buttons=((self.step_button(self.t("photos.skip"), "p", "skip"),),),
        )

    async def on_photos_input(self) -> list[Reply]:
        inbound = self.inbound
        if inbound.kind is not InboundKind.PHOTO:
            return [Reply(self.t("photos.not_photo")), self.photos_prompt()]
        room = self.settings.limits.photos_max - len(self.draft.photos)
        if room <= 0:
            return [Reply(self.t("photos.full", max=self.settings.limits.photos_max)), self.photos_prompt()]
        self.draft.photos.extend(inbound.photos[:room])
        self.state.version += 1
        return [self.photos_prompt()]

    async def on_photos_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "p" or arg not in ("done", "skip"):
            return None
        return self.location_next()

    def location_prompt(self) -> Reply:
        return Reply(
            self.t("location.ask"),
            ask="location",
            ask_label=self.t("location.share"),
            buttons=((self.step_button(self.t("location.skip"), "l", "skip"),),),
        )

    async def on_location_input(self) -> list[Reply]:
        location = self.inbound.location
        if self.inbound.kind is not InboundKind.LOCATION or location is None:
            return [Reply(self.t("location.not_location")), self.location_prompt()]
        if not (-90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
            return [Reply(self.t("location.invalid")), self.location_prompt()]
        self.draft.latitude = location.latitude
        self.draft.longitude = location.longitude
        return [Reply(self.t("location.thanks"), remove_keyboard=True)] + await self.contact_next()

    async def on_location_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "l" or arg != "skip":
            return None
        return [Reply(self.t("location.skipped"), remove_keyboard=True)] + await self.contact_next()

    async def contact_next(self) -> list[Reply]:
        if self.draft.proxy:
            self.advance("proxy_name")
            return [self.proxy_name_prompt()]
        self.advance("contact")
        return [await self.contact_prompt()]

    def proxy_name_prompt(self) -> Reply:
        return Reply(self.t("proxy.name"))

    async def on_proxy_name(self) -> list[Reply]:
        name = self.inbound.text or ""
        if self.inbound.kind is not InboundKind.TEXT or len(name) > self.settings.limits.name_max_chars or letter_count(name) < 2:
            return [Reply(self.t("contact.bad_name", max=self.settings.limits.name_max_chars))]
        self.draft.contact_name = name
        self.advance("proxy_phone")
        return [self.proxy_phone_prompt()]

    def proxy_phone_prompt(self) -> Reply:
        return Reply(
            self.t("proxy.phone", name=self.draft.contact_name),
            buttons=((self.step_button(self.t("phone.skip"), "pp", "skip"),),),
        )

    async def on_proxy_phone(self) -> list[Reply]:
        phone = normalise_phone(self.inbound.text or "") if self.inbound.kind is InboundKind.TEXT else None
        if phone is None:
            return [Reply(self.t("contact.bad_phone")), self.proxy_phone_prompt()]
        self.draft.contact_phone = phone
        return await self.confirm_next()

    async def on_proxy_phone_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "pp" or arg != "skip":
            return None
        self.draft.contact_phone = None
        return await self.confirm_next()

    async def contact_prompt(self) -> Reply:
        if await self.has_consent():
            return Reply(
                self.t("contact.ask"),
                ask="contact",
                ask_label=self.t("contact.share"),
                buttons=((self.step_button(self.t("contact.anonymous"), "k", "anon"),),),
            )
        return Reply(
            self.t("contact.ask_consent"),
            buttons=(
                (self.step_button(self.t("contact.give_consent"), "k", "consent"),),
                (self.step_button(self.t("contact.anonymous"), "k", "anon"),),
            ),
        )

    async def on_contact_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "k":
            return None
        if arg == "anon":
            self.draft.contact_name = None
            self.draft.contact_phone = None
            self.draft.phone_verified = False
            return [Reply(self.t("contact.anonymous_ok"), remove_keyboard=True)] + await self.confirm_next()
        if arg == "consent" and not await self.has_consent():
            await self.record_consent(True)
            self.state.version += 1
            return [Reply(self.t("consent.thanks")), await self.contact_prompt()]
        return None

    async def on_contact_input(self) -> list[Reply]:
        if not await self.has_consent():
            return [await self.contact_prompt()]
        inbound = self.inbound
        if inbound.kind is InboundKind.CONTACT and inbound.contact is not None:
            contact = inbound.contact
            if contact.owner_id != inbound.user_id:
                return [Reply(self.t("contact.not_own")), await self.contact_prompt()]
            phone = normalise_phone(contact.phone)
            if phone is None:
                return [Reply(self.t("contact.bad_phone")), await self.contact_prompt()]
            name = clean(" ".join(p for p in (contact.first_name, contact.last_name) if p))
            self.draft.contact_name = name[: self.settings.limits.name_max_chars] or None
            self.draft.contact_phone = phone
            self.draft.phone_verified = True
            return [Reply(self.t("contact.thanks"), remove_keyboard=True)] + await self.confirm_next()
        if inbound.kind is InboundKind.TEXT:
            name = inbound.text or ""
            if len(name) > self.settings.limits.name_max_chars or letter_count(name) < 2:
                return [Reply(self.t("contact.bad_name", max=self.settings.limits.name_max_chars))]
            self.draft.contact_name = name
            self.advance("phone")
            return [self.phone_prompt()]
        return [Reply(self.t("contact.not_contact")), await self.contact_prompt()]

    def phone_prompt(self) -> Reply:
        return Reply(
            self.t("phone.ask", name=self.draft.contact_name),
            ask="contact",
            ask_label=self.t("contact.share"),
            buttons=((self.step_button(self.t("phone.skip"), "ph", "skip"),),),
        )

    async def on_phone_input(self) -> list[Reply]:
        inbound = self.inbound
        if inbound.kind is InboundKind.CONTACT and inbound.contact is not None:
            if inbound.contact.owner_id != inbound.user_id:
                return [Reply(self.t("contact.not_own")), self.phone_prompt()]
            phone, verified = normalise_phone(inbound.contact.phone), True
        elif inbound.kind is InboundKind.TEXT:
            phone, verified = normalise_phone(inbound.text or ""), False
        else:
            return [Reply(self.t("phone.not_phone")), self.phone_prompt()]
        if phone is None:
            return [Reply(self.t("contact.bad_phone")), self.phone_prompt()]
        self.draft.contact_phone = phone
        self.draft.phone_verified = verified
        return [Reply(self.t("contact.thanks"), remove_keyboard=True)] + await self.confirm_next()

    async def on_phone_button(self, action: str, arg: str) -> list[Reply] | None:
        if action != "ph" or arg != "skip":
            return None
        self.draft.contact_phone = None
        self.draft.phone_verified = False
        return [Reply(self.t("phone.skipped"), remove_keyboard=True)] + await self.confirm_next()

    async def confirm_next(self) -> list[Reply]:
        self.advance("confirm")
        offers = await self.similar_offer()
        return ([offers] if offers else []) + [self.summary()]

    async def similar_offer(self) -> Reply | None:
        """Open concerns of the same meeting and area that say the same: support one instead?"""
        draft = self.draft
        candidates = await self.concerns.folded_texts(draft.meeting_id or 0, draft.area_id or "")
        matches = find_similar(draft.text or "", candidates, limit=3)
        if not matches:
            return None
        lines, rows = [self.t("similar.intro")], []
        for match in matches:
            concern = await self.concerns.get(match.concern_id)
            if concern is None:
                continue
            lines.append(self.t("similar.line", count=len(await self.concerns.followers(concern.id)), code=concern.code, text=_shorten(concern.text, 160)))
            rows.append((self.step_button(self.t("similar.support", code=concern.code), "sup", str(concern.id)),))
        lines.append(self.t("similar.outro"))
        return Reply("\n".join(lines), buttons=tuple(rows))

    def summary(self) -> Reply:
        draft = self.draft
        if draft.contact_name or draft.contact_phone:
            contact = self.t(
                "summary.contact",
                name=draft.contact_name or self.t("summary.no_name"),
                phone=mask_phone(draft.contact_phone) if draft.contact_phone else self.t("summary.no_phone"),
            )
        else:
            contact = self.t("summary.anonymous")
        location = (
            self.t("summary.location", lat=f"{draft.latitude:.5f}", lon=f"{draft.longitude:.5f}")
            if draft.latitude is not None and draft.longitude is not None
            else self.t("summary.no_location")
        )
        if draft.proxy:
            contact = self.t("proxy.summary", contact=contact)
        text = self.t(
            "summary.text",
            area=self.intake.areas.path_label(draft.area_id or "", self.language),
            topic=self.topic_label(draft.topic_id or ""),
            text=draft.text,
            photos=len(draft.photos),
            location=location,
            contact=contact,
        )
        return Reply(
            text,
            buttons=(
                (self.step_button(self.t("summary.send"), "ok"),),
                (self.step_button(self.t("summary.edit"), "edit"),),
                (self.step_button(self.t("summary.cancel"), "x"),),
            ),
        )

    async def on_confirm_button(self, action: str, arg: str) -> list[Reply] | None:
        if action == "ok":
            return await self.submit()
        if action == "edit":
            self.draft.editing = True
            self.advance("text")
            return [Reply(self.t("text.edit", text=self.draft.text)), self.text_prompt()]
        if action == "x":
            return await self.cmd_cancel("")
        if action == "sup" and arg.isdecimal():
            return await self.support(int(arg))
        return None

    async def support(self, concern_id: int) -> list[Reply] | None:
        draft = self.draft
        concern = await self.concerns.get(concern_id)
        # Only what was offered: live, same meeting and area.
        if (
            concern is None or concern.status != "open" or concern.merged_into is not None
            or concern.meeting_id != draft.meeting_id or concern.area_id != draft.area_id
        ):
            return None
        meeting = await self.meetings.get(concern.meeting_id)
        if meeting is None or not meeting.accepts_concerns_at(self.now):
            self.state.draft = None
            self.advance("idle")
            return [Reply(self.t("submit.closed", title=meeting.title if meeting else "")), self.menu()]
        added = await self.concerns.add_supporter(concern.id, self.resident.id, self.now)
        count = len(await self.concerns.followers(concern.id))
        self.state.draft = None
        self.advance("idle")
        key = "similar.supported" if added else "similar.already"
        return [Reply(self.t(key, code=concern.code, count=count)), self.menu()]

    async def submit(self) -> list[Reply]:
        draft = self.draft
        meeting = await self.meetings.get(draft.meeting_id or 0)
        if meeting is None or not meeting.accepts_concerns_at(self.now):
            # Checked here as well as by the schedule: a late job must not let a late concern in.
            self.state.draft = None
            self.advance("idle")
            return [Reply(self.t("submit.closed", title=meeting.title if meeting else "")), self.menu()]
        concern = await self.concerns.submit(
            NewConcern(
                draft_key=draft.key,
                meeting_id=meeting.id,
                area_id=draft.area_id or meeting.area_id,
                topic_id=draft.topic_id or "",
                text=draft.text or "",
                text_folded=fold(draft.text or ""),
                author_id=self.resident.id,
                language=self.language,
                contact_name=draft.contact_name,
                contact_phone=draft.contact_phone,
                phone_verified=draft.phone_verified and not draft.proxy,
                latitude=draft.latitude,
                longitude=draft.longitude,
                photos=tuple(draft.photos),
                proxy=draft.proxy,
            ),
            self.settings.unit.code_prefix,
            self.now,
        )
        self.state.draft = None
        self.advance("idle")
        log.info("concern %s submitted for meeting %s", concern.code, meeting.id)
        receipt = self.t(
            "submit.receipt_proxy" if draft.proxy else "submit.receipt",
            code=concern.code,
            title=meeting.title,
            when=format_local(meeting.starts_at, self.settings.zone),
            place=meeting.place,
        )
        return [Reply(receipt), await self.subscribe_offer(concern.area_id) or self.menu()]

    # --- satisfaction -----------------------------------------------------------------

    async def rate(self, concern_id: int, satisfied: bool) -> list[Reply]:
        followers = dict(await self.concerns.followers(concern_id))
        if self.resident.id not in followers:
            return [Reply(self.t("satisfaction.not_yours"))] + await self.resume()
        answer = await self.answers.get(concern_id)
        if answer is None or answer.awaiting_agency:
            return [Reply(self.t("satisfaction.not_yet"))] + await self.resume()
        await self.satisfaction.record(concern_id, self.resident.id, satisfied, self.now)
        if satisfied:
            return [Reply(self.t("satisfaction.thanks"))] + await self.resume()
        self.state.comment_pending = concern_id
        return [Reply(self.t("satisfaction.ask_comment"), buttons=((Button(self.t("satisfaction.skip"), "g:satskip:"),),))]

    async def take_comment(self) -> list[Reply]:
        concern_id = self.state.comment_pending
        assert concern_id is not None
        self.state.comment_pending = None
        comment = (self.inbound.text or "")[: self.settings.limits.text_max_chars]
        await self.satisfaction.comment(concern_id, self.resident.id, comment)
        return [Reply(self.t("satisfaction.comment_thanks")), self.menu()]

    # --- subscriptions ----------------------------------------------------------------

    async def subscribe_offer(self, area_id: str) -> Reply | None:
        if area_id in await self.subscriptions.areas_of(self.resident.id):
            return None
        area = self.intake.areas.path_label(area_id, self.language)
        menu = self.menu()
        return replace(menu, buttons=((Button(self.t("subscribe.button", area=area), f"g:sub:{area_id}"),), *menu.buttons))

    async def subscribe(self, area_id: str) -> list[Reply]:
        if self.intake.areas.get(area_id) is None:
            return [Reply(self.t("button.invalid"))] + await self.resume()
        area = self.intake.areas.path_label(area_id, self.language)
        added = await self.subscriptions.subscribe(self.resident.id, area_id, self.now)
        return [Reply(self.t("subscribe.done" if added else "subscribe.already", area=area))] + await self.resume()

    async def cmd_unsubscribe(self, args: str) -> list[Reply]:
        removed = await self.subscriptions.unsubscribe_all(self.resident.id)
        return [Reply(self.t("subscribe.removed" if removed else "subscribe.none"))] + await self.resume()

    # --- withdraw, delete, language -----------------------------------------------------

    def can_withdraw(self, concern: Concern, meeting: Meeting | None) -> bool:
        return concern.status == "open" and meeting is not None and meeting.accepts_concerns_at(self.now)

    async def ask_withdraw(self, concern_id: int) -> list[Reply]:
        concern = await self.concerns.get(concern_id)
        if concern is None or concern.author_id != self.resident.id:
            log.info("withdraw of concern %s refused for resident %s", concern_id, self.resident.id)
            return [Reply(self.t("withdraw.not_yours"))] + await self.resume()
        if not self.can_withdraw(concern, await self.meetings.get(concern.meeting_id)):
            return [Reply(self.t("withdraw.too_late", code=concern.code))] + await self.resume()
        self.state.withdraw_pending = concern.id
        return [
            Reply(
                self.t("withdraw.ask", code=concern.code, text=_shorten(concern.text, 120)),
                buttons=(
                    (
                        Button(self.t("withdraw.yes"), f"g:wdy:{concern.id}"),
                        Button(self.t("withdraw.no"), "g:wdn:"),
                    ),
                ),
            )
        ]

    async def do_withdraw(self, concern_id: int) -> list[Reply]:
        if self.state.withdraw_pending != concern_id:
            return [Reply(self.t("button.stale"))] + await self.resume()
        self.state.withdraw_pending = None
        concern = await self.concerns.get(concern_id)
        if concern is None or concern.author_id != self.resident.id:
            return [Reply(self.t("withdraw.not_yours"))] + await self.resume()
        if not self.can_withdraw(concern, await self.meetings.get(concern.meeting_id)):
            return [Reply(self.t("withdraw.too_late", code=concern.code))] + await self.resume()
        await self.concerns.withdraw(concern.id, self.now)
        await self.agenda.detach(concern.id)
        await self.agenda.delete_empty(concern.meeting_id)
        return [Reply(self.t("withdraw.done", code=concern.code))] + await self.resume()

    async def do_delete(self) -> list[Reply]:
        if not self.state.delete_pending:
            return [Reply(self.t("button.stale"))] + await self.resume()
        self.state.delete_pending = False
        touched = await self.residents.erase_personal_data(self.resident.id)
        await self.record_consent(False)
        if self.state.draft is not None:
            self.state.draft.contact_name = None
            self.state.draft.contact_phone = None
            self.state.draft.phone_verified = False
        return [Reply(self.t("delete.done", count=touched))] + await self.resume()

    async def set_language(self, language: str) -> list[Reply]:
        await self.residents.set_language(self.resident.id, language)
        self.language = language
        self.state.version += 1
        return [Reply(self.t("language.set"))] + (await self.resume() or [self.menu()])

    # --- helpers ----------------------------------------------------------------------

    def menu(self) -> Reply:
        proxy = ((Button(self.t("menu.proxy"), "g:proxy:"),),) if self.is_head else ()
        return Reply(
            self.t("menu.text"),
            buttons=(
                (Button(self.t("menu.new"), "g:new:"),),
                *proxy,
                (Button(self.t("menu.my"), "g:my:"), Button(self.t("menu.help"), "g:help:")),
                (Button(self.t("menu.language"), "g:lang:"),),
            ),
        )

    async def resume(self) -> list[Reply]:
        """After an aside (a command, a stale button), show again where the resident is."""
        step = self.state.step
        if step == "consent":
            return [self.consent_prompt()]
        if not self.in_flow:
            return []
        if step == "meeting":
            return [await self.meeting_prompt()]
        if step == "contact":
            return [await self.contact_prompt()]
        prompt = {
            "area": self.area_prompt,
            "topic": self.topic_prompt,
            "text": self.text_prompt,
            "photos": self.photos_prompt,
            "location": self.location_prompt,
            "phone": self.phone_prompt,
            "proxy_name": self.proxy_name_prompt,
            "proxy_phone": self.proxy_phone_prompt,
            "confirm": self.summary,
        }[step]
        return [prompt()]

    def topic_label(self, topic_id: str) -> str:
        topic = self.intake.topics.get(topic_id)
        return topic.label(self.language) if topic else topic_id

    def parse_code(self, text: str) -> str | None:
        return normalise_code(text or "", self.settings.unit.code_prefix)


def normalise_phone(raw: str) -> str | None:
    """Vietnamese numbers as +84…; None if it does not look like one."""
    digits = re.sub(r"[\s.\-()]", "", raw)
    match = _PHONE.match(digits)
    return None if match is None else "+84" + match.group(1)


def mask_phone(phone: str) -> str:
    return phone[:-6] + "***" + phone[-3:] if len(phone) > 6 else "***"


def _shorten(text: str, limit: int) -> str:
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "…"


def _cleaned(inbound: Inbound) -> Inbound:
    return replace(
        inbound,
        text=clean(inbound.text) if inbound.text is not None else None,
        args=clean(inbound.args),
        # Only what a command can be made of: '/start\u200b' pasted from somewhere is /start.
        command="".join(ch for ch in clean(inbound.command or "").lower() if ch.isascii() and (ch.isalnum() or ch == "_"))[:32]
        or None,
    )
