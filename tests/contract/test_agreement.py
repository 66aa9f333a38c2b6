"""Our VBC contract is a faithful subset of VBC's official OpenAPI definitions.

The comparison needs ``../shared/vbc-openapi/``: without it, it is skipped (or fails under
``REQUIRE_SHARED=1``, as in CI). The proofs that it can fail need nothing beside the
repository: an altered copy of our own contract stands in for the official document.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from functools import cache
from typing import Any

import pytest
import yaml

from tests.contract.agreement import ERRATA, Erratum, corrected, disagreements
from tests.paths import VBC_APIS, shared_file, vbc_contract, vbc_official

Alter = Callable[[dict[str, Any]], None]


@cache
def _ours(api: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(vbc_contract(api).read_text())
    return loaded


def ours(api: str) -> dict[str, Any]:
    return copy.deepcopy(_ours(api))


def official(api: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(shared_file(vbc_official(api)).read_text())
    return loaded


@pytest.mark.parametrize("api", VBC_APIS)
def test_our_contract_states_only_what_the_official_definition_states(api: str) -> None:
    problems = disagreements(ours(api), corrected(api, official(api)))
    assert not problems, (
        f"{vbc_contract(api).name} disagrees with the official {vbc_official(api).name}:\n  "
        + "\n  ".join(problems)
    )


@pytest.mark.parametrize("erratum", ERRATA, ids=lambda e: e.operation_id)
def test_every_erratum_still_corrects_the_official_definition(erratum: Erratum) -> None:
    uncorrected = corrected(erratum.api, official(erratum.api), but=erratum)
    problems = disagreements(ours(erratum.api), uncorrected)
    assert any(p.startswith(f"{erratum.operation_id} ") for p in problems), (
        f"the official definition no longer needs the erratum ({erratum.why}); drop it"
    )


# The comparison can fail -------------------------------------------------------------------
COMPANY = "/api/accounts/{account_id}/company_call_recordings"
ONE = COMPANY + "/{recording_id}"
EXPORT = COMPANY + "/export"
JOB = "/api/accounts/{account_id}/users/{user_id}/call_recordings/jobs/{job_id}"
LIST_COMPANY = f"getCCRecordings (GET {COMPANY})"
GET_ONE = f"getCCRecording (GET {ONE})"
SCHEMAS = ("components", "schemas")
PARAMETERS = ("components", "parameters")
RECORDING = (*SCHEMAS, "CompanyCallRecording")
BODY = "response 200 application/json"


def set_at(keys: tuple[str, ...], value: Any) -> Alter:
    def alter(doc: dict[str, Any]) -> None:
        _parent(doc, keys)[keys[-1]] = value

    return alter


def drop_at(keys: tuple[str, ...]) -> Alter:
    def alter(doc: dict[str, Any]) -> None:
        del _parent(doc, keys)[keys[-1]]

    return alter


def append_at(keys: tuple[str, ...], value: Any) -> Alter:
    def alter(doc: dict[str, Any]) -> None:
        _parent(doc, keys)[keys[-1]].append(value)

    return alter


def _parent(doc: dict[str, Any], keys: tuple[str, ...]) -> Any:
    node: Any = doc
    for key in keys[:-1]:
        node = node[key]
    return node


TENANT = {"name": "tenant", "in": "query", "required": True, "schema": {"type": "string"}}
OPTIONAL = {"name": "region", "in": "query", "required": False, "schema": {"type": "string"}}


@pytest.mark.parametrize(
    ("api", "alter", "named"),
    [
        pytest.param(
            "call-recording",
            set_at((*RECORDING, "properties", "id", "type"), "string"),
            f"{GET_ONE}: {BODY} field id: type 'integer' here, 'string' officially",
            id="a response field's type",
        ),
        pytest.param(
            "call-recording",
            drop_at((*SCHEMAS, "ExportJob", "properties", "valid_until")),
            f"getCCRExportJob (GET {JOB}): {BODY} field valid_until: "
            "not in the official definition",
            id="a response field the official lacks",
        ),
        pytest.param(
            "call-recording",
            drop_at((*RECORDING, "properties", "start", "format")),
            f"{LIST_COMPANY}: {BODY} field _embedded.recordings[].start: "
            "format 'date-time' here, not stated officially",
            id="a nested field's format",
        ),
        pytest.param(
            "call-recording",
            set_at((*RECORDING, "required"), ["id"]),
            f"{GET_ONE}: {BODY} field id: required False here, True officially",
            id="a response field's required-ness",
        ),
        pytest.param(
            "call-recording",
            set_at((*PARAMETERS, "CallDirection", "schema", "enum"), ["INBOUND", "OUTBOUND"]),
            f"{LIST_COMPANY}: query parameter 'call_direction': enum "
            "['INBOUND', 'INTRA_PBX', 'OUTBOUND'] here, ['INBOUND', 'OUTBOUND'] officially",
            id="a parameter's enum",
        ),
        pytest.param(
            "call-recording",
            set_at((*PARAMETERS, "Page", "required"), True),
            f"{LIST_COMPANY}: query parameter 'page': required False here, True officially",
            id="a parameter's required-ness",
        ),
        pytest.param(
            "call-recording",
            set_at((*PARAMETERS, "RecordingID", "schema", "type"), "integer"),
            f"{GET_ONE}: path parameter 'recording_id': type 'string' here, 'integer' officially",
            id="a path parameter's type",
        ),
        pytest.param(
            "call-recording",
            append_at(("paths", COMPANY, "get", "parameters"), TENANT),
            f"{LIST_COMPANY}: query parameter 'tenant': required officially, missing here",
            id="a required parameter we do not send",
        ),
        pytest.param(
            "call-recording",
            set_at((*SCHEMAS, "Filters", "properties", "duration:gte", "type"), "string"),
            f"createCCRExportJob (POST {EXPORT}): request body application/json "
            "field duration:gte: type 'integer' here, 'string' officially",
            id="a request body field's type",
        ),
        pytest.param(
            "call-recording",
            drop_at(("paths", EXPORT, "post", "responses", "202")),
            f"createCCRExportJob (POST {EXPORT}): response 202: not in the official definition",
            id="a status",
        ),
        pytest.param(
            "call-recording",
            set_at(("paths", COMPANY, "get", "operationId"), "listCompanyRecordings"),
            f"{LIST_COMPANY}: operationId is 'listCompanyRecordings' officially",
            id="an operationId",
        ),
        pytest.param(
            "call-recording",
            drop_at(("paths", ONE, "delete")),
            f"deleteCCRecording (DELETE {ONE}): no such operation in the official definition",
            id="a method",
        ),
        pytest.param(
            "provisioning",
            set_at((*SCHEMAS, "User", "properties", "id", "type"), "integer"),
            "UserCtrl.getUsers (GET /api/accounts/{account_id}/users): "
            f"{BODY} field _embedded.data[].id: type 'number' here, 'integer' officially",
            id="a provisioning field's type",
        ),
    ],
)
def test_a_disagreement_names_the_operation_and_the_field(
    api: str, alter: Alter, named: str
) -> None:
    theirs = ours(api)
    alter(theirs)
    problems = disagreements(ours(api), theirs)
    assert named in problems, "\n".join(problems)


@pytest.mark.parametrize("api", VBC_APIS)
def test_a_contract_agrees_with_itself(api: str) -> None:
    assert disagreements(ours(api), ours(api)) == []


def test_the_official_definition_may_say_more_than_ours() -> None:
    theirs = ours("call-recording")
    for alter in (
        set_at((*RECORDING, "properties", "transcript"), {"type": "string"}),
        append_at(("paths", COMPANY, "get", "parameters"), OPTIONAL),
        set_at(("paths", ONE, "get", "responses", "410"), {"description": "Gone"}),
        set_at(("paths", COMPANY + "/count"), {"get": {"operationId": "count", "responses": {}}}),
    ):
        alter(theirs)
    assert disagreements(ours("call-recording"), theirs) == []
