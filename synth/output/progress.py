"""Progress bars that start no thread.

tqdm starts a monitor thread with its first bar, even a disabled one, and keeps it for
the life of the process. A run forks its workers only while no other thread runs
(`synth.run.executor.start_method`), so synth's bars go without it: it only re-tunes
how often a bar redraws when updates stall, and synth's bars update on every image.
"""

from __future__ import annotations

from tqdm import tqdm


class Bar(tqdm):  # type: ignore[misc]  # tqdm has no type hints
    monitor_interval = 0
