"""The Hypothesis strategies under their first public name; they live in synth.testing."""

from synth.testing.strategies import *  # noqa: F403
from synth.testing.strategies import __all__ as __all__
