"""Memory of the statistics: peak RSS of `doithoai stats` and of the console serving its
statistics pages, over 100,000 concerns (issue 12: within 100 MiB; before, `stats` peaked at 301 MiB).

    .venv/bin/python bench/stats_memory.py                          # 100,000 concerns
    .venv/bin/python bench/stats_memory.py --quick                  # 20,000
    .venv/bin/python bench/stats_memory.py --compare-tree /tmp/old  # also `stats` of another checkout

The database is seeded as bench/console.py seeds it (ten meetings, forwarded answers, ratings).
Each figure is one process's peak resident set (VmHWM, which the process writes at its exit,
see WRAPPER): `python -m bot stats --config …` for every meeting and for one; the import floor,
`python -m bot --help`; and the console — this script run again as a child that starts the
WebConsole on 127.0.0.1, logs in and asks for /statistics?meeting=all, /statistics?meeting=1
and /meetings/1/results --rounds times each, printing its own peak (VmHWM) before and after.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import EXAMPLE_CONFIG, PYTHON, ROOT, append_results, load_average, status_kib

AIM_MIB = 100.0


def write_config(work: Path, db_path: Path) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace('path = "data/doithoai.db"', f'path = "{db_path}"')
    config = work / "config.toml"
    config.write_text(text, encoding="utf-8")
    return config


# Runs `python -m MODULE ARGS…` and, at its exit, writes its own VmHWM (KiB) to $PEAK_FILE. Read
# from inside: a child's ru_maxrss (wait4) on Linux starts from the RSS of the process that
# forked it (here, this one after seeding), while VmHWM is of the executed program's memory only.
WRAPPER = """
import atexit, os, runpy, sys
def report():
    with open('/proc/self/status') as status, open(os.environ['PEAK_FILE'], 'w') as out:
        out.write(next(line.split()[1] for line in status if line.startswith('VmHWM:')))
atexit.register(report)
module, sys.argv = sys.argv[1], sys.argv[1:]
runpy.run_module(module, run_name='__main__', alter_sys=True)
"""


def peak_of(module_and_args: list[str], cwd: Path, work: Path) -> tuple[float, float, str]:
    """(peak RSS in MiB, seconds, what it printed) of `python -m …` run to its end in `cwd`."""
    peak_file = work / "peak.txt"
    env = {**os.environ, "PYTHONPATH": str(cwd), "PYTHONDONTWRITEBYTECODE": "1", "PEAK_FILE": str(peak_file)}
    env.pop("DOITHOAI_CONFIG", None)
    started = time.perf_counter()
    done = subprocess.run([PYTHON, "-c", WRAPPER, *module_and_args], cwd=cwd, env=env, capture_output=True, text=True)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise RuntimeError(f"{module_and_args} failed: {done.stdout}{done.stderr}")
    return int(peak_file.read_text()) / 1024, seconds, done.stdout


async def console_child(config: Path, rounds: int) -> None:
    """Serve the console, ask for the statistics pages, print own peak RSS (JSON, KiB)."""
    import aiohttp

    from bench.console import free_port, time_pages, urlpath
    from bot.app import build_services
    from bot.clock import SystemClock
    from bot.config import load_settings
    from bot.domain.identity import Identity
    from handlers.web import WebConsole
    from storage.db import Database

    assert aiohttp  # the client the timing uses
    settings = load_settings(config)
    port = free_port()
    web = settings.web.model_copy(update={"enabled": True, "listen": "127.0.0.1", "port": port, "public_url": ""})
    settings = settings.model_copy(update={"web": web})
    database = await Database.open(settings.database.path)
    clock = SystemClock()
    services = build_services(settings, database, clock)
    console = WebConsole(settings, services, clock)
    await console.start()
    try:
        started_kib = status_kib(os.getpid(), "VmHWM")
        issued = await services.web_login.issue(Identity("telegram", str(settings.staff.admins[0])), "cli:bench")
        base = f"http://127.0.0.1:{port}"
        paths = ["/statistics?meeting=all", "/statistics?meeting=1", "/meetings/1/results"]
        times = await time_pages(base, base + urlpath(issued.url), paths, rounds)
    finally:
        await console.stop()
        await database.close()
    medians = {path: sorted(t for t, _ in samples)[len(samples) // 2] * 1000 for path, samples in times.items()}
    print(json.dumps({"started_kib": started_kib, "peak_kib": status_kib(os.getpid(), "VmHWM"), "median_ms": medians}))


def main_run(args: argparse.Namespace) -> None:
    from bench.console import add_follow_up, seed
    from storage.db import Database

    work = Path(tempfile.mkdtemp(prefix="bench-stats-memory-"))
    db_path = work / "stats.db"

    async def migrate() -> None:
        await (await Database.open(db_path)).close()

    asyncio.run(migrate())
    print(f"seeding {args.concerns} concerns in {db_path} …", flush=True)
    seeded = seed(db_path, args.concerns, args.open)
    add_follow_up(db_path)
    config = write_config(work, db_path)
    size = sum(p.stat().st_size for p in work.iterdir() if p.name.startswith("stats.db")) / 2**20
    load_before = load_average()
    runs = [
        ("the import floor, `python -m bot --help`", ["bot", "--help"], ROOT),
        ("`doithoai stats` (every meeting)", ["bot", "stats", "--config", str(config)], ROOT),
        ("`doithoai stats --meeting 1`", ["bot", "stats", "--meeting", "1", "--config", str(config)], ROOT),
    ]
    if args.compare_tree:
        tree = Path(args.compare_tree).resolve()
        runs.append((f"`doithoai stats` (every meeting) of the checkout in {tree}",
                     ["bot", "stats", "--config", str(config)], tree))
    lines = [f"Database: {seeded['concerns']} concerns in 10 meetings, {seeded['followers']} followers, "
             f"{seeded['answers']} answers (a fifth forwarded), ratings from a third of the followers; {size:.1f} MiB.", ""]
    for label, command, cwd in runs:
        peaks, seconds = [], []
        for _ in range(args.repeat):
            peak, took, printed = peak_of(command, cwd, work)
            peaks.append(peak)
            seconds.append(took)
        verdict = "" if "floor" in label else (" ✓ within the aim" if max(peaks) <= AIM_MIB else " **over the aim**")
        lines.append(f"- {label}: **peak RSS {max(peaks):.1f} MiB** (runs: {', '.join(f'{p:.1f}' for p in peaks)}); "
                     f"{sorted(seconds)[len(seconds) // 2]:.2f} s median{verdict}")
        if "stats` (every" in label and cwd == ROOT:
            said = printed.strip().splitlines()
            lines.append("  - it printed: " + " / ".join(said[:3]))
    child = ["bench.stats_memory", "--console-child", str(config), "--rounds", str(args.rounds)]
    peak, _, printed = peak_of(child, ROOT, work)
    report = json.loads(printed.strip().splitlines()[-1])
    medians = ", ".join(f"`{path}` {ms:.0f} ms" for path, ms in report["median_ms"].items())
    verdict = " ✓ within the aim" if peak <= AIM_MIB else " **over the aim**"
    lines.append(f"- the console (WebConsole in its own process, {args.rounds} requests to each statistics page): "
                 f"**peak RSS {peak:.1f} MiB**{verdict}; {report['started_kib'] / 1024:.1f} MiB once started; medians {medians}")
    lines.append(f"- host load average (1 min) {load_before} → {load_average()}")
    print("\n".join(lines))
    if not args.no_results:
        append_results(f"Statistics memory (bench/stats_memory.py{' --quick' if args.quick else ''})", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concerns", type=int, default=100_000)
    parser.add_argument("--open", type=int, default=2_000)
    parser.add_argument("--repeat", type=int, default=3, help="runs of each command")
    parser.add_argument("--rounds", type=int, default=5, help="requests to each page in the console child")
    parser.add_argument("--compare-tree", help="another checkout whose `doithoai stats` to measure too")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--no-results", action="store_true")
    parser.add_argument("--console-child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.console_child:
        asyncio.run(console_child(Path(args.console_child), args.rounds))
        return
    if args.quick:
        args.concerns, args.open, args.repeat = 20_000, 500, 1
    main_run(args)


if __name__ == "__main__":
    main()
