"""The ``/_sim/`` control API (not part of VBC): faults, data, jobs, clock and request log."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from bot.vbcsim.context import abort, origin_of, state_of
from bot.vbcsim.data import ACCOUNT_ID
from bot.vbcsim.hal import job_json, recording_json, user_json, vbc_time
from bot.vbcsim.query import QueryError, parse_filters

_RECORDING_FIELDS = frozenset(
    {"call_direction", "call_id", "caller_id", "cnam", "dnis", "duration", "file_name"}
)


def add_routes(app: web.Application) -> None:
    app.router.add_get("/_sim/info", get_info)
    app.router.add_get("/_sim/faults", get_faults)
    app.router.add_post("/_sim/faults", set_faults)
    app.router.add_post("/_sim/reset", reset)
    app.router.add_post("/_sim/recordings", add_recording)
    app.router.add_get("/_sim/requests", list_requests)
    app.router.add_delete("/_sim/requests", clear_requests)
    app.router.add_post("/_sim/jobs/{job_id}", force_job)
    app.router.add_post("/_sim/clock", advance_clock)
    app.router.add_get("/_sim/arrivals", get_arrivals)
    app.router.add_post("/_sim/arrivals", set_arrivals)


async def _body(request: web.Request) -> dict[str, Any]:
    try:
        body = await request.json() if request.can_read_body else {}
    except json.JSONDecodeError:
        abort(400, "invalid_body", "The body must be JSON")
    if not isinstance(body, dict):
        abort(400, "invalid_body", "The body must be a JSON object")
    return body


async def get_info(request: web.Request) -> web.Response:
    """What a developer needs to point the bot here: credentials, account and users."""
    state = state_of(request)
    cfg = state.config
    return web.json_response(
        {
            "url": origin_of(request),
            "account_id": ACCOUNT_ID,
            "client_id": cfg.client_id,
            "client_secret": cfg.client_secret,
            "username": cfg.username,
            "password": cfg.password,
            "admin_user_id": state.admin.id,
            "demo_user_id": state.demo_user.id,
            "now": vbc_time(state.dataset.now),
            "users": [user_json(u) for u in state.users],
        }
    )


async def get_faults(request: web.Request) -> web.Response:
    return web.json_response(state_of(request).faults.to_json())


async def set_faults(request: web.Request) -> web.Response:
    body = await _body(request)
    state = state_of(request)
    try:
        state.faults.update(body)
    except (ValueError, TypeError) as exc:
        abort(400, "invalid_fault", str(exc))
    result = state.faults.to_json()
    if body.get("expire_tokens"):
        result["expired_tokens"] = state.tokens.expire_access_tokens()
    return web.json_response(result)


async def reset(request: web.Request) -> web.Response:
    state_of(request).reset()
    return web.json_response({"reset": True})


async def add_recording(request: web.Request) -> web.Response:
    """Add a recording: ``size_bytes``, ``owner_user_id`` (on-demand) or ``user_id`` (company)."""
    body = await _body(request)
    fields = {k: v for k, v in body.items() if k in _RECORDING_FIELDS}
    try:
        filters = parse_filters({"start:gte": body.get("start")})
        if "extensions" in body:
            fields["extensions"] = tuple(str(e) for e in body["extensions"])
        rec = state_of(request).add_recording(
            size_bytes=int(body["size_bytes"]) if "size_bytes" in body else None,
            owner_user_id=body.get("owner_user_id"),
            user_id=body.get("user_id"),
            start=filters.start_gte,
            **fields,
        )
    except (QueryError, ValueError, TypeError) as exc:
        abort(400, "invalid_recording", str(exc))
    return web.json_response(recording_json(rec, origin_of(request)), status=201)


async def list_requests(request: web.Request) -> web.Response:
    return web.json_response({"requests": list(state_of(request).requests)})


async def clear_requests(request: web.Request) -> web.Response:
    state_of(request).requests.clear()
    return web.Response(status=204)


async def force_job(request: web.Request) -> web.Response:
    body = await _body(request)
    state = state_of(request)
    try:
        job = state.force_job(request.match_info["job_id"], str(body.get("status", "")))
    except KeyError:
        abort(404, "not_found", "Job not found")
    except ValueError as exc:
        abort(400, "invalid_status", str(exc))
    return web.json_response(job_json(job, job.view(state.clock()), origin_of(request)))


async def advance_clock(request: web.Request) -> web.Response:
    body = await _body(request)
    try:
        seconds = float(body.get("advance", 0))
    except (TypeError, ValueError):
        abort(400, "invalid_clock", "advance must be a number of seconds")
    state = state_of(request)
    state.advance_clock(seconds)
    return web.json_response({"now": vbc_time(state.clock())})


async def get_arrivals(request: web.Request) -> web.Response:
    arrivals = state_of(request).arrivals
    return web.json_response({**arrivals.settings.to_json(), "made": len(arrivals.made)})


async def set_arrivals(request: web.Request) -> web.Response:
    """New recordings while it runs: ``per_hour``, ``late_share``, ``late_seconds``,
    ``delay_seconds``, ``on_demand_share``; ``burst: n`` makes n calls end now."""
    body = await _body(request)
    state = state_of(request)
    try:
        state.arrivals.configure(body, state.clock())
        made = state.arrivals.burst(int(body.get("burst", 0)), state.clock())
    except (ValueError, TypeError) as exc:
        abort(400, "invalid_arrivals", str(exc))
    return web.json_response(
        {
            **state.arrivals.settings.to_json(),
            "made": len(state.arrivals.made),
            "burst": [rec.id for rec in made],
        }
    )
