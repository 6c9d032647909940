"""The fake Bot API server: HTTP routing, the test-side controls, and the parts wired together.

The server lives in the test's event loop. A test that runs the bot as a subprocess must
therefore wait with ``asyncio.create_subprocess_exec`` / ``await user.wait_for_messages(...)``,
never with blocking calls (``subprocess.run``, ``time.sleep``), or the server cannot answer.
"""

from __future__ import annotations

import asyncio
import inspect
import time
from collections.abc import Callable
from typing import Any

from aiohttp import web

from tests.fakebotapi import builders
from tests.fakebotapi.chats import FakeGroup, FakeUser
from tests.fakebotapi.diagnostics import describe_traffic
from tests.fakebotapi.editing import EditingMethods
from tests.fakebotapi.faults import Faults
from tests.fakebotapi.files import FileStore
from tests.fakebotapi.polling import Polling
from tests.fakebotapi.profile import Profile, commands_key
from tests.fakebotapi.records import ApiCall, SentMessage
from tests.fakebotapi.sending import SendingMethods
from tests.fakebotapi.state import Callback, ChatState
from tests.fakebotapi.wire import ApiError, Handler, JSONDict, read_params

DEFAULT_TOKEN = "123456:TEST-TOKEN"


class FakeBotApi:
    """The fake server plus the whole Telegram-side state tests assert on.

    Benchmarks subclass it (bench/common.py) and override ``_apply_delay``,
    ``_apply_failure`` and ``_record``: every request and every bot send goes through them.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        bot_id: int = 123456,
        bot_username: str = "doithoai_test_bot",
        bot_first_name: str = "Doithoai Test Bot",
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        bot_user = {
            "id": bot_id, "is_bot": True, "first_name": bot_first_name, "username": bot_username,
        }  # fmt: skip

        self.calls: list[ApiCall] = []
        self.downloads: list[str] = []
        self.server_errors: list[Exception] = []  # crashes inside the fake itself
        self.files = FileStore()
        self.faults = Faults()
        self._state = ChatState(bot_user)
        self._polling = Polling()
        self._profile = Profile(bot_user)
        self._sending = SendingMethods(self._state, self.files, self._record)
        self._runner: web.AppRunner | None = None
        self._port: int | None = None

        self._methods: dict[str, Handler] = {
            **self._profile.handlers(),
            **self._polling.handlers(),
            "getChat": self._state.get_chat,
            "getFile": self.files.get_file,
            **self._sending.handlers(),
            **EditingMethods(self._state, bot_id).handlers(),
        }
        self._method_names = {name.lower(): name for name in self._methods}

    # -- what tests read ----------------------------------------------------------------------

    @property
    def sent(self) -> list[SentMessage]:
        """Every message the bot sent, in order, kept up to date with edits and deletion."""
        return self._state.sent

    @property
    def chat_actions(self) -> list[tuple[int, str]]:
        return self._sending.chat_actions

    @property
    def updates_confirmed_up_to(self) -> int:
        return self._polling.confirmed_up_to

    @property
    def allowed_updates(self) -> list[str] | None:
        return self._polling.allowed_updates

    @property
    def webhook(self) -> JSONDict:
        return self._polling.webhook

    @property
    def bot_settings(self) -> dict[str, Any]:
        return self._profile.settings

    @property
    def commands(self) -> dict[tuple[str, str], list[dict[str, Any]]]:
        return self._profile.commands

    # Benchmarks keep their own FakeUser subclass and index of sent messages in these.
    @property
    def _users(self) -> dict[int, FakeUser]:
        return self._state.users

    @property
    def _chats(self) -> dict[int, JSONDict]:
        return self._state.chats

    @property
    def _records(self) -> dict[tuple[int, int], SentMessage]:
        return self._state.records

    # -- lifecycle ----------------------------------------------------------------------------

    async def start(self) -> None:
        """Binds an ephemeral port so parallel test runs never collide.

        A restart after :meth:`stop` reuses the same port, so a bot that kept running sees a
        Telegram outage and recovery rather than a server that moved away. All state (queued
        updates, messages, users) survives the restart.
        """
        if self._runner is not None:
            raise RuntimeError("FakeBotApi is already running")
        self._polling.open()
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle)
        app.router.add_route("GET", "/file/bot{token}/{file_path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        runner = web.AppRunner(app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        site = web.TCPSite(runner, "127.0.0.1", self._port or 0)
        try:
            await site.start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        self._port = int(runner.addresses[0][1])

    async def stop(self) -> None:
        """Wakes long polls and delayed answers first so shutdown never waits for them."""
        if self._runner is None:
            return
        self._polling.close()
        runner, self._runner = self._runner, None
        await runner.cleanup()

    async def __aenter__(self) -> FakeBotApi:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def port(self) -> int:
        """Stays valid after stop() so the URLs can be handed out before a restart."""
        if self._port is None:
            raise RuntimeError("FakeBotApi was never started; call start() first")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/bot"

    @property
    def base_file_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/file/bot"

    # -- test-side setup ----------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "Lan",
        last_name: str | None = None,
        language_code: str = "vi",
        username: str | None = None,
    ) -> FakeUser:
        """Idempotent so helpers can ask for "user 42" without tracking who created it."""
        existing = self._state.users.get(user_id)
        if existing is not None:
            return existing
        if user_id <= 0:
            raise ValueError("user ids are positive")
        user = FakeUser(self, user_id, first_name, last_name, language_code, username)
        self._state.users[user_id] = user
        self._state.chats[user_id] = user.chat_dict
        return user

    def group(
        self, chat_id: int, title: str = "Tổ công tác", chat_type: str = "supergroup"
    ) -> FakeGroup:
        """A group the bot is a member of; without it, sends to that chat answer 400."""
        existing = self._state.groups.get(chat_id)
        if existing is not None:
            return existing
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        group = FakeGroup(self, chat_id, title, chat_type)
        self._state.groups[chat_id] = group
        self._state.chats[chat_id] = group.chat_dict
        return group

    def push_update(self, update: dict[str, Any]) -> int:
        """Queues any raw update; a copy is stored so later edits do not rewrite history."""
        return self._polling.push(update)

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot (delivered or not)."""
        return list(self._polling.queue)

    def fail_next(
        self,
        method: str,
        *,
        status: int = 500,
        retry_after: int | None = None,
        description: str | None = None,
        count: int = 1,
        chat_id: int | None = None,
    ) -> None:
        self.faults.fail_next(
            self._canonical(method), status, retry_after, description, count, chat_id
        )

    def delay_next(self, method: str, seconds: float, count: int = 1) -> None:
        self.faults.delay_next(self._canonical(method), seconds, count)

    def block(self, user_id: int, notify: bool = False) -> None:
        """``notify`` also queues the my_chat_member update Telegram sends when a user blocks."""
        self._state.blocked.add(user_id)
        if notify:
            self._push_member_change(user_id, "member", "kicked")

    def unblock(self, user_id: int, notify: bool = False) -> None:
        self._state.blocked.discard(user_id)
        if notify:
            self._push_member_change(user_id, "kicked", "member")

    def my_commands(
        self, scope: dict[str, Any] | None = None, language_code: str = ""
    ) -> list[dict[str, Any]]:
        return list(self.commands.get(commands_key(scope, language_code), []))

    def calls_of(self, method: str) -> list[ApiCall]:
        name = self._canonical(method)
        return [call for call in self.calls if call.method == name]

    def file_content(self, file_id: str) -> bytes:
        return self.files.by_id[file_id].content

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not predicate():
            if loop.time() >= deadline:
                try:
                    source = inspect.getsource(predicate).strip()
                except (OSError, TypeError):
                    source = getattr(predicate, "__qualname__", repr(predicate))
                raise AssertionError(
                    f"condition not met within {timeout}s: {source}\n{self.describe()}"
                )
            await asyncio.sleep(0.01)

    def describe(self) -> str:
        """A debugging summary for timeout messages: is the bot polling, what did it get wrong."""
        return describe_traffic(self._polling, self.calls, self.server_errors)

    # -- HTTP layer ---------------------------------------------------------------------------

    def _canonical(self, method: str) -> str:
        name = self._method_names.get(method.lower())
        if name is None:
            raise ValueError(f"the fake server does not implement {method!r}")
        return name

    async def _handle(self, request: web.Request) -> web.Response:
        raw_method = request.match_info["method"]
        method = self._method_names.get(raw_method.lower())
        call = ApiCall(method=method or raw_method, params={}, status=0, time=time.monotonic())
        self.calls.append(call)
        try:
            params, files = await read_params(request)
            call.params = {**params, **files}
            if request.match_info["token"] != self.token:
                raise ApiError(401)
            if method is None:
                raise ApiError(404)
            await self._apply_delay(method)
            if request.transport is None or request.transport.is_closing():
                # The caller died while its request was held back: to Telegram, a request
                # that never arrived. Handling it would confirm updates nobody received.
                raise ApiError(499, "client disconnected before the request was handled")
            self._apply_failure(method, params)
            result = self._methods[method](params, files)
            if inspect.isawaitable(result):
                result = await result
            body: JSONDict = {"ok": True, "result": result}
            status = 200
        except ApiError as exc:
            body = exc.body()
            status = exc.status
            call.description = exc.description
        except Exception as exc:  # a bug in the fake must not look like a Telegram answer
            self.server_errors.append(exc)
            status = 500
            call.description = f"fakebotapi bug: {exc!r}"
            body = {"ok": False, "error_code": 500, "description": call.description}
        if request.transport is None or request.transport.is_closing():
            # e.g. the long poll of a killed bot process, ended by its successor's getUpdates
            call.description = f"{call.description or ''} [client had disconnected]".strip()
        call.status = status
        call.answered_at = time.monotonic()
        return web.json_response(body, status=status)

    async def _handle_file(self, request: web.Request) -> web.Response:
        path = request.match_info["file_path"]
        self.downloads.append(path)
        stored = self.files.by_path.get(path)
        if request.match_info["token"] != self.token or stored is None:
            return web.json_response(ApiError(404).body(), status=404)
        return web.Response(
            body=stored.content, content_type=stored.mime_type or "application/octet-stream"
        )

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return web.json_response(ApiError(404).body(), status=404)

    # -- hooks every request and every bot send pass through ----------------------------------

    async def _apply_delay(self, method: str) -> None:
        assert self._polling.closing is not None
        await self.faults.apply_delay(method, self._polling.closing)

    def _apply_failure(self, method: str, params: dict[str, Any]) -> None:
        self.faults.apply_failure(method, params)

    def _record(self, chat: JSONDict, method: str, *args: Any, **kwargs: Any) -> JSONDict:
        """Stores a message the bot sent (see ChatState.record_bot_message for the arguments)."""
        return self._state.record_bot_message(chat, method, *args, **kwargs)

    # -- what people do: used by FakeUser / FakeGroup (and by tests that push at volume) ------

    def _user_message(self, user: FakeUser, chat_id: int, fields: JSONDict) -> int:
        message = self._state.add_user_message(user.user_dict, chat_id, fields)
        return self.push_update({"message": message})

    def _press(self, user: FakeUser, chat_id: int, message_id: int | None, data: str) -> int:
        callback_id = self._state.new_callback_id()
        message = self._state.pressed_message(chat_id, message_id)
        query = builders.callback_query(callback_id, user.user_dict, chat_id, message, data)
        update_id = self.push_update({"callback_query": query})
        self._state.callbacks[callback_id] = Callback(user.user_id, update_id)
        return update_id

    def _push_member_change(self, user_id: int, old: str, new: str) -> None:
        user = self._state.users.get(user_id)
        if user is None:
            return
        bot = self._state.bot_user()
        update = builders.member_change(
            user.chat_dict, user.user_dict, bot, old, new, int(time.time())
        )
        self.push_update(update)
