"""The regression gates on saved results: compare two saved runs, or re-run a committed baseline and compare.

:mod:`bench.compare` compares two metric frames; this module gets the frames
(from run folders, evaluation folders or baseline files, or from a fresh run
of a baseline's config) and decides which metrics a check gates.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bench.baseline import Baseline, load_metrics, read_baseline
from bench.compare import Comparison, compare
from bench.errors import ParameterError
from bench.finish import RunResult
from bench.metrics import catalog
from bench.pipeline import RunOptions, run
from bench.results import RunStore


def compare_saved(
    base: Path,
    new: Path,
    *,
    metrics: Sequence[str] | None = None,
    tolerance: float = 0.01,
    all_metrics: bool = False,
) -> Comparison:
    """Compare two saved results (run folders, evaluation folders, ``metrics.csv`` files or baseline files)."""
    return compare(load_metrics(base), load_metrics(new), metrics=metrics, tolerance=tolerance, all_metrics=all_metrics)


def gated_metrics(kept: Iterable[str]) -> tuple[str, ...]:
    """The metrics a baseline check gates: every metric the baseline kept, the headline ones first.

    >>> gated_metrics(["vus_pr", "threshold", "auc_pr"])
    ('auc_pr', 'vus_pr', 'threshold')
    """
    have = set(kept)
    return tuple(m for m in catalog.gated() if m in have) + tuple(sorted(have - set(catalog.gated())))


@dataclass(frozen=True)
class CheckResult:
    """A baseline, the fresh run of its config, and their comparison on the gated metrics."""

    baseline: Baseline
    run: RunResult
    comparison: Comparison

    @property
    def identical(self) -> bool:
        """Whether every compared value is exactly the committed one."""
        table = self.comparison.table
        return bool(table.change.fillna(0).abs().max() == 0) if len(table) else True


def check_baseline(
    path: str | Path,
    options: RunOptions | None = None,
    *,
    out: Path | None = None,
    data_dir: str | None = None,
    tolerance: float = 0.01,
) -> CheckResult:
    """Re-run the run a baseline file describes (its saved config) and compare it with the committed values.

    The fresh run goes to ``out`` (default: a temporary folder, removed
    afterwards). A fresh run with failed tasks cannot be checked
    (:class:`~bench.errors.ParameterError`).
    """
    baseline = read_baseline(Path(path))
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        store = RunStore(out if out is not None else Path(tmp) / "run")
        result = run(baseline.config, store, options, data_dir=data_dir, command=f"check {path}")
    if result.failed:
        raise ParameterError(f"{len(result.failed)} task(s) failed; the baseline cannot be checked (see above).")
    gated = gated_metrics(baseline.metrics.metric)
    comparison = compare(baseline.metrics, result.metrics, metrics=gated, tolerance=tolerance)
    return CheckResult(baseline, result, comparison)
