"""The resident flow as declared data: the table holds together, its diagram is the committed one,
its buttons keep their wire format, and another resident's contact details are never shown."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from bot.domain.messages import InboundKind
from bot.domain.payloads import PayloadTooLong
from bot.resident import flow
from bot.resident.flow import FLOW, FLOW_STEPS, STEPS, Accepts, Decline, mermaid, reachable
from bot.resident.payloads import (
    GlobalAction,
    GlobalPayload,
    StepAction,
    StepPayload,
    global_payload,
    parse,
    step_payload,
)
from bot.resident.state import StepName
from bot.text import Catalog
from storage.db import Database
from tests.chat import Chat, submit_concern, to_summary

ROOT = Path(__file__).resolve().parent.parent
RESIDENT = ROOT / "bot" / "resident"
DIAGRAM = RESIDENT / "flow.md"


# --- the table -------------------------------------------------------------------------------


def test_committed_diagram_is_the_one_the_table_generates() -> None:
    assert DIAGRAM.read_text("utf-8") == mermaid(), (
        "bot/resident/flow.md is out of date: python -m bot.resident.flow > bot/resident/flow.md"
    )


def test_every_step_is_declared_once_and_every_next_names_a_step() -> None:
    names = [step.name for step in FLOW]
    assert sorted(names) == sorted(StepName), "every StepName has exactly one entry"
    for step in FLOW:
        unknown = [target for target in step.next if target not in STEPS]
        assert not unknown, f"{step.name} leads to unknown steps {unknown}"


def test_every_step_is_reachable_from_idle() -> None:
    assert reachable() == set(StepName)


def test_every_step_can_get_back_to_idle() -> None:
    stuck = [step.name for step in FLOW if StepName.IDLE not in reachable(step.name)]
    assert not stuck, f"no way back to idle from {stuck}"


def test_what_a_step_accepts_matches_its_handlers() -> None:
    for step in FLOW:
        takes_buttons = Accepts.BUTTONS in step.accepts
        assert (step.on_button is not None) == takes_buttons, step.name
        takes_input = bool(step.accepts - {Accepts.BUTTONS})
        assert (step.on_input is not None) == takes_input, step.name
        # Only idle asks nothing; every other step has a prompt to show again after an aside.
        assert (step.prompt is None) == (step.name is StepName.IDLE), step.name


def test_every_input_kind_a_step_can_accept_comes_from_an_inbound_kind() -> None:
    assert set(flow.INPUT_KINDS.values()) == set(Accepts) - {Accepts.BUTTONS}
    assert InboundKind.BUTTON not in flow.INPUT_KINDS and InboundKind.COMMAND not in flow.INPUT_KINDS


def test_the_steps_of_writing_a_concern_are_the_ones_that_hold_a_draft() -> None:
    assert FLOW_STEPS == (
        "meeting", "area", "topic", "text", "photos", "location", "contact", "phone", "proxy_name", "proxy_phone",
        "confirm",
    )


def test_every_decline_says_a_sentence_of_both_catalogs() -> None:
    catalog = Catalog.load()
    declines = [step.refuse for step in FLOW if isinstance(step.refuse, Decline)]
    assert declines
    for decline in declines:
        assert decline.key in catalog.keys("vi") and decline.key in catalog.keys("en"), decline.key


# --- the button codecs -----------------------------------------------------------------------


def test_step_and_global_buttons_keep_their_wire_format() -> None:
    assert step_payload(3, StepAction.SEND) == "3:ok:"
    assert step_payload(12, StepAction.AREA, "kp1-t1") == "12:a:kp1-t1"
    assert global_payload(GlobalAction.NEW) == "g:new:"
    assert global_payload(GlobalAction.WITHDRAW, 7) == "g:wd:7"
    assert parse("12:a:kp1-t1") == StepPayload(12, StepAction.AREA, "kp1-t1")
    assert parse("g:del:yes") == GlobalPayload(GlobalAction.DELETE, "yes")


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("g:sat:12:0", (12, False)),
        ("g:sat:12:1", (12, True)),
        ("g:sat:12:2", None),
        ("g:sat:²:1", None),
        ("g:sat:12", None),
        ("g:sat:1:1:x", None),
    ],
)
def test_a_satisfaction_answer_is_parsed_in_one_place(raw: str, expected: tuple[int, bool] | None) -> None:
    payload = parse(raw)
    assert isinstance(payload, GlobalPayload) and payload.action is GlobalAction.SATISFACTION
    assert payload.rating == expected


@pytest.mark.parametrize("raw", ["", "garbage", "g:nope:", "g:new", "x" * 64, "g:lang:" + "é" * 40])
def test_what_is_no_payload_of_ours_parses_to_nothing(raw: str) -> None:
    assert parse(raw) is None


def test_a_step_button_of_no_version_or_unknown_action_is_still_a_step_button() -> None:
    # Stale or invalid is the frame's call, by the version: the codec only says what it claims.
    assert parse("x:y:z") == StepPayload(None, None, "z")
    assert parse("4:zz:1") == StepPayload(4, None, "1")
    assert parse("２:ok:") == StepPayload(2, StepAction.SEND, "")  # a full-width digit is a digit
    assert parse("²:ok:") == StepPayload(None, StepAction.SEND, "")


def test_a_button_we_build_over_the_platforms_limit_is_a_bug_caught_at_once() -> None:
    with pytest.raises(PayloadTooLong):
        global_payload(GlobalAction.SUBSCRIBE, "khu-pho-" * 10)


def test_no_payload_is_cut_by_hand_in_the_resident_package() -> None:
    offenders = []
    for path in RESIDENT.rglob("*.py"):
        text = path.read_text("utf-8")
        for needle in ('split(":"', "split(':'", 'partition(":"', "partition(':'"):
            if needle in text:
                offenders.append(f"{path.relative_to(ROOT)}: {needle}")
    assert not offenders


# --- sizes -----------------------------------------------------------------------------------


def test_resident_modules_classes_and_functions_stay_small() -> None:
    too_big = []
    for path in RESIDENT.rglob("*.py"):
        source = path.read_text("utf-8")
        where = path.relative_to(ROOT)
        if len(source.splitlines()) > 500:
            too_big.append(f"{where}: {len(source.splitlines())} lines")
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                limit = 350 if isinstance(node, ast.ClassDef) else 80
                length = (node.end_lineno or node.lineno) - node.lineno + 1
                if length > limit:
                    too_big.append(f"{where}:{node.lineno} {node.name}: {length} lines")
    assert not too_big


# --- the frame --------------------------------------------------------------------------------


async def test_an_aside_shows_the_current_prompt_again(intake, meeting) -> None:
    lan = Chat(intake, "801")
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Khu phố 1")
    await lan.press("Tổ dân phố 1")
    prompt = await lan.press("Hẻm, đường sá")
    for aside in ("/help", "/my", "/zzz"):
        replies = await lan.text(aside)
        assert len(replies) == 2 and replies[-1] == prompt[-1], aside


# --- another resident's words ------------------------------------------------------------------

# Each close enough to the concern being written that the offer shows it (see bot/domain/similar.py).
NEIGHBOURS = {
    "phone": ("Đèn hẻm 48 Tân Hóa bị hư, gọi tôi 0903123456", "0903123456", "[số điện thoại đã ẩn]", "[phone number hidden]"),
    "e-mail": ("Đèn hẻm 48 Tân Hóa bị hư, lan@example.com", "lan@example.com", "[địa chỉ e-mail đã ẩn]", "[e-mail address hidden]"),
}
WRITING = "Đèn hẻm 48 Tân Hóa bị hư"



@pytest.mark.parametrize("detail", NEIGHBOURS)
async def test_a_neighbours_phone_or_email_is_not_shown_in_the_similar_offer(
    intake, meeting, database: Database, detail: str
) -> None:
    neighbour, secret, mask, _ = NEIGHBOURS[detail]
    await submit_concern(Chat(intake, "811"), neighbour)
    minh = Chat(intake, "812")
    replies = await to_summary(minh, WRITING)
    offer = replies[1]
    assert "TT-0001" in offer.text
    assert secret not in offer.text and mask in offer.text
    # Only what is shown to others is masked: the concern is stored as its author wrote it.
    stored = await database.fetch_all("SELECT text FROM concerns WHERE code = 'TT-0001'")
    assert stored[0]["text"] == neighbour


@pytest.mark.parametrize("detail", NEIGHBOURS)
async def test_the_masks_are_in_the_readers_language(intake, meeting, detail: str) -> None:
    neighbour, secret, _, mask = NEIGHBOURS[detail]
    await submit_concern(Chat(intake, "821"), neighbour)
    john = Chat(intake, "822")
    await to_summary(john, WRITING)
    await john.text("/language en")
    await john.press("Edit the text")
    replies = await john.text(WRITING)
    offer = replies[0]
    assert offer.text.startswith("Other residents have already sent similar concerns")
    assert secret not in offer.text and mask in offer.text
