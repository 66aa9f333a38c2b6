"""Call Recording API routes: recordings, exports, jobs, audio and bulk downloads."""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable

from aiohttp import web

from bot.vbcsim.context import abort, caller_of, check_account, origin_of, state_of
from bot.vbcsim.data import SimRecording, SimUser
from bot.vbcsim.hal import CALL_RECORDING_ROOT, hal_page, job_json, page_slice, recording_json
from bot.vbcsim.mp3 import iter_mp3
from bot.vbcsim.query import QueryError, parse_filters, parse_list_params
from bot.vbcsim.zipstream import Chunk, ZipMember, iter_zip, zip_length

_ACCOUNT = CALL_RECORDING_ROOT + "/accounts/{account_id}"
_COMPANY = _ACCOUNT + "/company_call_recordings"
_ON_DEMAND = _ACCOUNT + "/users/{user_id}/call_recordings"


def add_routes(app: web.Application) -> None:
    app.router.add_get(_COMPANY, list_company)
    app.router.add_post(_COMPANY + "/export", export_company)
    app.router.add_get(_COMPANY + "/{recording_id}", get_company)
    app.router.add_delete(_COMPANY + "/{recording_id}", delete_company)
    app.router.add_get(_ON_DEMAND, list_on_demand)
    app.router.add_post(_ON_DEMAND + "/export", export_on_demand)
    app.router.add_get(_ON_DEMAND + "/jobs", list_jobs)
    app.router.add_get(_ON_DEMAND + "/jobs/{job_id}", get_job)
    app.router.add_get(_ON_DEMAND + "/{recording_id}", get_on_demand)
    app.router.add_delete(_ON_DEMAND + "/{recording_id}", delete_on_demand)
    app.router.add_get(CALL_RECORDING_ROOT + "/audio/recording/{recording_id}", download_audio)
    app.router.add_get(CALL_RECORDING_ROOT + "/bulkDownload/retrieve", download_export)


def _company_owner(request: web.Request) -> None:
    """Company recordings are an admin's business; VBC answers others 403."""
    check_account(request)
    if not caller_of(request).is_admin:
        abort(403, "forbidden", "Company call recordings need an administrator")


def _path_user(request: web.Request) -> SimUser:
    check_account(request)
    caller = caller_of(request)
    raw = request.match_info["user_id"]
    user = (
        caller if raw == "self" else (state_of(request).user(int(raw)) if raw.isdigit() else None)
    )
    if user is None:
        abort(404, "not_found", f"User {raw} not found")
    if user.id != caller.id and not caller.is_admin:
        abort(403, "forbidden", "Only administrators may read other users' recordings")
    return user


def _list(request: web.Request, owner: int | None) -> web.Response:
    try:
        params = parse_list_params(request.query)
    except QueryError as exc:
        abort(400, "invalid_parameter", str(exc), invalid_parameters=[_invalid(exc)])
    rows = (
        state_of(request).index(owner).select(params.query, params.order_field, params.descending)
    )
    items, _ = page_slice(rows, params.page, params.page_size)
    origin = origin_of(request)
    return web.json_response(
        hal_page(
            request.url,
            "recordings",
            [recording_json(rec, origin) for rec in items],
            page=params.page,
            page_size=params.page_size,
            total=len(rows),
        )
    )


def _one(request: web.Request, owner: int | None) -> SimRecording:
    raw = request.match_info["recording_id"]
    rec = state_of(request).owned(int(raw), owner) if raw.isdigit() else None
    if rec is None:
        abort(404, "not_found", f"Recording {raw} not found")
    return rec


async def _export(request: web.Request, owner: int | None) -> web.Response:
    try:
        body = await request.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        abort(400, "invalid_body", "The body must be a JSON object of filters")
    if not isinstance(body, dict):
        abort(400, "invalid_body", "The body must be a JSON object of filters")
    try:
        query = parse_filters(body)
    except QueryError as exc:
        abort(400, "invalid_parameter", str(exc), invalid_parameters=[_invalid(exc)])
    state = state_of(request)
    rows = state.index(owner).select(query, "start", descending=False)
    kind = "company" if owner is None else "on-demand"
    job = state.create_job(caller_of(request).id, kind, rows)
    return web.json_response({"job_ids": [job.id]}, status=202)


async def list_company(request: web.Request) -> web.Response:
    _company_owner(request)
    return _list(request, None)


async def get_company(request: web.Request) -> web.Response:
    _company_owner(request)
    return web.json_response(recording_json(_one(request, None), origin_of(request)))


async def delete_company(request: web.Request) -> web.Response:
    _company_owner(request)
    state_of(request).delete_recording(_one(request, None).id, None)
    return web.Response(status=204)


async def export_company(request: web.Request) -> web.Response:
    _company_owner(request)
    return await _export(request, None)


async def list_on_demand(request: web.Request) -> web.Response:
    return _list(request, _path_user(request).id)


async def get_on_demand(request: web.Request) -> web.Response:
    rec = _one(request, _path_user(request).id)
    return web.json_response(recording_json(rec, origin_of(request)))


async def delete_on_demand(request: web.Request) -> web.Response:
    user = _path_user(request)
    state_of(request).delete_recording(_one(request, user.id).id, user.id)
    return web.Response(status=204)


async def export_on_demand(request: web.Request) -> web.Response:
    return await _export(request, _path_user(request).id)


async def list_jobs(request: web.Request) -> web.Response:
    """``getCCRExportJobs`` as VBC documents it: every job of the user in one HAL document.

    The only parameter is ``status``; the document names no paging, so none is offered (the
    answer is page 1 of 1). Faults can leave jobs out or make the filter ignored.
    """
    user = _path_user(request)
    state = state_of(request)
    now = state.clock()
    faults = state.faults
    views = [
        (job, job.view(now)) for job in state.jobs_of(user.id) if job.id not in faults.unlisted_jobs
    ]
    wanted = request.query.get("status")
    if wanted and not faults.ignore_status_filter:
        views = [(job, view) for job, view in views if view.status == wanted]
    origin = origin_of(request)
    return web.json_response(
        hal_page(
            request.url,
            "jobs",
            [job_json(job, view, origin) for job, view in views],
            page=1,
            page_size=max(len(views), 1),
            total=len(views),
        )
    )


async def get_job(request: web.Request) -> web.Response:
    user = _path_user(request)
    state = state_of(request)
    job = state.jobs.get(request.match_info["job_id"])
    if job is None or job.user_id != user.id:
        abort(404, "not_found", "Job not found")
    return web.json_response(job_json(job, job.view(state.clock()), origin_of(request)))


async def download_audio(request: web.Request) -> web.StreamResponse:
    raw = request.match_info["recording_id"]
    rec = state_of(request).recording(int(raw)) if raw.isdigit() else None
    if rec is None:
        abort(404, "not_found", f"Recording {raw} not found")
    response = web.StreamResponse(
        headers={
            "Content-Type": "audio/mpeg",
            "Content-Disposition": f'attachment; filename="{rec.file_name}"',
        }
    )
    response.content_length = rec.file_size_in_bytes
    chunks = iter_mp3(rec.id, rec.file_size_in_bytes)
    return await _stream(request, response, chunks)


async def download_export(request: web.Request) -> web.StreamResponse:
    state = state_of(request)
    job = state.jobs.get(request.query.get("jobId", ""))
    caller = caller_of(request)
    if job is None or (job.user_id != caller.id and not caller.is_admin):
        abort(404, "not_found", "Export job not found")
    status = job.view(state.clock()).status
    if status == "expired":
        abort(410, "expired", "The export has expired")
    if status != "complete":
        abort(409, "not_ready", f"The export job is {status}")
    found = (state.recording(rec_id) for rec_id in job.recording_ids)
    members = [_zip_member(rec) for rec in found if rec is not None]
    response = web.StreamResponse(
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="recordings-{job.id}.zip"',
        }
    )
    length = zip_length(members)
    if length is not None:
        response.content_length = length
    return await _stream(request, response, iter_zip(members))


def _zip_member(rec: SimRecording) -> ZipMember:
    chunks = functools.partial(iter_mp3, rec.id, rec.file_size_in_bytes)
    return ZipMember(rec.file_name, rec.start, rec.file_size_in_bytes, chunks)


async def _stream(
    request: web.Request, response: web.StreamResponse, chunks: Iterable[Chunk]
) -> web.StreamResponse:
    await response.prepare(request)
    if request.method != "HEAD":
        for chunk in chunks:
            await response.write(chunk)
    await response.write_eof()
    return response


def _invalid(exc: QueryError) -> dict[str, str]:
    return {"name": exc.name, "reason": exc.reason}
