"""Publish rate: answers through the outbox, against a fake Bot API that enforces Telegram's
limits with 429s.

    .venv/bin/python bench/publish.py                 # bulk: 3,000 at 30/s; paid broadcast: 10,000 at 1,000/s
    .venv/bin/python bench/publish.py --quick         # 600 and 5,000: about a minute
    .venv/bin/python bench/publish.py --only paid --profile

Two runs, each on a fresh SQLite file seeded (executemany) with one held meeting whose
concerns are all answered, 20 followers per concern; then the real `AnswerService.publish`
queues one outbox row per follower, and the real `OutboxDispatcher` — the one `Runtime` runs —
sends them through `TelegramChannel.sender()` (handlers/telegram/pushes.py) over loopback HTTP.

* bulk — the shipped config (notify.per_second = 30) against a fake that accepts 30 sends in
  any sliding second and one per chat per second; 3,000 answers to 2,000 residents, so that
  many residents get several answers and the per-chat limit comes into it.
* paid broadcast — notify.allow_paid_broadcast = true and per_second = 1,000 (Telegram's paid
  limit) against a fake accepting 1,000/s; 10,000 answers, one per resident.

The fake (tests/fakebotapi/ via bench/common.py BenchApi) runs in its own process
(bench/fakeproc.py) so that its HTTP handling does not share an interpreter with the
dispatcher being measured. A send over a limit, counted when the fake handles it, gets HTTP
429 with retry_after=1 and is not delivered. That is stricter than Telegram (which tolerates
short bursts), so any 429 here is a real overshoot of the pace.

Reported: the time until every answer was delivered, the achieved rate at the fake
((n-1)/(last-first accepted send)) as a fraction of the limit, the 429s, the time publish()
took to queue the rows, and the CPU used by the dispatching process per message. Appends to
bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import signal
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    ROOT,
    append_results,
    have_py_spy,
    load_average,
    meeting_row,
    seed_rows,
    summarise_py_spy,
    wait_for_file,
)
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import Secrets, load_settings
from bot.domain.messages import Inbound, Reply
from bot.outbox.dispatcher import OutboxDispatcher
from handlers.telegram.channel import TelegramChannel
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG

FIRST_USER = 20_000_001


class Fake:
    """bench/fakeproc.py, driven over its stdin/stdout."""

    def __init__(self, process: asyncio.subprocess.Process, base_url: str, file_url: str, token: str) -> None:
        self.process = process
        self.base_url, self.file_url, self.token = base_url, file_url, token

    @classmethod
    async def start(cls, users: int, limit: float, work: Path, per_chat_window: float | None) -> Fake:
        url_file = work / "fake.url"
        url_file.unlink(missing_ok=True)
        per_chat = ["--per-chat-window", str(per_chat_window)] if per_chat_window else []
        process = await asyncio.create_subprocess_exec(
            PYTHON, str(ROOT / "bench" / "fakeproc.py"), "--users", str(users), "--first-user", str(FIRST_USER),
            "--limit", str(limit), "--url-file", str(url_file), *per_chat,
            stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE, cwd=ROOT,
        )
        text = await wait_for_file(url_file, 60, process)
        base_url, file_url, token = text.splitlines()
        return cls(process, base_url, file_url, token)

    async def ask(self, command: str) -> dict[str, Any]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write((command + "\n").encode())
        await self.process.stdin.drain()
        return json.loads(await self.process.stdout.readline())

    async def cpu(self) -> float:
        return float((await self.ask("stats"))["cpu"])

    async def stop(self) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(b"quit\n")
        await self.process.stdin.drain()
        await asyncio.wait_for(self.process.wait(), 30)


async def nobody(inbound: Inbound) -> list[Reply]:
    return []


@dataclass(frozen=True)
class Scenario:
    """One publish: what the fake enforces and how the bot is set."""

    name: str
    limit: float  # sends the fake accepts in any 1 s window
    messages: int  # followers to publish to
    residents: int  # fewer than messages: some residents follow several concerns
    paid_broadcast: bool  # notify.allow_paid_broadcast, notify.per_second = limit
    per_chat_window: float | None = 1.0  # Telegram's 1 message/s per chat


async def run_limit(scenario: Scenario, args: argparse.Namespace, work: Path) -> dict[str, Any]:
    limit, messages = scenario.limit, scenario.messages
    per_concern = args.followers_per_concern
    concerns = math.ceil(messages / per_concern)
    db_path = work / f"publish-{scenario.name}.db"
    for suffix in ("", "-wal", "-shm"):
        Path(f"{db_path}{suffix}").unlink(missing_ok=True)
    database = await Database.open(db_path)
    await database.close()
    now = datetime.now(UTC)
    held = meeting_row("Hội nghị đối thoại quý I/2026", starts=now - timedelta(days=1),
                       opens=now - timedelta(days=20), closes=now - timedelta(days=3))
    seeded = seed_rows(db_path, residents=scenario.residents, meetings=[held], concerns_per_meeting=[concerns],
                       followers_per_concern=per_concern, answered=[True], first_user_id=FIRST_USER,
                       distinct_followers=scenario.residents >= messages)
    settings = load_settings(EXAMPLE_CONFIG)
    fake = await Fake.start(scenario.residents, limit, work, scenario.per_chat_window)
    telegram = settings.telegram.model_copy(update={"base_url": fake.base_url, "base_file_url": fake.file_url})
    # The bulk run keeps the shipped pacing; the paid one sets what a ward paying would set.
    notify = settings.notify
    if scenario.paid_broadcast:
        notify = notify.model_copy(update={"per_second": limit, "allow_paid_broadcast": True})
    settings = settings.model_copy(update={"telegram": telegram, "notify": notify})
    database = await Database.open(db_path)
    result: dict[str, Any] = {"scenario": scenario, "limit": limit, "per_second": notify.per_second, "seeded": seeded}
    spy: asyncio.subprocess.Process | None = None
    try:
        services = build_services(settings, database, SystemClock())
        started = time.perf_counter()
        report = await services.publishing.publish(1, "cli:bench")
        result["enqueue_seconds"] = time.perf_counter() - started
        result["queued"] = report.queued
        channel = TelegramChannel(settings, Secrets(fake.token, None), nobody, services.catalog)
        await channel.open_for_sending()
        dispatcher = OutboxDispatcher(database, {"telegram": channel.sender()}, SystemClock(), settings.notify)
        await fake.ask("reset")
        if args.profile and have_py_spy():
            profile = work / f"publish-{scenario.name}.pyspy.txt"
            with (work / "py-spy.log").open("ab") as log:
                spy = await asyncio.create_subprocess_exec(
                    have_py_spy() or "py-spy", "record", "--pid", str(os.getpid()), "--format", "raw", "--threads",
                    "--rate", "250", "-o", str(profile), stdout=log, stderr=log)
            await asyncio.sleep(1.0)
        fake_cpu0 = await fake.cpu()
        load_before = load_average()
        stop = asyncio.Event()
        cpu0, t0 = time.process_time(), time.perf_counter()
        sending = asyncio.create_task(dispatcher.run(stop))
        deadline = t0 + messages / limit * 3 + 60
        while True:
            await asyncio.sleep(0.2)
            row = await database.fetch_one("SELECT count(*) FROM outbox WHERE status IN ('pending', 'sending')")
            if row is not None and row[0] == 0:
                break
            if time.perf_counter() > deadline:
                result["timed_out"] = True
                break
        last_sent = await database.fetch_one("SELECT max(sent_at) FROM outbox")
        result["wall"] = time.perf_counter() - t0
        result["cpu"] = time.process_time() - cpu0
        result["load"] = f"{load_before} → {load_average()}"
        stop.set()
        await asyncio.wait_for(sending, 30)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await asyncio.wait_for(spy.wait(), 60)
            spy = None
            result["profile"] = summarise_py_spy(work / f"publish-{scenario.name}.pyspy.txt")
        stats = await fake.ask("stats")
        result["fake"] = stats
        result["fake_cpu"] = float(stats["cpu"]) - fake_cpu0
        rows = await database.fetch_all("SELECT status, count(*) AS n FROM outbox GROUP BY status")
        result["outbox"] = {row["status"]: row["n"] for row in rows}
        first = await database.fetch_one("SELECT min(sent_at) FROM outbox")
        if first and first[0] and last_sent and last_sent[0]:
            span = (datetime.fromisoformat(last_sent[0]) - datetime.fromisoformat(first[0])).total_seconds()
            result["db_span"] = span
        await channel.close_for_sending()
    finally:
        if spy is not None and spy.returncode is None:
            spy.kill()
        await database.close()
        await fake.stop()
    return result


def describe(result: dict[str, Any]) -> list[str]:
    fake = result["fake"]
    limit = result["limit"]
    accepted = fake["accepted"]
    span = (fake["last"] - fake["first"]) if accepted > 1 else 0.0
    rate = (accepted - 1) / span if span > 0 else 0.0
    end_to_end = accepted / result["wall"] if result["wall"] else 0.0
    scenario: Scenario = result["scenario"]
    per_chat = f", at most 1 per chat per {scenario.per_chat_window:g} s" if scenario.per_chat_window else ""
    lines = [
        (f"- **{scenario.name}**: the fake accepts {limit:g} sends/s{per_chat}; notify.per_second = "
        f"{result['per_second']:g}, allow_paid_broadcast {str(scenario.paid_broadcast).lower()}; "
        f"{result['queued']} messages to {scenario.residents} residents queued by publish() in {result['enqueue_seconds']:.2f} s:"),
        (f"  - **all delivered in {result['wall']:.1f} s**; achieved rate at the fake **{rate:.1f}/s = {rate / limit:.3f} of the limit**; "
        f"**429s: {fake['rejected_429']}** ({fake.get('rejected_per_chat', 0)} of them per chat); most sends in any 1 s "
        f"window: {fake['max_in_window']}; sends marked allow_paid_broadcast: {fake.get('paid_broadcasts', 0)}"),
        (f"  - end to end (dispatcher start → all rows sent): {result['wall']:.1f} s = {end_to_end:.1f}/s "
        f"({end_to_end / limit:.3f} of the limit)"),
        f"  - delivered {fake['messages']} messages to {fake['chats_reached']} chats; outbox rows: "
        + ", ".join(f"{k} {v}" for k, v in sorted(result["outbox"].items())),
        (f"  - CPU: dispatching process {result['cpu']:.1f} s ({100 * result['cpu'] / result['wall']:.0f}% of one core, "
        f"{1000 * result['cpu'] / max(accepted, 1):.2f} ms per message: one free core would cap it at "
        f"~{accepted / result['cpu'] if result['cpu'] else 0:.0f}/s); fake process "
        f"{100 * result['fake_cpu'] / result['wall']:.0f}% of one core; host load average (1 min) {result['load']}"),
    ]
    if result.get("timed_out"):
        lines.append("  - TIMED OUT before every row was sent")
    return lines


async def main_async(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-publish-"))
    print(f"work directory: {work}")
    results = []
    scenarios = [
        Scenario("bulk", 30.0, args.bulk_messages, args.bulk_residents, paid_broadcast=False),
        Scenario("paid broadcast", 1000.0, args.paid_messages, args.paid_messages, paid_broadcast=True),
    ]
    for scenario in scenarios:
        if args.only and scenario.name.split()[0] != args.only:
            continue
        print(f"\n{scenario.name}: {scenario.messages} messages …", flush=True)
        result = await run_limit(scenario, args, work)
        results.append(result)
        print("\n".join(describe(result)), flush=True)
        if "profile" in result:
            print("\n".join(result["profile"]))
    lines = [(f"{args.followers_per_concern} followers per concern; the fake accepts at most L sends in any sliding "
             f"1 s window and one per chat per second, and answers the rest 429 (retry_after 1). Aims (issue 10): bulk "
             f"3,000 in ≤ 105 s with no 429; paid ≥ 0.9 of 1,000/s and ≤ 0.6 ms of CPU per message."), ""]
    for result in results:
        lines += describe(result)
        if "profile" in result:
            lines += ["", f"  Profile of the dispatching process, {result['scenario'].name} (py-spy):", "", "```",
                      *result["profile"], "```"]
    if not args.no_results:
        append_results(f"Publish rate (bench/publish.py{' --quick' if args.quick else ''})", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bulk-messages", type=int, default=3_000, help="bulk run: answers (default: %(default)s)")
    parser.add_argument("--bulk-residents", type=int, default=2_000,
                        help="bulk run: residents they go to, so some get several (default: %(default)s)")
    parser.add_argument("--paid-messages", type=int, default=10_000,
                        help="paid broadcast run: answers, one per resident (default: %(default)s)")
    parser.add_argument("--only", choices=("bulk", "paid"), help="one run only")
    parser.add_argument("--followers-per-concern", type=int, default=20)
    parser.add_argument("--profile", action="store_true", help="py-spy the dispatching process (pip install py-spy)")
    parser.add_argument("--quick", action="store_true", help="600 bulk messages, 5,000 paid")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.bulk_messages, args.bulk_residents = min(args.bulk_messages, 600), min(args.bulk_residents, 400)
        args.paid_messages = min(args.paid_messages, 5_000)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
