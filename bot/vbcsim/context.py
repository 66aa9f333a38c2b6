"""What the route modules share: the aiohttp keys for state and caller, and error answers."""

from __future__ import annotations

import json
from typing import Any, NoReturn

from aiohttp import web

from bot.vbcsim.data import ACCOUNT_ID, SimUser
from bot.vbcsim.state import SimState

STATE_KEY = web.AppKey("sim_state", SimState)
USER_KEY = web.RequestKey("sim_user", SimUser)
LOG_KEY = web.RequestKey("sim_log_entry", dict)


def state_of(request: web.Request) -> SimState:
    return request.app[STATE_KEY]


def caller_of(request: web.Request) -> SimUser:
    """The user the bearer token was issued for (set by the auth middleware)."""
    return request[USER_KEY]


def origin_of(request: web.Request) -> str:
    """Scheme and host as the client addressed us, so returned links are followable."""
    return str(request.url.origin())


_ERRORS: dict[int, type[web.HTTPException]] = {
    400: web.HTTPBadRequest,
    401: web.HTTPUnauthorized,
    403: web.HTTPForbidden,
    404: web.HTTPNotFound,
    409: web.HTTPConflict,
    410: web.HTTPGone,
}


def error_body(status: int, error: str, message: str, **extra: Any) -> dict[str, Any]:
    return {"status": status, "error": error, "message": message, **extra}


def abort(status: int, error: str, message: str, **extra: Any) -> NoReturn:
    """Stop the handler with a JSON error answer (VBC answers errors in JSON)."""
    raise _ERRORS[status](
        text=json.dumps(error_body(status, error, message, **extra)),
        content_type="application/json",
    )


def check_account(request: web.Request) -> None:
    if request.match_info["account_id"] not in {"self", str(ACCOUNT_ID)}:
        abort(404, "not_found", "Account not found")
