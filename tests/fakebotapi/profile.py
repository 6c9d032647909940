"""The bot's own profile: getMe, its command menus, descriptions, name and menu button."""

from __future__ import annotations

import json
import re
from typing import Any

from tests.fakebotapi.records import FileUpload
from tests.fakebotapi.wire import Handler, JSONDict, as_json, bad


def commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
    """Telegram keeps one command list per (scope, language)."""
    scope = as_json(scope, "scope") if scope not in (None, "") else {"type": "default"}
    return json.dumps(scope, sort_keys=True), str(language_code or "")


class Profile:
    def __init__(self, bot_user: JSONDict) -> None:
        self.bot_user = bot_user
        self.settings: dict[str, Any] = {}
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}

    def handlers(self) -> dict[str, Handler]:
        return {
            "getMe": self.get_me,
            "logOut": lambda p, f: True,
            "close": lambda p, f: True,
            "setMyCommands": self.set_my_commands,
            "getMyCommands": self.get_my_commands,
            "deleteMyCommands": self.delete_my_commands,
            "setMyDescription": lambda p, f: self._set("description", p),
            "setMyShortDescription": lambda p, f: self._set("short_description", p),
            "setMyName": lambda p, f: self._set("name", p),
            "setChatMenuButton": lambda p, f: self._set("menu_button", p),
            "getMyDescription": lambda p, f: {"description": self.settings.get("description", "")},
            "getMyShortDescription": lambda p, f: {
                "short_description": self.settings.get("short_description", "")
            },
            "getMyName": lambda p, f: {
                "name": self.settings.get("name", self.bot_user["first_name"])
            },
            "getChatMenuButton": lambda p, f: self.settings.get(
                "menu_button", {"type": "default"}
            ),
        }

    def _set(self, name: str, params: dict[str, Any]) -> bool:
        self.settings[name] = params.get(name)
        return True

    def get_me(self, params: dict[str, Any], files: dict[str, FileUpload]) -> JSONDict:
        return {
            **self.bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def set_my_commands(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        commands = as_json(params.get("commands"), "commands")
        if not isinstance(commands, list):
            raise bad("can't parse commands JSON object")
        for command in commands:
            name = command.get("command", "") if isinstance(command, dict) else ""
            if not re.fullmatch(r"[a-z0-9_]{1,32}", str(name)):
                raise bad("BOT_COMMAND_INVALID")
            if not 1 <= len(str(command.get("description", ""))) <= 256:
                raise bad("BOT_COMMAND_DESCRIPTION_INVALID")
        key = commands_key(params.get("scope"), params.get("language_code"))
        self.commands[key] = [dict(c) for c in commands]
        return True

    def get_my_commands(
        self, params: dict[str, Any], files: dict[str, FileUpload]
    ) -> list[JSONDict]:
        key = commands_key(params.get("scope"), params.get("language_code"))
        return list(self.commands.get(key, []))

    def delete_my_commands(self, params: dict[str, Any], files: dict[str, FileUpload]) -> bool:
        self.commands.pop(commands_key(params.get("scope"), params.get("language_code")), None)
        return True
