"""Faults of the output layouts other than the manifests': one module a layout, each
registering its faults (the MVTec AD tree's in `TREE_FAULTS`)."""

from synth.registry import import_submodules

import_submodules(__name__)
