"""Who to reach about the concern: the resident's own contact (with consent), or, when a head of a
group submits on someone's behalf, that person's name and phone."""

from __future__ import annotations

from bot.domain.contact import acceptable_name, normalise_phone
from bot.domain.messages import InboundKind, Reply
from bot.domain.textnorm import clean
from bot.resident.payloads import GlobalAction, StepAction, StepPayload
from bot.resident.state import StepName
from bot.resident.steps.confirm import confirm_next
from bot.resident.turn import PHONE_NOTICES_PURPOSE, Outcome, Turn, aside


def full_name(first: str, last: str | None, language: str) -> str:
    """A shared contact's name as it is written: Vietnamese puts the family name first
    ("Lê Văn" + "Cường" -> "Lê Văn Cường"); English the given name."""
    parts = (last, first) if language == "vi" else (first, last)
    return clean(" ".join(p for p in parts if p))


async def contact_next(turn: Turn) -> Reply:
    return await turn.enter(StepName.PROXY_NAME if turn.draft.proxy else StepName.CONTACT)


def _bad_name(turn: Turn) -> list[Reply]:
    return [Reply(turn.t("contact.bad_name", max=turn.settings.limits.name_max_chars))]


def _acceptable_name(turn: Turn, name: str) -> bool:
    return acceptable_name(name, turn.settings.limits.name_max_chars)


# --- the resident's own contact --------------------------------------------------------


async def contact_prompt(turn: Turn) -> Reply:
    anonymous = turn.step_button(turn.t("contact.anonymous"), StepAction.CONTACT, "anon")
    if await turn.has_consent():
        return Reply(turn.t("contact.ask"), ask="contact", ask_label=turn.t("contact.share"), buttons=((anonymous,),))
    return Reply(
        turn.t("contact.ask_consent"),
        buttons=((turn.step_button(turn.t("contact.give_consent"), StepAction.CONTACT, "consent"),), (anonymous,)),
    )


async def on_contact_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.CONTACT:
        return None
    if payload.arg == "anon":
        draft = turn.draft
        draft.contact_name = None
        draft.contact_phone = None
        draft.phone_verified = False
        return [Reply(turn.t("contact.anonymous_ok"), remove_keyboard=True)] + await confirm_next(turn)
    if payload.arg == "consent" and not await turn.has_consent():
        await turn.record_consent(True)
        # The prompt changes to "share your number": its old buttons are stale.
        turn.reissue()
        return aside(Reply(turn.t("consent.thanks")))
    return None


async def on_contact(turn: Turn) -> Outcome:
    if not await turn.has_consent():
        # Nothing is kept without consent: the prompt says how to give it or stay anonymous.
        return aside()
    inbound = turn.inbound
    if inbound.kind is InboundKind.CONTACT and inbound.contact is not None:
        contact = inbound.contact
        if contact.owner_id != inbound.user_id:
            return aside(Reply(turn.t("contact.not_own")))
        phone = normalise_phone(contact.phone)
        if phone is None:
            return aside(Reply(turn.t("contact.bad_phone")))
        name = full_name(contact.first_name, contact.last_name, turn.language)
        turn.draft.contact_name = name[: turn.settings.limits.name_max_chars] or None
        turn.draft.contact_phone = phone
        turn.draft.phone_verified = True
        return [Reply(turn.t("contact.thanks"), remove_keyboard=True), *await phone_notices_question(turn)] + (
            await confirm_next(turn)
        )
    if inbound.kind is InboundKind.TEXT:
        # A typed name: the phone is asked next.
        name = inbound.text or ""
        if not _acceptable_name(turn, name):
            return _bad_name(turn)
        turn.draft.contact_name = name
        return [await turn.enter(StepName.PHONE)]
    return aside(Reply(turn.t("contact.not_contact")))


async def refuse_contact(turn: Turn) -> Outcome:
    if not await turn.has_consent():
        return aside()
    return aside(Reply(turn.t("contact.not_contact")))


async def phone_notices_question(turn: Turn) -> list[Reply]:
    """On Zalo, once: may answers come by phone number when Zalo no longer takes ordinary messages?"""
    if not turn.offers_phone_notices():
        return []
    if await turn.residents.latest_consent(turn.resident.id, PHONE_NOTICES_PURPOSE) is not None:
        return []
    yes = turn.global_button(turn.t("phone_notices.yes"), GlobalAction.CONSENT, "phone_yes")
    no = turn.global_button(turn.t("phone_notices.no"), GlobalAction.CONSENT, "phone_no")
    return [Reply(turn.t("phone_notices.ask"), buttons=((yes,), (no,)))]


# --- the phone after a typed name ------------------------------------------------------


async def phone_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("phone.ask", name=turn.draft.contact_name),
        ask="contact",
        ask_label=turn.t("contact.share"),
        buttons=((turn.step_button(turn.t("phone.skip"), StepAction.PHONE, "skip"),),),
    )


async def on_phone(turn: Turn) -> Outcome:
    inbound = turn.inbound
    if inbound.kind is InboundKind.CONTACT and inbound.contact is not None:
        if inbound.contact.owner_id != inbound.user_id:
            return aside(Reply(turn.t("contact.not_own")))
        # Shared with the "share my number" button: the channel vouches for it.
        phone, verified = normalise_phone(inbound.contact.phone), True
    elif inbound.kind is InboundKind.TEXT:
        phone, verified = normalise_phone(inbound.text or ""), False
    else:
        return aside(Reply(turn.t("phone.not_phone")))
    if phone is None:
        return aside(Reply(turn.t("contact.bad_phone")))
    turn.draft.contact_phone = phone
    turn.draft.phone_verified = verified
    question = await phone_notices_question(turn) if verified else []
    return [Reply(turn.t("contact.thanks"), remove_keyboard=True), *question] + await confirm_next(turn)


async def on_phone_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.PHONE or payload.arg != "skip":
        return None
    turn.draft.contact_phone = None
    turn.draft.phone_verified = False
    return [Reply(turn.t("phone.skipped"), remove_keyboard=True)] + await confirm_next(turn)


# --- on behalf of someone else ---------------------------------------------------------


async def proxy_name_prompt(turn: Turn) -> Reply:
    return Reply(turn.t("proxy.name"))


async def on_proxy_name(turn: Turn) -> Outcome:
    name = turn.inbound.text or ""
    if not _acceptable_name(turn, name):
        return _bad_name(turn)
    turn.draft.contact_name = name
    return [await turn.enter(StepName.PROXY_PHONE)]


async def refuse_proxy_name(turn: Turn) -> Outcome:
    return _bad_name(turn)


async def proxy_phone_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("proxy.phone", name=turn.draft.contact_name),
        buttons=((turn.step_button(turn.t("phone.skip"), StepAction.PROXY_PHONE, "skip"),),),
    )


async def on_proxy_phone(turn: Turn) -> Outcome:
    phone = normalise_phone(turn.inbound.text or "")
    if phone is None:
        return aside(Reply(turn.t("contact.bad_phone")))
    turn.draft.contact_phone = phone
    return await confirm_next(turn)


async def on_proxy_phone_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.PROXY_PHONE or payload.arg != "skip":
        return None
    turn.draft.contact_phone = None
    return await confirm_next(turn)
