"""The simulator's aiohttp application: routes plus logging, fault and bearer-auth middleware."""

from __future__ import annotations

import asyncio
import json
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web
from aiohttp.typedefs import Handler

from bot.vbcsim import control, oauth, provisioning_api, recording_api
from bot.vbcsim.context import LOG_KEY, STATE_KEY, USER_KEY, error_body, state_of
from bot.vbcsim.state import SimState
from bot.vbcsim.tokens import bearer_digest

API_PREFIX = "/t/vbc.prod/"
CONTROL_PREFIX = "/_sim/"
_LOGGED_HEADERS = ("User-Agent", "Content-Type", "Accept")
_HTML_ERROR = "<html><head><title>502 Bad Gateway</title></head><body>Bad Gateway</body></html>"


def build_app(state: SimState) -> web.Application:
    app = web.Application(middlewares=[log_requests, inject_faults, require_bearer])
    app[STATE_KEY] = state
    oauth.add_routes(app)
    recording_api.add_routes(app)
    provisioning_api.add_routes(app)
    control.add_routes(app)
    return app


@web.middleware
async def log_requests(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Record what arrived on the wire so tests can assert names and values."""
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    state = state_of(request)
    raw = await request.read() if request.can_read_body else b""
    entry: dict[str, Any] = {
        "time": state.clock(),
        "method": request.method,
        "path": request.path,
        "raw_path": request.raw_path,
        "query": dict(request.query),
        "headers": {h: request.headers[h] for h in _LOGGED_HEADERS if h in request.headers},
        "authorized": request.headers.get("Authorization", "").startswith("Bearer "),
        "json": _json_or_none(raw, request.content_type),
        "form": dict(parse_qsl(raw.decode(errors="replace")))
        if request.content_type == "application/x-www-form-urlencoded"
        else None,
        "status": None,
        "caller": None,  # the user the bearer token belongs to (set by require_bearer)
        "bearer": None,  # bearer_digest() of the token presented, never the token itself
    }
    request[LOG_KEY] = entry
    state.log_request(entry)
    try:
        response = await handler(request)
    except web.HTTPException as exc:
        entry["status"] = exc.status
        raise
    except BaseException:
        entry["status"] = 500
        raise
    entry["status"] = response.status
    return response


@web.middleware
async def inject_faults(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith(CONTROL_PREFIX):
        return await handler(request)
    faults = state_of(request).faults
    if faults.latency > 0:
        await asyncio.sleep(faults.latency)
    rule = faults.take(request.method, request.path)
    if rule is None:
        return await handler(request)
    if rule.malformed == "html":
        return web.Response(status=rule.status, text=_HTML_ERROR, content_type="text/html")
    if rule.malformed == "truncated_json":
        answer = await handler(request)
        if answer.prepared:  # a stream is already on the wire; there is nothing to cut
            return answer
        body = answer.body if isinstance(answer, web.Response) else None
        whole = body if isinstance(body, bytes) and len(body) > 1 else b'{"_embedded": {"x": [1'
        return web.Response(
            status=rule.status, body=whole[: len(whole) // 2], content_type="application/json"
        )
    if rule.after:
        await handler(request)  # done, and then the answer is lost
    headers = {"Retry-After": f"{rule.retry_after:g}"} if rule.retry_after is not None else {}
    return web.json_response(
        error_body(rule.status, "injected_fault", "Fault injected by the simulator"),
        status=rule.status,
        headers=headers,
    )


@web.middleware
async def require_bearer(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every VBC API path needs ``Authorization: Bearer <valid, unexpired token>``."""
    if not request.path.startswith(API_PREFIX):
        return await handler(request)
    state = state_of(request)
    header = request.headers.get("Authorization", "")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    user_id = state.tokens.user_for_access(token) if token else None
    user = state.user(user_id) if user_id is not None else None
    entry = request.get(LOG_KEY)
    if entry is not None:
        entry["caller"], entry["bearer"] = user_id, bearer_digest(token) if token else None
    if user is None:
        return web.json_response(
            {"error": "invalid_token", "error_description": "Missing, invalid or expired token"},
            status=401,
            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    request[USER_KEY] = user
    return await handler(request)


def _json_or_none(raw: bytes, content_type: str) -> Any:
    if not raw or "json" not in content_type:
        return None
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError):
        return raw.decode(errors="replace")
