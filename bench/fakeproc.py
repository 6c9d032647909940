"""The fake Bot API (bench/common.py BenchApi) in its own process, for bench/publish.py.

    fakeproc.py --users N --first-user ID [--limit PER_WINDOW] [--window S] --url-file PATH

Creates N private chats (ids from --first-user), serves the Bot API on 127.0.0.1 and writes
its base URL to --url-file. Reads commands on stdin, one per line, and answers each with one
line of JSON on stdout: ``stats`` (what it received), ``reset`` (forget the counts), ``quit``.
Running it apart keeps its HTTP handling off the interpreter whose sending rate is measured.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import BenchApi


def max_in_window(times: list[float], window: float) -> int:
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= window:
            start += 1
        best = max(best, end - start + 1)
    return best


def stats(api: BenchApi) -> dict[str, object]:
    sends = api.accepted_sends
    return {
        "accepted": len(sends),
        "first": sends[0] if sends else None,
        "last": sends[-1] if sends else None,
        "rejected_429": api.rejected_429,
        "rejected_per_chat": api.rejected_per_chat,
        "paid_broadcasts": api.paid_broadcasts,
        "max_in_window": max_in_window(sends, api.window),
        "messages": len(api.sent),
        "chats_reached": len({m.chat_id for m in api.sent}),
        "methods": dict(api.method_counts),
        "cpu": time.process_time(),
        "now": time.perf_counter(),
    }


async def main_async(args: argparse.Namespace) -> None:
    api = BenchApi(limit=args.limit, window=args.window, retry_after=args.retry_after,
                   per_chat_window=args.per_chat_window)
    await api.start()
    for user_id in range(args.first_user, args.first_user + args.users):
        api.user(user_id)
    api.group(-1001000000001, "Tổ công tác")
    args.url_file.write_text(f"{api.base_url}\n{api.base_file_url}\n{api.token}\n")
    loop = asyncio.get_running_loop()
    try:
        while True:
            line = await loop.run_in_executor(None, sys.stdin.readline)
            command = line.strip()
            if command in ("", "quit"):
                break
            if command == "reset":
                api.accepted_sends.clear()
                api.rejected_429 = 0
                api.rejected_per_chat = 0
                api.paid_broadcasts = 0
                api.method_counts.clear()
                api.sent.clear()
                print(json.dumps({"ok": True}), flush=True)
            elif command == "stats":
                print(json.dumps(stats(api)), flush=True)
            else:
                print(json.dumps({"error": f"unknown command {command!r}"}), flush=True)
    finally:
        await api.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, required=True)
    parser.add_argument("--first-user", type=int, required=True)
    parser.add_argument("--limit", type=float, default=None, help="sends accepted per window (default: no limit)")
    parser.add_argument("--window", type=float, default=1.0)
    parser.add_argument("--retry-after", type=int, default=1)
    parser.add_argument("--per-chat-window", type=float, default=None,
                        help="at most one send per chat in this many seconds (default: no per-chat limit)")
    parser.add_argument("--url-file", type=Path, required=True)
    asyncio.run(main_async(parser.parse_args()))


if __name__ == "__main__":
    main()
