"""The HTTP surface: URLs, tokens, the ways parameters arrive, and several emulators at once."""

from __future__ import annotations

import pytest
import telegram
from telegram.error import InvalidToken

from sopbot.emulator import BotApiEmulator
from tests.emulator import bot_for, raw_call, running_emulator

STRANGERS_BOT = "654321:WRONG"  # a bot the emulator does not serve
OTHER_BOT = "777:OTHER"


async def test_get_me_describes_the_bot(emulator: BotApiEmulator) -> None:
    async with bot_for(emulator) as bot:
        me = await bot.get_me()
    assert (me.id, me.is_bot, me.username, me.first_name) == (
        123456,
        True,
        "sopbot_demo_bot",
        "SOP Bot",
    )
    assert emulator.base_url == f"http://127.0.0.1:{emulator.port}/bot"
    assert emulator.base_file_url == f"http://127.0.0.1:{emulator.port}/file/bot"


async def test_a_wrong_token_is_unauthorized(emulator: BotApiEmulator) -> None:
    response = await raw_call(emulator, "getMe", token=STRANGERS_BOT)
    assert response.status_code == 401
    assert response.json() == {"ok": False, "error_code": 401, "description": "Unauthorized"}
    stranger_bot = telegram.Bot(
        STRANGERS_BOT, base_url=emulator.base_url, base_file_url=emulator.base_file_url
    )
    with pytest.raises(InvalidToken):
        await stranger_bot.initialize()  # initialize() calls getMe
    await stranger_bot.shutdown()


async def test_an_unknown_method_or_path_is_not_found(emulator: BotApiEmulator) -> None:
    for response in (
        await raw_call(emulator, "sendTelepathy"),
        await raw_call(emulator, "deleteMessage"),
    ):
        assert response.status_code == 404
        assert response.json() == {"ok": False, "error_code": 404, "description": "Not Found"}
    async with bot_for(emulator) as bot:
        with pytest.raises(telegram.error.EndPointNotFound):
            await bot.do_api_request("sendTelepathy")


async def test_parameters_arrive_as_json_form_or_query(emulator: BotApiEmulator) -> None:
    budi = emulator.add_user("Budi", started=True)
    markup = {"inline_keyboard": [[{"text": "Selesai", "callback_data": "done"}]]}
    as_json = await raw_call(
        emulator, "sendMessage", json={"chat_id": budi.id, "text": "json", "reply_markup": markup}
    )
    as_form = await raw_call(
        emulator,
        "sendMessage",
        data={
            "chat_id": str(budi.id),
            "text": "form",
            "reply_markup": str(markup).replace("'", '"'),
        },
    )
    as_query = await raw_call(
        emulator, "sendmessage", http_method="GET", params={"chat_id": str(budi.id), "text": "get"}
    )
    assert [r.status_code for r in (as_json, as_form, as_query)] == [200, 200, 200]
    assert as_json.json()["result"]["reply_markup"] == markup
    assert [m.text for m in budi.messages()] == ["json", "form", "get"]
    assert [m.buttons for m in budi.messages()] == [(("Selesai",),), (("Selesai",),), ()]


async def test_a_body_that_is_not_an_object_is_refused(emulator: BotApiEmulator) -> None:
    response = await raw_call(emulator, "getMe", json=[1, 2])
    assert response.status_code == 400
    assert response.json()["description"].startswith("Bad Request: ")


async def test_every_call_is_logged(emulator: BotApiEmulator) -> None:
    budi = emulator.add_user("Budi", started=True)
    async with bot_for(emulator) as bot:
        await bot.send_message(budi.id, "Halo")
        with pytest.raises(telegram.error.BadRequest):
            await bot.send_message(999, "Halo")
    sent = emulator.calls_to("sendMessage")
    assert [(call.status, call.params["text"]) for call in sent] == [(200, "Halo"), (400, "Halo")]
    assert sent[1].description == "Bad Request: chat not found"
    assert sent[0].at <= sent[1].at
    assert emulator.calls[0].method == "getMe"


async def test_two_emulators_run_side_by_side() -> None:
    async with running_emulator() as first, BotApiEmulator(token=OTHER_BOT) as second:
        assert first.port != second.port
        first_user = first.add_user("Budi", started=True)
        second_user = second.add_user("Siti", started=True)
        async with bot_for(first) as first_bot, bot_for(second) as second_bot:
            await first_bot.send_message(first_user.id, "satu")
            await second_bot.send_message(second_user.id, "dua")
            assert (await second_bot.get_me()).id == 777
        assert [m.text for m in first_user.messages()] == ["satu"]
        assert [m.text for m in second_user.messages()] == ["dua"]
        assert first_user.id == second_user.id  # ids are per emulator, not global
