"""Consent to keep contact details: asked at the first /start, answerable later in /privacy."""

from __future__ import annotations

from bot.domain.messages import Reply
from bot.resident.payloads import StepAction, StepPayload
from bot.resident.turn import Outcome, Turn


async def prompt(turn: Turn) -> Reply:
    return Reply(
        turn.consent_text(),
        buttons=(
            (turn.step_button(turn.t("consent.yes"), StepAction.CONSENT, "yes"),),
            (turn.step_button(turn.t("consent.no"), StepAction.CONSENT, "no"),),
        ),
    )


async def on_button(turn: Turn, payload: StepPayload) -> Outcome | None:
    if payload.action is not StepAction.CONSENT or payload.arg not in ("yes", "no"):
        return None
    given = payload.arg == "yes"
    await turn.record_consent(given)
    turn.advance("idle")
    return [Reply(turn.t("consent.thanks" if given else "consent.declined")), turn.menu()]
