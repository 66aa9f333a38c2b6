"""VBC models and filters parsed from the examples of our OpenAPI contract."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from functools import cache
from typing import Any

import pydantic
import pytest
import yaml

from bot.vbc.filter import Direction, RecordingFilter
from bot.vbc.models import (
    ExportJob,
    Extension,
    Page,
    Recording,
    RecordingKind,
    User,
)
from tests.paths import vbc_contract

NEW_YEAR_2019 = datetime(2019, 1, 1, tzinfo=UTC)


@cache
def _spec(api: str) -> dict[str, Any]:
    loaded: dict[str, Any] = yaml.safe_load(vbc_contract(api).read_text())
    return loaded


def _resolve(doc: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        target: Any = doc
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part]
        node = target
    return node


def example_of(doc: dict[str, Any], schema: dict[str, Any]) -> Any:
    """The document's example payload for a schema, built from its properties' examples."""
    schema = _resolve(doc, schema)
    if "example" in schema:
        return schema["example"]
    if "oneOf" in schema:  # the first of the shapes allowed
        return example_of(doc, schema["oneOf"][0])
    if "properties" in schema:
        built = {name: example_of(doc, prop) for name, prop in schema["properties"].items()}
        return {name: value for name, value in built.items() if value is not None}
    if schema.get("type") == "array" and "items" in schema:
        item = example_of(doc, schema["items"])
        return [item] if item is not None else None
    return None


def schema_example(spec: str, name: str) -> dict[str, Any]:
    doc = _spec(spec)
    value = example_of(doc, doc["components"]["schemas"][name])
    assert isinstance(value, dict)
    return value


def list_query_names() -> set[str]:
    doc = _spec("call-recording")
    operation = doc["paths"]["/api/accounts/{account_id}/company_call_recordings"]["get"]
    params = [_resolve(doc, p) for p in operation["parameters"]]
    return {p["name"] for p in params if p["in"] == "query"}


def list_query_examples() -> dict[str, Any]:
    doc = _spec("call-recording")
    operation = doc["paths"]["/api/accounts/{account_id}/company_call_recordings"]["get"]
    params = [_resolve(doc, p) for p in operation["parameters"]]
    return {p["name"]: p["example"] for p in params if p["in"] == "query" and "example" in p}


# Recordings ---------------------------------------------------------------------------------
def test_company_recording_from_the_spec_example() -> None:
    payload = schema_example("call-recording", "CompanyCallRecording")
    rec = Recording.from_api(payload, kind=RecordingKind.COMPANY)
    assert rec.id == 193228
    assert rec.kind is RecordingKind.COMPANY
    assert rec.owner_user_id is None
    assert rec.start == NEW_YEAR_2019
    assert rec.end == NEW_YEAR_2019
    assert rec.start is not None
    assert rec.start.utcoffset() == timedelta(0)
    assert rec.caller_id == "17325550100"  # the example is a bare number; the schema says string
    assert rec.dnis == "17325550100"
    assert rec.cnam == "JOHN SMITH"
    assert rec.call_direction == "INBOUND"
    assert rec.call_id == "c91150a6-8cc4-4e73-9fef-17fd925c6448"
    assert rec.duration == 60000
    assert rec.file_size_in_bytes == 100000
    assert rec.extensions == ["999"]
    assert rec.rule_ids == [1989, 2012, 449]
    assert rec.file_name is not None
    assert rec.file_name.endswith(".mp3")
    assert rec.download_url == (
        "https://api.vonage.com/t/vbc.prod/call_recording/api/audio/recording/193228"
    )
    assert rec.self_url == payload["_links"]["self"]["href"]


def test_on_demand_recording_from_the_spec_example_keeps_its_owner() -> None:
    payload = schema_example("call-recording", "OnDemandCallRecording")
    rec = Recording.from_api(payload, kind=RecordingKind.ON_DEMAND, owner_user_id="745249")
    assert rec.kind is RecordingKind.ON_DEMAND
    assert rec.owner_user_id == "745249"
    assert rec.rule_ids == []  # the on-demand example has none
    assert rec.self_url is not None
    assert "/users/745249/call_recordings/193228" in rec.self_url


def test_unknown_fields_are_ignored_and_optional_fields_may_be_missing() -> None:
    payload = {"id": 7, "brand_new_field": {"nested": [1, 2]}, "_links": "not-a-mapping"}
    rec = Recording.from_api(payload, kind=RecordingKind.COMPANY)
    assert rec.id == 7
    assert rec.start is None
    assert rec.download_url is None
    assert rec.self_url is None
    assert rec.extensions == []
    assert rec.rule_ids == []
    assert not hasattr(rec, "brand_new_field")


@pytest.mark.parametrize(
    ("wire", "expected"),
    [
        ("2019-01-01T00:00:00+0000", NEW_YEAR_2019),
        ("2019-01-01T00:00:00Z", NEW_YEAR_2019),
        ("2019-01-01T00:00:00+00:00", NEW_YEAR_2019),
        ("2019-01-01T05:30:00+0530", NEW_YEAR_2019),
        ("2018-12-31T19:00:00-0500", NEW_YEAR_2019),
    ],
)
def test_vbc_times_parse_to_aware_instants(wire: str, expected: datetime) -> None:
    rec = Recording.from_api({"id": 1, "start": wire}, kind=RecordingKind.COMPANY)
    assert rec.start == expected
    assert rec.start is not None
    assert rec.start.tzinfo is not None


@pytest.mark.parametrize(
    "payload",
    [{}, {"id": "abc"}, {"id": 1, "start": "yesterday"}, {"id": 1, "extensions": "999"}],
)
def test_invalid_recordings_are_rejected(payload: dict[str, Any]) -> None:
    with pytest.raises(pydantic.ValidationError):
        Recording.from_api(payload, kind=RecordingKind.COMPANY)


def test_models_are_frozen() -> None:
    rec = Recording.from_api({"id": 1}, kind=RecordingKind.COMPANY)
    with pytest.raises(pydantic.ValidationError):
        rec.id = 2


# Export jobs --------------------------------------------------------------------------------
def test_export_job_from_the_spec_example() -> None:
    job = ExportJob.from_api(schema_example("call-recording", "ExportJob"))
    assert job.id == "afa725fb-d418-4eaf-b3f9-0e66396fafdc"
    assert job.status == "complete"
    assert job.is_complete
    assert job.is_finished
    assert job.files_total == 10
    assert job.files_completed is None
    assert job.valid_until == NEW_YEAR_2019
    assert job.download_url is not None
    assert "bulkDownload/retrieve?jobId=" in job.download_url
    assert job.self_url is not None
    assert job.self_url.endswith("/jobs/5e667ef2-2860-4471-8813-320980a55c20")


@pytest.mark.parametrize(
    ("status", "finished", "complete"),
    [
        ("queued", False, False),
        ("pending", False, False),
        ("in_progress", False, False),
        ("complete", True, True),
        ("COMPLETE", True, True),
        ("failed", True, False),
        ("expired", True, False),
        ("cancelled", True, False),
        ("paused-by-vbc", False, False),
    ],
)
def test_export_job_states(status: str, finished: bool, complete: bool) -> None:
    job = ExportJob.from_api({"id": "j1", "status": status})
    assert job.status == status  # unknown states are kept as they came
    assert (job.is_finished, job.is_complete) == (finished, complete)


def test_export_job_without_status_is_unknown_not_finished() -> None:
    job = ExportJob.from_api({"id": "j2"})
    assert job.status == "unknown"
    assert not job.is_finished


def test_create_export_example_is_a_list_of_ids() -> None:
    body = schema_example("call-recording", "CreateExportJobHalResponse")
    assert body == {"job_ids": ["afa725fb-d418-4eaf-b3f9-0e66396fafdc"]}


# HAL pages ----------------------------------------------------------------------------------
def test_page_from_the_spec_example_keeps_links_as_returned() -> None:
    payload = schema_example("call-recording", "CompanyCallRecordingsHalResponse")
    payload.update(page=2, page_size=1, total_items=5, total_pages=5)
    page = Page.from_hal(payload, "recordings", _company)
    assert [r.id for r in page.items] == [193228]
    assert page.next_url == payload["_links"]["next"]["href"]
    assert set(page.links) == {"first", "prev", "self", "next", "last"}
    assert (page.page, page.page_size, page.total_items, page.total_pages) == (2, 1, 5, 5)
    assert page.has_next


def test_page_without_embedded_is_empty() -> None:
    page = Page.from_hal({"_links": {"self": {"href": "x"}}}, "recordings", _company)
    assert page.items == []
    assert page.total_pages == 0
    assert page.next_url is None
    assert not page.has_next


def test_page_with_one_embedded_object_has_one_item() -> None:
    page = Page.from_hal({"_embedded": {"recordings": {"id": 3}}}, "recordings", _company)
    assert [r.id for r in page.items] == [3]
    assert (page.page, page.total_items, page.total_pages) == (1, 1, 1)


def test_page_ignores_links_without_href() -> None:
    data = {"_embedded": {"jobs": []}, "_links": {"next": {"title": "x"}, "self": "bad"}}
    page = Page.from_hal(data, "jobs", ExportJob.from_api)
    assert page.links == {}
    assert not page.has_next


def test_export_jobs_page_from_the_spec_example() -> None:
    payload = schema_example("call-recording", "ExportJobsHalResponse")
    page = Page.from_hal(payload, "jobs", ExportJob.from_api)
    assert [j.id for j in page.items] == ["afa725fb-d418-4eaf-b3f9-0e66396fafdc"]
    assert page.next_url is not None
    assert page.next_url.endswith("/jobs?page=3")


# Provisioning -------------------------------------------------------------------------------
def test_user_from_the_spec_example() -> None:
    payload = schema_example("provisioning", "UsersHalResponse")
    page = Page.from_hal(payload, "data", User.from_api)
    (user,) = page.items
    assert user.id == 869048
    assert user.email == "john.smith@example.com"
    assert user.display_name == "John Smith"
    assert user.extension_numbers == ["789"]
    assert user.extensions[0].dids[0].phone_number == "14155550100"
    assert (page.page_size, page.total_pages, page.total_items) == (10, 10, 100)


def test_single_user_document_embeds_one_object() -> None:
    payload = schema_example("provisioning", "UserHalResponse")
    page = Page.from_hal(payload, "data", User.from_api)
    assert [u.login_name for u in page.items] == ["jsmith"]


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"first_name": "Ada", "last_name": "Lovelace"}, "Ada Lovelace"),
        ({"login_name": "ada"}, "ada"),
        ({"email": "ada@example.com"}, "ada@example.com"),
        ({}, "42"),
    ],
)
def test_user_display_name_falls_back(fields: dict[str, str], name: str) -> None:
    assert User.from_api({"id": 42, **fields}).display_name == name


def test_extension_from_the_spec_example() -> None:
    payload = schema_example("provisioning", "EndUserRouteHalResponse")
    page = Page.from_hal(payload, "data", Extension.from_api)
    (ext,) = page.items
    assert ext.extension_number == "789"
    assert ext.user is not None
    assert ext.user.id == 2111111
    assert ext.location_id == 145214
    assert ext.external_id == "abc11111111111"
    assert ext.caller_id == "John Smith"


def test_extension_numbers_given_as_numbers_become_text() -> None:
    ext = Extension.from_api({"extension_number": 101, "external_id": 3001001})
    assert (ext.extension_number, ext.external_id) == ("101", "3001001")


# Filters ------------------------------------------------------------------------------------
def test_filter_wire_names_are_the_spec_query_parameters() -> None:
    full = RecordingFilter(
        call_direction=Direction.INBOUND,
        call_id="c",
        caller_id="1",
        cnam="J",
        dnis="2",
        duration_gte=1,
        duration_lte=2,
        extension="999",
        start_gte=NEW_YEAR_2019,
        start_lte=NEW_YEAR_2019,
        order="start:ASC",
        page=1,
        page_size=10,
    )
    assert set(full.to_query()) == list_query_names()
    filters_schema = _spec("call-recording")["components"]["schemas"]["Filters"]
    assert set(full.to_json()) == set(filters_schema["properties"])


def test_filter_from_the_spec_parameter_examples_round_trips() -> None:
    examples = list_query_examples()
    filters = RecordingFilter.from_wire(examples)
    assert filters.start_gte == NEW_YEAR_2019
    assert filters.call_direction is Direction.INBOUND
    assert filters.duration_gte == 60000
    assert filters.to_query() == {name: str(value) for name, value in examples.items()}
    body = filters.to_json()
    assert body["duration:gte"] == 60000
    assert body["start:lte"] == "2019-01-01T00:00:00+0000"
    assert "page" not in body
    assert "order" not in body


def test_filter_sends_utc_with_plus_0000() -> None:
    eastern = timezone(timedelta(hours=-5))
    filters = RecordingFilter(start_gte=datetime(2018, 12, 31, 19, 0, tzinfo=eastern))
    assert filters.to_query() == {"start:gte": "2019-01-01T00:00:00+0000"}


def _company(data: Any) -> Recording:
    return Recording.from_api(data, kind=RecordingKind.COMPANY)
