"""The seeded series the batteries run on: a sine with spikes (detectors), error-like scores (post-processors)."""

from __future__ import annotations

import numpy as np
from numpy.typing import NDArray

#: Length of both series and of their training part (the first ``TRAIN`` points).
N, TRAIN = 600, 300


def sine_with_spikes(n: int = N, train: int = TRAIN, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.int8]]:
    """A noisy sine (period 25) with 6 spikes in its second part, and their labels.

    Parameters
    ----------
    n
        Length of the series.
    train
        End of the training part; the spikes (alternately +4 and -4) lie in
        ``[train + 30, n - 30]``.
    seed
        Seeds the noise (standard deviation 0.05).

    Returns
    -------
    x, labels
        ``(n,)`` float64 values and ``(n,)`` int8 labels (1 at a spike).

    Examples
    --------
    >>> x, labels = sine_with_spikes()
    >>> x.shape, int(labels.sum()), int(labels[:300].sum())
    ((600,), 6, 0)
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    x = np.sin(2 * np.pi * t / 25) + 0.05 * rng.standard_normal(n)
    labels = np.zeros(n, dtype=np.int8)
    spikes = np.linspace(train + 30, n - 30, 6).astype(int)
    x[spikes] += np.where(np.arange(6) % 2 == 0, 4.0, -4.0)
    labels[spikes] = 1
    return x, labels


def raw_scores(n: int = N, seed: int = 0) -> tuple[NDArray[np.float64], NDArray[np.float64]]:
    """Error-like raw scores (absolute noise with 6 spikes after point 300) and series values (a noisy sine).

    Parameters
    ----------
    n
        Length of both arrays.
    seed
        Seeds the noise.

    Returns
    -------
    scores, values
        ``(n,)`` float64 each; the spikes add 5.0 to the scores and 4.0 to
        the values at the same 6 points in ``[330, n - 30]``.

    Examples
    --------
    >>> s, v = raw_scores()
    >>> bool((s >= 0).all()), int((s > 4.0).sum())
    (True, 6)
    """
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    values = np.sin(2 * np.pi * t / 25) + 0.05 * rng.standard_normal(n)
    scores = np.abs(0.3 * rng.standard_normal(n))
    spikes = np.linspace(TRAIN + 30, n - 30, 6).astype(int)
    scores[spikes] += 5.0
    values[spikes] += 4.0
    return scores, values
