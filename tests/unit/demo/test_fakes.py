"""The Slack-side seams: the plain-text rendering, the fake Web API, the signed-request driver."""

from __future__ import annotations

import hashlib
import time
from collections.abc import AsyncIterator
from urllib.parse import urlencode

import aiohttp
import httpx
import pytest
from aiohttp import web
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError
from slack_sdk.signature import SignatureVerifier
from slack_sdk.web.async_client import AsyncWebClient

from bot.blocks.limits import MISSING_FALLBACK_PROBLEM
from tests.fakes import FakeSlack, SlackDriver, render_text
from tests.fakes.blockkit import Json, good_message, good_modal, plain, section, with_block

SECRET = "test-signing-secret"


# ---- the plain-text rendering ---------------------------------------------------------------


def test_render_text_flattens_a_message() -> None:
    text = render_text(good_message()["blocks"])
    assert text.splitlines() == [
        "Recordings",
        "*Inbound* from +1 732 555 0100 2m 10s [Play]",
        "---",
        "page 1 of 3",
        "[Next] [Page size ▾]",
    ]
    rich = {
        "type": "rich_text",
        "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "hi"}]}],
    }
    assert render_text([rich, good_modal()["blocks"][0]]) == "hi\nNumber: [plain_text_input ▾]"


# ---- FakeSlack through a real slack_sdk client ---------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeSlack]:
    async with FakeSlack() as server:
        server.add_user("U1001", "ana", email="ana@example.com", is_admin=True)
        server.add_user("U1002", "bo", tz="Europe/Berlin")
        yield server


@pytest.fixture
def client(fake: FakeSlack) -> AsyncWebClient:
    return AsyncWebClient(token="xoxb-test", base_url=fake.url)


async def test_auth_test_and_users_info(fake: FakeSlack, client: AsyncWebClient) -> None:
    auth = await client.auth_test()
    assert (auth["team_id"], auth["user_id"], auth["bot_id"]) == ("T0001", "U0BOT", "B0BOT")
    user = (await client.users_info(user="U1001"))["user"]
    assert user["tz"] == "America/New_York"
    assert user["tz_offset"] in (-5 * 3600, -4 * 3600)
    assert user["tz_label"] in ("EST", "EDT")
    assert (user["profile"]["email"], user["is_admin"]) == ("ana@example.com", True)
    assert "email" not in (await client.users_info(user="U1002"))["user"]["profile"]
    with pytest.raises(SlackApiError) as err:
        await client.users_info(user="U404")
    assert err.value.response["error"] == "user_not_found"
    assert fake.calls_to("users.info")[0].token == "xoxb-test"
    assert fake.calls_to("users.info")[0].args["user"] == "U1001"


async def test_messages_post_update_delete(fake: FakeSlack, client: AsyncWebClient) -> None:
    posted = await client.chat_postMessage(channel="C0001", **good_message())
    assert posted["channel"] == "C0001"
    updated = await client.chat_update(channel="C0001", ts=posted["ts"], text="now", blocks=[])
    assert updated["ts"] == posted["ts"]
    [message] = fake.messages_for("C0001")
    assert (message.text, message.blocks, message.edits) == ("now", [], 1)
    dm = await client.chat_postMessage(channel="U1001", text="ready")
    assert dm["channel"] == "DU1001"
    assert [m.text for m in fake.messages_for("U1001")] == ["ready"]
    await client.chat_delete(channel="C0001", ts=posted["ts"])
    assert fake.messages_for("C0001") == []
    for call, error in [
        (client.chat_update(channel="C0001", ts="1.2", text="x"), "message_not_found"),
        (client.chat_postMessage(channel="C404", text="x"), "channel_not_found"),
    ]:
        with pytest.raises(SlackApiError) as err:
            await call
        assert err.value.response["error"] == error
    with (
        pytest.warns(UserWarning, match="`text` argument is missing"),
        pytest.raises(SlackApiError, match="no_text"),
    ):
        await client.chat_postMessage(channel="C0001")
    fake.add_channel("C0002", "sales", is_member=False)
    with pytest.raises(SlackApiError, match="not_in_channel"):
        await client.chat_postMessage(channel="C0002", text="x")
    assert fake.problems == []


async def test_ephemeral_messages_cannot_be_updated(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    answer = await client.chat_postEphemeral(channel="C0001", user="U1001", text="only you")
    [message] = fake.messages_for("U1001")
    assert (message.ts, message.ephemeral) == (answer["message_ts"], True)
    assert fake.messages_for("C0001") == []
    with pytest.raises(SlackApiError, match="message_not_found"):
        await client.chat_update(channel="C0001", ts=answer["message_ts"], text="x")
    fake.add_channel("C0003", "private", members={"U1002"})
    with pytest.raises(SlackApiError, match="user_not_in_channel"):
        await client.chat_postEphemeral(channel="C0003", user="U1001", text="x")


async def test_invalid_blocks_are_rejected_and_recorded(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0001", **with_block(section("x" * 3001)))
    assert err.value.response["error"] == "invalid_blocks"
    messages = err.value.response["response_metadata"]["messages"]
    assert "[ERROR] /blocks/0/text: 3001 characters, max 3000" in messages
    form = {"channel": "C0001", "text": "t", "blocks": "[oops"}
    with pytest.raises(SlackApiError, match="invalid_blocks_format"):
        await client.api_call("chat.postMessage", data=form)
    with pytest.raises(SlackApiError, match="msg_blocks_too_long"):
        await client.chat_postMessage(channel="C0001", text="t", blocks=[section("x" * 2500)] * 5)
    with pytest.warns(UserWarning, match="top-level `text` argument is missing"):
        await client.chat_postMessage(channel="C0001", blocks=[section("no fallback")])
    assert len(fake.messages_for("C0001")) == 1
    assert any(p.startswith("chat.postMessage: /blocks/0/text") for p in fake.problems)
    assert f"chat.postMessage: {MISSING_FALLBACK_PROBLEM}" in fake.problems


async def test_views_open_push_update_publish(fake: FakeSlack, client: AsyncWebClient) -> None:
    trigger = fake.new_trigger_id("U1001")
    opened = (await client.views_open(trigger_id=trigger, view=good_modal()))["view"]
    assert opened["id"].startswith("V")
    assert opened["root_view_id"] == opened["id"]
    assert fake.current_view("U1001") == opened
    with pytest.raises(SlackApiError, match="exchanged_trigger_id"):
        await client.views_open(trigger_id=trigger, view=good_modal())
    with pytest.raises(SlackApiError, match="invalid_trigger_id"):
        await client.views_open(trigger_id="1.2.3", view=good_modal())
    fake.trigger_ttl = -1.0
    with pytest.raises(SlackApiError, match="expired_trigger_id"):
        await client.views_open(trigger_id=fake.new_trigger_id("U1001"), view=good_modal())
    fake.trigger_ttl = None

    changed = {**good_modal(), "title": plain("Results")}
    with pytest.raises(SlackApiError, match="hash_conflict"):
        await client.views_update(view_id=opened["id"], hash="stale", view=changed)
    updated = await client.views_update(view_id=opened["id"], hash=opened["hash"], view=changed)
    assert updated["view"]["title"]["text"] == "Results"
    assert updated["view"]["hash"] != opened["hash"]

    for depth in (2, 3):
        pushed = await client.views_push(
            trigger_id=fake.new_trigger_id("U1001", view_id=opened["id"]), view=good_modal()
        )
        assert pushed["view"]["root_view_id"] == opened["id"], depth
    with pytest.raises(SlackApiError, match="push_limit_reached"):
        await client.views_push(
            trigger_id=fake.new_trigger_id("U1001", view_id=opened["id"]), view=good_modal()
        )

    home = {"type": "home", "blocks": [section("Your recordings")]}
    published = await client.views_publish(user_id="U1001", view=home)
    assert fake.homes["U1001"]["blocks"][0]["text"]["text"] == "Your recordings"
    assert published["view"]["id"] == fake.homes["U1001"]["id"]
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_publish(user_id="U1001", view={**home, "close": plain("x")})
    with pytest.raises(SlackApiError, match="invalid_arguments"):
        await client.views_open(trigger_id=fake.new_trigger_id("U1001"), view=home)
    assert "views.open: /type: views.open takes a modal view" in fake.problems
    assert "views.publish: /close: a home view cannot have it" in fake.problems


async def test_conversations_open_and_info(client: AsyncWebClient) -> None:
    first = await client.conversations_open(users="U1001")
    again = await client.conversations_open(users=["U1001"])
    assert first["channel"]["id"] == again["channel"]["id"] == "DU1001"
    info = await client.conversations_info(channel="DU1001")
    assert (info["channel"]["is_im"], info["channel"]["user"]) == (True, "U1001")
    assert (await client.conversations_info(channel="C0001"))["channel"]["name"] == "general"
    with pytest.raises(SlackApiError, match="channel_not_found"):
        await client.conversations_info(channel="C404")
    with pytest.raises(SlackApiError, match="user_not_found"):
        await client.conversations_open(users="U404")


async def _chunks(data: bytes, size: int) -> AsyncIterator[bytes]:
    for start in range(0, len(data), size):
        yield data[start : start + size]


async def test_streamed_upload_is_recorded_then_shared(
    fake: FakeSlack, client: AsyncWebClient
) -> None:
    data = bytes(range(256)) * 4096  # 1 MiB
    url = await client.files_getUploadURLExternal(filename="call.mp3", length=len(data))
    headers = {"Content-Length": str(len(data))}
    async with httpx.AsyncClient() as http:
        answer = await http.post(
            url["upload_url"], content=_chunks(data, 64 * 1024), headers=headers
        )
    assert (answer.status_code, answer.text) == (200, f"OK - {len(data)}")
    upload = fake.uploads[url["file_id"]]
    assert upload.sha256 == hashlib.sha256(data).hexdigest()
    assert (upload.size, upload.content_length, upload.streamed) == (len(data), len(data), True)
    assert upload.chunks > 1

    done = await client.files_completeUploadExternal(
        files=[{"id": url["file_id"], "title": "Call with Bo"}],
        channel_id="U1001",
        initial_comment="Your recording",
    )
    [shared] = done["files"]
    assert (shared["id"], shared["title"], shared["size"]) == (
        url["file_id"],
        "Call with Bo",
        len(data),
    )
    assert shared["permalink"].endswith("/call.mp3")
    [message] = fake.messages_for("U1001")
    assert (message.kind, message.files, message.text) == (
        "file",
        [url["file_id"]],
        "Your recording",
    )
    assert (await client.files_info(file=url["file_id"]))["file"]["ims"] == ["DU1001"]
    fake.delete_file(url["file_id"])
    with pytest.raises(SlackApiError, match="file_deleted"):
        await client.files_info(file=url["file_id"])
    assert fake.problems == []


async def test_upload_errors(fake: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(SlackApiError, match="missing_argument"):
        await client.files_getUploadURLExternal(filename="a.mp3", length=0)
    with pytest.raises(SlackApiError, match="file_not_found"):
        await client.files_completeUploadExternal(files=[{"id": "F404"}], channel_id="C0001")
    url = await client.files_getUploadURLExternal(filename="a.mp3", length=300_000)
    with pytest.raises(SlackApiError, match="file_not_found"):  # nothing uploaded yet
        await client.files_completeUploadExternal(files=[{"id": url["file_id"]}])
    fake.fail_next_upload(after_bytes=100_000, status=500)
    async with httpx.AsyncClient() as http:
        answer = await http.post(url["upload_url"], content=_chunks(b"x" * 300_000, 50_000))
        assert answer.status_code == 500
        assert not fake.uploads[url["file_id"]].received
        form = aiohttp.FormData()
        form.add_field("file", b"y" * 299_999, filename="a.mp3")
        async with (
            aiohttp.ClientSession() as session,
            session.post(url["upload_url"], data=form) as multipart,
        ):
            assert multipart.status == 200
    assert fake.uploads[url["file_id"]].size == 299_999
    assert fake.problems == [f"upload {url['file_id']}: 299999 bytes, declared length 300000"]


async def test_files_upload_v2_round_trip(fake: FakeSlack, client: AsyncWebClient) -> None:
    answer = await client.files_upload_v2(
        content=b"ID3 fake mp3", filename="r.mp3", title="R", channel="C0001"
    )
    assert answer["file"]["name"] == "r.mp3"
    upload = fake.uploads[answer["file"]["id"]]
    assert (upload.head, upload.completed, upload.channels) == (b"ID3 fake mp3", True, ["C0001"])
    await client.files_delete(file=upload.file_id)
    with pytest.raises(SlackApiError, match="file_deleted"):
        await client.files_delete(file=upload.file_id)


async def test_failures_auth_and_unknown_methods(fake: FakeSlack, client: AsyncWebClient) -> None:
    fake.fail_next("chat.postMessage", "ratelimited", status=429, retry_after=7)
    with pytest.raises(SlackApiError) as err:
        await client.chat_postMessage(channel="C0001", text="x")
    assert err.value.response.status_code == 429
    assert err.value.response.headers["Retry-After"] == "7"
    await client.chat_postMessage(channel="C0001", text="x")
    with pytest.raises(SlackApiError, match="not_authed"):
        await AsyncWebClient(base_url=fake.url).auth_test()
    with pytest.raises(SlackApiError, match="unknown_method"):
        await client.api_call("reactions.add", params={"name": "x"})
    assert fake.problems == ["reactions.add: not implemented by FakeSlack"]
    assert [c.status for c in fake.calls_to("chat.postMessage")] == [429, 200]


async def test_response_urls_replace_delete_and_limit(fake: FakeSlack) -> None:
    async with httpx.AsyncClient() as http:
        command_url = fake.response_url("cmd", user_id="U1001", channel_id="C0001")
        await http.post(command_url, json={"text": "page 1"})
        [page] = fake.messages_for("U1001")
        # Slack's trap: replace_original on the command's own URL adds a message instead.
        await http.post(command_url, json={"text": "again", "replace_original": True})
        assert [m.text for m in fake.messages_for("U1001")] == ["page 1", "again"]

        click_url = fake.response_url("click", user_id="U1001", message_ts=page.ts)
        ok = await http.post(click_url, json={"replace_original": True, **good_message()})
        assert ok.json() == {"ok": True}
        assert (page.text, page.edits) == ("2 recordings", 1)
        await http.post(click_url, json={"delete_original": True})
        assert page.deleted
        bad = await http.post(click_url, json=with_block(section("x" * 3001)))
        assert (bad.status_code, bad.json()["error"]) == (400, "invalid_blocks")
        for _ in range(3):
            await http.post(command_url, json={"text": "more"})
        used = await http.post(command_url, json={"text": "sixth"})
        assert used.status_code == 404
        fake.fail_next("response_url", "expired_url", status=404)
        assert (await http.post(click_url, json={"text": "x"})).status_code == 404
    assert [c.key for c in fake.responses][:2] == ["cmd", "cmd"]
    assert len(fake.calls_to("response_url")) == 10
    assert fake.problems[-1] == "response_url cmd: used more than 5 times"


async def test_wait_for_returns_or_times_out(fake: FakeSlack, client: AsyncWebClient) -> None:
    with pytest.raises(TimeoutError, match=r"chat\.update"):
        await fake.wait_for("chat.update", timeout=0.1)
    await client.chat_postMessage(channel="C0001", text="x")
    [call] = await fake.wait_for("chat.postMessage")
    assert call.args["text"] == "x"
    assert await fake.wait_for(lambda: fake.messages_for("C0001")) == fake.messages_for("C0001")


# ---- SlackDriver against a real Bolt AsyncApp --------------------------------------------


@pytest.fixture
async def bolt(fake: FakeSlack) -> AsyncIterator[tuple[SlackDriver, list[Json]]]:
    """A minimal Bolt app on port 0 whose listeners record what they received."""
    seen: list[Json] = []
    app = AsyncApp(
        signing_secret=SECRET, client=AsyncWebClient(token="xoxb-test", base_url=fake.url)
    )

    async def on_command(ack: AsyncAck, respond: AsyncRespond, body: Json) -> None:
        await ack()
        seen.append(body)
        await respond(**good_message())

    async def on_click(ack: AsyncAck, respond: AsyncRespond, body: Json) -> None:
        await ack()
        seen.append(body)
        await respond(replace_original=True, text="page 2", blocks=[section("page 2")])

    async def on_submit(ack: AsyncAck, body: Json) -> None:
        await ack()
        seen.append(body)

    async def on_event(body: Json) -> None:
        seen.append(body)

    app.command("/recordings")(on_command)
    app.action("next")(on_click)
    app.view("search")(on_submit)
    app.event("app_home_opened")(on_event)
    runner = web.AppRunner(app.web_app(), access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    port = runner.addresses[0][1]
    async with SlackDriver(f"http://127.0.0.1:{port}/slack/events", SECRET, fake) as driver:
        yield driver, seen
    await runner.cleanup()


async def test_driver_command_click_round_trip(
    fake: FakeSlack, bolt: tuple[SlackDriver, list[Json]]
) -> None:
    driver, seen = bolt
    assert (await driver.command("U1001", "inbound yesterday")).status_code == 200
    [page] = await fake.wait_for(lambda: fake.messages_for("U1001"))
    assert (seen[0]["text"], seen[0]["user_name"], seen[0]["team_id"]) == (
        "inbound yesterday",
        "ana",
        "T0001",
    )
    assert seen[0]["response_url"].startswith(fake.base)
    with pytest.raises(AssertionError, match="no element 'next'"):
        await driver.click("U1001", "next", "cursor-99", message=page)
    assert (await driver.click("U1001", "next", "cursor-2", message=page)).status_code == 200
    await fake.wait_for(lambda: page.edits == 1)
    assert page.text == "page 2"
    click = seen[1]
    assert click["container"] == {
        "type": "message",
        "message_ts": page.ts,
        "channel_id": "C0001",
        "is_ephemeral": True,
    }
    assert "message" not in click
    assert click["actions"][0]["block_id"] == "nav"
    assert fake.calls_to("auth.test")
    assert fake.problems == []


async def test_driver_view_submission_and_event(
    fake: FakeSlack, bolt: tuple[SlackDriver, list[Json]]
) -> None:
    driver, seen = bolt
    view = {**good_modal(), "id": "V1", "state": {"values": {}}}
    answer = await driver.submit_view("U1002", view, {"number": {"value": 7325550100}})
    assert answer.status_code == 200
    state = seen[0]["view"]["state"]["values"]
    assert state["number"]["value"] == {"type": "plain_text_input", "value": "7325550100"}
    assert state["direction"]["value"] == {"type": "static_select", "selected_option": None}
    with pytest.raises(AssertionError, match="no input nope/value"):
        await driver.submit_view("U1002", view, {"nope": {"value": "x"}})
    event = {"type": "app_home_opened", "user": "U1002", "tab": "home"}
    retried = await driver.event(event, event_id="Ev1", retry_num=1)
    assert retried.status_code == 200
    await fake.wait_for(lambda: len(seen) == 2)
    assert (seen[1]["event_id"], seen[1]["event"]["user"]) == ("Ev1", "U1002")


async def test_driver_signatures(fake: FakeSlack, bolt: tuple[SlackDriver, list[Json]]) -> None:
    driver, seen = bolt
    response_url = fake.response_url("raw", user_id="U1001", channel_id="C0001")
    form_fields = {"command": "/recordings", "text": "help", "user_id": "U1001", "team_id": "T0001"}
    body = urlencode({**form_fields, "response_url": response_url}).encode()
    headers = driver.sign(body, 1_700_000_000)
    verifier = SignatureVerifier(SECRET)
    assert (
        verifier.is_valid(body, headers["X-Slack-Request-Timestamp"], headers["X-Slack-Signature"])
        is False
    )  # stale: 2023 is more than 5 minutes ago
    assert (
        verifier.generate_signature(timestamp="1700000000", body=body)
        == headers["X-Slack-Signature"]
    )
    form = {"Content-Type": "application/x-www-form-urlencoded"}
    stale = await driver.raw(body, {**form, **headers})
    assert stale.status_code == 401
    fresh = driver.sign(body, int(time.time()))
    assert verifier.is_valid(body, fresh["X-Slack-Request-Timestamp"], fresh["X-Slack-Signature"])
    forged = {**fresh, "X-Slack-Signature": "v0=" + "0" * 64}
    assert (await driver.raw(body, {**form, **forged})).status_code == 401
    assert seen == []
    assert (await driver.raw(body, {**form, **fresh})).status_code == 200
    assert seen[0]["text"] == "help"
