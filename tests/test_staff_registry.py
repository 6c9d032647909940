"""The staff commands are declared once, in the registry; the desk's sets and claims are read from it."""

from __future__ import annotations

import ast
from pathlib import Path

from bot.domain.messages import Inbound, InboundKind
from bot.domain.vocabulary import Role
from bot.staff.desk import ADMIN_COMMANDS, REGISTRY, STAFF_COMMANDS
from bot.staff.payloads import BUTTONS

STAFF_PACKAGE = Path(__file__).resolve().parent.parent / "bot" / "staff"

# The commands staff have always had; a name dropped from the registry would silently
# hand it to the resident dialogue.
EXPECTED = {
    "staffhelp", "meetings", "queue", "c", "concern", "topic", "area", "reject", "merge", "unmerge",
    "agenda", "agenda_build", "agenda_sort", "item", "attach", "detach", "export",
    "meeting_new", "meeting_edit", "meeting_open", "meeting_close", "meeting_announce", "meeting_cancel",
    "answer", "import", "publish", "progress", "followup", "final", "carry", "stats", "results", "retry",
    "web",
}


def test_the_command_set_is_unchanged() -> None:
    assert STAFF_COMMANDS == EXPECTED
    assert ADMIN_COMMANDS == {n for n in EXPECTED if n.startswith("meeting_")}


def test_every_command_needs_staff_or_admin() -> None:
    for name in STAFF_COMMANDS:
        command = REGISTRY.command(name)
        assert command is not None and command.role in (Role.STAFF, Role.ADMIN)


def test_every_button_kind_has_an_action() -> None:
    assert all(REGISTRY.button(kind) is not None for kind in BUTTONS)


async def test_the_desk_claims_its_commands_and_buttons_in_private_chats(settings, database, clock) -> None:
    from bot.app import build_services

    desk = build_services(settings, database, clock).desk

    def private(kind: InboundKind, **fields: object) -> Inbound:
        return Inbound(channel="telegram", user_id="777", kind=kind, chat_id="777", **fields)  # type: ignore[arg-type]

    assert desk.claims(private(InboundKind.COMMAND, command="Queue"))
    assert not desk.claims(private(InboundKind.COMMAND, command="start"))
    assert desk.claims(private(InboundKind.BUTTON, payload="s:zz"))
    assert not desk.claims(private(InboundKind.BUTTON, payload="g:lang:vi"))


async def test_the_desk_claims_the_staff_chat_only_on_its_channel(settings, database, clock) -> None:
    from bot.app import build_services

    desk = build_services(settings, database, clock).desk
    staff_chat = str(settings.staff.chat_id)

    def group(channel: str, chat_id: str) -> Inbound:
        return Inbound(channel=channel, user_id="777", kind=InboundKind.TEXT, text="xin chào", chat_id=chat_id, group=True)

    assert desk.claims(group("telegram", staff_chat))
    # The same number on another channel is another chat, not the office's group.
    assert not desk.claims(group("zalo", staff_chat))
    assert not desk.claims(group("telegram", "-1009999"))


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


def test_the_staff_chat_reaches_storage_only_through_the_services() -> None:
    for path in STAFF_PACKAGE.rglob("*.py"):
        for name in _imports(path):
            top = name.split(".")[0]
            assert top not in ("storage", "handlers", "telegram", "aiohttp", "httpx"), f"{path.name} imports {name}"
            assert not name.startswith(("bot.resident", "bot.documents", "bot.outbox", "bot.cli")), f"{path.name} imports {name}"


def test_staff_payloads_are_cut_only_by_the_codec() -> None:
    for path in STAFF_PACKAGE.rglob("*.py"):
        assert '.split(":")' not in path.read_text("utf-8"), path.name
