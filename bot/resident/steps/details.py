"""The concern itself: its text, then optional photos and a location."""

from __future__ import annotations

from bot.domain.messages import InboundKind, Reply
from bot.domain.concern_text import text_problem as concern_text_problem
from bot.resident.payloads import StepAction, StepPayload
from bot.resident.state import StepName
from bot.resident.steps.confirm import confirm_next
from bot.resident.steps.contact import contact_next
from bot.resident.turn import Outcome, Turn, aside

# --- text ------------------------------------------------------------------------------


async def text_prompt(turn: Turn) -> Reply:
    limits = turn.settings.limits
    return Reply(turn.t("text.ask", min=limits.text_min_chars, max=limits.text_max_chars))


async def on_text(turn: Turn) -> Outcome:
    inbound = turn.inbound
    if inbound.kind is InboundKind.PHOTO and inbound.text:
        # A photo with a caption: the caption is the concern, the photo comes along.
        problem = text_problem(turn, inbound.text)
        if problem:
            return [Reply(problem)]
        turn.draft.text = inbound.text
        turn.draft.photos = list(inbound.photos[: turn.settings.limits.photos_max])
        return await after_text(turn)
    if inbound.kind is not InboundKind.TEXT:
        return [Reply(turn.t("text.not_text"))]
    problem = text_problem(turn, inbound.text or "")
    if problem:
        return [Reply(problem)]
    turn.draft.text = inbound.text
    return await after_text(turn)


def text_problem(turn: Turn, text: str) -> str | None:
    limits = turn.settings.limits
    problem = concern_text_problem(text, limits.text_min_chars, limits.text_max_chars)
    if problem is None:
        return None
    return turn.t(f"text.{problem}", length=len(text), min=limits.text_min_chars, max=limits.text_max_chars)


async def after_text(turn: Turn) -> list[Reply]:
    if turn.draft.editing:
        # Back from the summary: everything else was answered already.
        turn.draft.editing = False
        return await confirm_next(turn)
    if turn.settings.limits.photos_max > 0:
        return [await turn.enter(StepName.PHOTOS)]
    return [await turn.enter(StepName.LOCATION)]


# --- photos ----------------------------------------------------------------------------


async def photos_prompt(turn: Turn) -> Reply:
    count = len(turn.draft.photos)
    most = turn.settings.limits.photos_max
    if count:
        # Full: the prompt no longer invites another photo.
        key = "photos.all_in" if count >= most else "photos.more"
        return Reply(
            turn.t(key, count=count, max=most),
            buttons=((turn.step_button(turn.t("photos.done"), StepAction.PHOTOS, "done"),),),
        )
    return Reply(
        turn.t("photos.ask", max=most),
        buttons=((turn.step_button(turn.t("photos.skip"), StepAction.PHOTOS, "skip"),),),
    )


async def on_photo(turn: Turn) -> Outcome:
    room = turn.settings.limits.photos_max - len(turn.draft.photos)
    if room <= 0:
        return aside(Reply(turn.t("photos.full", max=turn.settings.limits.photos_max)))
    turn.draft.photos.extend(turn.inbound.photos[:room])
    # The prompt now says "done" rather than "skip": the old button is stale.
    turn.reissue()
    return aside()


async def on_photos_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.PHOTOS or payload.arg not in ("done", "skip"):
        return None
    return [await turn.enter(StepName.LOCATION)]


# --- location --------------------------------------------------------------------------


async def location_prompt(turn: Turn) -> Reply:
    return Reply(
        turn.t("location.ask"),
        ask="location",
        ask_label=turn.t("location.share"),
        buttons=((turn.step_button(turn.t("location.skip"), StepAction.LOCATION, "skip"),),),
    )


async def on_location(turn: Turn) -> Outcome:
    location = turn.inbound.location
    if location is None:
        return aside(Reply(turn.t("location.not_location")))
    if not (-90 <= location.latitude <= 90 and -180 <= location.longitude <= 180):
        return aside(Reply(turn.t("location.invalid")))
    turn.draft.latitude = location.latitude
    turn.draft.longitude = location.longitude
    return [Reply(turn.t("location.thanks"), remove_keyboard=True), await contact_next(turn)]


async def on_location_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.LOCATION or payload.arg != "skip":
        return None
    return [Reply(turn.t("location.skipped"), remove_keyboard=True), await contact_next(turn)]
