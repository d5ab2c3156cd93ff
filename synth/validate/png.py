"""A PNG read to its last byte: whether its chunks and its pixel data are exactly right.

A decoder may say nothing of what it does not need: Pillow ignores bytes after IEND,
chunks between IDATs, a zlib stream that ends early (it fills the rows with zeros) or
has bytes after it. A PNG is sound here only when all of it is as the specification
says: the signature, IHDR first and valid, a PLTE where one is needed, one run of IDAT
chunks, IEND last with nothing after it, every CRC right, and the IDAT data exactly one
zlib stream (its Adler-32 right, no byte after it) that inflates to exactly the bytes
its rows need (each Adam7 pass's, when interlaced), every row with a known filter.
"""

from __future__ import annotations

import ctypes
import struct
import threading
import zlib
from collections.abc import Callable
from dataclasses import dataclass

from deflate import crc32

SIGNATURE = b"\x89PNG\r\n\x1a\n"
# Channels per color type (gray, RGB, palette, gray and alpha, RGBA) and its bit depths.
CHANNELS = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}
_DEPTHS = {0: (1, 2, 4, 8, 16), 2: (8, 16), 3: (1, 2, 4, 8), 4: (8, 16), 6: (8, 16)}
_FILTERS = bytes(range(5))  # None, Sub, Up, Average, Paeth
_KNOWN_CRITICAL = (b"IHDR", b"PLTE", b"IDAT", b"IEND")
_CORRUPT = "its pixel data does not inflate (a cut or corrupt zlib stream)"
_ADAM7 = (
    (0, 0, 8, 8),
    (4, 0, 8, 8),
    (0, 4, 4, 8),
    (2, 0, 4, 4),
    (0, 2, 2, 4),
    (1, 0, 2, 2),
    (0, 1, 1, 2),
)


@dataclass(frozen=True, slots=True)
class Png:
    """A sound PNG: its size, IHDR fields, header key and inflated rows (each row its
    filter byte, then its pixels; Adam7's passes one after another), when asked for."""

    size: tuple[int, int]
    depth: int
    color: int
    interlaced: bool
    key: bytes  # its IHDR but the size, and every chunk before its data: see `header_key`
    rows: bytearray | None


def read_png(data: bytes, max_side: int, *, rows: bool = True) -> Png | str:
    """The PNG, or why it is not sound (a phrase: 'its IDAT chunk is cut short'). Its
    data is not inflated when a side is over `max_side` (memory is bounded): such a PNG
    is not called sound. Without `rows` its rows are checked in a buffer the thread
    reuses, and not kept (an image's: no fresh pages zeroed for each)."""
    if not data.startswith(SIGNATURE):
        return "it does not start with the PNG signature"
    view = memoryview(data)
    at, end_of_data = len(SIGNATURE), len(data)
    kinds: list[bytes] = []
    bodies: list[memoryview] = []
    starts: list[int] = []  # where each body starts in `data`
    while True:
        if at + 8 > end_of_data:
            return "it ends without an IEND chunk"
        length, kind = struct.unpack_from(">I4s", data, at)
        end = at + 12 + length
        if not kind.isalpha() or not kind.isascii():
            return f"a chunk at byte {at:,} has no valid type ({_name(kind)})"
        if length > 0x7FFFFFFF:
            return f"its {_name(kind)} chunk's length is over 2^31 - 1"
        if end > end_of_data:
            return f"its {_name(kind)} chunk is cut short"
        if crc32(view[at + 4 : end - 4]) != int.from_bytes(view[end - 4 : end], "big"):
            return f"the CRC of its {_name(kind)} chunk is wrong"
        kinds.append(kind)
        bodies.append(view[at + 8 : end - 4])
        starts.append(at + 8)
        at = end
        if kind == b"IEND":
            break
    if at != end_of_data:
        extra = end_of_data - at
        return f"it has {extra:,} byte{'s' * (extra > 1)} after its IEND chunk"
    return _sound(data, kinds, bodies, starts, max_side, rows)


def _sound(
    data: bytes,
    kinds: list[bytes],
    bodies: list[memoryview],
    starts: list[int],
    max_side: int,
    keep: bool,
) -> Png | str:
    """The PNG of whole chunks `kinds` and `bodies`, or why their order or data is wrong."""
    if kinds[0] != b"IHDR" or len(bodies[0]) != 13:
        return "its first chunk is not a 13-byte IHDR"
    width, height, depth, color, method, filtering, interlace = struct.unpack(">IIBBBBB", bodies[0])
    if not (0 < width <= 0x7FFFFFFF and 0 < height <= 0x7FFFFFFF):
        return f"its IHDR gives a size of {width}x{height}"
    if max(width, height) > max_side:
        return f"it is {width}x{height}, past {max_side} pixels a side: its data is not read"
    if depth not in _DEPTHS.get(color, ()):
        return f"its IHDR gives color type {color} with bit depth {depth}"
    if (method, filtering) != (0, 0) or interlace > 1:
        return "its IHDR gives an unknown compression, filter or interlace method"
    for kind in kinds:
        if not kind[0] & 0x20 and kind not in _KNOWN_CRITICAL:  # upper case: critical
            return f"it has an unknown critical chunk, {_name(kind)}"
    if b"IDAT" not in kinds:
        return "it has no IDAT chunk"
    first = kinds.index(b"IDAT")
    last = first
    while kinds[last + 1] == b"IDAT":
        last += 1
    if b"IDAT" in kinds[last + 1 :]:
        between = next(k for k in kinds[last + 1 :] if k != b"IDAT")
        return f"its IDAT chunks are not one run (a {_name(between)} chunk between them)"
    if b"IHDR" in kinds[1:] or kinds.count(b"IEND") != 1 or len(bodies[-1]) != 0:
        return "it has a second IHDR chunk, or an IEND chunk with data"
    palettes = [i for i, kind in enumerate(kinds) if kind == b"PLTE"]
    if color == 3 and not palettes:
        return "its pixels are palette indices, but it has no PLTE chunk"
    if palettes and (
        len(palettes) > 1
        or palettes[0] > first
        or color in (0, 4)
        or len(bodies[palettes[0]]) % 3
        or not 3 <= len(bodies[palettes[0]]) <= 768
    ):
        return "its PLTE chunk is misplaced, repeated or of a wrong length"
    passes = _passes(width, height, depth, color, bool(interlace))
    need = sum(rows * row for rows, row in passes)
    if first == last and _LIBDEFLATE is not None and type(data) is bytes:
        # One IDAT: inflated where it lies in the file's bytes, not copied out first.
        rows = _libdeflate(data, starts[first], len(bodies[first]), need, keep)
    else:
        rows = inflate_exactly(b"".join(bodies[first : last + 1]), need, keep)
    if isinstance(rows, str):
        return rows
    at = 0
    for count, row in passes:
        if rows[at : at + count * row : row].translate(None, _FILTERS):
            return "a row of its pixel data has an unknown filter type"
        at += count * row
    key = header_key(kinds, bodies)
    return Png((width, height), depth, color, bool(interlace), key, rows if keep else None)


def _passes(
    width: int, height: int, depth: int, color: int, interlaced: bool
) -> list[tuple[int, int]]:
    """The (rows, bytes a row) of each pass with pixels: one pass unless interlaced."""
    bits = CHANNELS[color] * depth
    out = []
    for x, y, dx, dy in _ADAM7 if interlaced else ((0, 0, 1, 1),):
        columns, rows = (width - x + dx - 1) // dx, (height - y + dy - 1) // dy
        if columns and rows:
            out.append((rows, (columns * bits + 7) // 8 + 1))
    return out


def header_key(kinds: list[bytes], bodies: list[memoryview]) -> bytes:
    """All that Pillow's open reads of a PNG but its size, as one key: its IHDR's other
    fields and every chunk before its first IDAT."""
    parts = [bytes(bodies[0][8:])]
    for kind, body in zip(kinds[1:], bodies[1:], strict=True):
        if kind == b"IDAT":
            break
        parts += (kind, len(body).to_bytes(4, "big"), bytes(body))
    return b"".join(parts)


def _name(kind: bytes) -> str:
    return kind.decode("latin-1").encode("unicode_escape").decode()


def inflate_exactly(stream: bytes, need: int, keep: bool = True) -> bytearray | str:
    """The `need` bytes the zlib `stream` inflates to, or why it does not inflate to
    exactly those: it is cut, corrupt (its Adler-32 checked), longer or shorter, or
    has bytes after its end. Without `keep`, they are the first `need` bytes of the
    thread's scratch buffer, good until its next call."""
    if _LIBDEFLATE is not None:
        return _libdeflate(stream, 0, len(stream), need, keep)
    inflater = zlib.decompressobj()
    try:
        rows = bytearray(inflater.decompress(stream, need + 1))
    except zlib.error:
        return _CORRUPT
    if len(rows) > need:
        return f"its pixel data inflates to more than the {need:,} bytes its rows need"
    if not inflater.eof:
        return _CORRUPT
    if len(rows) < need:
        return f"its pixel data ends after {len(rows):,} of the {need:,} bytes its rows need"
    if inflater.unused_data:
        return _after(len(inflater.unused_data))
    return rows


def _after(extra: int) -> str:
    return f"its pixel data has {extra:,} byte{'s' * (extra > 1)} after its zlib stream"


def _load_libdeflate() -> (
    tuple[Callable[..., int], Callable[[], int], Callable[[int], None]] | None
):
    """libdeflate's zlib_decompress_ex (which tells how much input a stream used) and a
    decompressor's allocation and release, from the `deflate` package's module, which
    exports libdeflate's API; None where it does not (zlib's decompressobj tells it then,
    slower)."""
    try:
        from deflate import _deflate

        library = ctypes.CDLL(_deflate.__file__)
        function = library.libdeflate_zlib_decompress_ex
        allocate = library.libdeflate_alloc_decompressor
        release = library.libdeflate_free_decompressor
    except (ImportError, OSError, AttributeError):
        return None
    allocate.restype = ctypes.c_void_p
    release.argtypes = [ctypes.c_void_p]
    release.restype = None
    function.restype = ctypes.c_int
    function.argtypes = [
        ctypes.c_void_p,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.c_void_p,
        ctypes.c_size_t,
        ctypes.POINTER(ctypes.c_size_t),
        ctypes.POINTER(ctypes.c_size_t),
    ]
    return function, allocate, release


_LIBDEFLATE = _load_libdeflate()
_NO_SPACE = 3  # libdeflate_result: the stream inflates past the buffer
# Rows not kept are inflated into a buffer each thread reuses, up to this size (a 4096 px
# RGBA image's rows are 64 MiB: not held after it); a larger one is made for the call.
_SCRATCH_BYTES = 16 << 20
_scratch = threading.local()


def _buffer(size: int, keep: bool) -> bytearray:
    """A buffer of at least `size` bytes: a new one for rows kept, else the thread's."""
    if keep or size > _SCRATCH_BYTES:
        return bytearray(size)
    held: bytearray | None = getattr(_scratch, "buffer", None)
    if held is None or len(held) < size:
        held = _scratch.buffer = bytearray(max(size, 1 << 20))
    return held


def _libdeflate(
    data: bytes, start: int, length: int, need: int, keep: bool = True
) -> bytearray | str:
    """`inflate_exactly` by libdeflate, of the stream of `length` bytes at `start` in
    `data` (read where it lies: bytes never move), a decompressor of its own for each
    call: ctypes lets go of the GIL during the call, and threads must not share one
    (its cost, about a microsecond, is nothing beside the inflate)."""
    assert _LIBDEFLATE is not None
    function, allocate, release = _LIBDEFLATE
    # One byte more than `need`: a stream that inflates past it says so.
    rows = _buffer(need + 1, keep)
    buffer = (ctypes.c_char * len(rows)).from_buffer(rows)
    stream = ctypes.cast(ctypes.c_char_p(data), ctypes.c_void_p).value or 0
    used, made = ctypes.c_size_t(), ctypes.c_size_t()
    decompressor = allocate()
    if not decompressor:
        raise MemoryError("libdeflate could not allocate a decompressor")
    try:
        result = function(
            decompressor,
            stream + start,
            length,
            buffer,
            need + 1,
            ctypes.byref(used),
            ctypes.byref(made),
        )
    finally:
        release(decompressor)
    del buffer
    if result == _NO_SPACE or made.value > need:
        return f"its pixel data inflates to more than the {need:,} bytes its rows need"
    if result != 0:
        return _CORRUPT
    if made.value < need:
        return f"its pixel data ends after {made.value:,} of the {need:,} bytes its rows need"
    if used.value != length:
        return _after(length - used.value)
    if keep:
        del rows[need:]
    return rows
