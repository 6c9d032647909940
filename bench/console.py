"""Console page times: every main page of the staff console with a big meeting in a big database.

    .venv/bin/python bench/console.py               # 100,000 concerns, the open meeting has 2,000
    .venv/bin/python bench/console.py --quick       # 20,000 and 500: well under a minute

A fresh SQLite file is seeded (bench/common.py seed_rows: executemany) with ten meetings; the
last one is open and holds --open concerns, the others are answered. The console
(handlers/web, the same WebConsole `doithoai run` serves) runs in this process on 127.0.0.1
with the example config; an admin logs in through a one-time link the service issues, the way
`doithoai web login-link` does, and then each page is asked for --rounds times over HTTP
(aiohttp), one request at a time. Reported per page: the median and the slowest time to the
whole body, with its size; the aim (issue 12) is ≤ 300 ms for every page. The floor, measured
in the same run, is the console's own static file (htmx), served by the same aiohttp.

A fifth of the held meetings' answers are made forwarded (due dates, most with a final answer,
some late) and a third of their followers rate the answer, so that the statistics have all
their parts. The open meeting is put in migration 0010's backlog, as a database from before
stored duplicates is: the first queue request works its pairs out once (reported on its own
line). Before each round's queue request a concern of the open meeting is merged into another
(the change that used to make the next queue request compare the whole meeting again).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import socket
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import aiohttp

from bench.common import append_results, load_average, meeting_row, seed_rows
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import load_settings
from bot.domain.identity import Identity
from handlers.web import WebConsole
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG

AIM_MS = 300.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def add_follow_up(db_path: Path) -> None:
    """Forwarded answers (on time, late, waiting, overdue) and satisfaction, by SQL on the seeded rows."""
    connection = sqlite3.connect(db_path)
    try:
        with connection:
            connection.execute(
                "UPDATE answers SET disposition = 'forwarded', agency = 'Công ty Chiếu sáng công cộng', "
                "due_date = date(recorded_at, ((concern_id % 30) - 10) || ' days'), "
                "final_answer = CASE WHEN concern_id % 97 THEN 'Đã xử lý xong.' END, "
                "final_at = CASE WHEN concern_id % 97 THEN strftime('%Y-%m-%dT%H:%M:%S+00:00', recorded_at, '+' || (concern_id % 20) || ' days') END "
                "WHERE concern_id % 5 = 0"
            )
            connection.execute("UPDATE answers SET disposition = 'explained' WHERE concern_id % 5 = 1")
            connection.execute(
                "INSERT INTO satisfaction (concern_id, resident_id, satisfied, at) "
                "SELECT f.concern_id, f.resident_id, f.resident_id % 4 != 0, a.recorded_at FROM followers f "
                "JOIN answers a ON a.concern_id = f.concern_id WHERE f.resident_id % 3 = 0"
            )
    finally:
        connection.close()


def seed(db_path: Path, total: int, open_count: int) -> dict[str, int]:
    now = datetime.now(UTC)
    held = [
        meeting_row(f"Hội nghị đối thoại kỳ {n}", starts=now - timedelta(days=400 - 40 * n),
                    opens=now - timedelta(days=430 - 40 * n), closes=now - timedelta(days=405 - 40 * n),
                    status="published")  # their results are public: the public pages have them to show
        for n in range(9)
    ]
    current = meeting_row("Hội nghị đối thoại quý I/2027", starts=now + timedelta(days=20),
                          opens=now - timedelta(days=10), closes=now + timedelta(days=15))
    per_held = (total - open_count) // len(held)
    return seed_rows(db_path, residents=max(total // 2, 1), meetings=[*held, current],
                     concerns_per_meeting=[per_held] * len(held) + [open_count], followers_per_concern=2,
                     answered=[True] * len(held) + [False])


async def time_first_queue(base: str, link: str, meeting: int, services: object) -> float:
    """The first queue request of a meeting in the backlog: its pairs worked out once."""
    times = await time_pages(base, link, [f"/meetings/{meeting}/queue"], 1)
    return times[f"/meetings/{meeting}/queue"][0][0]


async def merge_pairs(database: Database, meeting: int, rounds: int) -> list[tuple[str, str]]:
    """(source, target) codes of open concerns of the meeting to merge, one pair a round."""
    rows = await database.fetch_all(
        "SELECT code FROM concerns WHERE meeting_id = ? AND status = 'open' ORDER BY id DESC LIMIT ?", (meeting, 2 * rounds)
    )
    codes = [row[0] for row in rows]
    return list(zip(codes[::2], codes[1::2], strict=True))


async def time_pages(
    base: str, link: str, paths: list[str], rounds: int,
    before: dict[str, Callable[[int], Awaitable[None]]] | None = None,
) -> dict[str, list[tuple[float, int]]]:
    """Each path `rounds` times; `before[path](round)` runs (untimed) before that path's request."""
    times: dict[str, list[tuple[float, int]]] = {path: [] for path in paths}
    # unsafe=True: aiohttp's cookie jar otherwise drops cookies set by an IP address (127.0.0.1).
    async with aiohttp.ClientSession(headers={"Origin": base}, cookie_jar=aiohttp.CookieJar(unsafe=True)) as session:
        async with session.get(link) as page:
            assert page.status == 200, page.status
        async with session.post(link, allow_redirects=False) as login:
            assert login.status == 303, (login.status, await login.text())
        for round_number in range(rounds):
            for path in paths:
                if before and path in before:
                    await before[path](round_number)
                started = time.perf_counter()
                async with session.get(base + path) as response:
                    body = await response.read()
                    assert response.status == 200, (path, response.status)
                    # A page for the logged-in admin, not the welcome page of someone without a session.
                    assert path.startswith(("/static/", "/public/")) or "Đăng xuất".encode() in body, path
                times[path].append((time.perf_counter() - started, len(body)))
    return times


async def main_async(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-console-"))
    db_path = work / "console.db"
    database = await Database.open(db_path)
    await database.close()
    print(f"seeding {args.concerns} concerns ({args.open} in the open meeting) in {db_path} …", flush=True)
    seeded = seed(db_path, args.concerns, args.open)
    add_follow_up(db_path)
    settings = load_settings(EXAMPLE_CONFIG)
    port = free_port()
    web_settings = settings.web.model_copy(update={"enabled": True, "listen": "127.0.0.1", "port": port, "public_url": ""})
    settings = settings.model_copy(update={"web": web_settings})
    base = f"http://127.0.0.1:{port}"
    database = await Database.open(db_path)
    clock = SystemClock()
    services = build_services(settings, database, clock)
    console = WebConsole(settings, services, clock)
    await console.start()
    try:
        # The example config's admin, by the Telegram id it lists.
        issued = await services.web_login.issue(Identity("telegram", str(settings.staff.admins[0])), "cli:bench")
        link = base + urlpath(issued.url)
        meeting = 10
        code = (await database.fetch_one("SELECT code FROM concerns WHERE meeting_id = ? ORDER BY id LIMIT 1",
                                         (meeting,)))[0]
        # As a database migrated from before stored duplicates: the open meeting's pairs are not known yet.
        async with database.transaction() as connection:
            await connection.execute("INSERT OR IGNORE INTO duplicate_backlog (meeting_id) VALUES (?)", (meeting,))
        first_open = await time_first_queue(base, link, meeting, services)
        issued = await services.web_login.issue(Identity("telegram", str(settings.staff.admins[0])), "cli:bench")
        link = base + urlpath(issued.url)
        merges = await merge_pairs(database, meeting, args.rounds)
        paths = [
            "/static/htmx.min.js",
            "/meetings",
            f"/meetings/{meeting}/queue",
            f"/meetings/{meeting}/queue?q=tan+hoa",
            f"/meetings/{meeting}/queue?page=5",
            f"/concerns/{code}",
            f"/meetings/{meeting}/agenda",
            f"/meetings/{meeting}/answers",
            "/meetings/1/results",
            "/statistics?meeting=1",
            "/statistics?meeting=all",
            "/followup",
            "/audit",
            # The public pages (issue 14), served by the same server without a login.
            f"/public/meetings/{meeting}",
            "/public/meetings/1/results",
            "/public/meetings/1/results?q=tan+hoa",
            f"/public/concerns/{code}",
        ]
        load_before = load_average()
        merge_times: list[float] = []

        async def merge_one(round_number: int) -> None:
            source, target = merges[round_number]
            started = time.perf_counter()
            await services.triage.merge(source, target, "cli:bench")
            merge_times.append(time.perf_counter() - started)

        times = await time_pages(base, link, paths, args.rounds, before={f"/meetings/{meeting}/queue": merge_one})
        load = f"{load_before} → {load_average()}"
    finally:
        await console.stop()
        await database.close()
    lines = [f"Database: {seeded.get('concerns', args.concerns)} concerns in 10 meetings, the open one (#10) with "
             f"{args.open}; {args.rounds} requests per page, one at a time; host load average (1 min) {load}.",
             f"Before each `GET /meetings/{meeting}/queue` a concern of meeting {meeting} was merged into another "
             f"(TriageService.merge, untimed in the page's figure): merge median {statistics.median(merge_times) * 1000:.1f} ms, "
             f"slowest {max(merge_times) * 1000:.1f} ms.",
             f"First `GET /meetings/{meeting}/queue` with the meeting in migration 0010's backlog (its pairs worked "
             f"out once): {first_open * 1000:.0f} ms.", ""]
    floor = statistics.median(t for t, _ in times[paths[0]])
    for path in paths:
        samples = [t for t, _ in times[path]]
        median, worst = statistics.median(samples), max(samples)
        verdict = "" if path == paths[0] else (" ✓" if worst * 1000 <= AIM_MS else " **over the aim**")
        label = " (the floor: a static file)" if path == paths[0] else ""
        lines.append(f"- `GET {path}`{label}: median {median * 1000:.1f} ms ({median / floor:.0f}× the floor), "
                     f"slowest {worst * 1000:.1f} ms{verdict}; {times[path][-1][1] // 1024} KiB")
    print("\n".join(lines))
    if not args.no_results:
        append_results(f"Console pages (bench/console.py{' --quick' if args.quick else ''})", lines)


def urlpath(url: str) -> str:
    match = re.match(r"https?://[^/]+(/.*)", url)
    return match[1] if match else url


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concerns", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=2_000, help="concerns in the open meeting")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-results", action="store_true")
    args = parser.parse_args()
    if args.quick:
        args.concerns, args.open, args.rounds = 20_000, 500, 5
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
