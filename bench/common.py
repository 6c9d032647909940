"""Shared pieces of the benchmarks in bench/: the machine, RESULTS.md, percentiles, a fake Bot API
that scales to thousands of chats and can enforce a per-bot rate limit, child processes, synthetic
concern texts and a py-spy profile summary.

Nothing here is imported by the bot; the benchmarks are run by hand (see each script's --help).
"""

from __future__ import annotations

import asyncio
import collections
import datetime as _dt
import linecache
import os
import platform
import random
import re
import shlex
import sys
import time
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from tests.fakebotapi import ApiError, FakeBotApi, FakeUser, SentMessage

RESULTS = ROOT / "bench" / "RESULTS.md"
EXAMPLE_CONFIG = ROOT / "config.example.toml"
PYTHON = sys.executable


# --- the machine and RESULTS.md --------------------------------------------------------------


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def load_average() -> str:
    """The host's 1-minute load average now: other work on the machine skews wall-clock figures."""
    try:
        return f"{os.getloadavg()[0]:.2f}"
    except OSError:
        return "n/a"


def machine() -> str:
    memory = ""
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                memory = f", {int(line.split()[1]) // 1024} MiB RAM"
    except OSError:
        pass
    return (
        f"{platform.platform()}; {os.cpu_count()} CPU ({cpu_model()}){memory}; "
        f"Python {platform.python_version()} ({platform.python_implementation()})"
    )


def command_line() -> str:
    """The command as typed, relative to the repository root."""
    script = Path(sys.argv[0]).resolve()
    try:
        shown = str(script.relative_to(ROOT))
    except ValueError:
        shown = str(script)
    python = ".venv/bin/python" if Path(PYTHON).is_relative_to(ROOT) else PYTHON
    return " ".join([python, shown, *(shlex.quote(a) for a in sys.argv[1:])])


def append_results(title: str, lines: Sequence[str], notes: Sequence[str] = ()) -> None:
    """Append one dated section to bench/RESULTS.md (created with a short header if missing)."""
    now = _dt.datetime.now().astimezone()
    section = [
        "",
        f"## {title} — {now:%Y-%m-%d %H:%M %Z}",
        "",
        f"- Machine: {machine()}",
        f"- Command: `{command_line()}`",
        "",
        *lines,
    ]
    if notes:
        section += ["", *notes]
    if not RESULTS.exists():
        RESULTS.write_text(
            "# Benchmark results\n\n"
            "Appended by the scripts in bench/ (run by hand; never by CI). Each section names the\n"
            "machine, the date and the exact command; the figures are what that run measured.\n",
            encoding="utf-8",
        )
    with RESULTS.open("a", encoding="utf-8") as out:
        out.write("\n".join(section) + "\n")
    print(f"\nappended to {RESULTS.relative_to(ROOT)}")


def percentile(values: Sequence[float], q: float) -> float:
    """Nearest-rank percentile (q in 0..100) of unsorted values; nan for none."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    rank = max(1, min(len(ordered), int(-(-q * len(ordered) // 100))))
    return ordered[rank - 1]


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.1f} ms"


# --- a fake Bot API for thousands of chats ---------------------------------------------------

# Methods Telegram counts against the ~30 messages/s of a bot.
SENDING = frozenset(
    {"sendMessage", "sendDocument", "sendPhoto", "sendMediaGroup", "sendLocation", "copyMessage", "forwardMessage"}
)


class BenchApi(FakeBotApi):
    """tests/fakebotapi.FakeBotApi with what a benchmark needs on top:

    * O(1) inboxes and event-driven waits (the test fake scans every sent message of every
      chat and polls each 10 ms, which is fine for a test and quadratic for 2,000 residents);
    * the reply latency of every message the bot sends: from the moment the chat's last
      update was queued (``push_update``) to the moment the fake handles the send;
    * optionally, a network round trip (``rtt`` seconds added to every call but getUpdates);
    * optionally, Telegram's per-bot limit: at most ``limit`` sending calls (SENDING) accepted
      in any sliding window of ``window`` seconds, measured when the fake handles the request;
      the call over the limit answers 429 with ``retry_after`` (seconds) and is not counted as
      sent. The check runs where the fake's own ``fail_next`` failures run (``_apply_failure``);
    * optionally, Telegram's per-chat limit: at most one sending call per chat in any
      ``per_chat_window`` seconds, answered 429 the same way.
    """

    def __init__(
        self, *args: Any, limit: float | None = None, window: float = 1.0, retry_after: int = 1, rtt: float = 0.0,
        per_chat_window: float | None = None, **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.per_chat_window = per_chat_window
        self.rejected_per_chat = 0
        self.paid_broadcasts = 0
        self._last_send_to: dict[int, float] = {}
        self.rtt = rtt
        self.limit = limit
        self.window = window
        self.retry_after = retry_after
        self.rejected_429 = 0
        self.accepted_sends: list[float] = []  # perf_counter() of each accepted sending call
        self.reply_latencies: list[float] = []
        self.method_counts: collections.Counter[str] = collections.Counter()
        self._recent: collections.deque[float] = collections.deque()
        self._inboxes: dict[int, list[SentMessage]] = {}
        self._events: dict[int, asyncio.Event] = {}
        self._pushed_at: dict[int, float] = {}

    # test-side ---------------------------------------------------------------------------

    def user(  # type: ignore[override]
        self,
        user_id: int,
        first_name: str = "Lan",
        last_name: str | None = None,
        language_code: str = "vi",
        username: str | None = None,
    ) -> BenchUser:
        existing = self._users.get(user_id)
        if existing is not None:
            assert isinstance(existing, BenchUser)
            return existing
        user = BenchUser(self, user_id, first_name, last_name, language_code, username)
        self._users[user_id] = user
        self._chats[user_id] = user.chat_dict
        return user

    def inbox_of(self, chat_id: int) -> list[SentMessage]:
        return self._inboxes.setdefault(chat_id, [])

    def event_of(self, chat_id: int) -> asyncio.Event:
        event = self._events.get(chat_id)
        if event is None:
            event = self._events[chat_id] = asyncio.Event()
        return event

    def push_update(self, update: dict[str, Any]) -> int:
        body = update.get("message") or update.get("callback_query") or {}
        chat = (body.get("chat") or (body.get("message") or {}).get("chat") or {}).get("id")
        if isinstance(chat, int):
            self._pushed_at[chat] = time.perf_counter()
        return super().push_update(update)

    # server-side -------------------------------------------------------------------------

    async def _apply_delay(self, method: str) -> None:
        # A network round trip to api.telegram.org, for every call but the long poll (whose
        # wait hides it); each request waits on its own, as on a real network.
        if self.rtt and method != "getUpdates":
            await asyncio.sleep(self.rtt)
        await super()._apply_delay(method)

    def _apply_failure(self, method: str, params: dict[str, Any]) -> None:
        self.method_counts[method] += 1
        super()._apply_failure(method, params)
        if method not in SENDING:
            return
        now = time.perf_counter()
        chat = params.get("chat_id")
        if self.per_chat_window is not None and chat is not None:
            last = self._last_send_to.get(int(chat))
            if last is not None and now - last < self.per_chat_window:
                self.rejected_429 += 1
                self.rejected_per_chat += 1
                raise ApiError(429, retry_after=self.retry_after)
        if params.get("allow_paid_broadcast") in (True, "true", "True"):
            self.paid_broadcasts += 1
        if self.limit is not None:
            recent = self._recent
            while recent and recent[0] <= now - self.window:
                recent.popleft()
            if len(recent) >= self.limit:
                self.rejected_429 += 1
                raise ApiError(429, retry_after=self.retry_after)
            recent.append(now)
        if chat is not None and self.per_chat_window is not None:
            self._last_send_to[int(chat)] = now
        self.accepted_sends.append(now)

    def _record(self, chat: dict[str, Any], method: str, *args: Any, **kwargs: Any) -> dict[str, Any]:
        message = super()._record(chat, method, *args, **kwargs)
        chat_id = chat["id"]
        record = self._records[(chat_id, message["message_id"])]
        self.inbox_of(chat_id).append(record)
        pushed = self._pushed_at.get(chat_id)
        if pushed is not None:
            self.reply_latencies.append(time.perf_counter() - pushed)
        event = self._events.get(chat_id)
        if event is not None:
            event.set()
        return message


class BenchUser(FakeUser):
    """A FakeUser whose inbox is indexed and whose waits sleep on an event instead of polling."""

    api: BenchApi

    @property
    def inbox(self) -> list[SentMessage]:  # type: ignore[override]
        return self.api.inbox_of(self.chat_id)

    async def _wait(self, ready: Any, timeout: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        event = self.api.event_of(self.chat_id)
        while not ready():
            left = deadline - loop.time()
            if left <= 0:
                got = "\n".join(f"  {m}" for m in self.inbox[self._mark :]) or "  (none)"
                raise TimeoutError(f"chat {self.chat_id}: no answer within {timeout}s; got:\n{got}")
            event.clear()
            try:
                await asyncio.wait_for(event.wait(), left)
            except TimeoutError:
                pass

    async def wait_for_messages(self, count: int, timeout: float = 10.0) -> list[SentMessage]:
        await self._wait(lambda: len(self.inbox) - self._mark >= count, timeout)
        new = self.inbox[self._mark : self._mark + count]
        self._mark += count
        return new

    async def wait_for_label(self, label: str, timeout: float = 10.0) -> list[SentMessage]:
        """Wait for the message offering ``label`` (inline or reply keyboard); returns it and
        everything before it since the mark, and moves the mark past them."""

        def offered() -> int | None:
            inbox = self.inbox
            for index in range(self._mark, len(inbox)):
                if any(text == label for text, _ in inbox[index].buttons()):
                    return index
            return None

        await self._wait(lambda: offered() is not None, timeout)
        end = offered()
        assert end is not None
        new = self.inbox[self._mark : end + 1]
        self._mark = end + 1
        return new


# --- child processes -------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a running process (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def status_kib(pid: int, key: str) -> int:
    """A size from /proc/PID/status, e.g. VmHWM (peak RSS) or VmRSS, in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(key + ":"):
            return int(line.split()[1])
    raise KeyError(key)


async def wait_for_file(path: Path, timeout: float, process: asyncio.subprocess.Process | None = None) -> str:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not path.exists() or not path.read_text().strip():
        if process is not None and process.returncode is not None:
            raise RuntimeError(f"child exited with {process.returncode} before writing {path}")
        if loop.time() > deadline:
            raise TimeoutError(f"{path} not written within {timeout}s")
        await asyncio.sleep(0.05)
    return path.read_text().strip()


async def wait_until(predicate: Any, timeout: float, what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not predicate():
        if loop.time() > deadline:
            raise TimeoutError(f"{what}: not within {timeout}s")
        await asyncio.sleep(0.05)


def have_py_spy() -> str | None:
    candidate = Path(PYTHON).with_name("py-spy")
    if candidate.exists():
        return str(candidate)
    from shutil import which

    return which("py-spy")


# --- synthetic concerns ----------------------------------------------------------------------

_STREETS = [
    "Tân Hóa", "Phú Thọ", "Hàn Hải Nguyên", "Ông Ích Khiêm", "Lãnh Binh Thăng", "Lạc Long Quân",
    "Minh Phụng", "Lò Siêu", "Tôn Thất Hiệp", "Bình Thới", "Nguyễn Thị Nhỏ", "Đội Cung", "Lê Đại Hành",
    "Thái Phiên", "Hòa Bình", "Âu Cơ", "Lữ Gia", "Xóm Đất",
]  # fmt: skip
_PROBLEMS = [
    "Đèn chiếu sáng {loc} bị hư hơn một tháng, buổi tối đi lại rất nguy hiểm",
    "Rác thải {loc} không được thu gom, bốc mùi hôi ảnh hưởng sức khỏe người dân",
    "Mưa lớn là {loc} ngập sâu, xe chết máy, đề nghị nạo vét cống thoát nước",
    "Xe tải đậu trên vỉa hè {loc} cả ngày, người đi bộ phải xuống lòng đường",
    "Quán nhậu {loc} mở nhạc lớn đến khuya, ảnh hưởng giấc ngủ của bà con",
    "Mặt đường {loc} xuống cấp, nhiều ổ gà, đã có người té xe",
    "Nhóm thanh niên tụ tập đua xe ở {loc} lúc nửa đêm, gây mất an ninh trật tự",
    "Cây xanh {loc} nghiêng sắp đổ, đề nghị cắt tỉa trước mùa mưa bão",
    "Hồ sơ cấp giấy chứng nhận nhà ở {loc} nộp đã lâu mà chưa có kết quả",
    "Đề nghị bố trí thêm chỗ giữ xe cho phụ huynh trước trường học gần {loc}",
    "Điểm tập kết rác tạm {loc} gây ô nhiễm, ruồi nhặng nhiều",
    "Chợ tự phát lấn chiếm lòng đường {loc} gây kẹt xe giờ cao điểm",
    "Nhà văn hóa {loc} xuống cấp, đề nghị sửa chữa để bà con sinh hoạt",
    "Hộ nghèo {loc} chưa nhận được tiền hỗ trợ theo chính sách",
    "Đường dây điện {loc} chằng chịt, thấp, dễ gây chập cháy",
]  # fmt: skip
_PLACES = ["hẻm {n} {street}", "trước nhà số {n} đường {street}", "đường {street}", "ngã tư {street} – {other}"]


def concern_text(rng: random.Random) -> str:
    """A plausible concern (≥ 10 characters, some without diacritics), varied enough that only
    some are offered as similar, as in a real ward."""
    street, other = rng.sample(_STREETS, 2)
    place = rng.choice(_PLACES).format(n=rng.randint(1, 400), street=street, other=other)
    text = rng.choice(_PROBLEMS).format(loc=place) + "."
    if rng.random() < 0.15:
        import unicodedata

        text = "".join(c for c in unicodedata.normalize("NFD", text) if unicodedata.category(c) != "Mn")
        text = text.replace("đ", "d").replace("Đ", "D")
    return text


# --- py-spy output ---------------------------------------------------------------------------

_FRAME = re.compile(r"^(?P<func>.*?) \((?P<file>[^():]+)(?::(?P<line>\d+))?\)$")


def _short_file(path: str) -> str:
    for marker in ("site-packages/", "/lib/python3", str(ROOT) + "/"):
        if marker in path:
            tail = path.split(marker, 1)[1]
            return tail.split("/", 1)[1] if marker == "/lib/python3" and "/" in tail else tail
    return path


def _category(file: str) -> str:
    f = file
    for prefix, name in (
        ("bot/", "project: bot/"), ("handlers/", "project: handlers/"), ("storage/", "project: storage/"),
        ("telegram/", "python-telegram-bot"), ("httpx/", "httpx/httpcore"), ("httpcore/", "httpx/httpcore"),
        ("h11/", "httpx/httpcore"), ("anyio/", "httpx/httpcore"), ("aiosqlite/", "aiosqlite + sqlite3"),
        ("sqlite3/", "aiosqlite + sqlite3"), ("asyncio/", "asyncio event loop"), ("selectors", "asyncio event loop"),
        ("json/", "json"), ("logging/", "logging"), ("apscheduler/", "apscheduler"), ("rapidfuzz/", "rapidfuzz"),
        ("pydantic", "pydantic"), ("concurrent/", "threads"), ("threading", "threads"), ("queue", "threads"),
    ):  # fmt: skip
        if f.startswith(prefix):
            return name
    return "other (stdlib/libs)"


# Leaves where a thread is blocked rather than working (epoll, aiosqlite's worker waiting for the
# next statement, a lock): py-spy does not always see such a thread as idle, so these samples are
# counted apart. aiosqlite's worker charges the sqlite3 C code it runs to the line that calls it,
# so for that function the source line decides.
_BLOCKING_FUNCS = frozenset({"EpollSelector.select", "PollSelector.select", "Condition.wait", "Thread.join",
                             "Thread._wait_for_tstate_lock", "ThreadedChildWatcher._do_waitpid"})


def _is_wait(func: str, file: str, line: int | None) -> bool:
    if func in _BLOCKING_FUNCS:
        return True
    if func != "_connection_worker_thread" or line is None:
        return False
    for base in (*sys.path, str(ROOT)):
        path = Path(base) / file
        if path.is_file():
            return "tx.get(" in linecache.getline(str(path), line)
    return False


def summarise_py_spy(raw: Path, top: int = 15) -> list[str]:
    """Top costs from a `py-spy record --format raw --threads` file (collapsed stacks)."""
    leaf: collections.Counter[str] = collections.Counter()
    inclusive: collections.Counter[str] = collections.Counter()
    categories: collections.Counter[str] = collections.Counter()
    threads: collections.Counter[str] = collections.Counter()
    waits: collections.Counter[str] = collections.Counter()
    total = 0
    for line in raw.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = stack.split(";")
        thread = "?"
        parsed: list[tuple[str, str]] = []
        where: tuple[str, str, int | None] = ("", "", None)
        for frame in frames:
            if frame.startswith("thread ("):
                thread = frame.split(": ", 1)[-1]
                continue
            if frame.startswith("process "):
                continue
            match = _FRAME.match(frame)
            if match is None:
                continue
            parsed.append((match["func"], _short_file(match["file"])))
            where = (match["func"], match["file"], int(match["line"]) if match["line"] else None)
        if not parsed:
            continue
        if _is_wait(*where):
            waits[f"{parsed[-1][0]} ({parsed[-1][1]})"] += count
            continue
        total += count
        names = [f"{func} ({file})" for func, file in parsed]
        if thread == "MainThread":
            threads["main thread (event loop)"] += count
        elif "_connection_worker_thread" in thread:
            threads["aiosqlite worker thread (SQLite)"] += count
        else:
            threads[f"other thread: {thread}"] += count
        leaf[names[-1]] += count
        categories[_category(parsed[-1][1])] += count
        for name in set(names):
            inclusive[name] += count
    if total == 0:
        return ["(no samples)"]
    waited = sum(waits.values())
    out = [
        f"{total + waited} samples (py-spy, all threads, idle excluded); {waited} of them blocked in "
        + (", ".join(f"{name} {n}" for name, n in waits.most_common()) or "nothing")
        + f" are left out: shares below are of the {total} working samples.",
        "",
        "By thread:",
    ]
    out += [f"  {share(n, total)}  {name}" for name, n in threads.most_common()]
    out += ["", "Self time by package (leaf frame):"]
    out += [f"  {share(n, total)}  {name}" for name, n in categories.most_common()]
    out += ["", f"Top {top} functions by self time:"]
    out += [f"  {share(n, total)}  {name}" for name, n in leaf.most_common(top)]
    interesting = [
        (name, n)
        for name, n in inclusive.most_common()
        if n < 0.95 * total and not any(skip in name for skip in ("asyncio/", "<module>", "(runpy", "threading.py"))
    ]
    out += ["", f"Top {top * 2} functions by inclusive time (event-loop plumbing left out):"]
    out += [f"  {share(n, total)}  {name}" for name, n in interesting[: top * 2]]
    project = [(name, n) for name, n in interesting if re.search(r"\((bot|handlers|storage)/", name)]
    out += ["", f"Top {top} functions of this project (bot/, handlers/, storage/) by inclusive time:"]
    out += [f"  {share(n, total)}  {name}" for name, n in project[:top]]
    return out


def share(part: float, total: float) -> str:
    return f"{100 * part / total:5.1f}%" if total else "  n/a"


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


# --- seeding a database fast -----------------------------------------------------------------


def seed_rows(
    db_path: Path,
    *,
    residents: int,
    meetings: Sequence[dict[str, Any]],
    concerns_per_meeting: Sequence[int],
    followers_per_concern: int,
    answered: Sequence[bool],
    seed: int = 7,
    first_user_id: int = 10_000_001,
    outbox_for_answers: bool = False,
    distinct_followers: bool = False,
) -> dict[str, int]:
    """Fill a migrated database with executemany: residents (Telegram ids from ``first_user_id``),
    meetings (dicts of MeetingRepository columns), concerns spread over the example ward's
    groups and topics, ``followers_per_concern`` followers each (the author first, supporters
    drawn at random from the residents, or with ``distinct_followers`` each resident following
    exactly one concern), answers for the meetings marked ``answered`` and, if asked, the
    outbox rows their publishing left behind (already sent). Returns row counts."""
    import sqlite3

    from bot.config import load_settings
    from bot.domain.textnorm import fold

    settings = load_settings(EXAMPLE_CONFIG)
    parents = {a.parent for a in settings.areas if a.parent}
    groups = [a.id for a in settings.areas if a.id not in parents and a.parent]
    topics = [t.id for t in settings.topics]
    rng = random.Random(seed)
    now = _dt.datetime.now(_dt.UTC)
    stamp = now.isoformat()
    connection = sqlite3.connect(db_path)
    try:
        connection.execute("PRAGMA journal_mode=WAL")
        connection.execute("PRAGMA synchronous=OFF")
        with connection:
            connection.executemany(
                "INSERT INTO residents (id, channel, channel_user_id, language, created_at) VALUES (?, 'telegram', ?, ?, ?)",
                ((i + 1, str(first_user_id + i), "en" if i % 10 == 9 else "vi", stamp) for i in range(residents)),
            )
            meeting_ids = []
            for meeting in meetings:
                columns = ", ".join(meeting)
                marks = ", ".join("?" for _ in meeting)
                cursor = connection.execute(f"INSERT INTO meetings ({columns}) VALUES ({marks})", tuple(meeting.values()))
                meeting_ids.append(int(cursor.lastrowid or 0))
        counts = {"residents": residents, "meetings": len(meeting_ids), "concerns": 0, "followers": 0,
                  "answers": 0, "outbox": 0}
        concern_id = 0
        for meeting_id, count, is_answered in zip(meeting_ids, concerns_per_meeting, answered, strict=True):
            for block in chunks(range(count), 5_000):
                concern_rows, follower_rows, answer_rows, outbox_rows = [], [], [], []
                for _ in block:
                    concern_id += 1
                    text = concern_text(rng)
                    if distinct_followers:
                        first = (concern_id - 1) * followers_per_concern + 1
                        chosen_in_order = [r for r in range(first, first + followers_per_concern) if r <= residents]
                        author = chosen_in_order[0]
                    else:
                        author = rng.randint(1, residents)
                    concern_rows.append((
                        concern_id, f"TT-{concern_id:04d}", meeting_id, rng.choice(groups), rng.choice(topics), text,
                        fold(text), author, "vi", stamp, f"seed-{concern_id}",
                    ))
                    if distinct_followers:
                        ordered = chosen_in_order
                    else:
                        chosen = {author}
                        while len(chosen) < min(followers_per_concern, residents):
                            chosen.add(rng.randint(1, residents))
                        ordered = sorted(chosen, key=lambda r: r != author)
                    for position, resident in enumerate(ordered):
                        follower_rows.append((concern_id, resident, "author" if position == 0 else "supporter", stamp))
                        if is_answered and outbox_for_answers:
                            outbox_rows.append((
                                f"answer:{meeting_id}:{concern_id}:{resident}", str(first_user_id + resident - 1),
                                '{"text":"Trả lời ý kiến ' + f"TT-{concern_id:04d}" + '","buttons":[]}', stamp, stamp,
                            ))
                    if is_answered:
                        answer_rows.append((concern_id, "answered", "Phường đã tiếp nhận và giải quyết.",
                                            "Chủ tịch UBND phường", stamp, "cli:seed"))
                with connection:
                    connection.executemany(
                        "INSERT INTO concerns (id, code, meeting_id, area_id, topic_id, text, text_folded, author_id, "
                        "language, submitted_at, draft_key) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                        concern_rows,
                    )
                    connection.executemany(
                        "INSERT INTO followers (concern_id, resident_id, role, since) VALUES (?, ?, ?, ?)", follower_rows
                    )
                    connection.executemany(
                        "INSERT INTO answers (concern_id, disposition, answer, answered_by, recorded_at, recorded_by) "
                        "VALUES (?, ?, ?, ?, ?, ?)",
                        answer_rows,
                    )
                    connection.executemany(
                        "INSERT INTO outbox (dedupe_key, channel, address, body, status, attempts, next_attempt_at, "
                        "created_at, sent_at) VALUES (?, 'telegram', ?, ?, 'sent', 1, ?, ?, ?)",
                        [(*row, stamp) for row in outbox_rows],
                    )
                counts["concerns"] += len(concern_rows)
                counts["followers"] += len(follower_rows)
                counts["answers"] += len(answer_rows)
                counts["outbox"] += len(outbox_rows)
        connection.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        connection.close()
    return counts


def meeting_row(title: str, starts: _dt.datetime, opens: _dt.datetime, closes: _dt.datetime,
                status: str = "announced", area_id: str = "phu-tho") -> dict[str, Any]:
    created = min(opens, starts) - _dt.timedelta(days=7)
    row: dict[str, Any] = {
        "title": title, "area_id": area_id, "starts_at": starts.isoformat(), "place": "Hội trường UBND phường Phú Thọ",
        "format": "in_person", "intake_opens_at": opens.isoformat(), "intake_closes_at": closes.isoformat(),
        "status": status, "created_at": created.isoformat(), "announced_at": created.isoformat(),
    }
    if status == "published":
        row["published_at"] = (starts + _dt.timedelta(days=3)).isoformat()
    return row
