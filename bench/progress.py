"""Progress on long work: a tqdm bar on a terminal, plain timestamped lines when stderr is a file or a pipe.

A run whose output is redirected (``python -m bench run > log 2>&1``, a CI
job, ``nohup``) still says how far it is: one line every 5% of the tasks or
every 30 seconds, whichever comes first, flushed at once.
"""

from __future__ import annotations

import sys
import time
from typing import Any


class Progress:
    """Counts finished tasks; ``enabled=False`` (``-q``) prints nothing."""

    def __init__(self, total: int, *, initial: int = 0, enabled: bool = True, desc: str = "run") -> None:
        self.total, self.done, self.failed, self.desc = total, initial, 0, desc
        self.enabled = enabled and total > initial
        self._bar: Any = None
        self._start = self._last = time.monotonic()
        self._step = max(1, total // 20)
        if not self.enabled:
            return
        if sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="task", desc=desc, file=sys.stderr, dynamic_ncols=True)
        else:
            self._line(f"{total - initial} of {total} tasks to run" + (f" ({initial} done before)" if initial else ""))

    def _line(self, text: str) -> None:
        print(f"[{time.strftime('%H:%M:%S')}] {self.desc}: {text}", file=sys.stderr, flush=True)

    def update(self, label: str, ok: bool = True) -> None:
        self.done += 1
        self.failed += not ok
        if not self.enabled:
            return
        if self._bar is not None:
            self._bar.set_postfix_str(label, refresh=False)
            self._bar.update()
            return
        now = time.monotonic()
        if self.done == self.total or self.done % self._step == 0 or now - self._last >= 30:
            self._last = now
            fails = f", {self.failed} failed" if self.failed else ""
            self._line(
                f"{self.done}/{self.total} tasks ({self.done / self.total:.0%}{fails}), last {label}, "
                f"{now - self._start:.0f} s"
            )

    def close(self) -> None:
        if self._bar is not None:
            self._bar.close()
