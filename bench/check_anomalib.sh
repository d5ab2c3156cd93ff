#!/usr/bin/env bash
# The MVTec AD tree of every built-in preset, loaded by anomalib's own dataset classes
# (MVTecADDataset and FolderDataset), in a virtualenv of its own: anomalib pulls torch
# (about 3 GB with its CUDA libraries), so this is not part of `make test`.
#
#   bench/check_anomalib.sh [COUNT]      (needs `make setup` first; COUNT images a preset, 40)
#
# ANOMALIB_VENV names the virtualenv (default .venv-anomalib, reused when it exists);
# the first run installs anomalib and torch into it from PyPI, which takes minutes.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
venv=${ANOMALIB_VENV:-$root/.venv-anomalib}
count=${1:-40}
# Pinned: anomalib's readers are what is checked. torchvision's wheel on PyPI is built
# against PyPI's torch of the same release, so the two are pinned together.
packages=(anomalib==2.7.0 torch==2.13.0 torchvision==0.28.0)

if [ ! -x "$root/.venv/bin/synth" ]; then
    echo "check_anomalib: run \`make setup\` first (synth makes the trees from .venv)" >&2
    exit 2
fi
if ! "$venv/bin/python" -c "import anomalib, torchvision.ops" 2>/dev/null; then
    echo "check_anomalib: installing ${packages[*]} into $venv (minutes)" >&2
    python3 -m venv "$venv"
    "$venv/bin/python" -m pip install --quiet --upgrade pip
    "$venv/bin/python" -m pip install --quiet "${packages[@]}"
fi

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for preset in $("$root/.venv/bin/synth" presets | cut -d' ' -f1); do
    "$root/.venv/bin/synth" generate --preset "$preset" --layout mvtec --out "$out/$preset" \
        --count "$count" --size 128 --seed 1 > /dev/null
done
"$venv/bin/python" "$root/bench/check_anomalib.py" "$out"
