"""The search form's checks before its modal closes: whose extension, within a time budget."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.blocks import modal
from bot.people.policy import Identity, Person
from bot.search.form import read_search_form
from bot.vbc.errors import VbcUnavailableError
from tests.unit.blocks.test_modal import submit

NOW = datetime(2026, 5, 1, 12, tzinfo=UTC)
NY = ZoneInfo("America/New_York")


def person(*extensions: str, linked: bool = True) -> Person:
    identity = Identity(vbc_user_id="745249", extensions=extensions) if linked else None
    return Person(team_id="T1", slack_user_id="U1", is_admin=False, identity=identity)


async def read(values: dict[str, object], found: object, budget: float = 1.0) -> object:
    async def lookup() -> Person:
        if isinstance(found, BaseException):
            raise found
        if found is None:
            await asyncio.Event().wait()  # VBC never answers
        assert isinstance(found, Person)
        return found

    try:
        return await read_search_form(
            values, tz=NY, region="US", now=NOW, person=lookup, budget=budget
        )
    except modal.ModalErrors as exc:
        return exc.errors


async def test_your_own_extension_passes() -> None:
    request = await read(submit(**{modal.BLOCK_EXTENSION: "101"}), person("101", "102"))
    assert not isinstance(request, dict)


async def test_an_extension_not_yours_names_yours() -> None:
    found = await read(submit(**{modal.BLOCK_EXTENSION: "999"}), person("101", "102"))
    assert found == {
        modal.BLOCK_EXTENSION: "Extension 999 is not one of yours (101, 102). "
        "Use one of those, or leave it empty."
    }
    none = await read(submit(**{modal.BLOCK_EXTENSION: "999"}), person())
    assert "you have no extension" in str(none)


@pytest.mark.parametrize(
    "found",
    [None, VbcUnavailableError("VBC did not answer in time."), person(linked=False)],
    ids=["too slow", "vbc down", "not linked"],
)
async def test_when_it_cannot_tell_the_search_decides(found: object) -> None:
    request = await read(submit(**{modal.BLOCK_EXTENSION: "999"}), found, budget=0.05)
    assert not isinstance(request, dict)


async def test_extension_errors_join_the_other_field_errors() -> None:
    values = submit(**{modal.BLOCK_EXTENSION: "999", modal.BLOCK_CALLER: "nope"})
    found = await read(values, person("101"))
    assert isinstance(found, dict)
    assert set(found) == {modal.BLOCK_EXTENSION, modal.BLOCK_CALLER}


async def test_a_malformed_extension_is_not_looked_up() -> None:
    found = await read(submit(**{modal.BLOCK_EXTENSION: "ten"}), ValueError("never called"))
    assert isinstance(found, dict)
    assert found[modal.BLOCK_EXTENSION] == "An extension is 1 to 8 digits."
