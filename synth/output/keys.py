"""An object's file in a bucket-root folder: the one rule the folder sink writes by and
validation reads by (light: reading a folder's objects needs none of the sink's modules).
"""

from __future__ import annotations

from pathlib import Path


def folder_path(root: Path, key: str) -> Path | None:
    """The file of object KEY in a bucket-root folder, or None if no file can be it.

    S3 keys are opaque: `a/../b` is not `b`. A folder cannot hold such a key, so
    segments `.`, `..` and empty ones name no file, and nothing resolves outside ROOT.
    """
    parts = key.split("/")
    if not key or any(part in ("", ".", "..") for part in parts) or "\0" in key:
        return None
    return root.joinpath(*parts)
