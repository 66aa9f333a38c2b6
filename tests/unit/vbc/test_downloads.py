"""Downloads against a gzipping server: the announced length is the length of what arrives."""

from __future__ import annotations

import gzip
from typing import Any

import httpx

from bot.vbc.client import VbcClient
from bot.vbc.models import Recording, RecordingKind
from tests.fakes.vbc_router import PathParams, VbcRouter

API = "https://api.vonage.com"
AUDIO = "/t/vbc.prod/call_recording/api/audio/recording/193228"
# Compressible, like the silence in a real call: gzip shrinks it a lot, so lengths differ.
MP3 = b"ID3" + bytes(i % 7 for i in range(300_000))


class GzippingServer:
    """Gzips whenever the request accepts it (a CDN would), or always when ``stubborn``."""

    def __init__(self, *, stubborn: bool = False) -> None:
        self.stubborn = stubborn
        self.accept_encoding: list[str] = []

    def __call__(self, request: httpx.Request, _path: PathParams) -> httpx.Response:
        accepted = request.headers.get("Accept-Encoding", "")
        self.accept_encoding.append(accepted)
        headers: dict[str, Any] = {"Content-Type": "audio/mpeg"}
        if self.stubborn or "gzip" in accepted:
            headers["Content-Encoding"] = "gzip"
            return httpx.Response(200, headers=headers, content=gzip.compress(MP3))
        return httpx.Response(200, headers=headers, content=MP3)


def audio_recording() -> Recording:
    data = {"id": 193228, "download_url": f"{API}{AUDIO}", "file_size_in_bytes": len(MP3)}
    return Recording.from_api(data, kind=RecordingKind.COMPANY)


async def download(server: GzippingServer) -> tuple[int | None, bytes]:
    router = VbcRouter(host="api.vonage.com")
    router.add("GET", AUDIO, server)
    async with httpx.AsyncClient(base_url=API, transport=router.transport()) as http:
        vbc = VbcClient(http)
        async with vbc.open_audio(audio_recording()) as opened:
            body = b"".join([chunk async for chunk in opened.chunks()])
    return opened.length, body


async def test_downloads_ask_for_the_file_as_stored_so_length_matches_the_bytes() -> None:
    server = GzippingServer()
    length, body = await download(server)
    assert server.accept_encoding == ["identity"]
    assert body == MP3
    assert length == len(body)


async def test_a_server_that_encodes_anyway_gives_an_unknown_length_not_a_wrong_one() -> None:
    assert len(gzip.compress(MP3)) < len(MP3) // 10
    length, body = await download(GzippingServer(stubborn=True))
    assert body == MP3
    assert length is None
