"""Provisioning API routes: the account, its users and its extensions."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from aiohttp import web

from bot.vbcsim.context import abort, check_account, state_of
from bot.vbcsim.data import LOCATION_ID, SimUser
from bot.vbcsim.hal import (
    PROVISIONING_ROOT,
    account_json,
    extension_json,
    hal_page,
    page_slice,
    user_json,
)
from bot.vbcsim.query import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE

_ACCOUNT = PROVISIONING_ROOT + "/accounts/{account_id}"


def add_routes(app: web.Application) -> None:
    app.router.add_get(_ACCOUNT, get_account)
    app.router.add_get(_ACCOUNT + "/users", list_users)
    app.router.add_get(_ACCOUNT + "/users/{user_id}", get_user)
    app.router.add_get(_ACCOUNT + "/extensions", list_extensions)
    app.router.add_get(_ACCOUNT + "/extensions/{external_id}", get_extension)


def _single(request: web.Request, data: dict[str, Any]) -> dict[str, Any]:
    return {
        "page_size": 1,
        "page": 1,
        "total_pages": 1,
        "total_items": 1,
        "_links": {"self": {"href": str(request.url)}},
        "_embedded": {"data": data},
    }


def _not_found(what: str) -> web.HTTPNotFound:
    return web.HTTPNotFound(
        text=f'{{"msg": "{what} not found", "status": 404}}', content_type="application/json"
    )


def _paging(request: web.Request) -> tuple[int, int]:
    """Page numbers of a Provisioning list; bad ones get its ValidationErrorsResponse."""
    values: dict[str, int] = {}
    for name, default in (("page", 1), ("page_size", DEFAULT_PAGE_SIZE)):
        raw = request.query.get(name) or str(default)
        if not raw.isdigit() or int(raw) < 1:
            abort(
                400,
                "invalid_parameters",
                "Invalid parameters given",
                title="Invalid parameters given",
                invalid_parameters=[{"name": name, "reason": "must be a positive number"}],
            )
        values[name] = int(raw)
    return values["page"], min(values["page_size"], MAX_PAGE_SIZE)


def _filtered(
    request: web.Request, names: tuple[str, ...], users: tuple[SimUser, ...]
) -> list[SimUser]:
    """Exact, case-insensitive matches on every given filter."""
    wanted = {name: (request.query.get(name) or "").lower() for name in names}
    given = {name: value for name, value in wanted.items() if value}
    return [u for u in users if all(_matches(u, n, v) for n, v in given.items())]


def _matches(user: SimUser, name: str, wanted: str) -> bool:
    if name == "phone_number":
        return user.did == wanted.lstrip("+")
    if name == "location_id":
        return wanted == str(LOCATION_ID)
    return str(getattr(user, name)).lower() == wanted


async def get_account(request: web.Request) -> web.Response:
    check_account(request)
    return web.json_response(_single(request, account_json()))


async def list_users(request: web.Request) -> web.Response:
    return _listed(request, ("email", "login_name", "first_name", "last_name"), user_json)


async def get_user(request: web.Request) -> web.Response:
    check_account(request)
    raw = request.match_info["user_id"]
    # The Provisioning API takes numeric IDs only; it documents no "self".
    user = state_of(request).user(int(raw)) if raw.isdigit() else None
    if user is None:
        raise _not_found("User")
    return web.json_response(_single(request, user_json(user)))


async def list_extensions(request: web.Request) -> web.Response:
    return _listed(request, ("location_id", "phone_number", "login_name", "email"), extension_json)


def _listed(
    request: web.Request, filters: tuple[str, ...], as_json: Callable[[SimUser], dict[str, Any]]
) -> web.Response:
    """One page of the account's users, filtered by ``filters``, each shown by ``as_json``."""
    check_account(request)
    page, size = _paging(request)
    users = _filtered(request, filters, state_of(request).users)
    items, _ = page_slice(users, page, size)
    body = hal_page(
        request.url,
        "data",
        [as_json(u) for u in items],
        page=page,
        page_size=size,
        total=len(users),
    )
    return web.json_response(body)


async def get_extension(request: web.Request) -> web.Response:
    """By ``external_id``; an extension number is accepted too, as the two are easily mixed."""
    check_account(request)
    raw = request.match_info["external_id"]
    users = state_of(request).users
    user = next((u for u in users if raw in {str(u.extension_id), u.extension}), None)
    if user is None:
        raise _not_found("Extension")
    data = {**extension_json(user), "service_type_name": "UX"}
    return web.json_response(
        {"_links": {"self": {"href": str(request.url)}}, "_embedded": {"extension": data}}
    )
