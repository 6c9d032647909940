"""Evidence with answers, end to end: in a real Chromium an officer records an answer with a
photo and a PDF, sees them on the concern's page, publishes, and the resident on Telegram (the
fake Bot API) gets the answer's text and then both files, byte for byte. A file that is neither
a photo nor a document is refused with a sentence saying so, and nothing is recorded."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from playwright.async_api import Browser, Page, expect

from bot.app import Runtime
from bot.domain.identity import Identity
from handlers.web.server import MAX_BODY
from storage.evidence import FOLDER
from tests.consolekit import Console, browser, console, log_in, needs_chromium, office_pc
from tests.fakebotapi import FakeBotApi
from tests.flows import submit_concern
from tests.test_console_staff_day import (
    LAMP,
    OFFICER,
    api,
    hold_the_meeting_now,
    png,
    runtime,
)

pytestmark = needs_chromium
__all__ = ["api", "browser", "console", "runtime"]

PHOTO = png(80, 60, (30, 140, 60))
# A small but real PDF: what a scanned letter from the agency starts and ends with.
PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
       b"trailer<</Root 1 0 R>>\n%%EOF\n")
ANSWER = "Phường đã thay bóng đèn hẻm 48 Tân Hóa; ảnh chụp sau khi sửa và biên bản nghiệm thu gửi kèm."


async def answer_form_of_item(page: Page, link: str) -> None:
    await page.goto(link.split("/login/")[0] + "/meetings/1/answers")
    await page.locator("#answer-item-1 > form.answer-form textarea[name=answer]").fill(ANSWER)


async def choose(page: Page, files: list[tuple[str, bytes, str]]) -> None:
    await page.set_input_files("#answer-item-1 > form.answer-form input[type=file]", files=[
        {"name": name, "buffer": content, "mimeType": mime} for name, content, mime in files])


async def test_an_answer_with_a_photo_and_a_pdf_reaches_the_resident(
    api: FakeBotApi, runtime: Runtime, browser: Browser,
) -> None:
    lan = api.user(9006, first_name="Lan")
    code = await submit_concern(lan, LAMP)
    link = (await runtime.services.web_login.issue(Identity("telegram", str(OFFICER)), "test")).url
    await hold_the_meeting_now(runtime)
    await runtime.services.agenda.build(1, "test")
    context, page = await office_pc(browser)
    await log_in(page, link)
    database = runtime.services.database

    await answer_form_of_item(page, link)
    await choose(page, [("anh-sau-khi-sua.png", PHOTO, "image/png"), ("virus.exe", b"MZ\x90\x00not a document", "image/png")])
    names = page.locator("#answer-item-1 > form.answer-form .file-names")
    await expect(names).to_have_text("anh-sau-khi-sua.png, virus.exe")  # the chosen files, in the page's words
    await page.locator("#answer-item-1 > form.answer-form button[type=submit]").click()
    await expect(page.locator(".banner.problem")).to_contain_text(
        "tệp “virus.exe” không phải ảnh (JPEG, PNG) hay tài liệu (PDF, DOCX)")
    assert (await database.fetch_one("SELECT count(*) FROM answers"))[0] == 0
    assert (await database.fetch_one("SELECT count(*) FROM answer_evidence"))[0] == 0
    folder = Path(database.path).parent / FOLDER
    assert not folder.exists() or not any(folder.iterdir())  # not even the good file was kept

    await answer_form_of_item(page, link)
    await choose(page, [("anh-sau-khi-sua.png", PHOTO, "image/png"), ("bien-ban.pdf", PDF, "application/pdf")])
    await page.locator("#answer-item-1 > form.answer-form button[type=submit]").click()
    await expect(page.locator(".banner.done")).to_contain_text("Đã ghi câu trả lời cho cả mục")
    await expect(page.locator("#answer-item-1 .badge.files")).to_have_text("📎 2 tệp kèm")
    kept = sorted(folder.iterdir())
    assert len(kept) == 2 and all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in kept)
    assert stat.S_IMODE(os.stat(folder).st_mode) == 0o700

    await page.goto(link.split("/login/")[0] + f"/concerns/{code}")
    photo = page.locator("#evidence li[data-kind=photo] img")
    await expect(photo).to_have_count(1)
    loaded = "img => img.complete ? img.naturalWidth : new Promise(done => { img.onload = () => done(img.naturalWidth); })"
    assert await photo.evaluate(loaded) == 80
    document = await page.request.get(link.split("/login/")[0] + f"/concerns/{code}/evidence/2")
    assert await document.body() == PDF and "attachment" in document.headers["content-disposition"]
    stranger = await browser.new_context()
    refused = await stranger.request.get(link.split("/login/")[0] + f"/concerns/{code}/evidence/2", max_redirects=0)
    assert refused.status == 303 and refused.headers["location"] == "/welcome"  # no session, no file

    await page.goto(link.split("/login/")[0] + "/meetings/1/answers")
    await page.click("#publish")
    text, sent_photo, sent_document = await lan.wait_for_messages(3, timeout=20)
    assert ANSWER in (text.text or "") and text.method == "sendMessage"
    assert sent_photo.method == "sendPhoto" and sent_photo.photo is not None and sent_photo.photo.content == PHOTO
    assert code in (sent_photo.text or "")
    assert sent_document.method == "sendDocument" and sent_document.document is not None
    assert sent_document.document.content == PDF and sent_document.document.filename == "bien-ban.pdf"
    await expect(page.locator("#progress [data-step=sent] strong")).to_have_text("3", timeout=15_000)

    # Publishing again sends nothing twice.
    await page.click("#publish")
    await expect(page.locator("#progress [data-step=sent] strong")).to_have_text("3", timeout=15_000)
    assert len(api.calls_of("sendPhoto")) == 1 and len(api.calls_of("sendDocument")) == 1


async def test_a_form_larger_than_any_answer_is_refused_in_words(console: Console, browser: Browser) -> None:
    _, page = await office_pc(browser)
    await log_in(page, await console.link())
    await page.goto(f"{console.url}/concerns/TT-0001")
    csrf = await page.input_value("#reject input[name=csrf]")
    too_much = b"%PDF-1.4\n" + bytes(MAX_BODY)
    answer = await page.request.post(f"{console.url}/meetings/1/answers/concerns/TT-0001", multipart={
        "csrf": csrf, "evidence": {"name": "lon.pdf", "mimeType": "application/pdf", "buffer": too_much}})
    assert answer.status == 413
    assert "Mỗi câu trả lời kèm tối đa 4 tệp, mỗi tệp tối đa 5 MB" in await answer.text()
    assert (await console.database.fetch_one("SELECT count(*) FROM answers"))[0] == 0
