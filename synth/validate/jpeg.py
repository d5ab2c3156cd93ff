"""A JPEG read to its last scan: whether its scans code every pixel, to the end.

libjpeg, under Pillow, only warns when a scan's entropy-coded data ends early ("premature
end of data segment"), fills the rest of the image grey and decodes without an error;
Pillow drops the warning. So a JPEG cut inside a scan, with an end-of-image marker put
back, loads. Here a JPEG is sound only when its markers are whole and in order (SOI
first, one frame, scans of the frame's components, EOI last with at most zero bytes
after it), its scans together code every coefficient of every component to its last
bit (a progressive JPEG cut between two scans codes fewer), and libjpeg-turbo decodes
it without a single warning (simplejpeg's strict mode: a warning is an error).
"""

from __future__ import annotations

import io
import re

import simplejpeg

from synth.errors import counted

_SOF = frozenset((*range(0xC0, 0xC4), *range(0xC5, 0xC8), *range(0xC9, 0xCC), *range(0xCD, 0xD0)))
_PROGRESSIVE = frozenset((0xC2, 0xC6, 0xCA, 0xCE))
_SOS, _EOI, _SOI = 0xDA, 0xD9, 0xD8
_STANDALONE = frozenset((0x01, *range(0xD0, 0xD8)))  # TEM, RST0-7: no length
# The end of a scan's entropy-coded data: a marker that is no stuffed zero, no restart
# marker and no fill byte.
_SCAN_END = re.compile(rb"\xff[^\x00\xd0-\xd7\xff]")
# The colorspace to decode to: the cheapest output that decodes every component's data.
_OUTPUT = {"CMYK": "CMYK", "YCCK": "CMYK"}


def jpeg_problem(data: bytes) -> str | None:
    """Why the JPEG does not code all of its pixels to the end, or None."""
    problem = _markers(data)
    if problem is not None:
        return problem
    try:
        _, _, colorspace, _ = simplejpeg.decode_jpeg_header(data)
    except ValueError:  # a layout TurboJPEG does not take (CMYK at 4:2:2): Pillow decodes it
        return _pillow(data)
    try:
        simplejpeg.decode_jpeg(data, _OUTPUT.get(colorspace, "GRAY"), strict=True)
    except ValueError as exc:
        return f"its scan data does not decode without a fault ({_said(exc)})"
    return None


def _pillow(data: bytes) -> str | None:
    """Why Pillow cannot decode the JPEG, or None: it does not see a scan cut short."""
    from PIL import Image

    try:
        with Image.open(io.BytesIO(data)) as image:
            image.load()
    except (OSError, ValueError, SyntaxError) as exc:
        return f"its pixels cannot be decoded ({exc})"
    return None


def _said(exc: ValueError) -> str:
    return str(exc).strip().rstrip(".") or type(exc).__name__


def _markers(data: bytes) -> str | None:
    """Why the JPEG's markers are not whole and in order, or its scans do not cover its
    frame; None when they are and do."""
    if not data.startswith(b"\xff\xd8"):
        return "it does not start with an SOI marker"
    at, end = 2, len(data)
    frame: list[int] | None = None  # its components' ids
    progressive = False
    scans: list[tuple[list[int], int, int, int]] = []  # components, Ss, Se, Al
    while True:
        while at < end and data[at] == 0xFF and at + 1 < end and data[at + 1] == 0xFF:
            at += 1  # fill bytes before a marker
        if at + 2 > end:
            return "it ends without an EOI marker"
        if data[at] != 0xFF:
            return f"it has a byte at {at:,} that is no marker where a marker must be"
        marker = data[at + 1]
        if marker == _EOI:
            if data[at + 2 :].strip(b"\0"):
                return f"it has {counted(end - at - 2, 'byte')} after its EOI marker"
            break
        if marker in _STANDALONE or marker == _SOI:
            return f"it has a misplaced marker, 0xFF{marker:02X}"
        if at + 4 > end:
            return "it ends without an EOI marker"
        length = int.from_bytes(data[at + 2 : at + 4], "big")
        body = data[at + 4 : at + 2 + length]
        if length < 2 or at + 2 + length > end:
            return f"its 0xFF{marker:02X} segment is cut short"
        at += 2 + length
        if marker in _SOF:
            if frame is not None:
                return "it has two frames"
            if len(body) < 6 or len(body) != 6 + 3 * body[5]:
                return "its frame header is malformed"
            frame = [body[6 + 3 * i] for i in range(body[5])]
            progressive = marker in _PROGRESSIVE
        elif marker == _SOS:
            if frame is None:
                return "it has a scan before its frame header"
            if not body or len(body) != 4 + 2 * body[0]:
                return "a scan header is malformed"
            count = body[0]
            components = [body[1 + 2 * i] for i in range(count)]
            ss, se, al = body[1 + 2 * count], body[2 + 2 * count], body[3 + 2 * count] & 0x0F
            scans.append((components, ss, se, al))
            found = _SCAN_END.search(data, at)
            if found is None:
                return "its scan data is cut short: no marker ends it"
            at = found.start()
    if frame is None or not scans:
        return "it has no frame or no scan"
    return _coverage(frame, scans, progressive)


def _coverage(
    frame: list[int], scans: list[tuple[list[int], int, int, int]], progressive: bool
) -> str | None:
    """Why the scans do not code every coefficient of every component of the frame to
    its last bit (a sequential JPEG: each component in one scan), or None."""
    if not progressive:
        coded = [c for components, *_ in scans for c in components]
        if sorted(coded) != sorted(frame):
            return "its scans do not code each of its components once"
        return None
    lowest = {c: [99] * 64 for c in frame}  # the lowest bit coded of each coefficient
    for components, ss, se, al in scans:
        for c in components:
            if c not in lowest or ss > se or se > 63:
                return "a scan codes a component or coefficient its frame does not have"
            bits = lowest[c]
            bits[ss : se + 1] = [min(b, al) for b in bits[ss : se + 1]]
    if any(b for bits in lowest.values() for b in bits):
        return "its scans do not code every coefficient to its last bit (a scan is missing)"
    return None
