"""A zip archive produced as a stream of chunks, never held whole in memory."""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import IO, cast

Chunk = bytes | memoryview
# Past this, zipfile writes zip64 offsets into the central directory.
_OFFSET_LIMIT = zipfile.ZIP64_LIMIT


@dataclass(frozen=True, slots=True)
class ZipMember:
    name: str
    modified: datetime
    size: int
    chunks: Callable[[], Iterable[Chunk]]


class _Sink:
    """A write-only, non-seekable file: zipfile then writes data descriptors after each member."""

    def __init__(self) -> None:
        self._parts: list[Chunk] = []
        self._position = 0

    def write(self, data: Chunk) -> int:
        self._parts.append(data)
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        """Nothing is buffered beyond ``drain``."""

    def drain(self) -> list[Chunk]:
        parts, self._parts = self._parts, []
        return parts


def iter_zip(members: Iterable[ZipMember]) -> Iterator[Chunk]:
    """Yield a ZIP_STORED archive of ``members`` as their chunks are produced."""
    sink = _Sink()
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_STORED) as archive:
        for member in members:
            info = zipfile.ZipInfo(member.name, date_time=_zip_time(member.modified))
            info.compress_type = zipfile.ZIP_STORED
            info.file_size = member.size  # decides whether the entry needs zip64 fields
            with archive.open(info, "w") as entry:
                for chunk in member.chunks():
                    entry.write(chunk)
                    yield from sink.drain()
            yield from sink.drain()
    yield from sink.drain()


def zip_length(members: Iterable[ZipMember]) -> int | None:
    """The archive's exact size, or None when zip64 offsets would make it content-dependent.

    With ZIP_STORED and data descriptors the layout depends only on names and sizes, so a
    dry run with empty members plus the members' sizes gives the length up front.
    """
    rows = list(members)
    total = sum(m.size for m in rows)
    if total + 1024 * len(rows) >= _OFFSET_LIMIT:
        return None
    dry = [ZipMember(m.name, m.modified, m.size, tuple) for m in rows]
    return sum(len(chunk) for chunk in iter_zip(dry)) + total


def _zip_time(moment: datetime) -> tuple[int, int, int, int, int, int]:
    # Zip timestamps start in 1980 and have two-second resolution.
    if moment.year < 1980:
        return (1980, 1, 1, 0, 0, 0)
    return (moment.year, moment.month, moment.day, moment.hour, moment.minute, moment.second)
