"""Run a command from a clean launcher and report what it used.

Linux hands a forked child its parent's peak RSS (ru_maxrss survives fork and exec), so a
benchmark that renders images and then starts `synth` reports its own peak, not synth's.
This launcher is a bare interpreter (`python -I -S`, a few MiB): it forks, runs the
command, reaps it with wait4 and prints, as the last line of its standard output, the
command's own peak RSS (the largest of it and of the workers it reaped) and CPU seconds.

Use: `measured(command)` -> (the command's standard output, {"cpu": s, "peak_mib": MiB}).
"""

from __future__ import annotations

import json
import subprocess
import sys

_LAUNCHER = """
import json, os, sys
pid = os.fork()
if pid == 0:
    try:
        os.execvp(sys.argv[1], sys.argv[1:])
    finally:
        os._exit(127)
_, status, usage = os.wait4(pid, 0)
sys.stdout.flush()
print(json.dumps({"status": os.waitstatus_to_exitcode(status),
                  "cpu": usage.ru_utime + usage.ru_stime, "peak_mib": usage.ru_maxrss / 1024}))
"""


def measured(command: list[str]) -> tuple[str, dict[str, float]]:
    """The command's standard output and its CPU seconds and peak RSS in MiB, measured by a
    clean launcher; SystemExit with its last line of error if it failed."""
    done = subprocess.run(
        [sys.executable, "-I", "-S", "-c", _LAUNCHER, *command], capture_output=True, text=True
    )
    *output, last = done.stdout.rstrip("\n").split("\n")
    usage = json.loads(last)
    if done.returncode or usage["status"]:
        raise SystemExit((done.stderr.strip().splitlines() or ["failed"])[-1])
    return "\n".join(output), {"cpu": usage["cpu"], "peak_mib": usage["peak_mib"]}
