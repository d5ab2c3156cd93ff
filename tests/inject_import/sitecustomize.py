"""A signal sent as a module starts being imported, for tests that stop synth at its start.

With this folder on PYTHONPATH and `SYNTH_TEST_SIGNAL_AT_IMPORT="MODULE SIGNAL"`, the
interpreter sends itself SIGNAL when MODULE is first looked for: `python -m synth` meets it
while it imports its command line, as a signal from outside right after its start would.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Sequence
from importlib.machinery import ModuleSpec
from types import ModuleType


class _Sender:
    def __init__(self, module: str, signum: signal.Signals) -> None:
        self.module, self.signum = module, signum

    def find_spec(
        self, name: str, path: Sequence[str] | None, target: ModuleType | None = None
    ) -> ModuleSpec | None:
        if name == self.module:
            sys.meta_path.remove(self)
            os.kill(os.getpid(), self.signum)
        return None  # the module is found as usual


_asked = os.environ.get("SYNTH_TEST_SIGNAL_AT_IMPORT")
if _asked:
    _module, _name = _asked.split()
    sys.meta_path.insert(0, _Sender(_module, signal.Signals[_name]))
