"""HAL paging: a list page parsed from VBC's JSON, and its items followed across ``next`` links."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any, TypeVar

from bot.vbc.models import Page

T = TypeVar("T")

MAX_PAGES = 10_000  # a server whose next links never end must not hold a listing forever


def hal_page(
    key: str, parse: Callable[[Mapping[str, Any]], T]
) -> Callable[[Mapping[str, Any]], Page[T]]:
    """A parser for a HAL page whose items live under ``_embedded[key]``."""
    return lambda data: Page.from_hal(data, key, parse)


async def iter_items(
    first: Page[T], next_page: Callable[[str], Awaitable[Page[T]]]
) -> AsyncIterator[T]:
    """Items of ``first`` and of each page after it, until a page has no items or no next link."""
    page, seen = first, 0
    while True:
        for item in page.items:
            yield item
        seen += 1
        if not page.next_url or not page.items or seen > MAX_PAGES:
            return
        page = await next_page(page.next_url)
