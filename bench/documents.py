"""The results report of a big meeting: how long writing it takes.

    .venv/bin/python bench/documents.py                 # 2,000 concerns, 7 runs of each format
    .venv/bin/python bench/documents.py --concerns 500 --runs 3 --no-agenda
    .venv/bin/python bench/documents.py --profile       # py-spy of the DOCX runs, summarised

A fresh SQLite file is seeded (executemany, bench/common.py seed_rows) with one held meeting
whose concerns are all answered, 5 followers each; the real AgendaService.build groups them
into agenda items (unless --no-agenda), as a ward does before the meeting. Each run then times
the real ResultsService.export_results — reading the meeting from the database, building the
document and writing the file — for DOCX and XLSX. The aim (issue 14): ≤ 2 s for 2,000
concerns. Appends the median and spread to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import append_results, have_py_spy, load_average, meeting_row, seed_rows, summarise_py_spy
from bot.app import build_services
from bot.clock import SystemClock
from bot.config import load_settings
from storage.db import Database
from tests.conftest import EXAMPLE_CONFIG

AIM_SECONDS = 2.0


async def _seed(db_path: Path, concerns: int) -> dict[str, int]:
    database = await Database.open(db_path)  # creates and migrates the file
    await database.close()
    now = datetime.now(UTC)
    held = meeting_row("Hội nghị đối thoại quý I/2026", starts=now - timedelta(days=1),
                       opens=now - timedelta(days=20), closes=now - timedelta(days=3), status="held")
    return seed_rows(db_path, residents=max(concerns, 100), meetings=[held], concerns_per_meeting=[concerns],
                     followers_per_concern=5, answered=[True])


async def _profile_start(path: Path) -> asyncio.subprocess.Process | None:
    spy = have_py_spy()
    if spy is None:
        print("py-spy not found: no profile")
        return None
    process = await asyncio.create_subprocess_exec(
        spy, "record", "--pid", str(os.getpid()), "--format", "raw", "--rate", "250", "-o", str(path),
        stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL)
    await asyncio.sleep(1.0)
    return process


async def run(args: argparse.Namespace) -> None:
    work = Path(tempfile.mkdtemp(prefix="bench-documents-"))
    db_path = work / "bench.db"
    seeded = await _seed(db_path, args.concerns)
    settings = load_settings(EXAMPLE_CONFIG)
    database = await Database.open(db_path)
    try:
        services = build_services(settings, database, SystemClock())
        items = 0
        if not args.no_agenda:
            items = await services.agenda.build(1, "cli:bench")
        print(f"seeded {seeded['concerns']} concerns, {seeded['followers']} followers; {items} agenda items")
        load_before = load_average()
        times: dict[str, list[float]] = {"docx": [], "xlsx": []}
        sizes: dict[str, int] = {}
        spy = await _profile_start(work / "documents.pyspy.txt") if args.profile else None
        for fmt in times:
            for _ in range(args.runs):
                started = time.perf_counter()
                _, content = await services.results.export_results(1, fmt, "cli:bench")
                times[fmt].append(time.perf_counter() - started)
                sizes[fmt] = len(content)
        if spy is not None:
            spy.send_signal(2)
            await spy.wait()
    finally:
        await database.close()
    lines = [f"One held meeting: {seeded['concerns']} answered concerns, {seeded['followers']} followers, "
             f"{items} agenda items; {args.runs} runs of `ResultsService.export_results` per format "
             f"(database read + document + file). Load average before: {load_before}, after: {load_average()}.", ""]
    for fmt, values in times.items():
        median = statistics.median(values)
        verdict = "within" if median <= AIM_SECONDS else "over"
        lines.append(f"- results {fmt.upper()}: median **{median:.2f} s**, min {min(values):.2f} s, max {max(values):.2f} s "
                     f"({sizes[fmt] // 1024} KiB) — {verdict} the {AIM_SECONDS:.0f} s aim")
    profile = work / "documents.pyspy.txt"
    if args.profile and profile.exists():
        lines += ["", f"Profile (py-spy record --rate 250, both formats; raw stacks kept in {profile}):", "", "```",
                  *summarise_py_spy(profile), "```"]
    else:
        shutil.rmtree(work, ignore_errors=True)
    print("\n".join(lines))
    if not args.no_record:
        append_results(f"Results report (bench/documents.py{' ' + ' '.join(sys.argv[1:]) if sys.argv[1:] else ''})", lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--concerns", type=int, default=2_000, help="concerns of the meeting (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7, help="timed runs per format (default: %(default)s)")
    parser.add_argument("--no-agenda", action="store_true", help="no agenda items: every concern is an item of its own")
    parser.add_argument("--profile", action="store_true", help="py-spy the timed runs (needs py-spy)")
    parser.add_argument("--no-record", action="store_true", help="print only; do not append to bench/RESULTS.md")
    asyncio.run(run(parser.parse_args()))


if __name__ == "__main__":
    main()
