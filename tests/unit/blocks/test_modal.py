"""The search modal: a valid view, and every field read (or refused) as the grammar would."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import CALLBACK_SEARCH_MODAL, modal
from bot.blocks.limits import view_problems
from bot.grammar import SearchRequest
from bot.vbc.filter import ORDER_OLDEST, Direction, RecordingFilter
from bot.vbc.models import RecordingKind

NY = ZoneInfo("America/New_York")


def state_of(view: dict[str, Any]) -> dict[str, Any]:
    """What Slack submits for a view nobody edited: each element's initial value."""
    values: dict[str, Any] = {}
    for block in view["blocks"]:
        element = block["element"]
        kind = element["type"]
        value: dict[str, Any] = {"type": kind}
        if kind == "static_select":
            value["selected_option"] = element.get("initial_option")
        elif kind == "datepicker":
            value["selected_date"] = element.get("initial_date")
        elif kind == "timepicker":
            value["selected_time"] = element.get("initial_time")
            value["timezone"] = element["timezone"]
        else:
            value["value"] = element.get("initial_value")
        values[block["block_id"]] = {element["action_id"]: value}
    return values


def submit(**fields: Any) -> dict[str, Any]:
    """Slack's ``view.state.values`` for the modal with ``fields`` (block id -> raw) filled."""
    values = state_of(modal.build_search_modal(tz="America/New_York"))
    for block_id, raw in fields.items():
        slot = values[block_id][modal.ACTION_FIELD]
        if slot["type"] == "static_select":
            slot["selected_option"] = {"text": {"type": "plain_text", "text": raw}, "value": raw}
        elif slot["type"] == "datepicker":
            slot["selected_date"] = raw
        elif slot["type"] == "timepicker":
            slot["selected_time"] = raw
        else:
            slot["value"] = raw
    return values


def parse(**fields: Any) -> SearchRequest:
    return modal.parse_search_modal(submit(**fields), tz=NY)


def errors(**fields: Any) -> dict[str, str]:
    with pytest.raises(modal.ModalErrors) as caught:
        parse(**fields)
    return caught.value.errors


def test_empty_modal_is_valid_and_parses_to_an_empty_request() -> None:
    view = modal.build_search_modal(tz="America/New_York", private_metadata="C123")
    assert view_problems(view) == []
    assert view["callback_id"] == CALLBACK_SEARCH_MODAL
    assert view["title"]["text"] == "Search recordings"
    assert view["submit"]["text"] == "Search"
    assert view["private_metadata"] == "C123"
    assert all(block["optional"] for block in view["blocks"])
    pickers = [b["element"] for b in view["blocks"] if b["element"]["type"] == "timepicker"]
    assert [p["timezone"] for p in pickers] == ["America/New_York"] * 2
    assert parse() == SearchRequest()


def test_every_field_happy_path() -> None:
    request = parse(
        **{
            modal.BLOCK_DIRECTION: "internal",
            modal.BLOCK_KIND: "on-demand",
            modal.BLOCK_CALLER: "+1 (732) 555-0100",
            modal.BLOCK_DIALED: "732.555.0199",
            modal.BLOCK_EITHER: "+44 20 7946 0000, 7325550100; +44 20 7946 0000",
            modal.BLOCK_NAME: "  john   smith ",
            modal.BLOCK_EXTENSION: "999",
            modal.BLOCK_CALL_ID: "c91150a6-8cc4-4e73-9fef-17fd925c6448",
            modal.BLOCK_SINCE_DATE: "2024-05-01",
            modal.BLOCK_SINCE_TIME: "09:30",
            modal.BLOCK_UNTIL_DATE: "2024-05-31",
            modal.BLOCK_MIN_DURATION: "120",
            modal.BLOCK_MAX_DURATION: "300",
            modal.BLOCK_ORDER: "oldest",
            modal.BLOCK_PAGE_SIZE: "25",
        }
    )
    assert request == SearchRequest(
        filter=RecordingFilter(
            call_direction=Direction.INTRA_PBX,
            call_id="c91150a6-8cc4-4e73-9fef-17fd925c6448",
            caller_id="17325550100",
            cnam="john smith",
            dnis="17325550199",
            duration_gte=120_000,
            duration_lte=300_000,
            extension="999",
            start_gte=datetime(2024, 5, 1, 13, 30, tzinfo=UTC),  # 09:30 EDT
            start_lte=datetime(2024, 6, 1, 3, 59, 59, tzinfo=UTC),  # end of May 31 EDT
            order=ORDER_OLDEST,
            page_size=25,
        ),
        numbers=("442079460000", "17325550100"),
        kind=RecordingKind.ON_DEMAND,
    )


@pytest.mark.parametrize(
    ("fields", "block_id", "says"),
    [
        ({modal.BLOCK_CALLER: "12"}, modal.BLOCK_CALLER, "phone number"),
        ({modal.BLOCK_DIALED: "call me"}, modal.BLOCK_DIALED, "phone number"),
        ({modal.BLOCK_EITHER: "+1 732 555 0100, nope"}, modal.BLOCK_EITHER, "'nope'"),
        ({modal.BLOCK_EITHER: ",".join(["+1 732 555 0100"] * 7)}, modal.BLOCK_EITHER, "Up to 6"),
        ({modal.BLOCK_EXTENSION: "12a"}, modal.BLOCK_EXTENSION, "1 to 8 digits"),
        ({modal.BLOCK_CALL_ID: "a b"}, modal.BLOCK_CALL_ID, "call id"),
        ({modal.BLOCK_SINCE_TIME: "09:00"}, modal.BLOCK_SINCE_DATE, "Pick a date"),
        ({modal.BLOCK_UNTIL_TIME: "17:00"}, modal.BLOCK_UNTIL_DATE, "Pick a date"),
        ({modal.BLOCK_SINCE_DATE: "2024-02-30"}, modal.BLOCK_SINCE_DATE, "not a date"),
        (
            {modal.BLOCK_SINCE_DATE: "2024-05-01", modal.BLOCK_SINCE_TIME: "25:00"},
            modal.BLOCK_SINCE_TIME,
            "not a date",
        ),
        (
            {modal.BLOCK_SINCE_DATE: "2024-05-02", modal.BLOCK_UNTIL_DATE: "2024-05-01"},
            modal.BLOCK_UNTIL_DATE,
            "before the start",
        ),
        (
            {
                modal.BLOCK_SINCE_DATE: "2024-05-01",
                modal.BLOCK_SINCE_TIME: "10:00",
                modal.BLOCK_UNTIL_DATE: "2024-05-01",
                modal.BLOCK_UNTIL_TIME: "09:59",
            },
            modal.BLOCK_UNTIL_DATE,
            "before the start",
        ),
        (
            {modal.BLOCK_MIN_DURATION: "300", modal.BLOCK_MAX_DURATION: "120"},
            modal.BLOCK_MAX_DURATION,
            "shorter than the shortest",
        ),
        ({modal.BLOCK_MIN_DURATION: "-1"}, modal.BLOCK_MIN_DURATION, "whole number"),
        ({modal.BLOCK_MAX_DURATION: "1.5"}, modal.BLOCK_MAX_DURATION, "whole number"),
        ({modal.BLOCK_MAX_DURATION: "99999999999"}, modal.BLOCK_MAX_DURATION, "whole number"),
        ({modal.BLOCK_PAGE_SIZE: "0"}, modal.BLOCK_PAGE_SIZE, "from 1 to 25"),
        ({modal.BLOCK_PAGE_SIZE: "26"}, modal.BLOCK_PAGE_SIZE, "from 1 to 25"),
    ],
)
def test_field_errors(fields: dict[str, str], block_id: str, says: str) -> None:
    found = errors(**fields)
    assert list(found) == [block_id]
    assert says in found[block_id]


def test_all_errors_come_back_at_once() -> None:
    found = errors(
        **{
            modal.BLOCK_CALLER: "x",
            modal.BLOCK_EXTENSION: "x",
            modal.BLOCK_PAGE_SIZE: "0",
            modal.BLOCK_UNTIL_TIME: "10:00",
        }
    )
    assert set(found) == {
        modal.BLOCK_CALLER,
        modal.BLOCK_EXTENSION,
        modal.BLOCK_PAGE_SIZE,
        modal.BLOCK_UNTIL_DATE,
    }
    assert all(len(message) < 150 for message in found.values())


def test_phone_error_reads_well() -> None:
    message = errors(**{modal.BLOCK_CALLER: "12"})[modal.BLOCK_CALLER]
    assert message.startswith("That is not a phone number I can read")
    assert message.endswith("e.g. +1 732 555 0100.")


def test_a_date_alone_is_a_whole_day_in_the_persons_zone() -> None:
    request = parse(**{modal.BLOCK_SINCE_DATE: "2024-03-10", modal.BLOCK_UNTIL_DATE: "2024-03-10"})
    assert request.filter.start_gte == datetime(2024, 3, 10, 5, 0, tzinfo=UTC)  # EST
    assert request.filter.start_lte == datetime(2024, 3, 11, 3, 59, 59, tzinfo=UTC)  # EDT


def test_missing_blocks_and_odd_shapes_mean_unset() -> None:
    assert modal.parse_search_modal({}, tz=NY) == SearchRequest()
    odd = {modal.BLOCK_NAME: {"value": None}, modal.BLOCK_KIND: "x", modal.BLOCK_ORDER: {}}
    assert modal.parse_search_modal(odd, tz=NY) == SearchRequest()


def test_initial_request_round_trips_through_the_modal() -> None:
    request = SearchRequest(
        filter=RecordingFilter(
            call_direction=Direction.OUTBOUND,
            call_id="abc-1",
            caller_id="17325550100",
            cnam="Jo Smith",
            dnis="442079460000",
            duration_gte=60_000,
            duration_lte=3_600_000,
            extension="12",
            start_gte=datetime(2024, 5, 1, 13, 30, tzinfo=UTC),
            start_lte=datetime(2024, 5, 2, 3, 59, 59, tzinfo=UTC),
            order=ORDER_OLDEST,
            page_size=20,
        ),
        numbers=("17325550111", "17325550112"),
        kind=RecordingKind.COMPANY,
    )
    view = modal.build_search_modal(tz="America/New_York", initial=request)
    assert view_problems(view) == []
    assert modal.parse_search_modal(state_of(view), tz=NY) == request


def test_metadata_too_long_is_refused() -> None:
    with pytest.raises(ValueError, match="private_metadata"):
        modal.build_search_modal(tz="UTC", private_metadata="x" * 3001)


@pytest.mark.parametrize(
    ("since", "until"),
    [
        (datetime(2024, 5, 1, 4, 0, tzinfo=UTC), datetime(2024, 5, 2, 4, 0, tzinfo=UTC)),
        (datetime(2024, 5, 2, 3, 59, 59, tzinfo=UTC), datetime(2024, 5, 3, 3, 59, 59, tzinfo=UTC)),
    ],
)
def test_midnight_and_end_of_day_keep_their_meaning(since: datetime, until: datetime) -> None:
    request = SearchRequest(filter=RecordingFilter(start_gte=since, start_lte=until))
    view = modal.build_search_modal(tz="America/New_York", initial=request)
    parsed = modal.parse_search_modal(state_of(view), tz=NY).filter
    assert (parsed.start_gte, parsed.start_lte) == (since.replace(second=0), until)


def test_an_empty_window_is_an_error_on_its_end() -> None:
    found = errors(
        **{
            modal.BLOCK_SINCE_DATE: "2026-05-01",
            modal.BLOCK_SINCE_TIME: "10:00",
            modal.BLOCK_UNTIL_DATE: "2026-05-01",
            modal.BLOCK_UNTIL_TIME: "10:00",
        }
    )
    assert list(found) == [modal.BLOCK_UNTIL_DATE]
    assert "window is empty" in found[modal.BLOCK_UNTIL_DATE]


def test_a_start_in_the_future_is_an_error_only_when_now_is_known() -> None:
    values = submit(**{modal.BLOCK_SINCE_DATE: "2026-05-02"})
    now = datetime(2026, 5, 1, 12, tzinfo=UTC)
    with pytest.raises(modal.ModalErrors) as caught:
        modal.parse_search_modal(values, tz=NY, now=now)
    assert "in the future" in caught.value.errors[modal.BLOCK_SINCE_DATE]
    assert modal.parse_search_modal(values, tz=NY).filter.start_gte is not None
    later = datetime(2026, 5, 3, tzinfo=UTC)
    assert modal.parse_search_modal(values, tz=NY, now=later).filter.start_gte is not None


def test_typed_extension_only_when_well_formed() -> None:
    assert modal.typed_extension(submit(**{modal.BLOCK_EXTENSION: " 101 "})) == "101"
    assert modal.typed_extension(submit(**{modal.BLOCK_EXTENSION: "ten"})) is None
    assert modal.typed_extension(submit()) is None
