"""Lay out the real corpus (tests/data/real/files/) from snapshots of its public sources.

The corpus files are other people's work under their own licences, so the repository
keeps only their description (corpus.toml: source, commit, path, licence, sha256, the
expected verdicts and the evidence); this script copies each file out of a local git
snapshot of its source repository and checks its sha256 before writing it:

    python tests/data/real/gather.py --mirror DIR

DIR holds one bare git directory per repository, `DIR/<owner>+<name>/repo` (as a
`git clone --mirror` into that name leaves it). A file whose repository is missing is
listed and skipped; tests/test_real_corpus.py skips what is not there. `--files` puts
the corpus elsewhere (the tests read $SYNTH_REAL_CORPUS when it is set).

The transforms are the producers' own steps, done here so the files are what the
service was given: `getting-started` is what the guide's getting_started.py does to its
template manifest (the image and mask paths prefixed with the S3 folder, each line
written back with json.dumps); `json-block:N` is the Nth fenced JSON example of a
documentation page: a one-line example as written, a spread-out one with its `//`
comments and footnote marks removed, on one line (json.dumps' separators).
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
CORPUS = HERE / "corpus.toml"


def load() -> dict[str, Any]:
    with CORPUS.open("rb") as handle:
        return tomllib.load(handle)


def blob(mirror: Path, repo: str, commit: str, path: str) -> bytes | None:
    git_dir = mirror / repo.replace("/", "+") / "repo"
    if not git_dir.is_dir():
        return None
    shown = subprocess.run(
        ["git", "--git-dir", str(git_dir), "show", f"{commit}:{path}"],
        capture_output=True,
        check=False,
    )
    return shown.stdout if shown.returncode == 0 else None


def transform(data: bytes, how: str, entry: dict[str, Any]) -> bytes:
    if how == "getting-started":
        prefix = entry["s3_path"]
        out = []
        for raw in data.decode("utf-8").splitlines():
            line = json.loads(raw)
            line["source-ref"] = prefix + line["source-ref"]
            if "anomaly-mask-ref" in line:
                line["anomaly-mask-ref"] = prefix + line["anomaly-mask-ref"]
            out.append(json.dumps(line))
        return ("\n".join(out) + "\n").encode("utf-8")
    if how.startswith("json-block:"):
        blocks = re.findall(r"```\n(.*?)```", data.decode("utf-8"), re.DOTALL)
        text: str = blocks[int(how.partition(":")[2])]
        if len(text.strip().splitlines()) == 1:  # a line as the page writes it
            return (text.strip() + "\n").encode("utf-8")
        text = re.sub(r"(?m)^\s*//.*$", "", text).replace('"*:', '":')
        return (json.dumps(json.loads(text)) + "\n").encode("utf-8")
    if how == "":
        return data
    raise ValueError(f"unknown transform {how!r}")


def keep_lines(data: bytes, keep: list[str]) -> bytes:
    """Only the lines whose source-ref ends with one of `keep`, in the file's order."""
    lines = data.decode("utf-8").splitlines(keepends=True)
    kept = [x for x in lines if json.loads(x).get("source-ref", "").endswith(tuple(keep))]
    return "".join(kept).encode("utf-8")


def gather(mirror: Path, files: Path) -> list[str]:
    """Write every corpus file and object found in `mirror`; the ones not found."""
    corpus = load()
    missing = []
    for entry in corpus["file"] + corpus["object"]:
        repo = corpus["source"][entry["source"]]["repo"]
        data = blob(mirror, repo, entry["commit"], entry["path"])
        if data is None:
            missing.append(f"{repo}@{entry['commit'][:10]}:{entry['path']}")
            continue
        digest = hashlib.sha256(data).hexdigest()
        if digest != entry["sha256"]:
            raise SystemExit(
                f"{entry['path']}: sha256 {digest}, corpus.toml says {entry['sha256']}"
            )
        data = transform(data, entry.get("transform", ""), entry)
        if "keep" in entry:
            data = keep_lines(data, entry["keep"])
        target = files / entry["name"]
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
    return missing


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mirror", type=Path, required=True)
    parser.add_argument("--files", type=Path, default=HERE / "files")
    args = parser.parse_args()
    missing = gather(args.mirror, args.files)
    for name in missing:
        print(f"not found in {args.mirror}: {name}", file=sys.stderr)
    print(f"corpus written to {args.files} ({len(missing)} missing)")


if __name__ == "__main__":
    main()
