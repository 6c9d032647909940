"""A resident's own affairs, at any step: their concerns (/my, /status, /withdraw), privacy
(/privacy, /delete, /mydata), language and notices. Each is an aside: the frame shows the
current step's prompt again after it."""

from __future__ import annotations

import json
import logging

from bot.clock import format_local
from bot.config import LANGUAGES
from bot.domain.codes import normalise_code
from bot.domain.messages import Button, Document, Reply
from bot.domain.records import Concern, Consent, Meeting
from bot.resident.payloads import GlobalAction, GlobalPayload
from bot.domain.redaction import redact
from bot.resident.turn import CONTACT_PURPOSE, PHONE_NOTICES_PURPOSE, Outcome, Turn, aside, shorten

log = logging.getLogger(__name__)

# /my lists this many; the rest are counted.
MY_LIMIT = 20


def _code(turn: Turn, text: str) -> str | None:
    return normalise_code(text or "", turn.settings.unit.code_prefix)


def _withdraw_button(turn: Turn, concern: Concern) -> Button:
    return turn.global_button(turn.t("my.withdraw_button", code=concern.code), GlobalAction.WITHDRAW, concern.id)


def can_withdraw(turn: Turn, concern: Concern, meeting: Meeting | None) -> bool:
    return concern.status == "open" and meeting is not None and meeting.accepts_concerns_at(turn.now)


# --- the resident's concerns -------------------------------------------------------------


async def my(turn: Turn, args: str) -> Outcome:
    followed = await turn.concerns.followed_by(turn.resident.id)
    if not followed:
        return aside(Reply(turn.t("my.empty")))
    lines = [turn.t("my.header", count=len(followed))]
    buttons: list[tuple[Button, ...]] = []
    meetings: dict[int, Meeting | None] = {}
    for item in followed[:MY_LIMIT]:
        concern = item.concern
        lines.append(
            turn.t(
                "my.line",
                code=concern.code,
                status=await status_label(turn, concern),
                role=turn.t(f"role.{item.role}"),
                # Someone else's concern they support: its author's number is not theirs to read.
                text=shorten(concern.text if item.role == "author" else redact(concern.text, turn.masks()), 80),
            )
        )
        if concern.meeting_id not in meetings:
            meetings[concern.meeting_id] = await turn.meetings.get(concern.meeting_id)
        if item.role == "author" and can_withdraw(turn, concern, meetings[concern.meeting_id]):
            buttons.append((_withdraw_button(turn, concern),))
    if len(followed) > MY_LIMIT:
        lines.append(turn.t("my.more", count=len(followed) - MY_LIMIT))
    return aside(Reply("\n".join(lines), buttons=tuple(buttons)))


async def status_label(turn: Turn, concern: Concern) -> str:
    """Where a concern stands, answers included (a merged concern shows its survivor's)."""
    chain = await turn.concerns.ancestors(concern.id)
    answer = await turn.answers.get(chain[-1] if chain else concern.id)
    if answer is None or concern.status not in ("open", "merged"):
        return turn.t(f"status.{concern.status}")
    if answer.awaiting_agency:
        due = answer.due_date.strftime("%d/%m/%Y") if answer.due_date else ""
        return turn.t("status.forwarded", agency=answer.agency, due=due)
    return turn.t("status.answered")


async def answer_lines(turn: Turn, concern: Concern) -> str:
    chain = await turn.concerns.ancestors(concern.id)
    answer = await turn.answers.get(chain[-1] if chain else concern.id)
    if answer is None:
        return ""
    text = "\n" + turn.t(
        "status.answer",
        disposition=turn.t(f"disposition.{answer.disposition}"),
        answer=answer.answer,
        by=answer.answered_by,
    )
    if answer.final_answer:
        text += "\n" + turn.t("status.final", agency=answer.agency, answer=answer.final_answer)
    return text


async def status(turn: Turn, args: str) -> Outcome:
    code = _code(turn, args)
    if code is None:
        return aside(Reply(turn.t("status.usage")))
    concern = await turn.concerns.by_code(code)
    role = None if concern is None else await turn.concerns.follower_role(concern.id, turn.resident.id)
    if concern is None or role is None:
        # Someone else's concern is not found either: codes are short enough to guess.
        return aside(Reply(turn.t("status.not_found", code=code)))
    meeting = await turn.meetings.get(concern.meeting_id)
    assert meeting is not None
    zone = turn.settings.zone
    text = turn.t(
        "status.detail",
        code=concern.code,
        status=await status_label(turn, concern),
        meeting=meeting.title,
        when=format_local(meeting.starts_at, zone),
        place=meeting.place,
        area=turn.area_label(concern.area_id),
        topic=turn.topic_label(concern.topic_id),
        text=concern.text,
        submitted=format_local(concern.submitted_at, zone),
    ) + await answer_lines(turn, concern)
    if concern.status == "rejected" and concern.reject_reason:
        text += "\n" + turn.t("status.reason", reason=concern.reject_reason)
    buttons: tuple[tuple[Button, ...], ...] = ()
    if role == "author" and can_withdraw(turn, concern, meeting):
        buttons = ((_withdraw_button(turn, concern),),)
    return aside(Reply(text, buttons=buttons))


# --- withdraw ----------------------------------------------------------------------------


async def withdraw(turn: Turn, args: str) -> Outcome:
    code = _code(turn, args)
    if code is None:
        return aside(Reply(turn.t("withdraw.usage")))
    concern = await turn.concerns.by_code(code)
    role = None if concern is None else await turn.concerns.follower_role(concern.id, turn.resident.id)
    if concern is None or role is None:
        # Someone else's concern is not found either, as for /status: codes are easy to guess.
        return aside(Reply(turn.t("withdraw.not_found", code=code)))
    return await ask_withdraw(turn, concern.id)


async def ask_withdraw(turn: Turn, concern_id: int) -> Outcome:
    concern = await turn.concerns.get(concern_id)
    if concern is None or concern.author_id != turn.resident.id:
        log.info("withdraw of concern %s refused for resident %s", concern_id, turn.resident.id)
        return aside(Reply(turn.t("withdraw.not_yours")))
    if not can_withdraw(turn, concern, await turn.meetings.get(concern.meeting_id)):
        return aside(Reply(turn.t("withdraw.too_late", code=concern.code)))
    turn.state.withdraw_pending = concern.id
    question = turn.t("withdraw.ask", code=concern.code, text=shorten(concern.text, 120))
    yes = turn.global_button(turn.t("withdraw.yes"), GlobalAction.WITHDRAW_YES, concern.id)
    no = turn.global_button(turn.t("withdraw.no"), GlobalAction.WITHDRAW_NO)
    return [Reply(question, buttons=((yes, no),))]


async def do_withdraw(turn: Turn, concern_id: int) -> Outcome:
    if turn.state.withdraw_pending != concern_id:
        return aside(Reply(turn.t("button.stale")))
    turn.state.withdraw_pending = None
    concern = await turn.concerns.get(concern_id)
    if concern is None or concern.author_id != turn.resident.id:
        return aside(Reply(turn.t("withdraw.not_yours")))
    if not can_withdraw(turn, concern, await turn.meetings.get(concern.meeting_id)):
        return aside(Reply(turn.t("withdraw.too_late", code=concern.code)))
    if await turn.concerns.withdraw(concern.id, turn.now):
        await turn.duplicates.left(concern.id)
    await turn.agenda.detach(concern.id)
    await turn.agenda.delete_empty(concern.meeting_id)
    return aside(Reply(turn.t("withdraw.done", code=concern.code)))


async def on_withdraw_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    return None if payload.number is None else await ask_withdraw(turn, payload.number)


async def on_withdraw_yes_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    return None if payload.number is None else await do_withdraw(turn, payload.number)


async def on_withdraw_no_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    turn.state.withdraw_pending = None
    return aside(Reply(turn.t("withdraw.kept")))


# --- privacy -----------------------------------------------------------------------------


def _consent_status(turn: Turn, consent: Consent | None) -> str:
    zone = turn.settings.zone
    if consent is None:
        return turn.t("privacy.consent_none")
    if consent.given:
        return turn.t("privacy.consent_given", at=format_local(consent.at, zone), version=consent.text_version)
    return turn.t("privacy.consent_refused", at=format_local(consent.at, zone))


async def privacy(turn: Turn, args: str) -> Outcome:
    consent = await turn.residents.latest_consent(turn.resident.id, CONTACT_PURPOSE)
    consent_status = _consent_status(turn, consent)
    text = turn.t(
        "privacy.text",
        controller=turn.settings.privacy.controller,
        contact=turn.settings.privacy.contact,
        status=consent_status,
    )
    if consent and consent.given:
        # Withdrawing consent erases what it allowed, so it is the delete button under another name.
        consent_row = (turn.global_button(turn.t("privacy.withdraw_consent_button"), GlobalAction.DELETE, "ask"),)
    else:
        consent_row = (turn.global_button(turn.t("privacy.consent_button"), GlobalAction.CONSENT, "yes"),)
    buttons = ((turn.global_button(turn.t("privacy.delete_button"), GlobalAction.DELETE, "ask"),), consent_row)
    if turn.offers_phone_notices():
        text, phone_row = await _phone_notices_status(turn, text)
        buttons = (*buttons, phone_row)
    return aside(Reply(text, buttons=buttons))


async def _phone_notices_status(turn: Turn, text: str) -> tuple[str, tuple[Button, ...]]:
    """/privacy's line on answers by phone number, and the button that changes it."""
    consent = await turn.residents.latest_consent(turn.resident.id, PHONE_NOTICES_PURPOSE)
    given = consent is not None and consent.given
    label, arg = ("privacy.phone_notices_stop", "phone_no") if given else ("phone_notices.yes", "phone_yes")
    line = turn.t("privacy.phone_notices", status=_consent_status(turn, consent))
    return f"{text}\n{line}", (turn.global_button(turn.t(label), GlobalAction.CONSENT, arg),)


async def on_consent_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    if payload.arg in ("phone_yes", "phone_no"):
        given = payload.arg == "phone_yes"
        await turn.record_phone_notices(given)
        return aside(Reply(turn.t("phone_notices.thanks_yes" if given else "phone_notices.thanks_no")))
    if payload.arg != "yes":
        return None
    await turn.record_consent(True)
    return aside(Reply(turn.t("consent.thanks")))


async def mydata(turn: Turn, args: str) -> Outcome:
    """The right of access: everything stored about this resident, as a file."""
    zone = turn.settings.zone
    concerns = []
    for item in await turn.concerns.followed_by(turn.resident.id):
        concern = item.concern
        own = item.role == "author"
        concerns.append({
            "code": concern.code,
            "role": item.role,
            "status": concern.status,
            "submitted": format_local(concern.submitted_at, zone),
            "area": turn.area_label(concern.area_id),
            "topic": turn.topic_label(concern.topic_id),
            "text": concern.text,
            "name": concern.contact_name if own else None,
            "phone": concern.contact_phone if own else None,
            "location": [concern.latitude, concern.longitude] if concern.latitude is not None else None,
            "photos": len(concern.photos),
        })
    resident = turn.resident
    data = {
        "controller": turn.settings.privacy.controller,
        "account": {"channel": resident.channel, "id": resident.channel_user_id,
                    "language": resident.language, "since": format_local(resident.created_at, zone)},
        "consents": [{"purpose": c.purpose, "version": c.text_version, "given": c.given, "at": format_local(c.at, zone)}
                     for c in await turn.residents.consents(resident.id)],
        "concerns": concerns,
        "notices_for_areas": await turn.subscriptions.areas_of(resident.id),
    }
    content = json.dumps(data, ensure_ascii=False, indent=2).encode("utf-8")
    document = Document("du-lieu-cua-toi.json", content)
    return aside(Reply(turn.t("mydata.caption", count=len(concerns)), document=document))


async def delete(turn: Turn, args: str) -> Outcome:
    turn.state.delete_pending = True
    yes = turn.global_button(turn.t("delete.yes"), GlobalAction.DELETE, "yes")
    no = turn.global_button(turn.t("delete.no"), GlobalAction.DELETE, "no")
    return [Reply(turn.t("delete.ask"), buttons=((yes, no),))]


async def do_delete(turn: Turn) -> Outcome:
    if not turn.state.delete_pending:
        return aside(Reply(turn.t("button.stale")))
    turn.state.delete_pending = False
    touched = await turn.residents.erase_personal_data(turn.resident.id, turn.masks())
    turn.erased = True
    await turn.record_consent(False)
    phone_notices = await turn.residents.latest_consent(turn.resident.id, PHONE_NOTICES_PURPOSE)
    if phone_notices is not None and phone_notices.given:
        await turn.record_phone_notices(False)  # the number it was for is erased too
    draft = turn.state.draft
    if draft is not None:
        draft.contact_name = None
        draft.contact_phone = None
        draft.phone_verified = False
    return aside(Reply(turn.t("delete.done", count=touched)))


async def on_delete_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    if payload.arg == "ask":
        return await delete(turn, "")
    if payload.arg == "yes":
        return await do_delete(turn)
    if payload.arg == "no":
        turn.state.delete_pending = False
        return aside(Reply(turn.t("delete.kept")))
    return None


# --- language and notices ------------------------------------------------------------------


async def language(turn: Turn, args: str) -> Outcome:
    wanted = args.strip().lower()[:2]
    if wanted in LANGUAGES:
        return await set_language(turn, wanted)
    # Each language's name in itself: whoever cannot read the current one still finds theirs.
    buttons = ((
        turn.global_button("Tiếng Việt", GlobalAction.LANGUAGE, "vi"),
        turn.global_button("English", GlobalAction.LANGUAGE, "en"),
    ),)
    return [Reply(turn.t("language.ask"), buttons=buttons)]


async def set_language(turn: Turn, language: str) -> Outcome:
    await turn.residents.set_language(turn.resident.id, language)
    turn.language = language
    # The prompt is shown again in the new language; the old one's buttons are stale.
    turn.reissue()
    return aside(Reply(turn.t("language.set")), menu_if_idle=True)


async def on_language_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    if payload.arg in LANGUAGES:
        return await set_language(turn, payload.arg)
    return await language(turn, "")


async def on_subscribe_button(turn: Turn, payload: GlobalPayload) -> Outcome | None:
    area_id = payload.arg
    if turn.intake.areas.get(area_id) is None:
        return aside(Reply(turn.t("button.invalid")))
    added = await turn.subscriptions.subscribe(turn.resident.id, area_id, turn.now)
    return aside(Reply(turn.t("subscribe.done" if added else "subscribe.already", area=turn.area_label(area_id))))


async def unsubscribe(turn: Turn, args: str) -> Outcome:
    removed = await turn.subscriptions.unsubscribe_all(turn.resident.id)
    return aside(Reply(turn.t("subscribe.removed" if removed else "subscribe.none")))
