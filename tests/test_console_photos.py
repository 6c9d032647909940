"""Residents' photos for the console: fetched once through the channel, kept privately, images only."""

from __future__ import annotations

import stat
from pathlib import Path

from bot.app import build_services
from bot.clock import ManualClock
from bot.config import Settings
from bot.domain.records import Meeting
from bot.services.web_photos import CACHE_FOLDER, image_type
from storage.db import Database
from tests.chat import Chat

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 60


async def test_a_photo_is_fetched_once_then_kept_privately(
    settings: Settings, database: Database, clock: ManualClock, meeting: Meeting, tmp_path: Path
) -> None:
    services = build_services(settings, database, clock)
    chat = Chat(services.intake, "901", channel="telegram")
    await chat.text("/start")
    for step in ("Tôi đồng ý", "Gửi ý kiến mới", "Khu phố 1", "Tổ dân phố 1", "Hẻm, đường sá"):
        await chat.press(step)
    await chat.text("Đèn đường hẻm 48 Tân Hóa bị hư hơn một tháng nay.")
    await chat.photo("file-1")
    await chat.photo("file-2")
    for step in ("Xong", "Bỏ qua vị trí", "Gửi ẩn danh", "Gửi ý kiến"):
        await chat.press(step)
    asked: list[tuple[str, str]] = []

    async def fetch(channel: str, ref: str) -> bytes | None:
        asked.append((channel, ref))
        return JPEG if ref == "file-1" else b"<html>not an image</html>"

    first = await services.photos.photo("TT-0001", 1, fetch)
    assert first is not None and first.content_type == "image/jpeg"
    assert await services.photos.photo("tt 1", 1, fetch) == first
    assert asked == [("telegram", "file-1")]
    kept = list((tmp_path / CACHE_FOLDER).iterdir())
    assert len(kept) == 1 and stat.S_IMODE(kept[0].stat().st_mode) == 0o600
    assert await services.photos.photo("TT-0001", 2, fetch) is None  # not an image: not served
    assert await services.photos.photo("TT-0001", 3, fetch) is None
    assert await services.photos.photo("TT-0099", 1, fetch) is None
    assert await services.photos.photo("TT-0001", 1, None) == first  # kept: no channel needed


def test_only_images_are_recognised() -> None:
    assert image_type(JPEG) == "image/jpeg"
    assert image_type(b"\x89PNG\r\n\x1a\n....") == "image/png"
    assert image_type(b"RIFF\x00\x00\x00\x00WEBPVP8 ") == "image/webp"
    assert image_type(b"RIFF\x00\x00\x00\x00WAVEfmt ") is None
    assert image_type(b"GIF89a") is None
