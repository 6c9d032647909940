"""One process refreshing the Zalo token pair kept in a shared database, for
tests/test_zalo_tokens_processes.py: `python -m tests.zalo_token_worker DB BASE_URL START_FILE NOW`.

It loads the stored pair, prints "ready", waits until START_FILE exists (so that two of them
refresh at the same moment), refreshes the access token it loaded, and prints the access
token it ends with (or the error) as one line of JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from datetime import datetime
from pathlib import Path

from bot.clock import ManualClock
from bot.config import Secrets, ZaloSettings
from handlers.zalo.api import TokenError, ZaloApi
from storage.db import Database
from tests.fakezalo import APP_ID, APP_SECRET, OA_SECRET_KEY

START_WAIT_SECONDS = 30.0


async def main(db_path: str, base_url: str, start_file: str, now: str) -> dict[str, str]:
    database = await Database.open(db_path)
    settings = ZaloSettings(enabled=True, app_id=APP_ID, api_base_url=base_url, oauth_base_url=base_url)
    # No pair in the environment: the one in the database is the only one.
    secrets = Secrets(telegram_token=None, webhook_secret=None, zalo_oa_secret_key=OA_SECRET_KEY,
                      zalo_app_secret=APP_SECRET)
    api = ZaloApi(settings, secrets, database, ManualClock(datetime.fromisoformat(now)))
    try:
        stale = (await api.tokens.load()).access_token
        print("ready", flush=True)
        deadline = time.monotonic() + START_WAIT_SECONDS
        while not Path(start_file).exists() and time.monotonic() < deadline:
            await asyncio.sleep(0.005)
        try:
            await api.tokens.refresh(stale)
        except TokenError as error:
            return {"error": str(error)}
        return {"access_token": api.tokens.current}
    finally:
        await api.close()
        await database.close()


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(*sys.argv[1:5]))), flush=True)
