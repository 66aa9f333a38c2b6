"""Deterministic, exactly sized MP3 bodies generated on the fly (ID3v2 tag + silent frames)."""

from __future__ import annotations

import functools
import struct
from collections.abc import Iterator

# MPEG-1 Layer III, 32 kbit/s, 32 kHz, mono, no CRC: 144-byte frames of 36 ms each.
FRAME_HEADER = bytes([0xFF, 0xFB, 0x18, 0xC4])
FRAME_SIZE = 144
DEFAULT_CHUNK_SIZE = 1024 * 1024
_ID3_HEADER_SIZE = 10
MIN_MP3_SIZE = 256


def id3_tag(recording_id: int, size: int) -> bytes:
    """The ID3v2.3 tag whose padding makes ``tag + frames`` exactly ``size`` bytes long."""
    if size < MIN_MP3_SIZE:
        raise ValueError(f"an MP3 body needs at least {MIN_MP3_SIZE} bytes")
    text = f"Recording {recording_id}".encode("latin-1")
    frame = b"TIT2" + struct.pack(">I", len(text) + 1) + b"\x00\x00" + b"\x00" + text
    frames = (size - _ID3_HEADER_SIZE - len(frame)) // FRAME_SIZE
    tag_size = size - _ID3_HEADER_SIZE - frames * FRAME_SIZE
    padding = tag_size - len(frame)
    return b"ID3\x03\x00\x00" + _syncsafe(tag_size) + frame + b"\x00" * padding


def iter_mp3(
    recording_id: int, size: int, chunk_size: int = DEFAULT_CHUNK_SIZE
) -> Iterator[bytes | memoryview]:
    """Yield the body in chunks of about ``chunk_size``; the same bytes for the same inputs."""
    tag = id3_tag(recording_id, size)
    yield tag
    remaining = (size - len(tag)) // FRAME_SIZE
    per_chunk = max(chunk_size // FRAME_SIZE, 1)
    block = memoryview(_frame_block(per_chunk))
    while remaining > 0:
        count = min(per_chunk, remaining)
        yield block[: count * FRAME_SIZE]
        remaining -= count


def mp3_bytes(recording_id: int, size: int) -> bytes:
    """The whole body at once; for small files and tests only."""
    return b"".join(bytes(chunk) for chunk in iter_mp3(recording_id, size))


@functools.cache
def _frame_block(frames: int) -> bytes:
    # A zero side-info block and no main data decode as silence.
    return (FRAME_HEADER + b"\x00" * (FRAME_SIZE - len(FRAME_HEADER))) * frames


def _syncsafe(value: int) -> bytes:
    return bytes((value >> shift) & 0x7F for shift in (21, 14, 7, 0))
