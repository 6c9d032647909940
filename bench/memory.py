"""Memory: peak RSS of the running bot with 100,000 stored concerns.

    .venv/bin/python bench/memory.py                      # 100,000 concerns, 10% in the open meeting
    .venv/bin/python bench/memory.py --open-share 1       # all of them in the open meeting (worst case)
    .venv/bin/python bench/memory.py --quick              # 20,000 concerns: < 1 minute

A SQLite file is seeded with executemany (bench/common.py seed_rows): 40,000 residents, ten
meetings (nine held and published, one with its intake open), the concerns spread over them
(--open-share of them in the open meeting), two followers per concern, an answer for every
concern of a held meeting and the outbox rows their publishing left (sent). Then the bot runs
as in production, `python -m bot run --config …` (the example config pointed at the fake Bot
API, which runs in this process), receives a few updates — residents going through the whole
intake (the similar-concern lookup reads the open meeting's concerns of their group), /my and
/status of a seeded resident — and its peak RSS is read from /proc/PID/status (VmHWM), next to
its RSS once started and idle. Appends to bench/RESULTS.md. Aim: ≤ 150 MB.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import (
    PYTHON,
    ROOT,
    BenchApi,
    append_results,
    meeting_row,
    ms,
    percentile,
    seed_rows,
    status_kib,
    wait_until,
)
from bench.intake import Ward, converse_ours
from storage.db import Database
from tests.e2e import write_config

FIRST_USER = 30_000_001


def mib(kib: int) -> str:
    return f"{kib / 1024:.1f} MiB"


async def main_async(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-memory-"))
    print(f"work directory: {work}")
    db_path = work / "data" / "bot.db"
    database = await Database.open(db_path)
    await database.close()
    now = datetime.now(UTC)
    meetings, counts = [], []
    past = args.meetings - 1
    open_count = round(args.concerns * args.open_share)
    for index in range(past):
        starts = now - timedelta(days=90 * (past - index))
        meetings.append(meeting_row(f"Hội nghị đối thoại kỳ {index + 1}", starts, starts - timedelta(days=20),
                                    starts - timedelta(days=3), status="published"))
        counts.append((args.concerns - open_count) // past + (1 if index < (args.concerns - open_count) % past else 0))
    meetings.append(meeting_row("Hội nghị đối thoại quý này", now + timedelta(days=14), now - timedelta(days=1),
                                now + timedelta(days=10)))
    counts.append(open_count)
    started = time.perf_counter()
    seeded = seed_rows(db_path, residents=args.residents, meetings=meetings, concerns_per_meeting=counts,
                       followers_per_concern=2, answered=[True] * past + [False], first_user_id=FIRST_USER,
                       outbox_for_answers=True)
    seed_seconds = time.perf_counter() - started
    db_size = sum(p.stat().st_size for p in db_path.parent.iterdir() if p.name.startswith("bot.db"))
    print(f"seeded in {seed_seconds:.1f} s: {seeded}; database {db_size / 2**20:.1f} MiB", flush=True)

    api = BenchApi()
    await api.start()
    api.group(-1001000000001, "Tổ công tác")
    config = write_config(work, api, db_path)
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "PYTHONUNBUFFERED": "1"}
    env.pop("DOITHOAI_CONFIG", None)
    command = [PYTHON, "-m", "bot", "run", "--config", str(config)]
    with (work / "bot.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=log, stderr=log)
    pid = process.pid
    samples: list[int] = []

    async def sample() -> None:
        while process.returncode is None:
            try:
                samples.append(status_kib(pid, "VmRSS"))
            except (OSError, KeyError):
                return
            await asyncio.sleep(0.05)

    sampler = asyncio.create_task(sample())
    try:
        start = time.perf_counter()
        await wait_until(lambda: api.method_counts["getUpdates"] > 0, 120, "the bot polling")
        await asyncio.sleep(args.settle)  # the schedule's start-up jobs and the outbox's first round
        startup_seconds = time.perf_counter() - start
        idle_rss = status_kib(pid, "VmRSS")
        idle_hwm = status_kib(pid, "VmHWM")
        ward = Ward()
        done = 0
        for index in range(args.conversations):
            user = api.user(40_000_001 + index, first_name="Lan")
            await converse_ours(user, ward, random.Random(index), 60.0, 0.0)
            done += 1
        seeded_user = api.user(FIRST_USER, first_name="Minh")
        seeded_user.send_text("/my")
        await seeded_user.wait_for_messages(1, 60)
        seeded_user.send_text("/status TT-0001")
        await seeded_user.wait_for_messages(1, 60)
        await asyncio.sleep(1.0)
        latencies = list(api.reply_latencies)
        rss = status_kib(pid, "VmRSS")
        hwm = status_kib(pid, "VmHWM")
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()
        sampler.cancel()
        await api.stop()
    log_text = (work / "bot.log").read_text(errors="replace")
    errors = sum(1 for line in log_text.splitlines() if " ERROR " in line or "Traceback" in line)
    database = await Database.open(db_path)
    row = await database.fetch_one("SELECT count(*) FROM concerns")
    await database.close()
    verdict = "within" if hwm <= 150 * 1024 else "OVER"
    where = (f"the rest in {past} published ones" if open_count < seeded["concerns"] else "none in the past ones")
    lines = [
        (f"- Stored: {seeded['concerns']:,} concerns ({open_count:,} in the open meeting, {where}), "
        f"{seeded['residents']:,} residents, {seeded['followers']:,} followers, {seeded['answers']:,} answers, "
        f"{seeded['outbox']:,} sent outbox rows; database {db_size / 2**20:.1f} MiB (seeded in {seed_seconds:.1f} s)"),
        (f"- Bot: `python -m bot run` (Runtime: PTB polling, schedule, outbox); polling and settled after "
        f"{startup_seconds:.1f} s"),
        f"- RSS once started and idle: {mib(idle_rss)} (peak so far {mib(idle_hwm)})",
        (f"- After {done} whole intake conversations, /my and /status: RSS {mib(rss)}; "
        f"**peak RSS (VmHWM) {mib(hwm)}** — {verdict} the 150 MB aim"),
        (f"- Reply latency during those (one resident at a time, n={len(latencies)}): p50 {ms(percentile(latencies, 50))}, "
        f"max {ms(max(latencies)) if latencies else 'n/a'}"),
        (f"- RSS sampled every 50 ms: max {mib(max(samples)) if samples else 'n/a'}; "
        f"concerns in the database afterwards: {row[0] if row else '?'}; error lines in the bot's log: {errors}"),
    ]
    print("\n".join(lines))
    if not args.no_results:
        append_results(f"Memory (bench/memory.py{' --quick' if args.quick else ''})", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concerns", type=int, default=100_000)
    parser.add_argument("--residents", type=int, default=40_000)
    parser.add_argument("--meetings", type=int, default=10, help="meetings in all; the last one is open")
    parser.add_argument("--open-share", type=float, default=0.1, help="share of concerns in the open meeting")
    parser.add_argument("--conversations", type=int, default=5, help="whole intakes sent to the bot")
    parser.add_argument("--settle", type=float, default=3.0, help="seconds after start before the idle reading")
    parser.add_argument("--quick", action="store_true", help="20,000 concerns")
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    if args.quick and "--concerns" not in sys.argv:
        args.concerns = 20_000
    if not 0 <= args.open_share <= 1 or args.meetings < 2:
        parser.error("--open-share must be within 0..1 and --meetings at least 2")
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
