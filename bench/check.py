"""The regression gates on saved results: compare two saved runs, or re-run a committed baseline and compare.

:mod:`bench.compare` compares two metric frames; this module gets the frames
(from run folders, evaluation folders or baseline files, or from a fresh run
of a baseline's config) with what each side measured, refuses sides that
measured different things (:func:`bench.provenance.gate`), and decides which
metrics a check gates.
"""

from __future__ import annotations

import tempfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from shlex import quote

from bench.baseline import Baseline, load_side, read_baseline
from bench.compare import Comparison, compare
from bench.errors import ParameterError
from bench.finish import RunResult
from bench.metrics import catalog
from bench.pipeline import RunOptions, run
from bench.provenance import Provenance, gate, of_folder
from bench.results import RunStore

CHECK_TESTS = {"code": "what check tests (the current code against the committed values)"}
"""A check re-runs the baseline's config with the current code: other code versions are its point, not an error."""

COMPARE_MEASURES = {"code": "what a comparison before and after a code change measures"}
"""``compare`` is the regression gate of a code change: other code versions are said in the header, never refused."""


def compare_saved(
    base: Path,
    new: Path,
    *,
    metrics: Sequence[str] | None = None,
    tolerance: float = 0.01,
    alpha: float = 0.05,
    gate: str = "delta",
    all_metrics: bool = False,
    allow: Collection[str] = (),
) -> Comparison:
    """Compare two saved results (run folders, evaluation folders, ``metrics.csv`` files or baseline files).

    Sides that differ in data, threshold, metric families or a row's parameters are refused
    (:class:`~bench.errors.DataError`) unless that category is in ``allow`` (:func:`bench.provenance.gate`);
    other code versions are the point of a regression gate and are said in the header.
    """
    (b_metrics, b_prov), (n_metrics, n_prov) = load_side(base), load_side(new)
    result = compare(
        b_metrics, n_metrics, metrics=metrics, tolerance=tolerance, alpha=alpha, gate=gate, all_metrics=all_metrics
    )
    return _with_header(result, b_prov, n_prov, allow, COMPARE_MEASURES)


def _with_header(
    result: Comparison,
    base: Provenance,
    new: Provenance,
    allow: Collection[str],
    expected: dict[str, str] | None = None,
) -> Comparison:
    """``result`` with the header :func:`bench.provenance.gate` gives (which refuses sides that differ)."""
    detectors = dict.fromkeys(result.table.detector.astype(str))
    return replace(result, header=tuple(gate(base, new, detectors, allow=allow, expected=expected)))


def gated_metrics(kept: Iterable[str]) -> tuple[str, ...]:
    """The metrics a baseline check gates: every metric the baseline kept, the headline ones first.

    >>> gated_metrics(["vus_pr", "threshold", "auc_pr"])
    ('auc_pr', 'vus_pr', 'threshold')
    """
    have = set(kept)
    return tuple(m for m in catalog.gated() if m in have) + tuple(sorted(have - set(catalog.gated())))


@dataclass(frozen=True)
class CheckResult:
    """A baseline (read from ``path``), the fresh run of its config, and their comparison on the gated metrics.

    ``kept`` is the folder the fresh run was kept in (``check --out``), ``None`` when it was removed.
    """

    baseline: Baseline
    run: RunResult
    comparison: Comparison
    path: Path = Path()
    kept: Path | None = None

    @property
    def identical(self) -> bool:
        """Whether every compared value is exactly the committed one."""
        table = self.comparison.table
        return bool(table.change.fillna(0).abs().max() == 0) if len(table) else True

    def next_steps(self) -> list[str]:
        """After a failed check: where the fresh run is (or how to keep it), and the command updating the baseline."""
        if not self.comparison.exit_code:
            return []
        kept = set(self.baseline.metrics.metric)
        default = set(catalog.gated()) & set(self.run.metrics.metric)  # what `baseline save` keeps without --metric
        metric = "" if kept == default else f" --metric {','.join(gated_metrics(kept))}"
        name, folder = quote(self.path.stem), quote(str(self.path.parent))
        save = f"python -m bench baseline save {{run}} {name} --dir {folder}{metric} --overwrite"
        if self.kept is None:
            return [
                f"The fresh run was not kept; re-run with --out DIR to keep it: python -m bench check "
                f"{quote(str(self.path))} --out DIR",
                f"If the change is intended, update the baseline from it: {save.format(run='DIR')}",
            ]
        return [
            f"The fresh run is in {self.kept}.",
            f"If the change is intended, update the baseline from it: {save.format(run=quote(str(self.kept)))}",
        ]


def check_baseline(
    path: str | Path,
    options: RunOptions | None = None,
    *,
    out: Path | None = None,
    data_dir: str | None = None,
    tolerance: float = 0.01,
    alpha: float = 0.05,
    gate: str = "delta",
    allow: Collection[str] = (),
) -> CheckResult:
    """Re-run the run a baseline file describes (its saved config) and compare it with the committed values.

    The fresh run goes to ``out`` (default: a temporary folder, removed
    afterwards). A fresh run with failed tasks cannot be checked
    (:class:`~bench.errors.ParameterError`). Other code versions are what a check tests (said in the header);
    other data or parameters (this machine's data, a changed default) are refused unless in ``allow``.
    ``tolerance``, ``alpha`` and ``gate`` are :func:`bench.compare.compare`'s.
    """
    path = Path(path)
    baseline = read_baseline(path)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        store = RunStore(out if out is not None else Path(tmp) / "run")
        result = run(baseline.config, store, options, data_dir=data_dir, command=f"check {path}")
        fresh = of_folder(store.root, label=str(out) if out is not None else "the fresh run")
    if result.failed:
        where = f"the fresh run is kept in {out}" if out is not None else "re-run with --out DIR to keep the fresh run"
        raise ParameterError(
            f"{len(result.failed)} task(s) failed; the baseline cannot be checked (see above); {where}."
        )
    gated = gated_metrics(baseline.metrics.metric)
    comparison = compare(baseline.metrics, result.metrics, metrics=gated, tolerance=tolerance, alpha=alpha, gate=gate)
    comparison = _with_header(comparison, baseline.provenance, fresh, allow, CHECK_TESTS)
    return CheckResult(baseline, result, comparison, path, out)
