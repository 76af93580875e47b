"""Command-line interface: parse arguments, build a ``RunConfig``, call the pipeline, map outcomes to exit codes.

    python -m bench run [--detector lstm] [--dataset yahoo-synth] [--config exp.toml] ...
    python -m bench evaluate --run DIR | --dataset nab --scores DIR --metrics nab
    python -m bench datasets fetch NAME
    python -m bench list

Exit codes: 0 all good; 2 bad input (one line on stderr, a traceback only
with --debug); 3 some tasks failed (recorded in failures.csv); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bench.backends import DEFAULT_TASK_TIMEOUT
from bench.errors import BenchError, FailFastError, ParameterError, UnknownNameError

if TYPE_CHECKING:
    from bench.config import RunConfig
    from bench.pipeline import RunResult
    from bench.results import RunStore
    from bench.series import Series

DEFAULT_DETECTOR = "lstm"
DEFAULT_DATASET = "yahoo-synth"
# run flags that describe the run itself (and so cannot be combined with --config)
CONFIG_FLAGS = ("detector", "dataset", "param", "seed", "seeds", "metrics", "threshold", "series", "no_baselines")


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def _print_result(result: RunResult) -> None:
    from bench.report.summary import to_terminal

    print(to_terminal(result.table), end="")
    for r in result.failed:
        print(f"warning: {r['detector']} failed on {r['dataset']}/{r['series']}: {r['error']}", file=sys.stderr)
    print(f"\nResults: {result.out or result.store.root}", flush=True)
    if result.failed:
        print(
            f"{len(result.failed)} task(s) failed (see failures.csv); exit code 3. "
            f"Rerun them with: python -m bench run --retry-failed {result.store.root}",
            file=sys.stderr,
        )


# --------------------------------------------------------------------------- commands
def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig that ``run``'s flags (or ``--config FILE``) describe."""
    from bench import experiment

    if args.config:
        given = [f"--{f.replace('_', '-')}" for f in CONFIG_FLAGS if getattr(args, f) != _DEFAULTS[f]]
        if given:
            raise ParameterError(
                f"--config {args.config} describes the whole run; drop {', '.join(given)} (or edit the file)."
            )
        return experiment.read(args.config)
    return experiment.from_flags(
        detector=args.detector,
        dataset=args.dataset,
        params=args.param,
        seed=args.seed,
        seeds=args.seeds,
        threshold=args.threshold,
        metrics=args.metrics,
        series=args.series,
        baselines=not args.no_baselines,
    )


EXIT_OK, EXIT_BAD_INPUT, EXIT_FAILED_TASKS, EXIT_INTERRUPTED = 0, 2, 3, 130


def cmd_run(args: argparse.Namespace) -> int:
    from bench import pipeline
    from bench.backends import make_executor
    from bench.results import RunStore, new_run_id
    from bench.runner import plan

    if args.retry_failed:
        if args.out and Path(args.out) != Path(args.retry_failed):
            raise ParameterError("--retry-failed RUN_DIR already names the run folder; drop --out.")
        given = [f"--{f.replace('_', '-')}" for f in CONFIG_FLAGS if getattr(args, f) != _DEFAULTS[f]]
        if given or args.config:
            raise ParameterError(f"--retry-failed reruns a run as it was saved; drop {', '.join(given) or '--config'}.")
        args.out = args.retry_failed
        config = pipeline.read_config(RunStore(Path(args.out)))
    else:
        config = config_from_args(args)
    series = pipeline.load_series(config, data_dir=args.data_dir, progress=_progress(args))
    rows = [d.alias for d in config.rows]
    out = Path(args.out) if args.out else Path(args.results_dir) / new_run_id(rows, [d.name for d in config.datasets])
    args.out = str(out)  # so an interrupt can name the folder to resume
    n_tasks = len(plan(config.rows, config.seeds, series))
    context, width, where = make_executor(
        args.jobs, n_tasks, backend=args.backend, scheduler=args.scheduler, task_timeout=args.task_timeout
    )
    if (out / "config.json").exists():
        _say(args, f"Resuming the run in {out}")
    with context as executor:
        result = pipeline.run(
            config,
            RunStore(out),
            executor,
            data_dir=args.data_dir,
            progress=_progress(args),
            update=args.update,
            execution={"command": "run", "jobs": width, "backend": where},
            series=series,
            in_flight=width if args.backend == "dask" or args.scheduler else 2 * width,
            timeout=args.task_timeout,
            force=args.force,
            retry_failed=bool(args.retry_failed),
            fail_fast=args.fail_fast,
        )
    _print_result(result)
    _report(args, RunStore(out), series=series)
    return EXIT_FAILED_TASKS if result.failed else EXIT_OK


def _report(
    args: argparse.Namespace, store: RunStore, *, series: list[Series] | None = None, evaluation: str | None = None
) -> None:
    from bench.report.build import build_report

    rep = build_report(
        store,
        data_dir=args.data_dir,
        columns=args.columns,
        plots=args.plots,
        plot_format=args.plot_format,
        standalone=getattr(args, "standalone", False),
        evaluation=evaluation,
        series=series,
    )
    for note in rep.notes:
        _say(args, f"note: {note}")
    print(f"Report: {rep.html} ({len(rep.files)} files, {rep.seconds:.1f} s)", flush=True)


def cmd_report(args: argparse.Namespace) -> int:
    from bench.results import RunStore

    _report(args, RunStore(Path(args.run_dir)), evaluation=args.evaluation)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from bench.baseline import load_metrics
    from bench.compare import compare, to_text
    from bench.experiment import split_list

    result = compare(
        load_metrics(Path(args.base)),
        load_metrics(Path(args.new)),
        metrics=split_list(args.metric) if args.metric else None,
        tolerance=args.tolerance,
        all_metrics=args.all,
    )
    print(to_text(result, markdown=args.markdown), end="")
    return result.exit_code


def cmd_baseline_save(args: argparse.Namespace) -> int:
    from bench.baseline import save_baseline
    from bench.experiment import split_list

    metrics = tuple(split_list(args.metric)) if args.metric else None
    path = save_baseline(Path(args.run_dir), args.name, Path(args.dir), metrics)
    print(f"Baseline written: {path} (check it with: python -m bench check {path})")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    import tempfile

    from bench import pipeline
    from bench.backends import make_executor
    from bench.baseline import read_baseline
    from bench.compare import compare, to_text
    from bench.results import RunStore
    from bench.runner import plan

    baseline = read_baseline(Path(args.baseline))
    config = baseline.config
    series = pipeline.load_series(config, data_dir=args.data_dir, progress=_progress(args))
    n_tasks = len(plan(config.rows, config.seeds, series))
    context, width, where = make_executor(args.jobs, n_tasks)
    with tempfile.TemporaryDirectory(prefix="bench-check-") as tmp:
        out = Path(args.out) if args.out else Path(tmp) / "run"
        with context as executor:
            result = pipeline.run(
                config,
                RunStore(out),
                executor,
                data_dir=args.data_dir,
                progress=_progress(args),
                execution={"command": f"check {args.baseline}", "jobs": width, "backend": where},
                series=series,
                in_flight=2 * width,
            )
    if result.failed:
        raise ParameterError(f"{len(result.failed)} task(s) failed; the baseline cannot be checked (see above).")
    from bench.metrics import catalog

    kept = set(baseline.metrics.metric)
    gated = tuple(m for m in catalog.gated() if m in kept) + tuple(sorted(kept - set(catalog.gated())))
    comparison = compare(baseline.metrics, result.metrics, metrics=gated, tolerance=args.tolerance)
    print(to_text(comparison, markdown=args.markdown), end="")
    same = comparison.table.change.fillna(0).abs().max() == 0 if len(comparison.table) else True
    print(f"{baseline.name}: {'identical to' if same else 'differs from'} the committed values.")
    return comparison.exit_code


def cmd_evaluate(args: argparse.Namespace) -> int:
    if args.scores:
        return _evaluate_scores(args)
    if not args.run:
        raise ParameterError("evaluate needs --run DIR (a run folder) or --scores DIR with --dataset.")
    from bench import pipeline
    from bench.experiment import split_list
    from bench.metrics import thresholds
    from bench.results import RunStore

    result = pipeline.evaluate_run(
        RunStore(Path(args.run)),
        data_dir=args.data_dir,
        progress=_progress(args),
        metrics=tuple(split_list(args.metrics)) if args.metrics else None,
        threshold=thresholds.from_spec(args.threshold) if args.threshold else None,
        name=args.name,
        overwrite=args.overwrite,
        post=[_row_chain(c) for c in split_list(args.post)] if args.post else None,
    )
    _print_result(result)
    return EXIT_FAILED_TASKS if result.failed else EXIT_OK


def _row_chain(text: str) -> list[str]:
    parts = [p.strip() for p in text.split("+")]
    if not all(parts):
        raise ParameterError(f"--post {text!r}: expected POST or POST+POST, e.g. likelihood or likelihood+spatial.")
    return parts


def _evaluate_scores(args: argparse.Namespace) -> int:
    from bench import pipeline
    from bench.config import RunConfig, dataset_spec
    from bench.experiment import split_list
    from bench.scorefiles import evaluate_nab_dir

    if not args.dataset:
        raise ParameterError("--scores needs --dataset (the labels to score against), e.g. --dataset nab.")
    keys = split_list(args.metrics) if args.metrics else ["nab"]
    if keys != ["nab"] or split_list(args.dataset) != ["nab"]:
        raise ParameterError("Scoring a folder of external scores supports --dataset nab --metrics nab for now.")
    config = RunConfig((), (dataset_spec("nab"),))
    series = pipeline.load_series(config, data_dir=args.data_dir, progress=_progress(args))
    result = evaluate_nab_dir(Path(args.scores), series)
    if args.format == "json":
        print(json.dumps(result, indent=2))
    else:
        for profile, vals in result.items():
            if isinstance(vals, dict):
                print(f"{profile:22s} " + "  ".join(f"{k}={v:.6g}" for k, v in vals.items()))
    return 0


def cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from bench import registry

    entry = registry.get_dataset(args.name)
    if entry.fetch is None:
        how = entry.how_to_get_text()
        if how:  # data bench may not download: say how to get it, and fail (nothing was fetched)
            print(how)
            raise UnknownNameError(f"bench cannot download {args.name!r}; see above for how to get it.")
        raise UnknownNameError(
            f"Nothing to fetch for {args.name!r}: it is generated. "
            f"Downloadable datasets: {', '.join(registry.fetchable_dataset_names())}."
        )
    path = registry.resolve(entry.fetch, "dataset fetcher")(args.data_dir, progress=_progress(args))
    print(f"{args.name} is in {path}")
    return EXIT_OK


def cmd_datasets_verify(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.errors import DataError

    entry = registry.get_dataset(args.name)
    if entry.verify is None:
        raise UnknownNameError(f"Nothing to verify for {args.name!r}: it is generated, not read from files.")
    report = registry.resolve(entry.verify, "dataset verifier")(args.data_dir)
    print(report.summary())
    if not report.passed:
        raise DataError(f"{args.name}: verification failed (see above); `bench datasets fetch {args.name}` repairs it.")
    return EXIT_OK


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from bench import registry

    for name in registry.dataset_names():
        about = registry.get_dataset(name).about()
        print(f"{name:12s} {about.access:14s} {about.size}")
    return EXIT_OK


def _describe_dataset(name: str) -> None:
    import textwrap

    from bench import registry

    entry = registry.get_dataset(name)
    about = entry.about()
    print(f"  {name}  ({about.access})")
    for line in textwrap.wrap(about.description, 92):
        print(f"      {line}")
    print(f"      size: {about.size}")
    print(f"      licence: {about.licence}")
    print(f"      source: {about.source}")
    opts = ", ".join(f"{k}={p.default!r}" for k, p in entry.options().items())
    if opts:
        print(f"      options: {opts}")


def cmd_list(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.metrics import catalog

    if args.dataset is not None:
        registry.get_dataset(args.dataset)  # unknown names fail with the list
        print("Datasets:")
        _describe_dataset(args.dataset)
        return EXIT_OK

    print("Detectors (--detector NAME, --param NAME.PARAM=VALUE):")
    for name in registry.detector_names():
        cls = registry.get_detector_class(name)
        params = ", ".join(f"{k}={p.default!r}" for k, p in registry.parameters(cls).items())
        print(f"  {name:12s} {cls.__name__}({params})")
    print("  (or any importable class as module:Class)")
    if registry.POSTPROCESSORS:
        print("\nPost-processors (--detector NAME+POST, --param POST.PARAM=VALUE):")
        for name in registry.postprocessor_names():
            cls = registry.get_postprocessor_class(name)
            params = ", ".join(f"{k}={p.default!r}" for k, p in registry.parameters(cls).items())
            print(f"  {name:12s} {cls.__name__}({params})")
    print("\nDatasets (--dataset NAME, --param NAME.OPTION=VALUE; 'bench list --dataset NAME' for one):")
    for name in registry.dataset_names():
        if args.dataset in (None, name):
            _describe_dataset(name)
    print("\nMetrics (--metrics KEY,KEY):")
    for key, fam in catalog.FAMILIES.items():
        mark = " [oracle]" if fam.oracle else ""
        default = " (default)" if key in catalog.default_families() else ""
        print(f"  {key:12s} {fam.description}{mark}{default}")
    return 0


# --------------------------------------------------------------------------- parser
_DEFAULTS = {
    "detector": DEFAULT_DETECTOR,
    "dataset": DEFAULT_DATASET,
    "param": [],
    "seed": 0,
    "seeds": None,
    "metrics": None,
    "threshold": "train_mean_std:3",
    "series": None,
    "no_baselines": False,
}


def _report_flags(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--plots",
        choices=("disagree", "all", "none"),
        default="disagree",
        help="per-series figures: the 6 series where detectors disagree most (default), all, or no figure at all",
    )
    p.add_argument("--plot-format", choices=("png", "pdf", "svg"), default="png", help="figure format (default: png)")
    p.add_argument(
        "--columns",
        help="paper-table columns, comma-separated metric[@mean|pooled|total|corpus|rank] "
        "(default: auc_pr,vus_pr,f1,oracle_best_f1,nab_standard, those the run has)",
    )


def build_parser() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("-q", "--quiet", action="store_true", help="no progress bars or notes")
    common.add_argument("--debug", action="store_true", help="show tracebacks on errors")
    common.add_argument("--data-dir", help="where datasets are downloaded (default: $BENCH_DATA_DIR or ./datasets)")

    parser = argparse.ArgumentParser(
        prog="python -m bench",
        description="Benchmark time-series anomaly detectors on labelled datasets.",
        parents=[common],
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser(
        "run",
        parents=[common],
        help="run detectors on a dataset, evaluate, write a results folder",
        description="Fit each detector on each series' training part, score the whole series, "
        "evaluate, and write results/<run-id>/ (config.json, scores/, metrics.csv, summary.md).",
    )
    run.add_argument("--config", metavar="FILE", help="a TOML experiment file describing the run (see README)")
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
        help="worker processes, one thread each (default: one per core; 1 for runs under 8 tasks)",
    )
    run.add_argument("--no-baselines", action="store_true", help="do not add the random and null sanity baselines")
    run.add_argument(
        "--task-timeout",
        type=float,
        default=DEFAULT_TASK_TIMEOUT,
        metavar="SECONDS",
        help=f"stop a task (fit + score of one series) after this long and record it as failed "
        f"(default: {DEFAULT_TASK_TIMEOUT:g})",
    )
    run.add_argument("--fail-fast", action="store_true", help="stop at the first failed task (exit code 3)")
    run.add_argument("--force", action="store_true", help="recompute every task, even those stored with the same key")
    run.add_argument(
        "--retry-failed",
        metavar="RUN_DIR",
        help="rerun only the failed tasks of an existing run folder, with its saved config",
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
        help="send tasks to an existing Dask cluster (implies --backend dask; results come back to this machine)",
    )
    _report_flags(run)
    run.set_defaults(func=cmd_run)

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
    ev.add_argument("--name", help="the evaluation's folder name under <run>/evaluations/ (default: from its settings)")
    ev.add_argument("--overwrite", action="store_true", help="replace an existing evaluation of the same name")
    ev.add_argument(
        "--post",
        metavar="POST[,POST+POST]",
        help="add each row with these post-processors applied to its stored raw scores, e.g. likelihood",
    )
    ev.set_defaults(func=cmd_evaluate)

    rep = sub.add_parser(
        "report",
        parents=[common],
        help="rebuild a run's tables, figures and report.html from its stored results (no detector runs)",
        description="Paper tables (Markdown, LaTeX, CSV; mean ± std over seeds, average rank, per category), "
        "rank statistics (Friedman, Nemenyi CD, Wilcoxon-Holm), figures and a self-contained report.html.",
    )
    rep.add_argument("run_dir", metavar="RUN_DIR", help="a run folder written by 'bench run'")
    rep.add_argument("--evaluation", metavar="NAME", help="report on <RUN_DIR>/evaluations/NAME instead")
    rep.add_argument("--standalone", action="store_true", help="tables.tex as a document that compiles on its own")
    _report_flags(rep)
    rep.set_defaults(func=cmd_report)

    cmp = sub.add_parser(
        "compare",
        parents=[common],
        help="the regression gate: exit 1 when a metric of NEW dropped below BASE by more than --tolerance",
        description="Compare two runs (run folders, evaluation folders or baseline .json files) per dataset, "
        "detector and metric. Exit 0: no regression; 1: a gated metric regressed; 2: the runs cannot be compared.",
    )
    cmp.add_argument("base", metavar="BASE", help="run folder or baselines/NAME.json")
    cmp.add_argument("new", metavar="NEW", help="run folder or baselines/NAME.json")
    cmp.add_argument(
        "--metric", help="gated metrics, comma-separated (default: auc_pr,vus_pr,auc_roc,f1,pa_k_f1,nab_standard)"
    )
    cmp.add_argument("--tolerance", type=float, default=0.01, help="allowed drop, absolute (default: 0.01)")
    cmp.add_argument("--all", action="store_true", help="also show (ungated) every other metric both runs have")
    cmp.add_argument("--markdown", action="store_true", help="print a Markdown table (for a pull request)")
    cmp.set_defaults(func=cmd_compare)

    bl = sub.add_parser("baseline", parents=[common], help="save a run as a committed baseline")
    bl_sub = bl.add_subparsers(dest="action", metavar="ACTION", required=True)
    save = bl_sub.add_parser("save", parents=[common], help="write baselines/NAME.json from a run folder")
    save.add_argument("run_dir", metavar="RUN_DIR")
    save.add_argument("name", metavar="NAME")
    save.add_argument("--dir", default="baselines", help="where to write it (default: baselines)")
    save.add_argument("--metric", help="metrics to keep, comma-separated (default: the gated headline set)")
    save.set_defaults(func=cmd_baseline_save)

    chk = sub.add_parser(
        "check",
        parents=[common],
        help="re-run the run a baseline file describes and compare (exit 1 on a regression)",
    )
    chk.add_argument("baseline", metavar="BASELINE.json")
    chk.add_argument("--tolerance", type=float, default=0.01, help="allowed drop, absolute (default: 0.01)")
    chk.add_argument("--out", help="keep the fresh run in this folder (default: a temporary folder)")
    chk.add_argument("--jobs", type=int, default=None, help="worker processes (default: one per core)")
    chk.add_argument("--markdown", action="store_true", help="print a Markdown table")
    chk.set_defaults(func=cmd_check, columns=None, plots="none", plot_format="png")

    ds = sub.add_parser("datasets", parents=[common], help="manage datasets")
    ds_sub = ds.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = ds_sub.add_parser(
        "fetch", parents=[common], help="download a dataset (verified, resumable), or say how to get it"
    )
    fetch.add_argument("name", help="dataset to download, e.g. nab or smd")
    fetch.set_defaults(func=cmd_datasets_fetch)
    verify = ds_sub.add_parser("verify", parents=[common], help="re-hash a dataset's files on disk against its pins")
    verify.add_argument("name", help="dataset to check, e.g. nab")
    verify.set_defaults(func=cmd_datasets_verify)
    ds_list = ds_sub.add_parser("list", parents=[common], help="every dataset, how it is obtained, its size")
    ds_list.set_defaults(func=cmd_datasets_list)

    lst = sub.add_parser("list", parents=[common], help="list detectors (with parameters), datasets and metrics")
    lst.add_argument("--dataset", metavar="NAME", help="only this dataset's page")
    lst.set_defaults(func=cmd_list)
    return parser


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """Data repairs and other warnings as one line each on stderr (no source line)."""
    print(f"warning: {message}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    import warnings

    warnings.showwarning = _show_warning  # type: ignore[assignment]
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]  # `python -m bench` alone runs the default job
    args = parser.parse_args(argv)
    if not hasattr(args, "func"):
        parser.print_help()
        return 2
    try:
        return int(args.func(args))
    except FailFastError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILED_TASKS
    except BenchError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        hint = f" Rerun with --out {out} to resume." if out else " Rerun with the same --out to resume."
        print(f"interrupted: completed tasks are kept in the run folder.{hint}", file=sys.stderr)
        return EXIT_INTERRUPTED
