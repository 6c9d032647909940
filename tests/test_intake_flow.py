from bot.intake import Intake
from tests.chat import Chat, submit_concern


async def test_happy_path_gives_receipt(lan: Chat, meeting, intake: Intake, database) -> None:
    code = await submit_concern(lan)
    assert code == "TT-0001"
    assert lan.said("Hội trường UBND phường Phú Thọ")
    row = await database.fetch_one("SELECT * FROM concerns WHERE code = ?", (code,))
    assert row["area_id"] == "kp1-t1"
    assert row["topic_id"] == "hem-chieu-sang"
    assert row["contact_phone"] is None
