"""What a broken line must be reported for because of the lines before it.

A fault declares the rules its own line breaks. One rule also depends on what earlier
lines did: `dataset.max-classes` is reported on every line that holds an anomaly label
past the project's 100th, so once a `too-many-classes` line has taken the project past
100, a later line that adds a class of its own (`class-name-hyphen`'s pin-hole-N,
`mask-too-many-classes`' extras) breaks it too. `ClassLimit` follows one manifest's
lines in order and says which, counting labels as a validator does: the classes of
every color map without errors.
"""

from __future__ import annotations

import json
from collections.abc import Iterable

from synth.format import BACKGROUND_CLASS, MAX_ANOMALY_LABELS

# A line with one of these errors has no color map a validator counts: it is not read, or
# its mask metadata is missing, or its map has errors.
_UNCOUNTED = ("manifest.", "color-map.", "mask.missing", "mask.metadata-missing")
MAX_CLASSES = "dataset.max-classes"


class ClassLimit:
    """One manifest's anomaly labels, in the order its lines add them."""

    def __init__(self) -> None:
        self._labels: set[str] = set()
        self._past: set[str] = set()  # labels added after the 100th

    def rules(self, line: str, rules: Iterable[str]) -> list[str]:
        """The line's rules (written as `line`, with errors `rules`), with
        dataset.max-classes when it holds a label past the 100th."""
        found = sorted(set(rules))
        held = self._classes(line, found)
        for name in held:
            if name not in self._labels:
                self._labels.add(name)
                if len(self._labels) > MAX_ANOMALY_LABELS:
                    self._past.add(name)
        if held & self._past and MAX_CLASSES not in found:
            found = sorted([*found, MAX_CLASSES])
        return found

    @staticmethod
    def _classes(line: str, rules: list[str]) -> set[str]:
        if any(rule.startswith(_UNCOUNTED) for rule in rules):
            return set()
        try:
            record = json.loads(line)
        except ValueError:
            return set()
        for key, meta in record.items() if isinstance(record, dict) else ():
            if key.endswith("-ref-metadata") and isinstance(meta, dict):
                cmap = meta.get("internal-color-map")
                if isinstance(cmap, dict):
                    return {
                        e["class-name"]
                        for e in cmap.values()
                        if isinstance(e, dict)
                        and isinstance(e.get("class-name"), str)
                        and e["class-name"] != BACKGROUND_CLASS
                    }
        return set()
