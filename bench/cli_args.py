"""The command line's grammar: every command's flags, their defaults and help (:mod:`bench.cli` runs them)."""

from __future__ import annotations

import argparse
from typing import Any

from bench.backends import DEFAULT_TASK_TIMEOUT, MAX_JOBS_PER_CORE
from bench.errors import did_you_mean

DEFAULT_DETECTOR = "lstm"
DEFAULT_DATASET = "yahoo-synth"
DEFAULT_MAX_TASKS = 100_000
# run flags that describe the run itself (and so cannot be combined with --config)
CONFIG_FLAGS = (
    "detector",
    "dataset",
    "param",
    "seed",
    "seeds",
    "metrics",
    "threshold",
    "series",
    "no_baselines",
    "no_auto_post",
)


DEFAULTS = {
    "detector": DEFAULT_DETECTOR,
    "dataset": DEFAULT_DATASET,
    "param": [],
    "seed": 0,
    "seeds": None,
    "metrics": None,
    "threshold": "train_mean_std:3",
    "series": None,
    "no_baselines": False,
    "no_auto_post": False,
}


def _plot_formats(text: str) -> tuple[str, ...]:
    """``--plot-format``: ``png,pdf`` -> ``("png", "pdf")``, checked now, so a run never fails at its report."""
    from bench.report.plots import FigureStyle

    try:
        return FigureStyle(tuple(f.strip() for f in text.split(",") if f.strip())).formats
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _dpi(text: str) -> int:
    """``--dpi``: an integer in the range :class:`~bench.report.plots.FigureStyle` accepts."""
    from bench.report.plots import FigureStyle

    try:
        return FigureStyle(dpi=int(text)).dpi
    except ValueError as exc:  # not an integer, or out of range
        msg = str(exc) if text.strip().lstrip("+-").isdigit() else f"--dpi must be a whole number; got {text!r}."
        raise argparse.ArgumentTypeError(msg) from None


def _report_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plots",
        choices=("disagree", "all", "none"),
        default="disagree",
        help="per-series figures: the 6 series where detectors disagree most (default), all, or no figure at all",
    )
    p.add_argument(
        "--plot-format",
        type=_plot_formats,
        default=("png",),
        metavar="FORMATS",
        help="figure formats, comma-separated, of png, pdf, svg: each figure is written in every one, "
        "report.html shows the PNG (default: png; for a paper: png,pdf)",
    )
    p.add_argument(
        "--figure-size",
        choices=("column", "page"),
        default="page",
        help="figure width: column (3.5 in) or page (7.2 in), text at 7-9 pt at that width (default: page)",
    )
    p.add_argument("--dpi", type=_dpi, default=150, help="resolution of PNG figures, 50 to 1200 (default: 150)")
    p.add_argument(
        "--columns",
        help="paper-table columns, comma-separated metric[@mean|pooled|total|corpus|rank] "
        "(default: auc_pr,vus_pr,f1,oracle_best_f1,nab_standard, those the run has)",
    )
    p.add_argument(
        "--rank-sanity",
        action="store_true",
        help="rank and test the sanity baselines (random, null) with the other detectors in report/stats.md and "
        "the CD diagrams (default: shown, but left out of the ranks, Friedman and post-hoc tests)",
    )
    p.add_argument(
        "--display",
        action="append",
        metavar="ROW=NAME",
        help='a row\'s name in the tables, e.g. --display lstm+likelihood="LSTM + likelihood" (repeatable; '
        "a TOML detector's alias names its row everywhere)",
    )
    p.add_argument(
        "--sort",
        metavar="COLUMN",
        help="order the evaluated detectors of each table by this column, best first "
        "(e.g. nab_standard, auc_pr, rank@auc_pr; default: run order)",
    )
    p.add_argument(
        "--published",
        choices=("separate", "inline", "none"),
        default="separate",
        help="a published scoreboard (NAB's): a table of its own after the dataset's (default), "
        "rows inside it, or left out",
    )


def _add_run(sub: Any, common: argparse.ArgumentParser) -> None:
    """``run``: what to run (detectors, datasets, parameters, seeds, metrics), then how (:func:`_add_execution`)."""
    run = sub.add_parser(
        "run",
        parents=[common],
        help="run detectors on a dataset, evaluate, write a results folder",
        description="Fit each detector on each series' training part, score the whole series, "
        "evaluate, and write results/<run-id>/ (config.json, scores/, metrics.csv, summary.md).",
    )
    run.add_argument("--config", metavar="FILE", help="a TOML experiment file describing the run (see docs/usage.md)")
    run.add_argument(
        "--detector",
        default=DEFAULT_DETECTOR,
        help="detector name(s), comma-separated, or module:Class; NAME+POST adds a post-processor (default: lstm)",
    )
    run.add_argument(
        "--dataset",
        default=DEFAULT_DATASET,
        help="dataset name(s), comma-separated, NAME:PATH for file-based ones (default: yahoo-synth)",
    )
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="OWNER.NAME=VALUE",
        help="a detector, post-processor or dataset parameter, e.g. lstm.window_size=30 or yahoo-synth.n_series=5; "
        "a comma list of detector values runs a grid, e.g. lstm.window_size=20,50 (repeatable)",
    )
    run.add_argument("--series", metavar="GLOB", help="only series whose name matches, e.g. 'realKnownCause/*'")
    run.add_argument("--seed", type=int, default=0, help="random seed given to every detector (default: 0)")
    run.add_argument("--seeds", help="several seeds, comma-separated (overrides --seed)")
    run.add_argument(
        "--metrics", help="metric families, comma-separated (default: the honest headline set); see 'list'"
    )
    run.add_argument(
        "--threshold",
        default="train_mean_std:3",
        help="label-free threshold: train_mean_std:K (default, K=3), quantile:Q, fixed:VALUE, or telemanom "
        "(telemanom's dynamic threshold; telemanom:error_buffer=5,... to change its settings)",
    )
    _add_execution(run)


def _add_execution(run: argparse.ArgumentParser) -> None:
    """``run``'s output folder, resume and execution flags (they become :class:`bench.pipeline.RunOptions`)."""
    run.add_argument("--out", help="the run folder (default: results/<run-id>); an existing one is resumed")
    run.add_argument("--results-dir", default="results", help="parent of new run folders (default: results)")
    run.add_argument(
        "--update",
        action="store_true",
        help="let --out change an existing run's config: tasks whose key is unchanged are kept, the rest run",
    )
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        metavar="N",
        help="worker processes, one thread each (default: one per core; 1 for runs under 8 tasks), never more than "
        f"the tasks nor {MAX_JOBS_PER_CORE} per core. Even one isolates the run: a detector that crashes its process "
        "fails alone. 0 runs the tasks in this process instead (for debuggers and profilers: a crash there ends "
        "the run)",
    )
    run.add_argument("--no-baselines", action="store_true", help="do not add the random and null sanity baselines")
    run.add_argument(
        "--no-auto-post",
        action="store_true",
        help="do not add a raw-error detector's +likelihood row where one threshold scores a whole dataset "
        "(NAB's score): by default --detector lstm --dataset nab also shows lstm+likelihood, on the same raw scores",
    )
    run.add_argument(
        "--task-timeout",
        type=float,
        default=DEFAULT_TASK_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a task (fit + score of one series) after this long and record it as failed "
        f"(default: {DEFAULT_TASK_TIMEOUT:g})",
    )
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failed task (exit code 3)")
    run.add_argument(
        "--max-tasks",
        type=int,
        default=DEFAULT_MAX_TASKS,
        metavar="N",
        help=f"refuse a run of more tasks (detector rows x seeds x series), counted before anything is built "
        f"(default: {DEFAULT_MAX_TASKS:,})",
    )
    run.add_argument("--force", action="store_true", help="recompute every task, even those stored with the same key")
    run.add_argument(
        "--retry-failed",
        metavar="RUN_DIR",
        help="resume an existing run folder with its saved config, rerunning its failed tasks too (and, as any "
        "resume does, the tasks whose key changed: edited detector code or data)",
    )
    run.add_argument(
        "--backend",
        choices=("processes", "dask"),
        default="processes",
        help="where tasks run: local worker processes (default) or a local Dask cluster ('pip install -e .[dask]')",
    )
    run.add_argument(
        "--scheduler",
        metavar="tcp://HOST:PORT",
        help="send tasks to an existing Dask cluster at tcp://HOST:PORT (or tls://, ws://, wss://), as `dask "
        "scheduler` prints it (implies --backend dask; results come back to this machine)",
    )
    _report_flags(run)
    run.set_defaults(handler="run")


def _add_evaluate_and_report(sub: Any, common: argparse.ArgumentParser) -> None:
    """``evaluate`` (stored scores to metrics again) and ``report`` (tables, figures, report.html)."""
    ev = sub.add_parser(
        "evaluate",
        parents=[common],
        help="evaluate stored scores without re-running detectors",
        description="Re-evaluate a run folder (--run DIR), or score a folder of external score "
        "files laid out like NAB's results (--dataset nab --scores DIR --metrics nab).",
    )
    ev.add_argument("--run", help="a run folder written by 'bench run'")
    ev.add_argument("--scores", help="a folder of <category>/<detector>_<file>.csv with an anomaly_score column")
    ev.add_argument("--dataset", help="the dataset the external scores belong to (with --scores)")
    ev.add_argument("--metrics", help="metric families, comma-separated")
    ev.add_argument("--threshold", help="label-free threshold strategy (default: the run's)")
    ev.add_argument("--format", choices=("json", "table"), default="table", help="output format for --scores")
    ev.add_argument(
        "--match",
        default="timestamps",
        metavar="HOW",
        help="with --scores: how a file's rows are matched to the series' rows: timestamps (default; its "
        "timestamp, value or label column must agree row by row) or rows (by position, as NAB's scorer does; "
        "one warning per file whose rows differ)",
    )
    ev.add_argument("--name", help="the evaluation's folder name under <run>/evaluations/ (default: from its settings)")
    ev.add_argument("--overwrite", action="store_true", help="replace an existing evaluation of the same name")
    ev.add_argument(
        "--post",
        metavar="POST[,POST+POST]",
        help="add each row with these post-processors applied to its stored raw scores, e.g. likelihood",
    )
    ev.set_defaults(handler="evaluate")

    rep = sub.add_parser(
        "report",
        parents=[common],
        help="rebuild a run's tables, figures and report.html from its stored results (no detector runs)",
        description="Paper tables (Markdown, LaTeX, CSV; mean ± std over seeds, average rank, per category), "
        "rank statistics (Friedman, Nemenyi CD, Wilcoxon-Holm), figures and a self-contained report.html.",
    )
    rep.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by 'bench run'")
    rep.add_argument(
        "--evaluation", metavar="NAME", help="report on <RUN_DIR>/evaluations/NAME instead (a folder name there)"
    )
    rep.add_argument("--standalone", action="store_true", help="tables.tex as a document that compiles on its own")
    _report_flags(rep)
    rep.set_defaults(handler="report")


def _add_export(sub: Any, common: argparse.ArgumentParser) -> None:
    """``export scores``: a run's scores as CSV files other tools read (:mod:`bench.export`)."""
    ex = sub.add_parser("export", parents=[common], help="write a run's stored results in other formats")
    ex_sub = ex.add_subparsers(dest="action", metavar="WHAT", required=True)
    sc = ex_sub.add_parser(
        "scores",
        parents=[common],
        help="each row's scores as CSV: NAB's results/ layout (which 'evaluate --scores' reads) or plain",
        description="Write a run's scores (each row's, post-processors applied, as the run evaluated them) beside "
        "the series' timestamps, values and labels. No detector runs.",
    )
    sc.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by 'bench run'")
    sc.add_argument(
        "--format",
        required=True,
        metavar="FORMAT",
        help="nab: <out>/<dataset>/<row>/<category>/<row>_<file>.csv (one seed); "
        "csv: <out>/<row>/seed<k>/<dataset>/<series>.csv (timestamp, value, label, anomaly_score)",
    )
    sc.add_argument("--out", metavar="DIR", help="where to write (default: RUN_DIR/exports/FORMAT)")
    sc.add_argument("--seed", type=int, help="only this seed (default: nab the run's first seed, csv every seed)")
    sc.add_argument("--detector", metavar="NAME", help="only this row, by its name in the tables (e.g. zscore)")
    sc.set_defaults(handler="export_scores")


def _allow_flag(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--allow-different",
        metavar="CATEGORIES",
        help="compare even though the two sides differ in these, comma-separated: data (series fingerprints), "
        "threshold, metrics (metric families), params (a row's parameters); other code versions are "
        "named in the header and never refused; "
        "the error that refuses a comparison names the ones to add, and the header lists them",
    )


def _gate_flags(p: argparse.ArgumentParser) -> None:
    """``--tolerance``, ``--gate`` and ``--alpha``: the decision rule of ``compare`` and ``check``."""
    p.add_argument("--tolerance", type=float, default=0.01, help="allowed drop, absolute (default: 0.01)")
    p.add_argument(
        "--gate",
        choices=("delta", "significant"),
        default="delta",
        help="delta (default): fail where a gated metric got worse by more than --tolerance; significant: only "
        "where, in addition, the paired Wilcoxon test across series rejects at --alpha (a row without per-series "
        "values or with too few series then passes, and is listed)",
    )
    p.add_argument(
        "--alpha", type=float, default=0.05, help="significance level of the paired test across series (default: 0.05)"
    )


def _add_gates(sub: Any, common: argparse.ArgumentParser) -> None:
    """``compare``, ``baseline save`` and ``check``: the regression gates."""
    cmp = sub.add_parser(
        "compare",
        parents=[common],
        help="the regression gate: exit 1 when a metric of NEW dropped below BASE by more than --tolerance",
        description="Compare two runs (run folders, evaluation folders or baseline .json files) per dataset, "
        "detector and metric; name the series that moved most and list the regressions at the end. "
        "Exit 0: no regression; 1: a gated metric regressed (--gate); 2: the runs cannot be compared "
        "(other datasets, series, detectors or metrics; other data, threshold, metric families or a row's "
        "parameters unless --allow-different says so). Other code versions are named in the header.",
    )
    cmp.add_argument("base", metavar="BASE", help="run folder or baselines/NAME.json")
    cmp.add_argument("new", metavar="NEW", help="run folder or baselines/NAME.json")
    cmp.add_argument(
        "--metric", help="gated metrics, comma-separated (default: auc_pr,vus_pr,auc_roc,f1,pa_k_f1,nab_standard)"
    )
    _gate_flags(cmp)
    cmp.add_argument("--all", action="store_true", help="also show (ungated) every other metric both runs have")
    cmp.add_argument("--markdown", action="store_true", help="print a Markdown table (for a pull request)")
    _allow_flag(cmp)
    cmp.set_defaults(handler="compare")

    bl = sub.add_parser("baseline", parents=[common], help="save a run as a committed baseline")
    bl_sub = bl.add_subparsers(dest="action", metavar="ACTION", required=True)
    save = bl_sub.add_parser("save", parents=[common], help="write baselines/NAME.json from a run folder")
    save.add_argument("run_dir", metavar="RUN_DIR")
    save.add_argument("name", metavar="NAME", help="a plain file name (letters, digits, . _ + = , -)")
    save.add_argument("--dir", default="baselines", help="where to write it (default: baselines)")
    save.add_argument("--overwrite", action="store_true", help="replace an existing NAME.json")
    save.add_argument("--metric", help="metrics to keep, comma-separated (default: the gated headline set)")
    save.set_defaults(handler="baseline_save")

    chk = sub.add_parser(
        "check",
        parents=[common],
        help="re-run the run a baseline file describes and compare (exit 1 on a regression)",
        description="Re-run the run a baseline file describes (its saved config) with the current code and compare "
        "it with the committed values, on every metric the baseline kept, as compare does. Exit 0: no regression; "
        "1: a gated metric regressed (the output then prints the 'baseline save' command that makes the fresh run, "
        "kept with --out, the new baseline, for a change that is intended); 2: the baseline cannot be checked (a "
        "task failed; other data or parameters unless --allow-different says so).",
    )
    chk.add_argument("baseline", metavar="BASELINE.json", help="a file written by 'baseline save'")
    _gate_flags(chk)
    chk.add_argument(
        "--out",
        metavar="DIR",
        help="keep the fresh run in this folder, e.g. to update the baseline from it "
        "(default: a temporary folder, removed afterwards)",
    )
    chk.add_argument(
        "--jobs", type=int, default=None, help="worker processes (default: one per core; 0: in this process)"
    )
    chk.add_argument("--markdown", action="store_true", help="print a Markdown table")
    _allow_flag(chk)
    chk.set_defaults(handler="check")


def _add_catalogues(sub: Any, common: argparse.ArgumentParser) -> None:
    """``datasets fetch|verify|list`` and ``list``."""
    ds = sub.add_parser("datasets", parents=[common], help="manage datasets")
    ds_sub = ds.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = ds_sub.add_parser(
        "fetch", parents=[common], help="download a dataset (verified, resumable), or say how to get it"
    )
    fetch.add_argument("name", help="dataset to download, e.g. nab or smd")
    fetch.set_defaults(handler="datasets_fetch")
    verify = ds_sub.add_parser("verify", parents=[common], help="re-hash a dataset's files on disk against its pins")
    verify.add_argument("name", help="dataset to check, e.g. nab")
    verify.set_defaults(handler="datasets_verify")
    ds_list = ds_sub.add_parser("list", parents=[common], help="every dataset, how it is obtained, its size")
    ds_list.set_defaults(handler="datasets_list")

    lst = sub.add_parser("list", parents=[common], help="list detectors (with parameters), datasets and metrics")
    lst.add_argument("--dataset", metavar="NAME", help="only this dataset's page")
    lst.set_defaults(handler="list")


GLOBAL_OPTIONS: tuple[tuple[tuple[str, ...], dict[str, Any]], ...] = (
    (("-q", "--quiet"), {"action": "store_true", "help": "no progress bars or notes"}),
    (("--debug",), {"action": "store_true", "help": "show tracebacks on errors"}),
    (("--data-dir",), {"help": "where datasets are downloaded (default: $BENCH_DATA_DIR or ./datasets)"}),
)
"""Options every command takes, before or after its name (``bench -q run`` = ``bench run -q``)."""


def _global_options(parser: argparse.ArgumentParser, *, defaults: bool) -> argparse.ArgumentParser:
    """Add :data:`GLOBAL_OPTIONS`; without ``defaults`` an option left out does not reset one given earlier."""
    for flags, kwargs in GLOBAL_OPTIONS:
        parser.add_argument(*flags, **kwargs, **({} if defaults else {"default": argparse.SUPPRESS}))
    return parser


def command_index(argv: list[str]) -> int:
    """Where the command's name is (or would go) in ``argv``: after the global options it starts with."""
    takes_value = {f for flags, kw in GLOBAL_OPTIONS if kw.get("action") != "store_true" for f in flags}
    flags = {f for fs, _ in GLOBAL_OPTIONS for f in fs}
    i = 0
    while i < len(argv) and argv[i].partition("=")[0] in flags:
        i += 2 if argv[i] in takes_value else 1
    return min(i, len(argv))


def build_parser() -> argparse.ArgumentParser:
    """The parser of every command; each sets ``handler``, the key of its function in :data:`bench.cli.COMMANDS`."""
    common = _global_options(argparse.ArgumentParser(add_help=False), defaults=False)
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark time-series anomaly detectors on labelled datasets.",
    )
    _global_options(parser, defaults=True)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    _add_run(sub, common)
    _add_evaluate_and_report(sub, common)
    _add_gates(sub, common)
    _add_export(sub, common)
    _add_catalogues(sub, common)
    return parser


def command_parser(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.ArgumentParser:
    """The parser of the command ``args`` names (``run``, ``datasets fetch``, ...); ``parser`` itself for none."""
    for dest in ("command", "action"):
        subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
        choice = getattr(args, dest, None)
        if not subs or choice not in subs[0].choices:
            break
        parser = subs[0].choices[choice]
    return parser


def parse_args(argv: list[str]) -> argparse.Namespace:
    """``argv`` parsed; an unknown command or flag is refused with the names close to it (``--datset``: did you
    mean '--dataset'?), a flag by its command's parser (its usage, not the top-level one). Exits 2 as argparse does."""
    parser = build_parser()
    i = command_index(argv)
    commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0].choices
    if i < len(argv) and not argv[i].startswith("-") and argv[i] not in commands:
        parser.error(f"unknown command {argv[i]!r}.{did_you_mean(argv[i], commands)} Commands: {', '.join(commands)}.")
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = command_parser(parser, args)
        flags = [f for a in command._actions for f in a.option_strings]
        hints = "".join(did_you_mean(x.partition("=")[0], flags) for x in extra if x.startswith("-"))
        command.error(f"unrecognized arguments: {' '.join(extra)}.{hints}")
    return args
