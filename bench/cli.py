"""Command-line interface: argument parsing only; the work happens in the modules it calls.

    python -m bench run [--detector lstm] [--dataset yahoo-synth] ...
    python -m bench evaluate --run DIR | --dataset nab --scores DIR --metrics nab
    python -m bench datasets fetch nab
    python -m bench list

Errors print one line to stderr and exit with code 2 (a traceback only with --debug).
"""

from __future__ import annotations

import argparse
import ast
import fnmatch
import inspect
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.errors import BenchError, OutputError, ParameterError, UnknownNameError

DEFAULT_DETECTOR = "lstm"
DEFAULT_DATASET = "yahoo-synth"
SANITY_BASELINES = ("random", "null")


# --------------------------------------------------------------------------- helpers
def _split(value: str) -> list[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


def _typed(raw: str, default: Any, where: str) -> Any:
    """Convert a command-line string to the type of the parameter's default."""
    try:
        if isinstance(default, bool):
            low = raw.lower()
            if low in ("1", "true", "yes", "on"):
                return True
            if low in ("0", "false", "no", "off"):
                return False
            raise ValueError
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, str):
            return raw
        return ast.literal_eval(raw) if raw not in ("None", "none") else None
    except (ValueError, SyntaxError):
        kind = type(default).__name__
        raise ParameterError(f"{where}={raw!r}: expected {kind} (the default is {default!r}).") from None


def parse_params(items: Sequence[str], detectors: Sequence[str], datasets: Sequence[str]) -> dict[str, dict[str, Any]]:
    """``--param owner.name=value`` into {owner: {name: typed value}} for detectors and datasets."""
    from bench import registry

    out: dict[str, dict[str, Any]] = {}
    for item in items:
        key, eq, raw = item.partition("=")
        owner, dot, name = key.rpartition(".")
        if not eq or not dot or not owner or not name:
            raise ParameterError(f"--param {item!r}: expected OWNER.NAME=VALUE, e.g. lstm.window_size=30.")
        if owner in detectors:
            defaults = registry.get_detector_class(owner).default_params()
        elif owner in datasets:
            loader = registry.get_dataset_loader(owner)
            # a loader that forwards **options names the function whose signature lists them
            sig = inspect.signature(getattr(loader, "options_signature", loader))
            defaults = {
                p.name: p.default
                for p in sig.parameters.values()
                if p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
                and p.name not in ("data_dir", "progress", "source")
            }
        else:
            raise ParameterError(
                f"--param {item!r}: {owner!r} is not a detector or dataset of this run "
                f"({', '.join([*detectors, *datasets])})."
            )
        if name not in defaults:
            raise ParameterError(
                f"--param {item!r}: {owner} has no parameter {name!r}. Valid: {', '.join(defaults) or '(none)'}."
            )
        out.setdefault(owner, {})[name] = _typed(raw, defaults[name], f"{owner}.{name}")
    return out


def parse_threshold(text: str) -> Any:
    from bench.metrics import thresholds as th

    kind, _, arg = text.partition(":")
    try:
        if kind in ("train_mean_std", "train-std", "default"):
            return th.TrainMeanStd(k=float(arg) if arg else 3.0)
        if kind == "quantile":
            return th.Quantile(q=float(arg) if arg else 0.99)
        if kind == "fixed":
            return th.Fixed(value=float(arg))
    except ValueError:
        raise ParameterError(f"--threshold {text!r}: {arg!r} is not a number.") from None
    raise ParameterError(
        f"Unknown threshold strategy {text!r}. Available: train_mean_std[:K] (default, K=3), quantile:Q, fixed:VALUE."
    )


def _progress(args: argparse.Namespace) -> bool:
    return not args.quiet and sys.stdout.isatty()


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr)


# --------------------------------------------------------------------------- commands
def load_series(
    datasets: list[str],
    data_dir: str | None,
    options: dict[str, dict[str, Any]],
    pattern: str | None,
    progress: bool,
) -> list[Any]:
    from bench import registry

    series: list[Any] = []
    for name in datasets:
        loader = registry.get_dataset_loader(name)
        series.extend(loader(data_dir, progress=progress, **options.get(name, {})))
    if pattern:
        kept = [s for s in series if fnmatch.fnmatch(s.name, pattern) or fnmatch.fnmatch(s.key, pattern)]
        if not kept:
            examples = ", ".join(s.name for s in series[:3])
            raise UnknownNameError(
                f"--series {pattern!r} matches none of the {len(series)} series of {', '.join(datasets)} "
                f"(names look like: {examples}). Use a glob such as 'realKnownCause/*'."
            )
        series = kept
    return series


def cmd_run(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.metrics import catalog
    from bench.results import RunStore, environment, new_run_id, write_json
    from bench.runner import DetectorSpec, Task, run_tasks

    detectors = _split(args.detector)
    if not detectors:
        raise ParameterError("--detector is empty; name at least one, e.g. --detector lstm.")
    for d in detectors:
        registry.get_detector_class(d)  # unknown names fail before any work
    if not args.no_baselines:
        detectors += [b for b in SANITY_BASELINES if b in registry.DETECTORS and b not in detectors]
    datasets = _split(args.dataset)
    for ds in datasets:
        registry.get_dataset_loader(ds)
    params = parse_params(args.param, detectors, datasets)
    seeds = [int(s) for s in _split(args.seeds)] if args.seeds else [args.seed]
    strategy = parse_threshold(args.threshold)
    metric_keys = _split(args.metrics) if args.metrics else list(catalog.DEFAULT_FAMILIES)
    if "nab" in datasets and not args.metrics:
        metric_keys.append("nab")
    families = catalog.resolve(metric_keys)

    series = load_series(datasets, args.data_dir, params, args.series, _progress(args))
    out = Path(args.out) if args.out else Path(args.results_dir) / new_run_id(detectors, datasets)
    store = RunStore(out)
    args.out = str(out)  # so an interrupt can name the folder to resume
    config = {
        "command": "run",
        "detectors": [{"name": d, "params": {**_defaults(d), **params.get(d, {})}} for d in detectors],
        "datasets": [{"name": ds, "options": params.get(ds, {})} for ds in datasets],
        "series_filter": args.series,
        "n_series": len(series),
        "seeds": seeds,
        "threshold": strategy.name,
        "metrics": metric_keys,
        "training": "fit on each series' training part (values[:train_end]), score the whole series",
    }
    previous = store.config()
    if previous is not None:
        same = {k: previous.get(k) for k in config} == json.loads(json.dumps(config, default=str))
        if not same:
            raise OutputError(
                f"{out} already holds a different run (see its config.json); choose another --out, "
                "or repeat that run's exact options to resume it."
            )
        _say(args, f"Resuming the run in {out}")
    write_json(out / "config.json", {**config, "jobs": args.jobs, "environment": environment()})

    specs = [DetectorSpec(d, params.get(d, {})) for d in detectors]
    tasks = [Task(spec, seed, s) for spec in specs for seed in seeds for s in series]
    records = run_tasks(store, tasks, jobs=args.jobs, progress=_progress(args))
    return _finish(args, store, series, records, families, strategy, "nab" in metric_keys)


def _defaults(detector: str) -> dict[str, Any]:
    from bench import registry

    return registry.get_detector_class(detector).default_params()


def _finish(args, store, series, records, families, strategy, nab: bool) -> int:  # type: ignore[no-untyped-def]
    from bench.evaluate import evaluate
    from bench.report.tables import NOTES, summary_table, to_latex, to_markdown, to_terminal
    from bench.results import write_frame, write_text

    metrics = evaluate(store, series, records, families, strategy=strategy, nab=nab)
    write_frame(store.root / "metrics.csv", metrics)
    published = None
    if nab and any(s.dataset == "nab" for s in series):
        from bench.metrics.nab_run import published_rows

        published = published_rows()
    table = summary_table(metrics, published)
    failed = [r for r in records if r.get("status") != "ok"]
    text = "# Summary\n\n" + to_markdown(table) + "\n" + NOTES + "\n"
    if failed:
        text += f"\n## Failed tasks ({len(failed)})\n\n" + "".join(
            f"- {r['detector']} seed={r['seed']} {r['dataset']}/{r['series']}: {r['error']}\n" for r in failed
        )
    write_text(store.root / "summary.md", text)
    write_frame(store.root / "summary.csv", table)
    write_text(store.root / "summary.tex", to_latex(table))
    print(to_terminal(table), end="")
    for r in failed:
        print(f"warning: {r['detector']} failed on {r['dataset']}/{r['series']}: {r['error']}", file=sys.stderr)
    print(f"\nResults: {store.root}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bench.metrics import catalog

    if args.scores:
        if not args.dataset:
            raise ParameterError("--scores needs --dataset (the labels to score against), e.g. --dataset nab.")
        keys = _split(args.metrics) if args.metrics else ["nab"]
        if keys != ["nab"] or _split(args.dataset) != ["nab"]:
            raise ParameterError("Scoring a folder of external scores supports --dataset nab --metrics nab for now.")
        from bench.scorefiles import evaluate_nab_dir

        series = load_series(["nab"], args.data_dir, {}, None, _progress(args))
        result = evaluate_nab_dir(Path(args.scores), series)
        if args.format == "json":
            print(json.dumps(result, indent=2))
        else:
            for profile, vals in result.items():
                if isinstance(vals, dict):
                    print(f"{profile:22s} " + "  ".join(f"{k}={v:.6g}" for k, v in vals.items()))
        return 0
    if not args.run:
        raise ParameterError("evaluate needs --run DIR (a run folder) or --scores DIR with --dataset.")
    from bench.results import RunStore

    store = RunStore(Path(args.run))
    config = store.config()
    if config is None:
        raise OutputError(f"{args.run} has no config.json: not a run folder written by 'bench run'.")
    datasets = [d["name"] for d in config["datasets"]]
    options = {d["name"]: d["options"] for d in config["datasets"]}
    series = load_series(datasets, args.data_dir, options, config.get("series_filter"), _progress(args))
    records = []
    for det in config["detectors"]:
        for seed in config["seeds"]:
            for s in series:
                rec = store.read_task(store.task_path(det["name"], seed, s.dataset, s.name))
                if rec is not None:
                    records.append(rec)
    metric_keys = _split(args.metrics) if args.metrics else config["metrics"]
    strategy = parse_threshold(args.threshold) if args.threshold else parse_threshold(_threshold_arg(config))
    families = catalog.resolve(metric_keys)
    return _finish(args, store, series, records, families, strategy, "nab" in metric_keys)


def _threshold_arg(config: dict[str, Any]) -> str:
    name = str(config.get("threshold", "train_mean_std(k=3)"))
    kind, _, rest = name.partition("(")
    value = rest.rstrip(")").split("=")[-1]
    return f"{kind}:{value}" if value else kind


def cmd_datasets_fetch(args: argparse.Namespace) -> int:
    if args.name != "nab":
        raise UnknownNameError(
            f"Nothing to fetch for {args.name!r}: only 'nab' is downloaded (yahoo-synth is generated)."
        )
    from bench.datasets import nab

    path = nab.fetch(args.data_dir, progress=_progress(args))
    print(f"NAB is in {path}")
    return 0


def cmd_list(args: argparse.Namespace) -> int:
    from bench import registry
    from bench.metrics import catalog

    print("Detectors (--detector NAME, --param NAME.PARAM=VALUE):")
    for name in registry.detector_names():
        cls = registry.get_detector_class(name)
        params = ", ".join(f"{k}={v!r}" for k, v in cls.default_params().items())
        print(f"  {name:12s} {cls.__name__}({params})")
    print("  (or any importable class as module:Class)")
    print("\nDatasets (--dataset NAME):")
    for name in registry.dataset_names():
        print(f"  {name:12s} {registry.DATASET_DESCRIPTIONS.get(name, '')}")
    print("  (options as --param DATASET.NAME=VALUE, e.g. yahoo-synth.n_series=5)")
    print("\nMetrics (--metrics KEY,KEY):")
    for key, fam in catalog.FAMILIES.items():
        mark = " [oracle]" if fam.oracle else ""
        default = " (default)" if key in catalog.DEFAULT_FAMILIES else ""
        print(f"  {key:12s} {fam.description}{mark}{default}")
    print("  nab          NAB's normalised scores, three profiles (default on --dataset nab)")
    return 0


# --------------------------------------------------------------------------- parser
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
    run.add_argument(
        "--detector",
        default=DEFAULT_DETECTOR,
        help="detector name(s), comma-separated, or module:Class (default: lstm); see 'list'",
    )
    run.add_argument(
        "--dataset", default=DEFAULT_DATASET, help="dataset name(s), comma-separated (default: yahoo-synth)"
    )
    run.add_argument(
        "--param",
        action="append",
        default=[],
        metavar="OWNER.NAME=VALUE",
        help="a detector or dataset parameter, e.g. lstm.window_size=30 or yahoo-synth.n_series=5 (repeatable)",
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
        help="label-free threshold: train_mean_std:K (default, K=3), quantile:Q or fixed:VALUE",
    )
    run.add_argument("--out", help="the run folder (default: results/<run-id>); an existing one is resumed")
    run.add_argument("--results-dir", default="results", help="parent of new run folders (default: results)")
    run.add_argument(
        "--jobs",
        type=int,
        default=None,
        help="worker processes, one thread each (default: one per core; 1 for runs under 8 tasks)",
    )
    run.add_argument("--no-baselines", action="store_true", help="do not add the random and null sanity baselines")
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
    ev.set_defaults(func=cmd_evaluate)

    ds = sub.add_parser("datasets", parents=[common], help="manage datasets")
    ds_sub = ds.add_subparsers(dest="action", metavar="ACTION", required=True)
    fetch = ds_sub.add_parser("fetch", parents=[common], help="download a dataset (verified, resumable)")
    fetch.add_argument("name", help="dataset to download: nab")
    fetch.set_defaults(func=cmd_datasets_fetch)

    lst = sub.add_parser("list", parents=[common], help="list detectors (with parameters), datasets and metrics")
    lst.set_defaults(func=cmd_list)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0].startswith("-") and argv[0] not in ("-h", "--help"):
        argv = ["run", *argv]  # `python -m bench` alone runs the default job
    args = parser.parse_args(argv)
    try:
        return int(args.func(args))
    except BenchError as exc:
        if args.debug:
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        out = getattr(args, "out", None)
        hint = f" Rerun with --out {out} to resume." if out else " Rerun with the same --out to resume."
        print(f"interrupted: completed series are kept in the run folder.{hint}", file=sys.stderr)
        return 130
