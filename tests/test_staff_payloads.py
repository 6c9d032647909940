"""Staff buttons: one typed codec builds and reads every `s:` payload, in the wire format staff chats already hold."""

from __future__ import annotations

import pytest

from bot.domain.payloads import PayloadTooLong
from bot.staff.payloads import (
    BUTTONS,
    AreaMenu,
    Export,
    MalformedButton,
    Merge,
    MoveItemUp,
    Pressed,
    QueuePage,
    SetArea,
    SetTopic,
    ShowAgenda,
    ShowConcern,
    StaffButton,
    ToggleItem,
    TopicMenu,
    decode,
    is_staff_payload,
    pressed,
)

# Every kind, with the payload it has always had on the wire.
WIRE = [
    (QueuePage(1, 2), "s:q:1:2"),
    (ShowConcern(12), "s:c:12"),
    (TopicMenu(12, 3), "s:tm:12:3"),
    (SetTopic(12, 3, "an-ninh"), "s:st:12:3:an-ninh"),
    (AreaMenu(12, 3), "s:am:12:3"),
    (SetArea(12, 3, "kp2"), "s:sa:12:3:kp2"),
    (Merge(12, 7), "s:mg:12:7"),
    (ShowAgenda(1), "s:ag:1"),
    (ToggleItem(1, 4, include=False), "s:ai:1:4:0"),
    (ToggleItem(1, 4, include=True), "s:ai:1:4:1"),
    (MoveItemUp(1, 4), "s:au:1:4"),
    (Export(1, "docx"), "s:ex:1:docx"),
]


def test_every_kind_is_covered() -> None:
    assert {type(button) for button, _ in WIRE} == set(BUTTONS.values())


@pytest.mark.parametrize(("button", "payload"), WIRE)
def test_payloads_keep_their_wire_format_and_read_back(button: StaffButton, payload: str) -> None:
    assert button.payload == payload
    assert is_staff_payload(payload)
    assert decode(pressed(payload)) == button


def test_a_press_names_its_kind_and_fields_for_the_audit_log() -> None:
    assert pressed("s:mg:1:1") == Pressed("mg", ("1", "1"))
    assert pressed("s:mg:1:1").action == "button:mg"
    assert pressed("s:zz:1") == Pressed("zz", ("1",))
    assert pressed("s:") == Pressed("", ())


def test_an_unknown_kind_decodes_to_nothing() -> None:
    assert decode(pressed("s:zz:1")) is None


@pytest.mark.parametrize("payload", ["s:c", "s:c:x", "s:mg:1", "s:q:1:x", "s:ai:1", "s:tm:1:two"])
def test_forged_or_damaged_fields_are_malformed(payload: str) -> None:
    with pytest.raises(MalformedButton):
        decode(pressed(payload))


def test_other_payloads_are_not_staff_buttons() -> None:
    for payload in ("g:lang:vi", "s", "", None, "sx:1"):
        assert not is_staff_payload(payload)


def test_a_button_too_long_for_the_platforms_is_refused_when_built() -> None:
    with pytest.raises(PayloadTooLong):
        _ = SetTopic(1, 1, "x" * 64).payload
