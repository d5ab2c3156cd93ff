"""synth: synthetic defect datasets and Lookout for Vision manifests, valid or broken on purpose."""

__version__ = "0.1.0"
