"""The staff commands and buttons, each declared once: its names, the role it needs, how its
arguments are read, and what runs it. Everything else about the set of staff commands (which
exist, which need an admin, whether the desk claims an event) is read from here.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from bot.domain.messages import Reply
from bot.domain.vocabulary import Role
from bot.staff.context import Arguments, Request, Staff
from bot.staff.payloads import ButtonKind, StaffButton

A = TypeVar("A")
B = TypeVar("B", bound=StaffButton)


@dataclass(frozen=True)
class Command(Generic[A]):
    names: tuple[str, ...]
    role: Role
    parse: Callable[[Arguments], A]
    run: Callable[[Staff, Request, A], Awaitable[list[Reply]]]


@dataclass(frozen=True)
class ButtonAction(Generic[B]):
    button: type[B]
    run: Callable[[Staff, Request, B], Awaitable[list[Reply]]]
    role: Role = Role.STAFF

    @property
    def kind(self) -> ButtonKind:
        return self.button.kind


def no_arguments(args: Arguments) -> None:
    return None


class Registry:
    def __init__(self, commands: Iterable[Command[Any]], buttons: Iterable[ButtonAction[Any]]) -> None:
        self._commands: dict[str, Command[Any]] = {}
        for command in commands:
            for name in command.names:
                if name in self._commands:
                    raise ValueError(f"staff command /{name} is declared twice")
                self._commands[name] = command
        self._buttons: dict[str, ButtonAction[Any]] = {}
        for action in buttons:
            if action.kind in self._buttons:
                raise ValueError(f"staff button {action.kind!r} is declared twice")
            self._buttons[action.kind] = action

    @property
    def command_names(self) -> frozenset[str]:
        return frozenset(self._commands)

    def names_needing(self, role: Role) -> frozenset[str]:
        return frozenset(name for name, command in self._commands.items() if command.role is role)

    def command(self, name: str) -> Command[Any] | None:
        return self._commands.get(name)

    def button(self, kind: str) -> ButtonAction[Any] | None:
        return self._buttons.get(kind)
