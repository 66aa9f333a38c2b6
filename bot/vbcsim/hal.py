"""JSON shapes of the VBC APIs: recordings, jobs, users, extensions and HAL pages."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any, TypeVar

from yarl import URL

from bot.vbcsim.data import ACCOUNT_ID, ACCOUNT_NAME, LOCATION_ID, SimRecording, SimUser
from bot.vbcsim.jobs import JobView, SimJob

CALL_RECORDING_ROOT = "/t/vbc.prod/call_recording/api"
PROVISIONING_ROOT = "/t/vbc.prod/provisioning/api"
T = TypeVar("T")


def vbc_time(moment: datetime | float) -> str:
    if isinstance(moment, int | float):
        moment = datetime.fromtimestamp(moment, UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S+0000")


def recording_path(rec: SimRecording) -> str:
    base = f"{CALL_RECORDING_ROOT}/accounts/{ACCOUNT_ID}"
    if rec.owner_user_id is None:
        return f"{base}/company_call_recordings/{rec.id}"
    return f"{base}/users/{rec.owner_user_id}/call_recordings/{rec.id}"


def recording_json(rec: SimRecording, origin: str) -> dict[str, Any]:
    return {
        "_links": {"self": {"href": origin + recording_path(rec)}},
        "call_direction": rec.call_direction,
        "call_id": rec.call_id,
        "caller_id": rec.caller_id,
        "cnam": rec.cnam,
        "dnis": rec.dnis,
        "download_url": f"{origin}{CALL_RECORDING_ROOT}/audio/recording/{rec.id}",
        "duration": rec.duration,
        "end": vbc_time(rec.end),
        "extensions": list(rec.extensions),
        "file_name": rec.file_name,
        "file_size_in_bytes": rec.file_size_in_bytes,
        "id": rec.id,
        "rule_ids": list(rec.rule_ids),
        "start": vbc_time(rec.start),
    }


def job_json(job: SimJob, view: JobView, origin: str) -> dict[str, Any]:
    path = f"{CALL_RECORDING_ROOT}/accounts/{ACCOUNT_ID}/users/{job.user_id}/call_recordings"
    body: dict[str, Any] = {
        "_links": {"self": {"href": f"{origin}{path}/jobs/{job.id}"}},
        "id": job.id,
        "status": view.status,
        "files_completed": view.files_completed,
        "files_total": view.files_total,
    }
    if view.status == "complete":
        body["download_url"] = f"{origin}{CALL_RECORDING_ROOT}/bulkDownload/retrieve?jobId={job.id}"
    if view.valid_until is not None:
        body["valid_until"] = vbc_time(view.valid_until)
    return body


def basic_user_json(user: SimUser) -> dict[str, Any]:
    return {
        "id": user.id,
        "email": user.email,
        "login_name": user.login_name,
        "first_name": user.first_name,
        "last_name": user.last_name,
    }


def user_json(user: SimUser) -> dict[str, Any]:
    return {
        **basic_user_json(user),
        "contact_numbers": [{"type": "Work", "value": user.did}],
        "extensions": [
            {
                "extension_number": user.extension,
                "dids": [{"phone_number": user.did, "custom_tag": "Direct"}],
            }
        ],
    }


def extension_json(user: SimUser) -> dict[str, Any]:
    return {
        "extension_number": user.extension,
        "user": basic_user_json(user),
        "location_id": LOCATION_ID,
        "vtt_enabled": False,
        "dnd_enabled": False,
        "caller_id": user.full_name,
        "external_id": str(user.extension_id),
        "block_caller_id": False,
        "dids": [{"phone_number": user.did, "custom_tag": "Direct"}],
        "extension_handsets": [
            {"handset_name": f"line1-VH{user.extension_id}", "sip_id": f"VH{user.extension_id}"}
        ],
    }


def account_json() -> dict[str, Any]:
    return {
        "id": ACCOUNT_ID,
        "name": ACCOUNT_NAME,
        "status": "ACTIVE",
        "address": {
            "address_1": "123 Example Street",
            "country": "US",
            "state": "NJ",
            "city": "Holmdel",
            "postal_code": "07733",
        },
    }


def page_slice(rows: Sequence[T], page: int, page_size: int) -> tuple[Sequence[T], int]:
    """The rows of one 1-based page and the number of pages."""
    total_pages = -(-len(rows) // page_size)
    start = (page - 1) * page_size
    return rows[start : start + page_size], total_pages


def hal_page(
    url: URL, key: str, items: list[dict[str, Any]], *, page: int, page_size: int, total: int
) -> dict[str, Any]:
    """A HAL list document with absolute, followable links built from the request's URL."""
    total_pages = -(-total // page_size)
    last = max(total_pages, 1)

    def link(number: int) -> dict[str, str]:
        return {"href": str(url.update_query(page=str(number)))}

    links = {"self": link(page), "first": link(1), "last": link(last)}
    if page > 1:
        links["prev"] = link(min(page - 1, last))
    if page < total_pages:
        links["next"] = link(page + 1)
    return {
        "_embedded": {key: items},
        "_links": links,
        "page": page,
        "page_size": page_size,
        "total_items": total,
        "total_pages": total_pages,
    }
