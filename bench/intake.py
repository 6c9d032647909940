"""Intake throughput: N residents run the whole intake at once through the real bot.

    .venv/bin/python bench/intake.py                 # 2,000 residents, echo floor, profile
    .venv/bin/python bench/intake.py --quick         # < 1 minute
    .venv/bin/python bench/intake.py --residents 500 --no-profile

Set-up. The fake Bot API (tests/fakebotapi/, indexed for thousands of chats: bench/common.py
BenchApi) and the simulated residents share this process and its event loop; the bot runs in
a child process (bench/botproc.py), so the two never compete for one interpreter (the machine
has few cores: this process's CPU use is printed so you can see that the fake is not the
bottleneck). Everything talks HTTP over loopback.

* ``ours`` — the production path (`bot.app.run_bot`: Runtime with the python-telegram-bot
  Application polling, the schedule and the outbox) on the example config and a fresh SQLite
  file with one open meeting. Every resident: /start, consent, new concern, quarter, group,
  topic, the text, skip photos, skip location, anonymous, confirm (11 updates; 12 messages,
  7 answerCallbackQuery, 7 editMessageReplyMarkup from the bot), exactly as in
  tests/test_restart.py, with a random group, topic and a generated text (some are offered
  similar concerns, which adds a message; the resident still sends their own).
* ``echo`` — the floor: a minimal python-telegram-bot echo bot in the same kind of child
  process, fed the same 11 updates per resident (texts as typed, presses on its one button).
  It sends one message per update and settles presses like the bot does.

Ours runs the example config as shipped (updates of different chats at once, limits.
concurrent_updates = 32; telegram.rate_limiter on, which holds replies only to each chat's own
limit); the echo bot handles as many updates at once (--concurrency) without a rate limiter.
--rtt adds a round trip to every Bot API call but getUpdates, as a WAN to api.telegram.org
would (50–150 ms from Vietnam); the figures of issue 10 are at --rtt 0.05 --residents 50.

Reported: conversations/s; reply latency p50/p95/p99 (from the moment the resident's update is
queued at the fake to the moment each bot message arrives at the fake), under the full load
and for residents talking one at a time; bot CPU per conversation; our cost as a ratio to the
echo floor. Then one more run of ``ours`` under py-spy (if installed:
`.venv/bin/pip install py-spy`) and its top costs. Appends everything to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import signal
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.botproc import ECHO_BUTTON
from bench.common import (
    PYTHON,
    ROOT,
    BenchApi,
    BenchUser,
    append_results,
    concern_text,
    cpu_seconds,
    have_py_spy,
    load_average,
    ms,
    percentile,
    summarise_py_spy,
    wait_for_file,
    wait_until,
)
from bot.config import load_settings
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG, create_meeting

BOTPROC = ROOT / "bench" / "botproc.py"
# What one resident does: (kind, what). Labels come from the example config and the catalog.
CONSENT, NEW, SKIP_PHOTOS, SKIP_LOCATION, ANONYMOUS, SEND = (
    "Tôi đồng ý", "📝 Gửi ý kiến mới", "Bỏ qua", "Bỏ qua vị trí", "Gửi ẩn danh", "✅ Gửi ý kiến",
)  # fmt: skip
KINDS = ("text", "press", "press", "press", "press", "press", "text", "press", "text", "text", "press")


@dataclass
class Phase:
    kind: str
    residents: int
    done: int = 0
    failed: list[str] = field(default_factory=list)
    wall: float = 0.0
    bot_cpu: float = 0.0
    generator_cpu: float = 0.0
    latencies: list[float] = field(default_factory=list)
    unloaded: list[float] = field(default_factory=list)
    # A step: from the resident's action to the message they act on next.
    steps: list[float] = field(default_factory=list)
    unloaded_steps: list[float] = field(default_factory=list)
    durations: list[float] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    stored: int | None = None
    log_errors: int = 0
    profile: list[str] = field(default_factory=list)
    load: str = ""

    @property
    def rate(self) -> float:
        return self.done / self.wall if self.wall else 0.0


class Ward:
    """Groups and topics as the resident sees them on the buttons."""

    def __init__(self) -> None:
        settings = load_settings(EXAMPLE_CONFIG)
        names = {a.id: a.name for a in settings.areas}
        parents = {a.id: a.parent for a in settings.areas}
        has_children = {a.parent for a in settings.areas if a.parent}
        self.groups = [(names[parents[a.id] or ""], a.name) for a in settings.areas if a.id not in has_children and a.parent]
        self.topics = [t.name for t in settings.topics]


async def think(rng: random.Random, seconds: float) -> None:
    if seconds > 0:
        await asyncio.sleep(rng.expovariate(1 / seconds))


async def converse_ours(user: BenchUser, ward: Ward, rng: random.Random, timeout: float, pause: float,
                        waits: list[float]) -> float:
    """One whole intake; each step's wait (from the resident's action to the message they act
    on next, the last of the step) is appended to `waits`."""
    quarter, group = rng.choice(ward.groups)
    topic = rng.choice(ward.topics)
    text = concern_text(rng)
    started = time.perf_counter()
    steps = [
        (lambda: user.send_text("/start"), CONSENT),
        (lambda: user.press(CONSENT), NEW),
        (lambda: user.press(NEW), quarter),
        (lambda: user.press(quarter), group),
        (lambda: user.press(group), topic),
        (lambda: user.press(topic), 1),
        (lambda: user.send_text(text), SKIP_PHOTOS),
        (lambda: user.press(SKIP_PHOTOS), SKIP_LOCATION),
        (lambda: user.send_text(SKIP_LOCATION), ANONYMOUS),
        (lambda: user.send_text(ANONYMOUS), SEND),
        (lambda: user.press(SEND), 1),
    ]
    last: list = []
    for act, expect in steps:
        await think(rng, pause)
        acted = time.perf_counter()
        act()
        if isinstance(expect, int):
            last = await user.wait_for_messages(expect, timeout)
        else:
            last = await user.wait_for_label(expect, timeout)
        waits.append(time.perf_counter() - acted)
    if "Mã theo dõi" not in (last[0].text or ""):
        raise AssertionError(f"resident {user.user_id}: no receipt, got {last[0]}")
    return time.perf_counter() - started


async def converse_echo(user: BenchUser, ward: Ward, rng: random.Random, timeout: float, pause: float,
                        waits: list[float]) -> float:
    """The same 11 updates (texts as typed; presses on the echo bot's button), one answer each."""
    _quarter, _group = rng.choice(ward.groups)
    texts = iter(["/start", concern_text(rng), SKIP_LOCATION, ANONYMOUS])
    started = time.perf_counter()
    for kind in KINDS:
        await think(rng, pause)
        acted = time.perf_counter()
        if kind == "text":
            user.send_text(next(texts))
        else:
            user.press(ECHO_BUTTON)
        await user.wait_for_messages(1, timeout)
        waits.append(time.perf_counter() - acted)
    return time.perf_counter() - started


async def crowd(api: BenchApi, kind: str, ids: range, ward: Ward, seed: int, timeout: float, pause: float,
                phase: Phase | None, at_once: bool = True, waits: list[float] | None = None) -> None:
    converse = converse_echo if kind.startswith("echo") else converse_ours
    names = ["Lan", "Minh", "Hoa", "Tuấn", "An", "Bình", "Hùng", "Mai", "Thảo", "Dũng"]

    async def one(user_id: int) -> None:
        rng = random.Random(seed * 1_000_003 + user_id)
        user = api.user(user_id, first_name=names[user_id % len(names)])
        try:
            duration = await converse(user, ward, rng, timeout, pause, waits if waits is not None else [])
        except (TimeoutError, AssertionError) as error:
            if phase is not None:
                phase.failed.append(str(error).splitlines()[0])
            return
        if phase is not None:
            phase.done += 1
            phase.durations.append(duration)

    if at_once:
        await asyncio.gather(*(one(i) for i in ids))
    else:
        for i in ids:
            await one(i)


async def start_bot(kind: str, api: BenchApi, work: Path, args: argparse.Namespace
                    ) -> tuple[asyncio.subprocess.Process, int]:
    pid_file = work / f"{kind}.pid"
    pid_file.unlink(missing_ok=True)
    command = [PYTHON, str(BOTPROC), kind, "--base-url", api.base_url, "--file-url", api.base_file_url,
               "--pid-file", str(pid_file)]
    if kind.startswith("ours"):
        command += ["--db", str(work / "bot.db")]
    if args.rate_limiter is not None:
        command.append("--rate-limiter" if args.rate_limiter else "--no-rate-limiter")
    if kind.startswith("echo"):
        command += ["--concurrency", str(args.concurrency)]
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": api.token, "PYTHONUNBUFFERED": "1"}
    env.pop("DOITHOAI_CONFIG", None)
    with (work / f"{kind}.log").open("ab") as log:
        process = await asyncio.create_subprocess_exec(*command, cwd=ROOT, env=env, stdout=log, stderr=log)
    pid = int(await wait_for_file(pid_file, 60, process))
    await wait_until(lambda: api.method_counts["getUpdates"] > 0, 60, f"{kind} bot polling")
    return process, pid


async def stop_bot(process: asyncio.subprocess.Process, pid: int) -> None:
    os.kill(pid, signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), 60)
    except TimeoutError:
        process.kill()
        await process.wait()


async def run_phase(kind: str, count: int, args: argparse.Namespace, ward: Ward, work: Path,
                    profile: Path | None = None) -> Phase:
    phase = Phase(kind, count)
    api = BenchApi(rtt=args.rtt)
    await api.start()
    api.group(-1001000000001, "Tổ công tác")  # the example config's staff chat
    if kind.startswith("ours"):
        (work / "bot.db").unlink(missing_ok=True)
        database = await Database.open(work / "bot.db")
        await create_meeting(database, datetime.now(UTC))
        await database.close()
    process, pid = await start_bot(kind, api, work, args)
    spy: asyncio.subprocess.Process | None = None
    try:
        base = 1_000_000
        if args.warmup:
            await crowd(api, kind, range(base, base + args.warmup), ward, args.seed, args.step_timeout, 0, None)
        if profile is not None:
            # Attached after the warm-up, so start-up and imports are not in the profile.
            py_spy = have_py_spy()
            assert py_spy is not None
            with (work / "py-spy.log").open("ab") as log:
                spy = await asyncio.create_subprocess_exec(
                    py_spy, "record", "--pid", str(pid), "--format", "raw", "--threads", "--rate", "250",
                    "-o", str(profile), stdout=log, stderr=log)
            await asyncio.sleep(1.0)
        api.reply_latencies.clear()
        api.method_counts.clear()
        load_before = load_average()
        cpu0, gen0, t0 = cpu_seconds(pid), time.process_time(), time.perf_counter()
        first = base + 10_000
        await crowd(api, kind, range(first, first + count), ward, args.seed, args.step_timeout, args.think, phase,
                    waits=phase.steps)
        phase.wall = time.perf_counter() - t0
        phase.bot_cpu = cpu_seconds(pid) - cpu0
        phase.generator_cpu = time.process_time() - gen0
        phase.load = f"{load_before} → {load_average()}"
        phase.latencies = list(api.reply_latencies)
        phase.calls = dict(api.method_counts)
        if spy is not None:
            spy.send_signal(signal.SIGINT)
            await asyncio.wait_for(spy.wait(), 60)
            spy = None
        if args.unloaded and profile is None:
            api.reply_latencies.clear()
            start = first + count + 10_000
            await crowd(api, kind, range(start, start + args.unloaded), ward, args.seed, args.step_timeout, 0,
                        None, at_once=False, waits=phase.unloaded_steps)
            phase.unloaded = list(api.reply_latencies)
    finally:
        if spy is not None and spy.returncode is None:
            spy.kill()
        await stop_bot(process, pid)
        await api.stop()
    log = (work / f"{kind}.log").read_text(errors="replace")
    phase.log_errors = sum(1 for line in log.splitlines() if " ERROR " in line or "Traceback" in line)
    if kind.startswith("ours"):
        database = await Database.open(work / "bot.db")
        row = await database.fetch_one("SELECT count(*) FROM concerns")
        await database.close()
        phase.stored = int(row[0]) if row else 0
    if profile is not None and profile.exists():
        phase.profile = summarise_py_spy(profile)
    return phase


def describe(phase: Phase) -> list[str]:
    per = max(phase.done, 1)
    calls = ", ".join(f"{name} {n / per:.1f}" for name, n in sorted(phase.calls.items(), key=lambda kv: -kv[1]))
    lat, idle = phase.latencies, phase.unloaded
    lines = [
        (f"- {phase.kind}: {phase.done}/{phase.residents} conversations in {phase.wall:.1f} s = "
        f"**{phase.rate:.1f} conversations/s** ({phase.rate * len(KINDS):.0f} updates/s)"),
        (f"  - step (action → the message acted on next) under load (n={len(phase.steps)}): "
        f"p50 {ms(percentile(phase.steps, 50))}, p95 {ms(percentile(phase.steps, 95))}, "
        f"p99 {ms(percentile(phase.steps, 99))}"),
        (f"  - reply latency of every message under load (n={len(lat)}): p50 {ms(percentile(lat, 50))}, "
        f"p95 {ms(percentile(lat, 95))}, p99 {ms(percentile(lat, 99))}"),
    ]
    if phase.unloaded_steps:
        one = phase.unloaded_steps
        lines.append(f"  - step, one resident at a time (n={len(one)}): p50 {ms(percentile(one, 50))}, "
                     f"p95 {ms(percentile(one, 95))}, p99 {ms(percentile(one, 99))}")
    if idle:
        lines.append(f"  - reply latency, one resident at a time (n={len(idle)}): p50 {ms(percentile(idle, 50))}, "
                     f"p95 {ms(percentile(idle, 95))}, p99 {ms(percentile(idle, 99))}")
    lines += [
        (f"  - conversation duration p50 {percentile(phase.durations, 50):.1f} s, "
        f"p99 {percentile(phase.durations, 99):.1f} s"),
        (f"  - bot process CPU {phase.bot_cpu:.1f} s = {1000 * phase.bot_cpu / per:.1f} ms per conversation "
        f"(a free core would cap it at ~{per / phase.bot_cpu if phase.bot_cpu else 0:.0f} conversations/s) "
        f"({100 * phase.bot_cpu / phase.wall if phase.wall else 0:.0f}% of one core); "
        f"fake + residents process CPU {100 * phase.generator_cpu / phase.wall if phase.wall else 0:.0f}% of one core; "
        f"host load average (1 min) {phase.load}"),
        f"  - Bot API calls per conversation: {calls}",
    ]
    if phase.stored is not None:
        lines.append(f"  - concerns stored in the database: {phase.stored} (warm-up included)")
    if phase.failed:
        lines.append(f"  - FAILED conversations: {len(phase.failed)}; first: {phase.failed[0]}")
    if phase.log_errors:
        lines.append(f"  - error lines in the bot's log: {phase.log_errors}")
    return lines


def compare(ours: Phase, echo: Phase) -> list[str]:
    """Ours against one echo floor, from the same run."""
    cpu_ours = ours.bot_cpu / max(ours.done, 1)
    cpu_echo = echo.bot_cpu / max(echo.done, 1)
    calls_ours = sum(ours.calls.values()) / max(ours.done, 1)
    calls_echo = sum(echo.calls.values()) / max(echo.done, 1)
    ratio = echo.rate / ours.rate
    summary = [
        "",
        (f"**Against {echo.kind}: our cost {ratio:.2f}× in wall-clock time per conversation, "
        f"{cpu_ours / cpu_echo:.2f}× in bot CPU per conversation** (aim ≤ 1.5×; the CPU ratio is the one "
        f"other work on the host disturbs least); "
        f"p50 reply latency under load {percentile(ours.latencies, 50) / percentile(echo.latencies, 50):.2f}×; "
        f"Bot API calls per conversation {calls_ours:.1f} vs {calls_echo:.1f} "
        f"({calls_ours / calls_echo:.2f}×)."),
        (f"**Conversations/s: ours {ours.rate:.2f} = {ours.rate / echo.rate:.2f} of the echo bot's {echo.rate:.2f}** "
         f"(aim ≥ 0.85); step under load p50 {ms(percentile(ours.steps, 50))}, p95 {ms(percentile(ours.steps, 95))} "
         f"(aim ≤ 400 ms, ≤ 1 s) vs echo p50 {ms(percentile(echo.steps, 50))}, p95 {ms(percentile(echo.steps, 95))}; "
         f"bot CPU per step {1000 * cpu_ours / len(KINDS):.2f} ms vs {1000 * cpu_echo / len(KINDS):.2f} ms "
         f"({cpu_ours / cpu_echo:.2f}×)."),
    ]
    if ours.unloaded_steps and echo.unloaded_steps:
        alone = percentile(ours.unloaded_steps, 50) / percentile(echo.unloaded_steps, 50)
        summary.append(f"**One resident alone, step p50 {ms(percentile(ours.unloaded_steps, 50))} vs "
                       f"{ms(percentile(echo.unloaded_steps, 50))} ({alone:.2f}×; aim ≤ 1.1×)**; mean "
                       f"{ms(statistics.fmean(ours.unloaded_steps))} vs {ms(statistics.fmean(echo.unloaded_steps))} "
                       f"({statistics.fmean(ours.unloaded_steps) / statistics.fmean(echo.unloaded_steps):.2f}×).")
    if ours.unloaded and echo.unloaded:
        summary.append(
            f"One resident at a time, p50 reply latency {ms(percentile(ours.unloaded, 50))} vs "
            f"{ms(percentile(echo.unloaded, 50))} ({percentile(ours.unloaded, 50) / percentile(echo.unloaded, 50):.2f}×)."
        )
    return summary


async def main_async(args: argparse.Namespace) -> None:
    ward = Ward()
    work = Path(tempfile.mkdtemp(prefix="bench-intake-"))
    print(f"work directory: {work}")
    phases: dict[str, Phase] = {}
    runs: list[Phase] = []
    kinds = () if args.profile_only else (args.only,) if args.only else ("ours",) + (() if args.no_echo else ("echo", "echo-aiohttp"))
    for round_number in range(args.rounds if kinds else 0):
        for kind in kinds:
            print(f"\n{kind}{f' (round {round_number + 1})' if args.rounds > 1 else ''}: "
                  f"{args.residents} residents at once …", flush=True)
            phase = await run_phase(kind, args.residents, args, ward, work)
            runs.append(phase)
            print("\n".join(describe(phase)), flush=True)
            if kind not in phases or phase.rate > phases[kind].rate:
                phases[kind] = phase
    lines = [f"Residents at once: {args.residents} (after {args.warmup} warm-up conversations); think time "
             f"{args.think:g} s; network round trip added by the fake {1000 * args.rtt:g} ms; ours: the example config (telegram.rate_limiter "
             f"{'as shipped' if args.rate_limiter is None else args.rate_limiter}); echo: {args.concurrency} updates at once, "
             f"AIORateLimiter {'on' if args.rate_limiter else 'off'}; "
             f"{args.rounds} round(s) alternating the bots" + (", the faster round of each compared." if args.rounds > 1
                                                               else "."), ""]
    for phase in runs:
        lines += describe(phase)
    ours = phases.get("ours")
    for floor in ("echo", "echo-aiohttp"):
        echo = phases.get(floor)
        if ours is not None and echo is not None and ours.rate and echo.rate:
            summary = compare(ours, echo)
            print("\n".join(summary))
            lines += summary
    if not args.no_profile:
        if have_py_spy() is None:
            lines += ["", "Profile: skipped (py-spy not installed: `.venv/bin/pip install py-spy`)."]
        else:
            count, kind = args.profile_residents, args.profile_kind
            print(f"\nprofiling {kind} under py-spy with {count} residents …", flush=True)
            raw = work / f"{kind}.pyspy.txt"
            profiled = await run_phase(kind, count, args, ward, work, profile=raw)
            print("\n".join(profiled.profile))
            lines += ["", (f"Profile of {kind} (py-spy record --rate 250 --threads, attached after the warm-up, "
                          f"{count} residents at once, {profiled.done} completed in {profiled.wall:.1f} s; "
                          f"raw stacks in {raw}):"), "", "```", *profiled.profile, "```"]
    if not args.no_results:
        append_results(f"Intake throughput (bench/intake.py{' --quick' if args.quick else ''})", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--residents", type=int, default=2000, help="residents at once (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help="100 residents, a short profile: about a minute at most")
    parser.add_argument("--warmup", type=int, default=10, help="conversations before measuring (default: %(default)s)")
    parser.add_argument("--unloaded", type=int, default=20,
                        help="residents afterwards one at a time, for idle latency (default: %(default)s)")
    parser.add_argument("--think", type=float, default=0.0,
                        help="mean think time between a resident's steps, seconds (default: none)")
    parser.add_argument("--rate-limiter", action=argparse.BooleanOptionalAction, default=None,
                        help="ours: the example config's telegram.rate_limiter unless given (it ships on); "
                             "echo: PTB's AIORateLimiter, off unless given")
    parser.add_argument("--rtt", type=float, default=0.0,
                        help="seconds the fake adds to every Bot API call but getUpdates, as a WAN round trip to "
                             "api.telegram.org would (default: 0, loopback only)")
    parser.add_argument("--no-echo", action="store_true", help="skip the echo floor")
    parser.add_argument("--no-profile", action="store_true", help="skip the py-spy run")
    parser.add_argument("--profile-only", action="store_true", help="only the py-spy run")
    parser.add_argument("--profile-kind", choices=("ours", "echo", "echo-aiohttp"), default="ours", help="which bot to profile")
    parser.add_argument("--only", choices=("ours", "echo", "echo-aiohttp"), help="measure one bot only")
    parser.add_argument("--concurrency", type=int, default=32,
                        help="updates the echo bot handles at once: the shipped limits.concurrent_updates "
                             "(default: %(default)s)")
    parser.add_argument("--profile-residents", type=int, default=500, help="residents in the profiled run")
    parser.add_argument("--step-timeout", type=float, default=600.0, help="seconds one step may wait for answers")
    parser.add_argument("--rounds", type=int, default=1,
                        help="alternate ours/echo this many times and compare the faster of each (default: 1)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--no-results", action="store_true", help="do not append to bench/RESULTS.md")
    args = parser.parse_args()
    if args.quick:
        args.residents = min(args.residents, 100) if "--residents" not in sys.argv else args.residents
        args.profile_residents = min(args.profile_residents, 60)
        args.unloaded = min(args.unloaded, 5)
        args.warmup = min(args.warmup, 5)
        args.step_timeout = min(args.step_timeout, 60.0)
    asyncio.run(main_async(args))


if __name__ == "__main__":
    main()
