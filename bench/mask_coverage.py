"""How well each painter's masks cover what it changed, judged by the pixels alone.

For every painter on every texture at its default parameters, a few images of one
defect are rendered at 512 px and compared with the same seed's image without defects
(the renderer draws the texture first, so that is the known base). A pixel counts as
changed when some channel moved by 8 or more of 255 levels. Per painter and mask extent:

- outside: the share of the changed pixels that lie outside the mask (missed by it);
- faint: the share of the mask's pixels changed by less than 8 levels;
- area: the mask's size relative to the core-only mask.

Deterministic (fixed seeds), so `make docs` writes its table into docs/defects.md:

    python bench/mask_coverage.py --markdown
"""

from __future__ import annotations

import argparse

import numpy as np

from synth.config.preset import DefectClass, Preset
from synth.imaging.defects import PAINTERS, resolve_params
from synth.imaging.render import render
from synth.imaging.textures import TEXTURES
from synth.plan import ImageSpec

VISIBLE = 8


def measure(painter: str, size: int, seeds: int) -> dict[str, dict[str, int]]:
    """Pixel counts per extent: changed, outside, mask, faint (in the mask, changed < 8)."""
    counts = {
        extent: dict.fromkeys(("changed", "outside", "mask", "faint"), 0)
        for extent in ("core", "visible")
    }
    cls = DefectClass(painter, "#d62728", painter, (1, 1), resolve_params(PAINTERS[painter], {}))
    for texture in sorted(TEXTURES):
        for extent, tally in counts.items():
            preset = Preset(
                name="coverage",
                description="",
                width=size,
                height=size,
                textures=(texture,),
                classes=(cls,),
                mask_extent=extent,
            )
            for seed in range(seeds):
                shown = render(preset, ImageSpec(0, "train", True), seed)
                known = render(preset, ImageSpec(0, "train", False), seed).image
                change = np.abs(shown.image.astype(np.int16) - known).max(axis=2)
                changed, mask = change >= VISIBLE, shown.labels > 0
                tally["changed"] += int(changed.sum())
                tally["outside"] += int((changed & ~mask).sum())
                tally["mask"] += int(mask.sum())
                tally["faint"] += int((mask & ~changed).sum())
    return counts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=512)
    parser.add_argument("--seeds", type=int, default=2, help="images per painter and texture")
    parser.add_argument("--markdown", action="store_true", help="a table for docs/defects.md")
    args = parser.parse_args()
    header = (
        "| painter | changed pixels outside the core mask | outside the default mask "
        "| default mask pixels changed < 8 levels | default mask area / core |"
    )
    print(header if args.markdown else header.replace("|", " ").strip())
    if args.markdown:
        print("|---|---:|---:|---:|---:|")
    for painter in PAINTERS:
        core, visible = measure(painter, args.size, args.seeds).values()
        cells = (
            f"`{painter}`",
            f"{core['outside'] / core['changed']:.1%}",
            f"{visible['outside'] / visible['changed']:.1%}",
            f"{visible['faint'] / visible['mask']:.1%}",
            f"{visible['mask'] / core['mask']:.2f}x",
        )
        print(f"| {' | '.join(cells)} |" if args.markdown else "  ".join(cells))


if __name__ == "__main__":
    main()
