"""A refused password grant is not tried again for 5 minutes (VBC locks accounts that fail
to log in too often); then it is, and a fixed password works without a restart."""

from __future__ import annotations

import httpx
import pytest

from bot.vbc.auth import PASSWORD_RETRY_SECONDS, TokenEndpoint, VbcCredentials
from bot.vbc.errors import VbcAuthError


async def test_a_refused_password_waits_five_minutes_before_the_next_try() -> None:
    now = [0.0]
    answers = [httpx.Response(400, json={"error": "invalid_grant"})]
    seen: list[str] = []
    grants: list[tuple[str, str]] = []

    def token(request: httpx.Request) -> httpx.Response:
        seen.append(request.content.decode())
        return answers.pop(0) if answers else httpx.Response(200, json={"access_token": "t"})

    async with httpx.AsyncClient(transport=httpx.MockTransport(token)) as http:
        endpoint = TokenEndpoint(
            http,
            "https://vbc.test/token",
            VbcCredentials("id", "secret", "user", "pw"),
            lambda: now[0],
            observe=lambda grant, outcome: grants.append((grant, outcome)),
        )
        with pytest.raises(VbcAuthError) as first:
            await endpoint.password()
        assert first.value.status == 400
        now[0] += PASSWORD_RETRY_SECONDS - 1
        with pytest.raises(VbcAuthError, match="Not asking again for 1s"):
            await endpoint.password()
        assert len(seen) == 1
        now[0] += 1
        tokens = await endpoint.password()
    assert tokens.access_token == "t"
    assert len(seen) == 2
    assert grants == [("password", "400"), ("password", "200")]
    assert endpoint.refused_until is None
