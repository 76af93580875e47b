"""A run's report from its folder alone: paper tables, rank statistics, figures and ``report.html``; no detector runs.

``bench report RUN_DIR`` and the end of ``bench run`` call :func:`build_report`.
It reads the saved config, ``metrics.csv``, ``failures.csv`` and the stored
scores, loads the series (for their values and labels) and writes, next to
the metrics it reports on::

    report.html                 self-contained page (figures embedded), opens from the file system
    report/tables.md|.tex|.csv  paper tables: per dataset and per category, mean ± std over seeds, average rank
    report/stats.md             per metric: average ranks, Friedman test, Nemenyi CD, Wilcoxon-Holm cliques
    report/*.png|pdf|svg        metric distributions, PR curves, CD diagrams, per-series score figures
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import registry
from bench.errors import DataError, ParameterError
from bench.report import frames
from bench.report.html import Figure, SeriesSection, write_html
from bench.report.metricinfo import higher_is_better, label
from bench.report.paper import DEFAULT_COLUMNS, paper_tables, parse_columns, series_groups
from bench.report.render import to_csv, to_latex, to_markdown
from bench.report.summary import completeness_labels
from bench.results import RunStore, read_metrics, safe_component, write_text
from bench.series import Series

PLOTS = ("disagree", "all", "none")
FORMATS = ("png", "pdf", "svg")
RANKED = ("auc_pr", "vus_pr", "f1")
"""Metrics that get rank statistics and a critical-difference diagram (those the run has per series)."""


@dataclass
class ReportResult:
    """What :func:`build_report` wrote."""

    html: Path
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def chance_baselines(rows: Sequence[str]) -> tuple[str, ...]:
    """Rows whose detector is a chance-level sanity baseline (``random``, ``null``, a plug-in that says so).

    They are never marked best. Registered detectors are known by name, so no
    heavy module (torch) is imported to ask.
    """
    out = []
    for r in rows:
        name = r.split("[")[0].split("+")[0]
        if name in registry.DETECTORS:
            if name in registry.SANITY_BASELINES:
                out.append(r)
            continue
        try:
            if getattr(registry.get_detector_class(name), "chance_level", False):
                out.append(r)
        except Exception:  # a plug-in that no longer imports: not a baseline
            continue
    return tuple(out)


def _scores(store: RunStore, config: Any, series: list[Series]) -> dict[tuple[str, str, int], tuple[np.ndarray, Any]]:
    """(dataset/series key, row, seed) -> (scores, item) for every stored, successful task.

    A report shows what the folder holds, even when it was computed with older code.
    """
    from bench.runfolder import scored_items, stored_records
    from bench.runner import plan

    tasks = plan(config.rows, config.seeds, series)
    items, _ = scored_items(store, config, series, tasks, stored_records(store, tasks, strict=False))
    return {(it.series.key, it.row, it.seed): (it.scores, it) for it in items}


def build_report(
    store: RunStore,
    *,
    data_dir: str | None = None,
    columns: str | None = None,
    plots: str = "disagree",
    n_plots: int = 6,
    plot_format: str = "png",
    standalone: bool = False,
    evaluation: str | None = None,
    series: list[Series] | None = None,
) -> ReportResult:
    """Write the report of a run folder (or of one of its evaluations) and return what was written."""
    from bench.loading import load_series
    from bench.report import plots as plotting
    from bench.report import runplots
    from bench.report.stats import compare_ranks
    from bench.runfolder import published_rows, read_config

    t0 = time.perf_counter()
    if plots not in PLOTS:
        raise ParameterError(f"--plots {plots!r}: choose {', '.join(PLOTS)}.")
    if plot_format not in FORMATS:
        raise ParameterError(f"--plot-format {plot_format!r}: choose {', '.join(FORMATS)}.")
    config = read_config(store)
    src = store.root if evaluation is None else store.root / "evaluations" / evaluation
    if evaluation is not None and (src / "evaluation.json").exists():  # its rows (e.g. with --post) and settings
        import json

        from bench.config import RunConfig

        config = RunConfig.from_dict(json.loads((src / "evaluation.json").read_text(encoding="utf-8"))["config"])
    if not (src / "metrics.csv").exists():
        raise DataError(f"{src} has no metrics.csv; run `python -m bench evaluate --run {store.root}` first.")
    metrics = read_metrics(src / "metrics.csv")
    failures = pd.read_csv(src / "failures.csv", keep_default_na=False) if (src / "failures.csv").exists() else None
    series = load_series(config, data_dir=data_dir) if series is None else series
    by_key = {s.key: s for s in series}
    out = src / "report"
    if out.is_dir():  # the report's own folder: rebuilt whole, so no figure of an earlier selection lingers
        import shutil

        shutil.rmtree(out)
    result = ReportResult(html=src / "report.html")
    rows = [r.alias for r in config.rows]
    baselines = chance_baselines(rows)
    fmt = plot_format

    # ----------------------------------------------------------------- tables
    cols = parse_columns(columns) if columns else None
    published = published_rows(config) if set(metrics.metric) & {"nab_standard"} else None
    marked = completeness_labels(metrics)  # rows with failed series: "lstm (57/58)" in every table
    labelled = metrics.assign(detector=metrics.detector.map(lambda d: marked.get(d, d)))
    tables = paper_tables(
        labelled,
        cols,
        groups=series_groups(series),
        published=published,
        baselines=tuple(marked.get(b, b) for b in baselines),
    )
    for name, text in (
        ("tables.md", to_markdown(tables)),
        ("tables.tex", to_latex(tables, standalone=standalone)),
        ("tables.csv", to_csv(tables)),
    ):
        write_text(out / name, text)
        result.files.append(out / name)

    # ----------------------------------------------------------------- statistics and run figures
    run_figures: list[Figure] = []
    stats_lines = ["# Rank statistics", ""]
    datasets = list(dict.fromkeys(metrics.dataset.astype(str)))
    for ds in datasets:
        for m in RANKED:
            values = frames.per_series(metrics, ds, m)
            values = values[[c for c in rows if c in values.columns]]
            try:
                ranks = compare_ranks(values, metric=m, higher_is_better=bool(higher_is_better(m)))
            except DataError as exc:
                stats_lines += [f"## {ds}: {label(m)}", "", str(exc), ""]
                continue
            stats_lines += [f"## {ds}: {label(m)}", "", ranks.summary(), ""]
            if plots == "none":
                continue
            if m in ("auc_pr", "vus_pr"):
                path = runplots.plot_cd_diagram(ranks, out / f"cd_{safe_component(ds)}_{m}", fmt=fmt)
                run_figures.append(Figure(path, f"{ds}: critical-difference diagram of {label(m)} ranks."))
        if plots != "none":
            try:
                path = runplots.plot_distributions(
                    metrics, ds, out / f"distributions_{safe_component(ds)}", fmt=fmt, baselines=baselines
                )
                run_figures.append(Figure(path, f"{ds}: per-series metrics per detector."))
            except DataError as exc:
                result.notes.append(str(exc))
    write_text(out / "stats.md", "\n".join(stats_lines) + "\n")
    result.files.append(out / "stats.md")

    sections: list[SeriesSection] = []
    if plots != "none":
        scores = _scores(store, config, series)
        seed = config.seeds[0]
        thresholds = metrics[(metrics.metric == "threshold") & (metrics.seed == seed)]
        thr = {(r.dataset, r.series, r.detector): r.value for r in thresholds.itertuples(index=False)}
        for ds in datasets:
            pairs: dict[str, list[tuple[np.ndarray, np.ndarray]]] = {}
            for (_, row, _), (sc, it) in scores.items():
                if it.series.dataset == ds:
                    te = it.series.train_end
                    pairs.setdefault(row, []).append((it.series.labels[te:], sc[te:]))
            curves = runplots.pr_curves({r: pairs[r] for r in rows if r in pairs})
            if curves:
                unit = "series" if len(config.seeds) == 1 else "(series, seed) pairs"
                path = runplots.plot_pr_curves(curves, out / f"pr_{safe_component(ds)}", title=ds, fmt=fmt, unit=unit)
                run_figures.append(Figure(path, f"{ds}: precision-recall curves, macro-averaged over series."))
            for name in plotting.select_series(metrics, ds, plots, n_plots, baselines=baselines):
                s = by_key.get(f"{ds}/{name}")
                if s is None:
                    continue
                traces = {}
                for row in rows:
                    if (s.key, row, seed) in scores:
                        sc = scores[(s.key, row, seed)][0]
                        t = thr.get((ds, name, row), float("nan"))
                        traces[row] = plotting.Trace(sc, t, sc[s.train_end :] >= t if np.isfinite(t) else None)
                stem = out / f"series_{safe_component(ds)}_{safe_component(name.replace('/', '_'))}"
                path = plotting.plot_series(s, traces, stem, fmt=fmt)
                values = frames.one_series(metrics, ds, name, DEFAULT_COLUMNS)
                note = f"seed {seed}; dashed line: the threshold ({config.threshold.describe()})"
                sections.append(SeriesSection(ds, name, path, values, note))
    result.files += [f.path for f in run_figures] + [s.figure for s in sections if s.figure is not None]

    saved = store.config() or {}
    sessions = saved.get("sessions", [])
    write_html(
        result.html,
        title=f"bench report: {', '.join(rows)} on {', '.join(d.name for d in config.datasets)}",
        tables=tables,
        run_figures=run_figures,
        series=sections,
        config={k: v for k, v in saved.items() if k not in ("sessions", "data")},
        versions=sessions[-1] if sessions else {},
        failures=failures,
        intro=f"Run folder {store.root}. Threshold: {config.threshold.describe()}. "
        f"Seeds: {', '.join(map(str, config.seeds))}. Oracle columns (†) chose their threshold with the test labels.",
    )
    result.files.append(result.html)
    result.seconds = time.perf_counter() - t0
    return result
