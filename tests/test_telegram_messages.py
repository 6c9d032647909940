"""How the replies of one turn become Telegram messages (handlers/telegram/render.py)."""

from __future__ import annotations

from bot.domain.messages import Button, Document, Reply
from handlers.telegram.render import as_messages

MENU = ((Button("📝 Gửi ý kiến mới", "g:new:"),),)


def test_a_plain_sentence_goes_on_top_of_the_question_after_it() -> None:
    (message,) = as_messages([Reply("Cảm ơn bạn."), Reply("Bạn muốn làm gì tiếp theo?", buttons=MENU)])
    assert message.text == "Cảm ơn bạn.\n\nBạn muốn làm gì tiếp theo?" and message.buttons == MENU


def test_a_keyboard_removal_before_a_new_reply_keyboard_is_not_needed() -> None:
    (message,) = as_messages([Reply("Không kèm vị trí.", remove_keyboard=True), Reply("Số điện thoại?", ask="contact")])
    assert message.ask == "contact" and message.text.startswith("Không kèm vị trí.")


def test_a_keyboard_removal_before_inline_buttons_stays_a_message_of_its_own() -> None:
    removal = Reply("Ý kiến sẽ được gửi ẩn danh.", remove_keyboard=True)
    summary = Reply("Xin bạn kiểm tra lại", buttons=MENU)
    assert as_messages([removal, summary]) == [removal, summary]


def test_a_removal_carried_onto_a_plain_text_keeps_removing() -> None:
    (message,) = as_messages([Reply("Không kèm vị trí.", remove_keyboard=True), Reply("Xin bạn viết nội dung")])
    assert message.remove_keyboard


def test_buttons_files_and_long_texts_are_never_joined() -> None:
    with_buttons = Reply("Chọn", buttons=MENU)
    after = Reply("Tiếp")
    assert as_messages([with_buttons, after]) == [with_buttons, after]
    file = Reply("Chương trình", document=Document("a.docx", b"x"))
    assert as_messages([Reply("Đây là tệp:"), file]) == [Reply("Đây là tệp:"), file]
    long = Reply("ư" * 4000)
    assert as_messages([long, Reply("ư" * 200)]) == [long, Reply("ư" * 200)]
