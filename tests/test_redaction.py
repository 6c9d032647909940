"""Nothing a resident wrote leaks: numbers and e-mail addresses are masked wherever others read
their text (pushes, the staff group), and /delete leaves no number of theirs in the database."""

from __future__ import annotations

from pathlib import Path

from storage.db import Database
from tests.chat import Chat

NUMBER = "0903123456"
WITH_NUMBER = f"Đèn hẻm 48 Tân Hóa hư cả tháng, xin gọi tôi {NUMBER} hoặc lan.nguyen@example.com để dẫn đường."


async def file_bytes(database: Database) -> bytes:
    """Everything SQLite keeps on disk, once the write-ahead log is folded into the file."""
    await database.fetch_one("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(database.path)
    wal = Path(f"{path}-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


async def test_delete_leaves_no_number_of_theirs_anywhere_in_the_file(lan: Chat, meeting, database: Database) -> None:
    await lan.text("/start")
    await lan.press("Tôi đồng ý")
    await lan.press("Gửi ý kiến mới")
    await lan.press("Chung cho cả")
    await lan.press("An sinh")
    await lan.text(WITH_NUMBER)
    await lan.press("Bỏ qua")
    await lan.press("Bỏ qua vị trí")
    await lan.contact("0903 123 456", "Lan")
    await lan.press("Gửi ý kiến")
    assert NUMBER.encode() in await file_bytes(database)
    await lan.text("/delete")
    replies = await lan.press("Xóa")
    assert "1 ý kiến" in replies[0].text
    row = await database.fetch_one("SELECT text, text_folded FROM concerns")
    assert "[số điện thoại đã ẩn]" in row["text"] and "[địa chỉ e-mail đã ẩn]" in row["text"]
    assert "hem 48 tan hoa" in row["text_folded"] and "903123456" not in row["text_folded"]
    on_disk = await file_bytes(database)
    for trace in (b"0903123456", b"903123456", b"lan.nguyen@example.com", b"lan.nguyen"):
        assert trace not in on_disk
