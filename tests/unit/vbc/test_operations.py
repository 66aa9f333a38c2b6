"""VBC requests named by operation, never by the ids in their paths."""

from __future__ import annotations

import pytest

from bot.vbc.operations import operation_of

REC = "/t/vbc.prod/call_recording/api/accounts/self"
PROV = "/t/vbc.prod/provisioning/api/accounts/self"


@pytest.mark.parametrize(
    ("method", "path", "operation"),
    [
        ("GET", f"{REC}/company_call_recordings", "list_company_recordings"),
        ("GET", f"{REC}/company_call_recordings/193228", "get_company_recording"),
        ("DELETE", f"{REC}/company_call_recordings/193228", "delete_company_recording"),
        ("POST", f"{REC}/company_call_recordings/export", "export_company_recordings"),
        ("GET", f"{REC}/users/745249/call_recordings", "list_user_recordings"),
        ("GET", f"{REC}/users/745249/call_recordings/55", "get_user_recording"),
        ("POST", f"{REC}/users/745249/call_recordings/export", "export_user_recordings"),
        ("GET", f"{REC}/users/self/call_recordings/jobs", "list_export_jobs"),
        ("GET", f"{REC}/users/self/call_recordings/jobs/ab-12", "get_export_job"),
        ("GET", f"{PROV}/users", "list_users"),
        ("GET", f"{PROV}/users/745249", "get_user"),
        ("GET", f"{PROV}/extensions", "list_extensions"),
        ("GET", "/somewhere/else", "other"),
        ("PUT", f"{REC}/company_call_recordings", "other"),
    ],
)
def test_operation_names(method: str, path: str, operation: str) -> None:
    assert operation_of(method, path) == operation
