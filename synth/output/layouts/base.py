"""What every output layout is: one image's share of the output as keys and bytes.

A layout is one `OutputLayout` subclass in its own module plus one registration, like
a painter: `files` turns an image (its plan, pixels, class mask and defects) into the
objects to put and the lines of the files spooled until the run publishes (manifests,
the defects sidecar, COCO's annotations), and `finish` turns a spooled file into what
is published. Workers, shards, merge and both sinks handle those alike, so a new layout
works with `--workers`, `--shard`, dask, a folder and S3 unchanged.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from synth.annotate.manifest import CONTENT_TYPE
from synth.output.base import Body

if TYPE_CHECKING:
    from synth.annotate.instances import Instance
    from synth.config.preset import Preset
    from synth.imaging.render import Rendered
    from synth.output.layout import Layout
    from synth.plan import ImageSpec
    from synth.run.make import Job

Object = tuple[str, bytes, str]  # key, data, content type


@dataclass(frozen=True, slots=True)
class Files:
    """One image's objects, the keys of its image and (if any) its mask, the lines it adds
    to spooled files (key, line), and its manifest line when the layout writes manifests."""

    objects: tuple[Object, ...]
    image: str
    mask: str | None
    lines: tuple[tuple[str, str], ...] = ()
    record: dict[str, Any] | None = None


class OutputLayout(ABC):
    """One way to lay a dataset out. The class docstring's first line is its description
    in `synth layouts` and the docs."""

    name: ClassVar[str]
    # Writes Lookout for Vision manifests, so broken manifests, project faults and the
    # service's training minimums apply.
    manifests: ClassVar[bool] = False
    # Writes a broken copy of the dataset with `--broken F` (its own faults, drawn from
    # `--faults`); a layout that does not is refused both options rather than ignore them.
    broken: ClassVar[bool] = False

    def __init_subclass__(cls, name: str | None = None, **kwargs: object) -> None:
        super().__init_subclass__(**kwargs)
        if name is not None:
            cls.name = name

    def check(self, preset: Preset) -> str | None:
        """Why this layout cannot hold the preset's dataset, or None."""
        return None

    @abstractmethod
    def folders(self, keys: Layout, preset: Preset) -> set[str]:
        """The top-level folders ("images/") its objects go to: what a shard may find."""

    def publishes(self, name: str) -> bool:
        """Whether `name` (below the prefix) is a file this layout publishes last, beside
        the ones every layout does (manifests, dataset.json, defects.jsonl, expected.jsonl)."""
        return False

    @abstractmethod
    def files(
        self, job: Job, spec: ImageSpec, rendered: Rendered, found: tuple[Instance, ...]
    ) -> Files:
        """The image's objects and lines; `found` are its defects (`synth.annotate.instances`)."""

    def finish(self, key: str, spooled: Path, preset: Preset) -> tuple[Body, str]:
        """A spooled file as it is published, and its content type: JSON lines as spooled."""
        return spooled, CONTENT_TYPE

    @property
    def description(self) -> str:
        return (type(self).__doc__ or "").strip().splitlines()[0]
