"""A second manifest validator, written plainly from the format's documentation.

It reads the Lookout for Vision page on segmentation JSON lines, the rule table of
docs/rules.md and the limits they quote, and nothing of synth: it imports neither
`synth.validate` nor `synth.format`, so a misreading in either is not copied here. It
is slow and simple on purpose: json, PIL and numpy, one line at a time.

Every condition a rule states is one named check (`CHECKS`), such as
`source-ref.uri/bucket-upper-case` or `mask-image.size/height`. `Reference(without=...)`
is the same validator with checks switched off: a *mutant*, as a validator that forgot
that check would be. A switched-off check never reports, and the validator carries on
as if its condition held (a line whose UTF-8 is not checked is decoded leniently, a
bucket whose case is not checked is a bucket like any other).
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import numpy as np
from PIL import Image

ERROR, WARNING = "error", "warning"

# The documentation's constants, restated: the seed page and the Lookout for Vision quotas.
BOM = b"\xef\xbb\xbf"
LINE_CHARS = 8192
MIN_SIDE, MAX_SIDE = 64, 4096
IMAGE_BYTES = 8 * 1024 * 1024
MASK_CLASSES = 20
PROJECT_LABELS = 100
CLASSIFICATION = "groundtruth/image-classification"
SEGMENTATION = "groundtruth/semantic-segmentation"
VERIFICATION = "groundtruth/label-verification"  # Ground Truth's verification job output
WHITE = "#ffffff"
IMAGES = {"classification": 16_000, "segmentation": 8_000}  # a training manifest


@dataclass(frozen=True)
class Check:
    name: str  # "<rule id>/<condition>"
    severity: str
    doc: str

    @property
    def rule(self) -> str:
        return self.name.split("/", 1)[0]


def _checks(table: str) -> dict[str, Check]:
    rows = (line.split("|") for line in table.strip().splitlines())
    checks = (Check(n.strip(), s.strip(), d.strip()) for n, s, d in rows)
    return {check.name: check for check in checks}


# One row a condition: name | severity | what it asks.
CHECKS = _checks(
    """
manifest.empty/lines | error | The manifest has at least one line.
manifest.encoding/bom | error | The file does not start with a UTF-8 byte-order mark.
manifest.encoding/utf-8 | error | Every line is UTF-8.
manifest.blank-line/blank | error | No line is empty or white space only.
manifest.json/parse | error | Each line is one JSON value, complete on its line.
manifest.object/object | error | That value is an object.
manifest.duplicate-key/key | error | No object on the line holds a key twice.
manifest.line-length/chars | warning | A line is at most 8,192 characters.
source-ref.missing/present | error | The line has a source-ref.
source-ref.uri/string | error | source-ref is a string.
source-ref.uri/scheme | error | source-ref starts with s3://.
source-ref.uri/bucket-length | error | Its bucket name has 3 to 63 characters.
source-ref.uri/bucket-upper-case | error | Its bucket name has no upper-case letter.
source-ref.uri/bucket-chars | error | Its bucket name has only a-z 0-9 . - (and letters).
source-ref.uri/bucket-ends | error | Its bucket name starts and ends with a letter or digit.
source-ref.uri/key | error | It has a non-empty object path after the bucket.
label.missing/present | error | The line has a label attribute K with K-metadata.
label.duplicate/one | error | It has one label attribute, not several.
label.value/present | error | The label attribute's value is present.
label.value/integer | error | That value is an integer or a string of digits.
label.metadata-missing/present | error | The label attribute has its K-metadata object.
label.class-name/present | error | The label metadata has a class-name.
label.class-name/string | error | class-name is a string.
label.class-name/label | warning | class-name is normal or anomaly (else: imported unlabeled).
label.human-annotated/yes-no | error | human-annotated is "yes" or "no".
label.type/type | error | type is groundtruth/image-classification.
label.confidence/number | error | confidence, if present, is a number.
label.job-name/string | error | job-name, if present, is a string.
label.creation-date/string | error | creation-date, if present, is a string.
label.creation-date/form | error | creation-date is a date-time at all.
label.creation-date/time | error | creation-date has a time, not a date alone.
label.creation-date/month | error | Its month is 1 to 12.
label.creation-date/day | error | Its day exists in its month.
label.creation-date/hour | error | Its hour is 0 to 23.
label.creation-date/minute | error | Its minute is 0 to 59.
label.creation-date/second | error | Its second is 0 to 59.
label.creation-date/utc | error | It is UTC: no offset other than Z or +00:00.
label.creation-date/iso | warning | It is ISO 8601 as the docs show (a JavaScript date warns).
mask.missing/present | error | Mask metadata comes with its mask attribute.
mask.uri/string | error | The mask attribute is a string.
mask.uri/scheme | error | It starts with s3://.
mask.uri/bucket-length | error | Its bucket name has 3 to 63 characters.
mask.uri/bucket-upper-case | error | Its bucket name has no upper-case letter.
mask.uri/bucket-chars | error | Its bucket name has only a-z 0-9 . -.
mask.uri/bucket-ends | error | Its bucket name starts and ends with a letter or digit.
mask.uri/key | error | It has a non-empty object path.
mask.metadata-missing/present | error | The mask attribute M has its M-metadata object.
mask.type/type | error | The mask metadata's type is groundtruth/semantic-segmentation.
mask.human-annotated/yes-no | error | The mask metadata's human-annotated is "yes" or "no".
mask.creation-date/string | error | creation-date, if present, is a string.
mask.creation-date/form | error | creation-date is a date-time at all.
mask.creation-date/time | error | creation-date has a time.
mask.creation-date/month | error | Its month is 1 to 12.
mask.creation-date/day | error | Its day exists in its month.
mask.creation-date/hour | error | Its hour is 0 to 23.
mask.creation-date/minute | error | Its minute is 0 to 59.
mask.creation-date/second | error | Its second is 0 to 59.
mask.creation-date/utc | error | It is UTC.
mask.creation-date/iso | warning | It is ISO 8601 (a JavaScript date warns).
color-map.missing/present | error | The mask metadata has an internal-color-map.
color-map.missing/object | error | It is an object.
color-map.missing/non-empty | error | It has at least one entry.
color-map.background/entry | error | It has an entry "0".
color-map.background/class-name | error | Entry "0" is class-name BACKGROUND.
color-map.background/color | error | Entry "0" has hex-color #ffffff.
color-map.key/integer | error | Every key is an integer written as a string.
color-map.key/non-negative | error | No key is negative.
color-map.class-name/present | error | Every entry has a class-name.
color-map.class-name/string | error | Every class-name is a string.
color-map.class-name/non-empty | error | No class-name is empty.
color-map.hex-color/present | error | Every entry has a hex-color.
color-map.hex-color/string | error | Every hex-color is a string.
color-map.hex-color/hash | error | Every hex-color starts with #.
color-map.hex-color/length | error | Every hex-color has six characters after #.
color-map.hex-color/digits | error | Those are hex digits.
color-map.confidence/present | error | Every entry has a confidence.
color-map.confidence/number | error | Every confidence is a number.
color-map.confidence/float | error | Every confidence is a float (0.0, not 0).
color-map.duplicate-color/color | error | No two entries share a hex-color (either case).
color-map.duplicate-class/class | error | No two entries share a class-name.
image.missing/exists | error | The object at source-ref exists.
image.format/image | error | It is an image at all.
image.format/png-jpeg | error | It is a PNG or a JPEG.
image.size/min-width | error | Its width is at least 64.
image.size/max-width | error | Its width is at most 4096.
image.size/min-height | error | Its height is at least 64.
image.size/max-height | error | Its height is at most 4096.
image.file-size/bytes | error | The image file is at most 8 MB.
mask-image.missing/exists | error | The object at the mask attribute exists.
mask-image.format/png | error | It is a PNG (by its bytes).
mask-image.size/width | error | Its width is the image's.
mask-image.size/height | error | Its height is the image's.
mask-image.color/colors | error | Every mask pixel (RGB) is a color of the map, or white.
mask-image.max-classes/classes | error | At most 20 anomaly classes appear in the mask.
mask-image.label-agreement/anomaly | error | An anomaly image's mask has anomaly pixels.
mask-image.label-agreement/normal | error | A normal image's mask is all background.
dataset.bucket/one | error | Every image and mask of the manifest is in one bucket.
dataset.duplicate-image/unique | error | No two lines share a source-ref.
dataset.image-dimensions/same | error | Every image has the first image's width and height.
dataset.color-consistency/color | error | A class name has one color across lines.
dataset.color-consistency/class | error | A color has one class name across lines.
dataset.attribute-names/same | warning | Every line uses the first line's attribute names.
dataset.max-images/limit | error | At most 16,000 lines (8,000 segmenting) in a manifest.
dataset.max-classes/limit | error | At most 100 anomaly labels across the manifest.
dataset.class-name-chars/chars | warning | Anomaly class names are 1-256 of a-z A-Z 0-9.
dataset.mask-missing/mask | error | In a segmentation manifest every anomaly line has a mask.
"""
)


@dataclass(frozen=True)
class Failure:
    line: int | None  # 1-based; None for the manifest as a whole
    check: str

    @property
    def rule(self) -> str:
        return CHECKS[self.check].rule

    @property
    def severity(self) -> str:
        return CHECKS[self.check].severity


class _Twice(ValueError):
    pass


def _no_twice(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    if len(set(keys)) != len(keys):
        raise _Twice
    return dict(pairs)


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


_URI = re.compile(r"(?:([A-Za-z][A-Za-z0-9+.-]*)://)?([^/]*)(?:/(.*))?", re.DOTALL)
_DIGITS = re.compile(r"[0-9]+")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2}):(\d{2})(?:\.\d+)?)?(.*)")
_JS_DATE = re.compile(r"[A-Z][a-z]{2} [A-Z][a-z]{2} \d{2} \d{4} \d{2}:\d{2}:\d{2} GMT[+-]\d{4}.*")
_NAME = re.compile(r"[a-zA-Z0-9]{1,256}")


@dataclass
class _Line:
    """What the cross-line checks need from one line."""

    number: int
    image: str | None = None  # source-ref as written
    image_at: str | None = None  # s3://BUCKET/KEY as read: where its object is looked up
    mask_at: str | None = None
    buckets: list[str] = field(default_factory=list)
    size: tuple[int, int] | None = None
    classes: dict[str, str] = field(default_factory=dict)  # anomaly class-name -> color
    anomaly: bool = False
    has_mask: bool = False
    segments: bool = False  # the line has mask metadata or a mask attribute
    colors: set[str] = field(default_factory=set)  # every color its map names
    names: tuple[str, ...] = ()


class Reference:
    """The validator; `without` names the checks a mutant lacks."""

    def __init__(self, without: Iterable[str] = ()) -> None:
        self.off = frozenset(without)
        unknown = self.off - set(CHECKS)
        if unknown:
            raise ValueError(f"unknown checks: {sorted(unknown)}")

    # ---- verdicts --------------------------------------------------------------------

    def judge(self, manifest: bytes, objects: Mapping[str, bytes] | None = None) -> list[Failure]:
        """Every failed check, in line order, then the manifest's; `objects` None: text only."""
        out: list[Failure] = []
        raw_lines = manifest.split(b"\n")
        if raw_lines and raw_lines[-1] == b"":
            raw_lines.pop()
        if not raw_lines:
            self._fail(out, None, "manifest.empty/lines")
        lines: list[_Line] = []
        for number, raw in enumerate(raw_lines, 1):
            facts = _Line(number)
            self._line(out, number, raw, facts, objects)
            lines.append(facts)
        self._dataset(out, lines)
        return out

    def errors(
        self, manifest: bytes, objects: Mapping[str, bytes] | None = None
    ) -> dict[int | None, set[str]]:
        """The rule ids of the errors, by line."""
        found: dict[int | None, set[str]] = {}
        for failure in self.judge(manifest, objects):
            if failure.severity == ERROR:
                found.setdefault(failure.line, set()).add(failure.rule)
        return found

    def flagged(self, manifest: bytes, objects: Mapping[str, bytes] | None = None) -> set[int]:
        """The lines with an error: all a verdict-level validator says."""
        return {n for n in self.errors(manifest, objects) if n is not None}

    def accepts(self, manifest: bytes, objects: Mapping[str, bytes] | None = None) -> bool:
        return not self.errors(manifest, objects)

    # ---- one line --------------------------------------------------------------------

    def _fail(self, out: list[Failure], line: int | None, check: str, broken: bool = True) -> bool:
        """Record `check` as failed when `broken` and not switched off; whether it was."""
        if broken and check not in self.off:
            out.append(Failure(line, check))
            return True
        return False

    def _line(
        self,
        out: list[Failure],
        n: int,
        raw: bytes,
        facts: _Line,
        objects: Mapping[str, bytes] | None,
    ) -> None:
        raw = raw.removesuffix(b"\r")
        if n == 1 and raw.startswith(BOM):
            self._fail(out, n, "manifest.encoding/bom")
            raw = raw[len(BOM) :]
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            if self._fail(out, n, "manifest.encoding/utf-8"):
                return
            text = raw.decode("utf-8", "replace")
        if not text.strip():
            self._fail(out, n, "manifest.blank-line/blank")
            return
        self._fail(out, n, "manifest.line-length/chars", len(text) > LINE_CHARS)
        try:
            value = json.loads(text, object_pairs_hook=_no_twice, parse_constant=_no_constant)
        except _Twice:
            self._fail(out, n, "manifest.duplicate-key/key")
            value = json.loads(text)
        except (ValueError, RecursionError):
            self._fail(out, n, "manifest.json/parse")
            return
        if not isinstance(value, dict):
            self._fail(out, n, "manifest.object/object")
            return
        self._source(out, n, value, facts)
        label = self._label(out, n, value)
        mask = self._mask(out, n, value, facts)
        facts.names = (label or "", mask[0] if mask else "")
        if label is not None:
            meta = value.get(f"{label}-metadata")
            facts.anomaly = isinstance(meta, dict) and meta.get("class-name") == "anomaly"
        if objects is not None:
            self._objects(out, n, value, label, mask, facts, objects)

    def _uri(self, out: list[Failure], n: int, rule: str, value: Any) -> tuple[str, str] | None:
        """(bucket, key) of an s3:// URI, each condition its own check; None when unusable."""
        if not isinstance(value, str):
            self._fail(out, n, f"{rule}/string")
            return None
        scheme, bucket, key = _URI.fullmatch(value).groups()  # type: ignore[union-attr]
        bad = self._fail(out, n, f"{rule}/scheme", scheme != "s3")
        if scheme is None and key is None:  # no scheme and no slash: no bucket to read
            return None
        bad |= self._fail(out, n, f"{rule}/bucket-length", not 3 <= len(bucket) <= 63)
        bad |= self._fail(out, n, f"{rule}/bucket-upper-case", any(c.isupper() for c in bucket))
        bad |= self._fail(
            out,
            n,
            f"{rule}/bucket-chars",
            not all(c.isalpha() or c.isdigit() or c in ".-" for c in bucket),
        )
        ends = bucket[:1] + bucket[-1:]
        bad |= self._fail(out, n, f"{rule}/bucket-ends", not ends or not ends.isalnum())
        bad |= self._fail(out, n, f"{rule}/key", not key)
        return None if bad else (bucket, key or "")

    def _source(self, out: list[Failure], n: int, value: dict[str, Any], facts: _Line) -> None:
        if "source-ref" not in value:
            self._fail(out, n, "source-ref.missing/present")
            return
        parsed = self._uri(out, n, "source-ref.uri", value["source-ref"])
        if parsed is not None:
            facts.image = value["source-ref"]
            facts.image_at = f"s3://{parsed[0]}/{parsed[1]}"
            facts.buckets.append(parsed[0])

    def _label(self, out: list[Failure], n: int, value: dict[str, Any]) -> str | None:
        """The label attribute's name, its fields checked."""
        # A chained verification job's attribute (Ground Truth's label-verification type) is
        # another job's output, not a label.
        metas = [
            k[: -len("-metadata")]
            for k, v in value.items()
            if k.endswith("-metadata")
            and not k.endswith("-ref-metadata")
            and not (isinstance(v, dict) and v.get("type") == VERIFICATION)
        ]
        verifications = {
            k[: -len("-metadata")]
            for k, v in value.items()
            if isinstance(v, dict) and v.get("type") == VERIFICATION
        }
        typed = [k for k in metas if isinstance(value[f"{k}-metadata"], dict)]
        classified = [k for k in typed if value[f"{k}-metadata"].get("type") == CLASSIFICATION]
        if len(classified) > 1:
            self._fail(out, n, "label.duplicate/one")
            typed = classified[:1]
        elif classified:
            typed = classified
        if not typed:
            bare = [
                k
                for k, v in value.items()
                if k != "source-ref"
                and not k.endswith(("-ref", "-metadata"))
                and not isinstance(v, dict)
                and k not in verifications
            ]
            if (len(bare) == 1 and not metas) or len(metas) == 1:
                self._fail(out, n, "label.metadata-missing/present")
            else:
                self._fail(out, n, "label.missing/present")
            return None
        name = typed[0]
        meta = value[f"{name}-metadata"]
        if name not in value:
            self._fail(out, n, "label.value/present")
        else:
            label = value[name]
            integer = type(label) is int or (
                isinstance(label, str) and bool(_DIGITS.fullmatch(label))
            )
            self._fail(out, n, "label.value/integer", not integer)
        if "class-name" not in meta:
            self._fail(out, n, "label.class-name/present")
        elif not isinstance(meta["class-name"], str):
            self._fail(out, n, "label.class-name/string")
        else:
            unlabeled = meta["class-name"] not in ("normal", "anomaly")
            self._fail(out, n, "label.class-name/label", unlabeled)
        self._metadata(out, n, "label", meta, CLASSIFICATION)
        if "confidence" in meta:
            number = isinstance(meta["confidence"], int | float) and not isinstance(
                meta["confidence"], bool
            )
            self._fail(out, n, "label.confidence/number", not number)
        if "job-name" in meta:
            self._fail(out, n, "label.job-name/string", not isinstance(meta["job-name"], str))
        return name

    def _metadata(
        self, out: list[Failure], n: int, kind: str, meta: dict[str, Any], kind_type: str
    ) -> None:
        self._fail(out, n, f"{kind}.type/type", meta.get("type") != kind_type)
        yes_no = meta.get("human-annotated") in ("yes", "no")
        self._fail(out, n, f"{kind}.human-annotated/yes-no", not yes_no)
        if "creation-date" in meta:
            self._date(out, n, f"{kind}.creation-date", meta["creation-date"])

    def _date(self, out: list[Failure], n: int, rule: str, value: Any) -> None:
        if not isinstance(value, str):
            self._fail(out, n, f"{rule}/string")
            return
        if _JS_DATE.fullmatch(value):
            self._fail(out, n, f"{rule}/iso")
            return
        found = _DATE.fullmatch(value)
        if not found:
            self._fail(out, n, f"{rule}/form")
            return
        year, month, day, hour, minute, second, zone = found.groups()
        if hour is None:
            self._fail(out, n, f"{rule}/time")
        else:
            self._fail(out, n, f"{rule}/hour", int(hour) > 23)
            self._fail(out, n, f"{rule}/minute", int(minute) > 59)
            self._fail(out, n, f"{rule}/second", int(second) > 59)
        self._fail(out, n, f"{rule}/month", not 1 <= int(month) <= 12)
        if 1 <= int(month) <= 12:
            try:
                date(max(int(year), 1), int(month), int(day))
            except ValueError:
                self._fail(out, n, f"{rule}/day")
        if zone not in ("", "Z", "+00:00", "-00:00", "+0000"):
            offset = re.fullmatch(r"[+-]\d{2}:?\d{2}", zone)
            self._fail(out, n, f"{rule}/utc" if offset else f"{rule}/form")

    def _mask(
        self, out: list[Failure], n: int, value: dict[str, Any], facts: _Line
    ) -> tuple[str, dict[str, str] | None] | None:
        """(the mask attribute, the map's colors by class) when the line has a mask."""
        refs = [k for k in value if k.endswith("-ref") and k != "source-ref"]
        ref_metas = [k for k in value if k.endswith("-ref-metadata")]
        if not refs and not ref_metas:
            return None
        facts.segments = True
        if not refs:
            self._fail(out, n, "mask.missing/present")
            return None
        with_meta = [k for k in refs if f"{k}-metadata" in value]
        name = (with_meta or refs)[0]
        facts.has_mask = True
        parsed = self._uri(out, n, "mask.uri", value[name])
        if parsed is not None:
            facts.mask_at = f"s3://{parsed[0]}/{parsed[1]}"
            facts.buckets.append(parsed[0])
        meta = value.get(f"{name}-metadata")
        if not isinstance(meta, dict):
            self._fail(out, n, "mask.metadata-missing/present")
            return name, None
        self._metadata(out, n, "mask", meta, SEGMENTATION)
        colors, painted = self._color_map(out, n, meta)
        facts.classes = {k: c for k, c in colors.items() if k != "BACKGROUND"}
        facts.colors = painted
        return name, colors

    def _color_map(
        self, out: list[Failure], n: int, meta: dict[str, Any]
    ) -> tuple[dict[str, str], set[str]]:
        """The map's class -> lower-case color, for the entries whose color reads as one, and
        every color that reads as one (named or not)."""
        if "internal-color-map" not in meta:
            self._fail(out, n, "color-map.missing/present")
            return {}, set()
        cmap = meta["internal-color-map"]
        if not isinstance(cmap, dict):
            self._fail(out, n, "color-map.missing/object")
            return {}, set()
        if not cmap:
            self._fail(out, n, "color-map.missing/non-empty")
            return {}, set()
        colors: dict[str, str] = {}
        seen_colors: set[str] = set()
        names: set[str] = set()
        for key, entry in cmap.items():
            negative = key.startswith("-") and key[1:].isdigit()
            self._fail(out, n, "color-map.key/non-negative", negative)
            self._fail(out, n, "color-map.key/integer", not negative and not key.isdigit())
            entry = entry if isinstance(entry, dict) else {}
            name = entry.get("class-name")
            if "class-name" not in entry:
                self._fail(out, n, "color-map.class-name/present")
            elif not isinstance(name, str):
                self._fail(out, n, "color-map.class-name/string")
            elif not name:
                self._fail(out, n, "color-map.class-name/non-empty")
            elif name in names:
                self._fail(out, n, "color-map.duplicate-class/class")
            if isinstance(name, str):
                names.add(name)
            color = entry.get("hex-color")
            usable = self._hex(out, n, entry)
            if usable and isinstance(color, str):
                if color.lower() in seen_colors:  # the map's own rule, not the dataset's
                    self._fail(out, n, "color-map.duplicate-color/color")
                elif isinstance(name, str) and name and name not in colors:
                    colors[name] = color.lower()
                seen_colors.add(color.lower())
            if "confidence" not in entry:
                self._fail(out, n, "color-map.confidence/present")
            else:
                confidence = entry["confidence"]
                number = isinstance(confidence, int | float) and not isinstance(confidence, bool)
                if not number:
                    self._fail(out, n, "color-map.confidence/number")
                else:
                    self._fail(out, n, "color-map.confidence/float", type(confidence) is not float)
        background = cmap.get("0")
        if not isinstance(background, dict):
            self._fail(out, n, "color-map.background/entry")
        else:
            is_background = background.get("class-name") == "BACKGROUND"
            self._fail(out, n, "color-map.background/class-name", not is_background)
            white = str(background.get("hex-color")).lower() == WHITE
            self._fail(out, n, "color-map.background/color", not white)
        return colors, seen_colors

    def _hex(self, out: list[Failure], n: int, entry: dict[str, Any]) -> bool:
        """Whether the entry's hex-color reads as a color (its conditions checked)."""
        if "hex-color" not in entry:
            self._fail(out, n, "color-map.hex-color/present")
            return False
        color = entry["hex-color"]
        if not isinstance(color, str):
            self._fail(out, n, "color-map.hex-color/string")
            return False
        bad = self._fail(out, n, "color-map.hex-color/hash", not color.startswith("#"))
        digits = color.removeprefix("#")
        bad |= self._fail(out, n, "color-map.hex-color/length", len(digits) != 6)
        hexes = all(c in "0123456789abcdefABCDEF" for c in digits)
        bad |= self._fail(out, n, "color-map.hex-color/digits", not hexes)
        return not bad

    # ---- the objects -----------------------------------------------------------------

    def _objects(
        self,
        out: list[Failure],
        n: int,
        value: dict[str, Any],
        label: str | None,
        mask: tuple[str, dict[str, str] | None] | None,
        facts: _Line,
        objects: Mapping[str, bytes],
    ) -> None:
        image_size = None
        if facts.image_at is not None:
            image_size = self._image(out, n, objects.get(facts.image_at))
            facts.size = image_size
        if mask is None or facts.mask_at is None:
            return  # no mask to read where it names none
        colors = mask[1]
        data = objects.get(facts.mask_at)
        if data is None:
            self._fail(out, n, "mask-image.missing/exists")
            return
        try:
            with Image.open(io.BytesIO(data)) as opened:
                kind = opened.format
                pixels = np.asarray(opened.convert("RGB"))
        except Exception:
            self._fail(out, n, "mask-image.format/png")
            return
        self._fail(out, n, "mask-image.format/png", kind != "PNG")
        height, width = pixels.shape[:2]
        if image_size is not None:
            self._fail(out, n, "mask-image.size/width", width != image_size[0])
            self._fail(out, n, "mask-image.size/height", height != image_size[1])
        packed = (
            (pixels[..., 0].astype(np.uint32) << 16)
            | (pixels[..., 1].astype(np.uint32) << 8)
            | pixels[..., 2]
        )
        present = {f"#{int(c):06x}" for c in np.unique(packed)}
        if colors is not None:
            known = facts.colors | {WHITE}
            self._fail(out, n, "mask-image.color/colors", bool(present - known))
            background = colors.get("BACKGROUND", WHITE)
            anomalies = {c for name_, c in colors.items() if name_ != "BACKGROUND"}
            painted = (present & anomalies) - {background, WHITE}
            self._fail(out, n, "mask-image.max-classes/classes", len(painted) > MASK_CLASSES)
            if label is not None:
                meta = value[f"{label}-metadata"]
                defect = bool(present - {background, WHITE})
                if meta.get("class-name") == "anomaly":
                    self._fail(out, n, "mask-image.label-agreement/anomaly", not defect)
                if meta.get("class-name") == "normal":
                    self._fail(out, n, "mask-image.label-agreement/normal", defect)

    def _image(self, out: list[Failure], n: int, data: bytes | None) -> tuple[int, int] | None:
        """The image's (width, height) when its size is allowed."""
        if data is None:
            self._fail(out, n, "image.missing/exists")
            return None
        self._fail(out, n, "image.file-size/bytes", len(data) > IMAGE_BYTES)
        try:
            with Image.open(io.BytesIO(data)) as opened:
                kind, (width, height) = opened.format, opened.size
        except Exception:
            self._fail(out, n, "image.format/image")
            return None
        self._fail(out, n, "image.format/png-jpeg", kind not in ("PNG", "JPEG"))
        bad = self._fail(out, n, "image.size/min-width", width < MIN_SIDE)
        bad |= self._fail(out, n, "image.size/max-width", width > MAX_SIDE)
        bad |= self._fail(out, n, "image.size/min-height", height < MIN_SIDE)
        bad |= self._fail(out, n, "image.size/max-height", height > MAX_SIDE)
        return None if bad else (width, height)

    # ---- across lines ----------------------------------------------------------------

    def _dataset(self, out: list[Failure], lines: list[_Line]) -> None:
        bucket: str | None = None
        images: set[str] = set()
        size: tuple[int, int] | None = None
        class_color: dict[str, str] = {}
        color_class: dict[str, str] = {}
        labels: set[str] = set()
        past: set[str] = set()
        seen_names: set[str] = set()
        odd_names: set[str] = set()
        names: dict[int, str] = {}
        segmenting = any(line.has_mask for line in lines)
        limit = IMAGES["segmentation" if segmenting else "classification"]
        for line in lines:
            n = line.number
            for name in line.buckets:
                bucket = bucket or name
                self._fail(out, n, "dataset.bucket/one", name != bucket)
            if line.image is not None:
                self._fail(out, n, "dataset.duplicate-image/unique", line.image in images)
                images.add(line.image)
            if line.size is not None:
                size = size or line.size
                self._fail(out, n, "dataset.image-dimensions/same", line.size != size)
            for name, color in line.classes.items():
                if class_color.setdefault(name, color) != color:
                    self._fail(out, n, "dataset.color-consistency/color")
                if color_class.setdefault(color, name) != name:
                    self._fail(out, n, "dataset.color-consistency/class")
            for name in line.classes:  # a label past the 100th: on every line that holds it
                if name not in labels:
                    labels.add(name)
                    if len(labels) > PROJECT_LABELS:
                        past.add(name)
            self._fail(out, n, "dataset.max-classes/limit", bool(past & set(line.classes)))
            new = set(line.classes) - seen_names
            seen_names |= new
            for name in sorted(new - odd_names):
                if not _NAME.fullmatch(name):
                    odd_names.add(name)
                    self._fail(out, n, "dataset.class-name-chars/chars")
            for index, name in enumerate(line.names):  # label, then mask: where present
                if name:
                    first = names.setdefault(index, name)
                    self._fail(out, n, "dataset.attribute-names/same", name != first)
            if segmenting and line.anomaly and not line.has_mask:
                self._fail(out, n, "dataset.mask-missing/mask")
            self._fail(out, n, "dataset.max-images/limit", n > limit)
