"""Detection delay per labelled event, and alarm counts: what a threshold costs and gains."""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
from numpy.typing import ArrayLike, NDArray

from bench.metrics._validate import binary, event_bounds, same_length


class DelayResult(NamedTuple):
    """Per-event delays (detected events only) and the detection fraction."""

    delays: NDArray[np.int64]  # points from event start to its first alarm, one per detected event
    delays_seconds: NDArray[np.float64] | None  # the same in seconds, when timestamps were given
    n_events: int
    n_detected: int
    fraction_detected: float


def detection_delay(y_true: ArrayLike, y_pred: ArrayLike, timestamps: ArrayLike | None = None) -> DelayResult:
    """Delay from each labelled event's start to its first alarm inside the event.

    An event is a maximal run of 1s in ``y_true``; it is detected when at
    least one of its points is flagged (the detection criterion of point
    adjustment, Xu et al. 2018). Its delay is ``first_alarm_index - start`` in
    points and, with ``timestamps`` (datetime64 or seconds), in seconds.
    Alarms before an event do not count as early detections (NAB rewards
    those through its windows; see ``bench.metrics.nab``).

    Edge cases: no events gives empty delays and ``fraction_detected`` NaN.
    """
    t = binary(y_true, "y_true")
    p = binary(y_pred, "y_pred")
    same_length(t, p, "y_true", "y_pred")
    starts, ends = event_bounds(t)
    n_events = int(starts.size)
    if n_events == 0:
        empty_seconds = None if timestamps is None else np.zeros(0)
        return DelayResult(np.zeros(0, np.int64), empty_seconds, 0, 0, float("nan"))
    alarm_idx = np.flatnonzero(p)
    # first alarm at or after each start; detected when it falls before the event's end
    pos = np.searchsorted(alarm_idx, starts, side="left")
    has_later = pos < alarm_idx.size
    first = np.full(n_events, -1, dtype=np.int64)
    first[has_later] = alarm_idx[pos[has_later]]
    detected = has_later & (first < ends)
    delays = (first - starts)[detected].astype(np.int64)
    seconds = None
    if timestamps is not None:
        ts = np.asarray(timestamps)
        same_length(t, ts, "y_true", "timestamps")
        if np.issubdtype(ts.dtype, np.datetime64):
            ts = ts.astype("datetime64[ns]").astype(np.int64) / 1e9
        ts = ts.astype(np.float64)
        seconds = ts[first[detected]] - ts[starts[detected]]
    n_detected = int(detected.sum())
    return DelayResult(delays, seconds, n_events, n_detected, n_detected / n_events)


class AlarmStats(NamedTuple):
    n_alarms: int
    alarm_rate: float  # alarms per point


def alarm_stats(y_pred: ArrayLike) -> AlarmStats:
    """Number of flagged points and their fraction of the series (0.0 for an empty series)."""
    p = binary(y_pred, "y_pred")
    n = int(p.sum())
    return AlarmStats(n, n / p.size if p.size else 0.0)
