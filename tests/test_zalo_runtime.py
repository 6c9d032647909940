"""`doithoai run` with Zalo: the runtime starts whichever channels the config enables, the outbox
gets a Zalo sender, and the config and secrets are checked."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.app import Runtime
from bot.channels import ChannelStartFailed
from bot.clock import ManualClock
from bot.config import ConfigError, Secrets, Settings, load_settings
from bot.domain.messages import Inbound, InboundKind, Reply
from bot.outbox.codec import encode_body
from handlers.zalo import ZaloChannel
from storage.db import Database
from storage.outbox import OutboxRepository
from tests.conftest import EXAMPLE_CONFIG
from tests.fakezalo import FakeZalo
from tests.staffchat import ADMIN
from tests.zalo_e2e import fake, services, step, zalo_only, zalo_secrets  # noqa: F401 - fixtures


async def test_a_zalo_only_bot_runs_and_a_resident_writing_again_gets_the_held_answer(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    user = "7600000000000000001"
    async with database.transaction() as connection:
        outbox = OutboxRepository(connection)
        await outbox.enqueue("answer:1:1:1", "zalo", user, encode_body(Reply("Trả lời ý kiến TT-0001: đã sửa đèn.")), clock.now())
        await connection.execute("UPDATE outbox SET status = 'held' WHERE dedupe_key = 'answer:1:1:1'")
    runtime = Runtime(zalo_only(settings, fake), zalo_secrets(fake), database, clock)
    assert list(runtime.channels) == ["zalo"]
    zalo = runtime.channels["zalo"]
    assert isinstance(zalo, ZaloChannel)
    assert runtime.wake_outbox in zalo.on_release
    await runtime.start()
    try:
        fake.webhook_url = f"http://127.0.0.1:{zalo.port}/zalo"
        resident = fake.user(user)
        sent = await step(zalo, resident, lambda: resident.send_text("Xin chào"))
        assert any("Xin chào" in m.text for m in sent)
        # The running dispatcher was woken: the held answer arrives without anyone polling.
        for _ in range(100):
            if any("đã sửa đèn" in m.text for m in resident.inbox):
                break
            await asyncio.sleep(0.05)
        assert any("đã sửa đèn" in m.text for m in resident.inbox)
    finally:
        await runtime.stop()
    row = await database.fetch_one("SELECT status FROM outbox WHERE dedupe_key = 'answer:1:1:1'")
    assert row["status"] == "sent"


def test_no_channel_enabled_is_refused(settings: Settings, database: Database, clock: ManualClock) -> None:
    nothing = settings.model_copy(update={"telegram": settings.telegram.model_copy(update={"enabled": False})})
    with pytest.raises(SystemExit, match="no channel is enabled"):
        Runtime(nothing, Secrets(None, None), database, clock)


def zalo_config(tmp_path: Path, *, app_id: str = '"1234567890123456789"', telegram: bool = False) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace("[zalo]\n", "[zalo]\nenabled = true\n", 1).replace("enabled = false\n", "", 1)
    text = text.replace('app_id = "1234567890123456789"', f"app_id = {app_id}", 1)
    if not telegram:
        text = text.replace("[telegram]\nenabled = true", "[telegram]\nenabled = false", 1)
    path = tmp_path / "zalo.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_zalo_section_is_checked(tmp_path: Path) -> None:
    assert load_settings(EXAMPLE_CONFIG).zalo.enabled is False
    enabled = load_settings(zalo_config(tmp_path))
    assert enabled.zalo.enabled and enabled.zalo.webhook.path == "zalo" and not enabled.telegram.enabled
    with pytest.raises(ConfigError) as error:
        load_settings(zalo_config(tmp_path, app_id='""'))
    assert "zalo: zalo.enabled needs zalo.app_id" in error.value.problems[0]
    path = zalo_config(tmp_path)
    path.write_text(path.read_text(encoding="utf-8").replace("window_hours = 168", "window_hour = 168"), encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load_settings(path)
    assert "zalo.window_hour: unknown key" in error.value.problems[0]


def test_run_needs_the_zalo_secrets(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    for name in ("ZALO_OA_SECRET_KEY", "ZALO_APP_SECRET", "ZALO_ACCESS_TOKEN", "ZALO_REFRESH_TOKEN", "DOITHOAI_CONFIG"):
        monkeypatch.delenv(name, raising=False)
    assert main(["run", "--config", str(zalo_config(tmp_path))]) == 2
    assert "ZALO_OA_SECRET_KEY, ZALO_APP_SECRET" in capsys.readouterr().err
    assert main(["check-config", str(zalo_config(tmp_path))]) == 0
    assert "ZALO_OA_SECRET_KEY, ZALO_APP_SECRET not set" in capsys.readouterr().out


async def test_a_zalo_id_equal_to_a_staff_telegram_id_is_not_staff(services) -> None:  # type: ignore[no-untyped-def]
    inbound = Inbound(channel="zalo", user_id=ADMIN, kind=InboundKind.COMMAND, command="meetings", text="/meetings",
                      event_id="zalo-staff-1", chat_id=ADMIN)
    (reply,) = await services.router.handle(inbound)
    assert "không có quyền" in reply.text or "cán bộ" in reply.text


async def test_a_webhook_port_in_use_is_said_in_one_line(
    settings: Settings, fake: FakeZalo, database: Database, clock: ManualClock
) -> None:
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    port = taken.getsockname()[1]
    configured = zalo_only(settings, fake)
    webhook = configured.zalo.webhook.model_copy(update={"listen": "127.0.0.1", "port": port})
    configured = configured.model_copy(update={"zalo": configured.zalo.model_copy(update={"webhook": webhook})})
    runtime = Runtime(configured, zalo_secrets(fake), database, clock)
    try:
        with pytest.raises(ChannelStartFailed, match=f"cannot listen for Zalo's webhook on 127.0.0.1:{port}"):
            await runtime.start()
    finally:
        taken.close()
