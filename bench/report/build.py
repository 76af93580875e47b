"""A run's report from its folder alone: paper tables, rank statistics, figures and ``report.html``; no detector runs.

``bench report RUN_DIR`` and the end of ``bench run`` call :func:`build_report`.
It reads the saved config, ``metrics.csv``, ``failures.csv`` and the stored
scores, loads the series (for their values and labels) and writes, next to
the metrics it reports on::

    report.html                 self-contained page (figures embedded), opens from the file system
    report/tables.md|.tex|.csv  paper tables: per dataset and per category, mean ± std over seeds, average rank
    report/stats.md             per metric: average ranks, Friedman chi2/df/p, Nemenyi CD, Holm-corrected
                                Wilcoxon p-values, both tests' groups (also a section of report.html)
    report/*.png|pdf|svg        metric distributions, PR curves, CD diagrams, per-series score figures
                                (each in every format asked for; the page embeds the PNG)
"""

from __future__ import annotations

import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from bench import registry
from bench.errors import DataError, ParameterError, UnknownNameError
from bench.metrics import catalog
from bench.report import frames
from bench.report.html import Figure, SeriesSection, write_html
from bench.report.paper import paper_tables, parse_columns, parse_display, series_groups
from bench.report.plots import FigureStyle, figure_files
from bench.report.render import to_csv, to_latex, to_markdown
from bench.report.statstext import StatsSection
from bench.results import RunStore, environment, read_metrics, safe_component, write_text
from bench.series import Series

PLOTS = ("disagree", "all", "none")


@dataclass
class ReportResult:
    """What :func:`build_report` wrote."""

    html: Path
    files: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)


def chance_baselines(rows: Sequence[Any]) -> tuple[str, ...]:
    """The aliases of the rows (:class:`~bench.config.DetectorSpec`) whose detector is a chance-level baseline.

    They are never marked best. A post-processed baseline (``random+likelihood``) is still one: the row's
    registry name says so, not its alias.
    """
    return tuple(r.alias for r in rows if _is_chance_level(r.name))


def _is_chance_level(name: str) -> bool:
    """From the registry entry (registered detectors import nothing); a plug-in that no longer imports is not."""
    return registry.is_chance_level(name, unknown=False)


def figure_stem(folder: Path, prefix: str, dataset: str, name: str, used: set[str]) -> Path:
    """A figure's path without suffix, unique in this report: ``series_nab_realKnownCause_nyc_taxi``.

    ``/`` becomes ``_``; a name with other characters a file name cannot hold, or whose stem is taken by an
    earlier figure of this report (``a_b`` after ``a/b``), gets a short hash of the exact name, so two
    series never share a figure.
    """
    import hashlib

    flat = name.replace("/", "_")
    stem = f"{prefix}_{safe_component(dataset)}_{safe_component(flat)}"
    if safe_component(flat) != flat or stem in used:
        stem += "-" + hashlib.sha1(f"{dataset}/{name}".encode()).hexdigest()[:8]
    while stem in used:
        stem += "x"
    used.add(stem)
    return folder / stem


def _scored_by_series(store: RunStore, config: Any, series: list[Series]) -> Iterator[tuple[Series, list[Any]]]:
    """Each series with its stored, successful items (:class:`~bench.evaluate.Scored`, every row and seed),
    read one series at a time, so the report holds one series' scores at a time however many there are.

    A report shows what the folder holds, even when it was computed with older code.
    """
    from bench.runfolder import scored_items, stored_records
    from bench.runner import plan

    for s in series:
        tasks = plan(config.rows, config.seeds, [s])
        items, _ = scored_items(store, config, [s], tasks, stored_records(store, tasks, strict=False))
        yield s, items


def evaluation_folder(store: RunStore, name: str) -> Path:
    """``<run>/evaluations/<name>``: ``name`` must be one evaluation folder there, never a path leading elsewhere.

    A report deletes and rewrites ``report/`` and ``report.html`` in that folder, so an absolute path,
    ``../..`` or a link pointing out of the run is refused before anything is read or written.
    """
    base = store.root / "evaluations"
    inside = base.is_dir() and base.resolve().parent == store.root.resolve()  # not a link out of the run
    there = sorted(p.name for p in base.iterdir() if p.is_dir() and not p.is_symlink()) if inside else []
    if name not in there:
        raise UnknownNameError(
            f"--evaluation {name!r} is not an evaluation of {store.root}; give the name of a folder in {base} "
            f"({', '.join(there) or 'there is none yet: `python -m bench evaluate --run RUN_DIR` makes one'})."
        )
    return base / name


def build_report(
    store: RunStore,
    *,
    data_dir: str | None = None,
    columns: str | None = None,
    plots: str = "disagree",
    n_plots: int = 6,
    plot_format: str | Sequence[str] = "png",
    figure_size: str = "page",
    dpi: int = 150,
    standalone: bool = False,
    evaluation: str | None = None,
    series: list[Series] | None = None,
    rank_sanity: bool = False,
    published_mode: str = "separate",
    display: Sequence[str] = (),
    sort: str | None = None,
) -> ReportResult:
    """Write the report of a run folder (or of one of its evaluations) and return what was written.

    ``rank_sanity``: rank and test the sanity baselines with the other detectors (by default they are shown
    in the rank statistics but left out of the ranks, the Friedman test and the post-hoc tests).

    Everything is checked (the evaluation's name, the options, the columns) before a file is written, and
    the report is built in a temporary folder beside the old one and swapped in at the end: a bad option
    or an interrupt leaves the previous ``report/`` and ``report.html`` as they were. ``plot_format``: one
    format or several (each figure is written in all of them), ``figure_size`` and ``dpi``: see
    :class:`bench.report.plots.FigureStyle`.
    ``published_mode``,
    ``display`` (``ROW=NAME`` items) and ``sort``: see :func:`bench.report.paper.paper_tables`.
    """
    from bench.loading import load_series
    from bench.runfolder import left_out_scoreboards, published_rows, read_config

    t0 = time.perf_counter()
    if plots not in PLOTS:
        raise ParameterError(f"--plots {plots!r}: choose {', '.join(PLOTS)}.")
    formats = (plot_format,) if isinstance(plot_format, str) else tuple(plot_format)
    style = FigureStyle(formats, figure_size, dpi)
    config = read_config(store)
    src = store.root if evaluation is None else evaluation_folder(store, evaluation)
    if evaluation is not None and (src / "evaluation.json").exists():  # its rows (e.g. with --post) and settings
        import json

        from bench.config import RunConfig

        saved = json.loads((src / "evaluation.json").read_text(encoding="utf-8"))["config"]
        config = RunConfig.from_dict(saved, source=str(src / "evaluation.json"))
    if not (src / "metrics.csv").exists():
        raise DataError(f"{src} has no metrics.csv; run `python -m bench evaluate --run {store.root}` first.")
    metrics = read_metrics(src / "metrics.csv")
    failures = pd.read_csv(src / "failures.csv", keep_default_na=False) if (src / "failures.csv").exists() else None
    series = load_series(config, data_dir=data_dir) if series is None else series
    corpus = {m.name for m in catalog.all_metrics().values() if m.over_series == "corpus"}
    published = published_rows(config) if set(frames.distinct(metrics.metric)) & corpus else None
    tables = paper_tables(
        metrics,
        parse_columns(columns) if columns else None,
        groups=series_groups(series),
        published=published,
        published_mode=published_mode,
        baselines=chance_baselines(config.rows),
        dataset_notes=left_out_scoreboards(config),
        display=parse_display(display),
        sort=sort,
    )
    stage = Path(tempfile.mkdtemp(prefix=".report-", dir=src))  # swapped in by _publish; removed on any failure
    try:
        result = _write(
            store, config, series, metrics, failures, tables, stage, plots, n_plots, style, standalone, rank_sanity
        )
        _publish(stage, src)
    except BaseException:
        _restore(stage, src)
        raise
    result.html = src / result.html.relative_to(stage)
    result.files = [src / p.relative_to(stage) for p in result.files]
    result.seconds = time.perf_counter() - t0
    return result


def _write(
    store: RunStore,
    config: Any,
    series: list[Series],
    metrics: pd.DataFrame,
    failures: pd.DataFrame | None,
    tables: list[Any],
    stage: Path,
    plots: str,
    n_plots: int,
    style: FigureStyle,
    standalone: bool,
    rank_sanity: bool,
) -> ReportResult:
    """Every file of the report under ``stage``: ``stage/report/`` and ``stage/report.html``."""
    out = stage / "report"
    out.mkdir()
    result = ReportResult(html=stage / "report.html")
    for name, text in (
        ("tables.md", to_markdown(tables)),
        ("tables.tex", to_latex(tables, standalone=standalone)),
        ("tables.csv", to_csv(tables)),
    ):
        write_text(out / name, text)
        result.files.append(out / name)
    run_figures, statistics = _rank_statistics(metrics, config, out, plots, style, result, rank_sanity)
    sections: list[SeriesSection] = []
    rule: list[str] = []
    if plots != "none":
        run_figures += _series_figures(store, config, series, metrics, out, plots, n_plots, style, sections, rule)
    shown = [f.path for f in run_figures] + [s.figure for s in sections if s.figure is not None]
    shown += [path for st in statistics for path, _ in st.figures]
    result.files += [p for f in shown for p in figure_files(f, style)]  # every format of each figure
    saved = store.config() or {}
    write_html(
        result.html,
        title=f"bench report: {', '.join(r.alias for r in config.rows)} on "
        f"{', '.join(d.name for d in config.datasets)}",
        tables=tables,
        run_figures=run_figures,
        statistics=statistics,
        series=sections,
        config={k: v for k, v in saved.items() if k not in ("sessions", "data", "resolved")},
        versions=environment(),
        provenance=saved,
        series_rule=rule,
        files=list(result.files),
        failures=failures,
        intro=f"Run folder {store.root}. Threshold: {config.threshold.describe()}. "
        f"Seeds: {', '.join(map(str, config.seeds))}. Oracle columns (†) chose their threshold with the test labels.",
    )
    result.files.append(result.html)
    return result


def _publish(stage: Path, src: Path) -> None:
    """Swap the staged report in: the old ``report/`` moves into ``stage`` (so no figure of an earlier selection
    lingers), the new one and ``report.html`` take their places, and ``stage`` goes with the old one."""
    if (src / "report").exists():
        os.replace(src / "report", stage / "previous")
    os.replace(stage / "report", src / "report")
    os.replace(stage / "report.html", src / "report.html")
    shutil.rmtree(stage)


def _restore(stage: Path, src: Path) -> None:
    """After a failure or an interrupt: the previous ``report/`` back in place if it had moved, ``stage`` removed."""
    if (stage / "previous").exists() and not (src / "report").exists():
        os.replace(stage / "previous", src / "report")
    shutil.rmtree(stage, ignore_errors=True)


def _rank_statistics(
    metrics: pd.DataFrame, config: Any, out: Path, plots: str, fmt: FigureStyle, result: ReportResult, rank_sanity: bool
) -> tuple[list[Figure], list[StatsSection]]:
    """``stats.md`` for every ranked metric of the catalogue with its CD diagram (Nemenyi bars), and the
    distribution figures (for datasets of two series or more). The sanity baselines are left out of the ranks
    and tests unless ``rank_sanity``."""
    from bench.report import runplots, statstext
    from bench.report.stats import compare_ranks

    rows = [r.alias for r in config.rows]
    baselines = chance_baselines(config.rows)
    leave_out = () if rank_sanity else baselines
    figures: list[Figure] = []
    sections: list[StatsSection] = []
    for ds in frames.distinct(metrics.dataset):
        for m in catalog.ranked():
            values = frames.per_series(metrics, ds, m)
            if values.empty:
                continue
            values = values[[c for c in rows if c in values.columns]]
            title = f"{ds}: {catalog.header(m)}"
            up = bool(catalog.metric(m).higher_is_better)
            try:
                ranks = compare_ranks(values, metric=m, higher_is_better=up, leave_out=leave_out)
            except DataError as exc:
                sections.append(statstext.note_section(title, str(exc)))
                continue
            section = statstext.section(title, ranks)
            if plots != "none":
                path = runplots.plot_cd_diagram(ranks, out / f"cd_{safe_component(ds)}_{safe_component(m)}", fmt=fmt)
                caption = f"{title}: critical-difference diagram; bars join average ranks less than the CD apart."
                section.figures.append((path, caption))
            sections.append(section)
        if plots != "none" and len(frames.series_names(metrics, ds)) >= 2:  # one series: its values are the table
            try:
                path = runplots.plot_distributions(
                    metrics, ds, out / f"distributions_{safe_component(ds)}", fmt=fmt, baselines=baselines
                )
                figures.append(Figure(path, f"{ds}: per-series metrics per detector."))
            except DataError as exc:
                result.notes.append(str(exc))
    write_text(out / "stats.md", statstext.to_markdown(sections, statstext.intro(baselines, rank_sanity)))
    result.files.append(out / "stats.md")
    return figures, sections


def _series_figures(
    store: RunStore,
    config: Any,
    series: list[Series],
    metrics: pd.DataFrame,
    out: Path,
    plots: str,
    n_plots: int,
    fmt: FigureStyle,
    sections: list[SeriesSection],
    rule: list[str],
) -> list[Figure]:
    """PR curves per dataset (returned), the selected series' score figures (appended to ``sections``) and,
    per dataset, the sentence saying how those series were chosen (appended to ``rule``).

    The series to draw are chosen from the metrics first; the scores are then read one series at a time
    (:func:`_scored_by_series`): each adds to its dataset's curves and, if chosen, is drawn there and then.
    """
    from bench.report import plots as plotting
    from bench.report import runplots

    rows = [r.alias for r in config.rows]
    baselines = chance_baselines(config.rows)
    seed = config.seeds[0]
    thresholds = frames.series_rows(metrics)
    thresholds = thresholds[(thresholds.metric == "threshold") & (thresholds.seed == seed)]
    thr = {(r.dataset, r.series, r.detector): r.value for r in thresholds.itertuples(index=False)}
    datasets = frames.distinct(metrics.dataset)
    chosen = {ds: plotting.select_series(metrics, ds, plots, n_plots, baselines=baselines) for ds in datasets}
    used: set[str] = set()
    stems = {f"{ds}/{name}": figure_stem(out, "series", ds, name, used) for ds in datasets for name in chosen[ds]}
    curves = {ds: runplots.PRCurves() for ds in datasets}
    drawn: dict[str, Path] = {}
    for s, items in _scored_by_series(store, config, series):
        te = s.train_end
        traces = {}
        for it in items:
            if s.dataset in curves:
                curves[s.dataset].add(it.row, s.labels[te:], it.scores[te:])
            if s.key in stems and it.seed == seed:
                t = thr.get((s.dataset, s.name, it.row), float("nan"))
                alarms = it.scores[te:] >= t if np.isfinite(t) else None
                traces[it.row] = plotting.Trace(it.scores, t, alarms)
        if s.key in stems:
            drawn[s.key] = plotting.plot_series(s, traces, stems[s.key], fmt=fmt, baselines=baselines)
    figures: list[Figure] = []
    for ds in datasets:
        pr = curves[ds].curves(rows)
        if pr:
            unit = "series" if len(config.seeds) == 1 else "(series, seed) pairs"
            path = runplots.plot_pr_curves(
                pr, out / f"pr_{safe_component(ds)}", title=ds, fmt=fmt, unit=unit, baselines=baselines
            )
            figures.append(Figure(path, f"{ds}: precision-recall curves, macro-averaged over {unit}."))
        rule.append(_selection_rule(metrics, ds, plots, len(chosen[ds]), baselines))
        spread = plotting.disagreement(metrics, ds, baselines=baselines)
        for name in chosen[ds]:
            if f"{ds}/{name}" in drawn:
                sections.append(_section(metrics, config, seed, ds, name, drawn[f"{ds}/{name}"], spread))
    return figures


def _section(
    metrics: pd.DataFrame, config: Any, seed: int, ds: str, name: str, figure: Path, spread: pd.Series
) -> SeriesSection:
    """A plotted series: the values of ``seed`` (the seed its figure shows), their mean over seeds, a note."""
    from bench.report.plots import disagreement_metric

    columns = catalog.default_columns()
    note = f"Figure and first table: seed {seed}. Dashed line: the threshold ({config.threshold.describe()})."
    metric = disagreement_metric(metrics, ds)
    if metric is not None and np.isfinite(spread.get(name, np.nan)):
        rank = list(spread.index).index(name) + 1
        note += (
            f" Spread of {catalog.header(metric)} across detectors: {spread[name]:.3f}, the {_ordinal(rank)} largest "
            f"of {len(spread)} series."
        )
    values = frames.one_series(metrics[metrics.seed == seed], ds, name, columns)
    mean = frames.one_series(metrics, ds, name, columns)
    return SeriesSection(ds, name, figure, values, note, seed, mean, tuple(config.seeds))


def _ordinal(k: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``21st``."""
    suffix = "th" if 10 <= k % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(k % 10, "th")
    return f"{k}{suffix}"


def _selection_rule(metrics: pd.DataFrame, ds: str, plots: str, n: int, baselines: Sequence[str]) -> str:
    """The sentence that says which series of ``ds`` were plotted and why (``plots.select_series``'s rule)."""
    from bench.report import plots as plotting

    total = len(frames.series_names(metrics, ds))
    if plots == "all":
        return f"{ds}: every series is plotted ({total}), none left out."
    metric = plotting.disagreement_metric(metrics, ds)
    if metric is None:
        return f"{ds}: the first {n} of {total} series by name are plotted (no metric to rank them by)."
    rows = frames.detectors(metrics, ds)
    skipped = [d for d in rows if d in baselines]
    left_out = f" ({', '.join(skipped)} left out)" if len(rows) - len(skipped) >= 2 and skipped else ""
    return (
        f"{ds}: {n} of {total} series are plotted: those where the detectors disagree most, i.e. with the largest "
        f"standard deviation across detectors{left_out} of the per-series {catalog.header(metric)} (mean over "
        "seeds), ties broken by name. They show where detectors differ; they are neither typical nor best cases."
    )
