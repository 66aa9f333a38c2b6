"""The shared VBC test router: routing, recording, refusing what no route accepts."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.vbc.client import VbcClient
from bot.vbc.errors import VbcError
from bot.vbc.filter import RecordingFilter
from bot.vbc.models import Page, Recording, RecordingKind
from tests.fakes.vbc_router import (
    COMPANY_RECORDING,
    COMPANY_RECORDINGS,
    TOKEN,
    USER,
    USER_RECORDINGS,
    USERS,
    PathParams,
    UnexpectedRequestError,
    VbcRouter,
    hal_page,
)

API = "https://vbc.test"
ADA = {"id": 101, "email": "ada@example.com", "extensions": [{"extension_number": "201"}]}


def answer(body: object, status: int = 200) -> httpx.Response:
    return httpx.Response(status, json=body)


@pytest.fixture
def router() -> VbcRouter:
    return VbcRouter()  # not the checking fixture: these tests send unexpected requests


@pytest.fixture
async def http(router: VbcRouter) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=API, transport=router.transport()) as client:
        yield client


@pytest.fixture
def vbc(http: httpx.AsyncClient) -> VbcClient:
    return VbcClient(http)


async def test_routes_by_method_and_path_and_passes_path_params(
    router: VbcRouter, vbc: VbcClient
) -> None:
    seen: list[PathParams] = []

    def user(_request: httpx.Request, path: PathParams) -> httpx.Response:
        seen.append(path)
        return answer(hal_page("data", [ADA]))

    route = router.add("GET", USER, user)
    assert (await vbc.get_user(101)).extension_numbers == ["201"]
    assert seen == [{"account": "self", "user_id": "101"}]
    assert [r.url.path for r in route.calls] == [
        "/t/vbc.prod/provisioning/api/accounts/self/users/101"
    ]
    assert router.log == ["GET /t/vbc.prod/provisioning/api/accounts/self/users/101"]
    assert router.unexpected == []


async def test_an_unexpected_request_raises_through_the_client_and_is_recorded(
    router: VbcRouter, vbc: VbcClient
) -> None:
    router.add("GET", USER, lambda _r, _p: answer(hal_page("data", [ADA])))
    with pytest.raises(
        UnexpectedRequestError, match=r"GET https://vbc.test/.*/users\?email="
    ) as caught:
        await vbc.find_user_by_email("ada@example.com")
    assert not isinstance(caught.value, VbcError)  # never mistaken for a VBC failure
    assert f"GET {USER}" in str(caught.value)  # names the routes it has
    assert len(router.requests) == len(router.unexpected) == 1
    with pytest.raises(UnexpectedRequestError, match=r"unexpected VBC requests:\n  GET /t/"):
        router.assert_no_unexpected()


async def test_with_no_routes_every_request_is_unexpected(http: httpx.AsyncClient) -> None:
    with pytest.raises(UnexpectedRequestError, match=r"\(routes: none\)"):
        await http.post(TOKEN, data={"grant_type": "password"})


@pytest.mark.parametrize(
    ("method", "path", "accepted"),
    [
        ("GET", "/t/vbc.prod/provisioning/api/accounts/self/users/101", True),
        ("DELETE", "/t/vbc.prod/provisioning/api/accounts/self/users/101", False),
        ("GET", "/t/vbc.prod/provisioning/api/accounts/self/users/101/", False),
        ("GET", "/t/vbc.prod/provisioning/api/accounts/self/users", False),
        ("GET", "/t/vbc.prod/provisioning/api/accounts/self/users/101/extensions", False),
        ("GET", "/t/vbcXprod/provisioning/api/accounts/self/users/101", False),  # "." is literal
        ("GET", "/prefix/t/vbc.prod/provisioning/api/accounts/self/users/101", False),
    ],
)
async def test_a_template_matches_whole_paths_and_one_segment_per_placeholder(
    router: VbcRouter, http: httpx.AsyncClient, method: str, path: str, accepted: bool
) -> None:
    router.add("GET", USER, lambda _r, _p: answer({}))
    if accepted:
        assert (await http.request(method, path)).status_code == 200
    else:
        with pytest.raises(UnexpectedRequestError):
            await http.request(method, path)


@pytest.mark.parametrize(
    ("query", "params", "accepted"),
    [
        (None, {}, True),
        (None, {"anything": "1"}, True),
        ({}, {}, True),
        ({}, {"page": "1"}, False),
        ({"email": None}, {"email": "a@b.c"}, True),
        ({"email": None}, {}, False),
        ({"email": None}, {"email": "a@b.c", "page": "1"}, False),
        ({"page_size": "1"}, {"page_size": "1"}, True),
        ({"page_size": "1"}, {"page_size": "2"}, False),
    ],
)
async def test_query_constraints_name_the_exact_parameters(
    router: VbcRouter,
    http: httpx.AsyncClient,
    query: dict[str, str | None] | None,
    params: dict[str, str],
    accepted: bool,
) -> None:
    router.add("GET", USERS, lambda _r, _p: answer({}), query=query)
    path = USERS.format(account="self")
    if accepted:
        assert (await http.get(path, params=params)).status_code == 200
    else:
        with pytest.raises(UnexpectedRequestError):
            await http.get(path, params=params)


async def test_the_first_matching_route_answers(router: VbcRouter, http: httpx.AsyncClient) -> None:
    by_email = router.add("GET", USERS, lambda _r, _p: answer("by email"), query={"email": None})
    listing = router.add("GET", USERS, lambda _r, _p: answer("listing"))
    path = USERS.format(account="self")
    assert (await http.get(path, params={"email": "a@b.c"})).json() == "by email"
    assert (await http.get(path, params={"page": "2"})).json() == "listing"
    assert (len(by_email.calls), len(listing.calls)) == (1, 1)


async def test_async_handlers_are_awaited_and_bodies_are_readable(
    router: VbcRouter, http: httpx.AsyncClient
) -> None:
    async def token(request: httpx.Request, _path: PathParams) -> httpx.Response:
        return answer({"form": request.content.decode()})

    router.add("post", TOKEN, token)  # the method is not case-sensitive
    response = await http.post(TOKEN, data={"grant_type": "password"})
    assert response.json() == {"form": "grant_type=password"}
    assert router.log == ["POST /token"]


async def test_recording_paths_and_pages_read_through_the_client(
    router: VbcRouter, vbc: VbcClient
) -> None:
    rows = [{"id": 7, "start": "2024-05-01T10:00:00+0000"}]
    router.add("GET", COMPANY_RECORDINGS, lambda _r, _p: answer(hal_page("recordings", rows)))
    router.add("GET", COMPANY_RECORDING, lambda _r, p: answer({"id": int(p["recording_id"])}))
    router.add(
        "GET",
        USER_RECORDINGS,
        lambda _r, _p: answer(hal_page("recordings", rows, page=2, page_size=1, total_items=3)),
    )
    company = await vbc.list_company_recordings(RecordingFilter(page=1, page_size=10))
    assert [r.id for r in company.items] == [7]
    assert (await vbc.get_company_recording(9)).id == 9
    mine = await vbc.list_user_recordings(101, RecordingFilter())
    assert (mine.page, mine.page_size, mine.total_items, mine.total_pages) == (2, 1, 3, 3)
    assert mine.items[0].kind is RecordingKind.ON_DEMAND
    assert router.log[0].endswith("/company_call_recordings?page=1&page_size=10")


def test_hal_page_is_what_page_from_hal_reads() -> None:
    body = hal_page("recordings", [{"id": 1}, {"id": 2}], total_items=5)
    assert body["_embedded"] == {"recordings": [{"id": 1}, {"id": 2}]}
    page = Page.from_hal(
        body, "recordings", lambda d: Recording.from_api(d, kind=RecordingKind.COMPANY)
    )
    assert (page.page, page.page_size, page.total_items, page.total_pages) == (1, 2, 5, 3)
    empty = hal_page("data", [])
    assert (empty["page_size"], empty["total_items"], empty["total_pages"]) == (1, 0, 0)


async def test_an_error_the_code_swallowed_still_fails_at_teardown(
    router: VbcRouter, http: httpx.AsyncClient
) -> None:
    router.assert_no_unexpected()  # nothing unexpected yet
    with contextlib.suppress(UnexpectedRequestError):  # as a broad ``except`` might
        await http.get("/somewhere", params={"x": "1"})
    with pytest.raises(UnexpectedRequestError, match=r"GET /somewhere\?x=1"):
        router.assert_no_unexpected()


async def test_several_handlers_answer_in_turn_and_the_last_repeats(
    router: VbcRouter, http: httpx.AsyncClient
) -> None:
    path = COMPANY_RECORDING.format(account="self", recording_id="1")
    router.add(
        "DELETE",
        COMPANY_RECORDING,
        lambda _r, _p: answer("first", 503),
        lambda _r, _p: answer("then"),
    )
    statuses = [(await http.delete(path)).status_code for _ in range(3)]
    assert statuses == [503, 200, 200]
    assert router.count("DELETE", path) == 3
    assert router.count("GET", path) == 0


async def test_a_router_with_a_host_refuses_every_other_host() -> None:
    pinned = VbcRouter(host="vbc.test")
    pinned.add("GET", TOKEN, lambda _r, _p: answer({}))
    async with httpx.AsyncClient(transport=pinned.transport()) as http:
        assert (await http.get(f"{API}{TOKEN}")).status_code == 200
        for elsewhere in ("https://evil.example/token", "https://vbc.test.evil.example/token"):
            with pytest.raises(UnexpectedRequestError, match=r"\(routes on vbc.test: GET /token\)"):
                await http.get(elsewhere)
    assert [r.url.host for r in pinned.unexpected] == ["evil.example", "vbc.test.evil.example"]
