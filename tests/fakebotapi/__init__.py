"""A local fake of the Telegram Bot API for end-to-end tests.

Why it exists: the bot has to be exercised through the *real* python-telegram-bot stack
(HTTP, form/multipart encoding, ``Update.de_json``, error mapping, polling offsets) without
ever touching api.telegram.org, and without mocking PTB internals that would hide wire-level
bugs. The server speaks the Bot API over real TCP on 127.0.0.1, so the bot may run inside the
test (``ApplicationBuilder().base_url(api.base_url).base_file_url(api.base_file_url)``) or as a
separate process pointed at the same URLs.

The server lives in the test's event loop. A test that runs the bot as a subprocess must
therefore wait with ``asyncio.create_subprocess_exec`` / ``await user.wait_for_messages(...)``,
never with blocking calls (``subprocess.run``, ``time.sleep``), or the server cannot answer.

Behaviour copied from Telegram because bots break on exactly these details:

* every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error_code": N,
  "description": "...", "parameters": {...}}`` with the matching HTTP status;
* ``getUpdates`` only forgets updates when a later call confirms them with ``offset`` - a bot that
  crashes before confirming gets them again after a restart; a newer ``getUpdates`` ends an older
  waiting one with 409 Conflict;
* message text goes through ``parse_mode`` parsing (HTML, MarkdownV2, Markdown): malformed markup
  answers 400 "can't parse entities", and :attr:`SentMessage.text` is what the user *sees*
  (tags removed, entities decoded, surrounding whitespace trimmed) - the markup as sent is kept
  in :attr:`SentMessage.raw_text`;
* ``editMessageText`` without ``reply_markup`` removes the inline keyboard; an edit that changes
  nothing answers 400 "message is not modified"; a second ``answerCallbackQuery`` for the same
  query answers 400;
* sending to a chat the server has never seen answers 400 "chat not found": create users with
  :meth:`FakeBotApi.user` and group chats with :meth:`FakeBotApi.group` first.

Not modelled: webhooks are accepted and reported but updates are never pushed to them;
``allowed_updates`` is recorded (:attr:`FakeBotApi.allowed_updates`) but does not filter, so
hostile/unknown updates pushed with :meth:`FakeBotApi.push_update` always reach the bot.

The parts, one purpose each:

* :mod:`.server` - :class:`FakeBotApi`: HTTP routing, the test-side controls, the parts wired;
* :mod:`.wire` - request parsing and Telegram-shaped error answers;
* :mod:`.state` - the chats, messages and pending presses the server keeps;
* :mod:`.polling` - the update queue, ``getUpdates`` and the webhook switch;
* :mod:`.sending`, :mod:`.editing`, :mod:`.profile` - the Bot API methods, by what they act on;
* :mod:`.formatting` - ``parse_mode`` parsing; :mod:`.markup` - ``reply_markup`` checks;
* :mod:`.files` - files residents send and the bot uploads;
* :mod:`.builders` - what a resident's phone sends (text, commands, photos, location, ...);
* :mod:`.chats` - :class:`FakeUser` / :class:`FakeGroup`: a chat as the test sees it;
* :mod:`.faults` - injected failures and delays;
* :mod:`.records` - what the bot did: :class:`ApiCall`, :class:`SentMessage`;
  :mod:`.diagnostics` - the summary a timed-out wait prints.
"""

from __future__ import annotations

from tests.fakebotapi.builders import OWN_ID, text_fields
from tests.fakebotapi.chats import FakeGroup, FakeUser
from tests.fakebotapi.records import ApiCall, FileUpload, SentMessage
from tests.fakebotapi.server import DEFAULT_TOKEN, FakeBotApi
from tests.fakebotapi.wire import ApiError

# The names of the single-module fake, kept so that older imports keep working.
_ApiError = ApiError
_text_fields = text_fields

__all__ = [
    "DEFAULT_TOKEN",
    "OWN_ID",
    "ApiCall",
    "ApiError",
    "FakeBotApi",
    "FakeGroup",
    "FakeUser",
    "FileUpload",
    "SentMessage",
    "text_fields",
]
