"""Command-line interface: parse arguments, build a ``RunConfig``, call the pipeline, map outcomes to exit codes.

    python -m bench run [--detector lstm] [--dataset yahoo-synth] [--config exp.toml] ...
    python -m bench evaluate --run DIR | --dataset nab --scores DIR --metrics nab
    python -m bench export scores DIR --format nab|csv
    python -m bench datasets fetch NAME
    python -m bench list

Exit codes: 0 all good; 2 bad input (one line on stderr, a traceback only
with --debug); 3 some tasks failed (recorded in failures.csv); 130 interrupted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from bench.backends import DEFAULT_TASK_TIMEOUT
from bench.cli_args import CONFIG_FLAGS, DEFAULTS, build_parser, command_index, parse_args
from bench.errors import BenchError, FailFastError, ParameterError

if TYPE_CHECKING:
    from bench.config import RunConfig
    from bench.finish import RunResult
    from bench.pipeline import RunOptions
    from bench.results import RunStore
    from bench.series import Series


def _say(args: argparse.Namespace, text: str) -> None:
    if not args.quiet:
        print(text, file=sys.stderr, flush=True)


def _print_result(result: RunResult) -> None:
    import textwrap

    from bench.report.build import chance_baselines
    from bench.report.summary import to_terminal

    print(to_terminal(result.table, result.requested, chance_baselines(result.config.rows)), end="")
    for note in result.notes:
        print(textwrap.fill(f"note: {note}", width=100, subsequent_indent="  "))
    for r in result.failed:
        print(f"warning: {r.detector} failed on {r.dataset}/{r.series}: {r.error}", file=sys.stderr)
    print(f"\nResults: {result.out or result.store.root}", flush=True)
    if result.failed:
        print(
            f"{len(result.failed)} task(s) failed (see failures.csv); exit code 3. "
            f"Rerun them with: python -m bench run --retry-failed {result.store.root}",
            file=sys.stderr,
        )


# --------------------------------------------------------------------------- commands
def _given(args: argparse.Namespace) -> list[str]:
    """The run-describing flags given a non-default value."""
    return [f"--{f.replace('_', '-')}" for f in CONFIG_FLAGS if getattr(args, f) != DEFAULTS[f]]


def config_from_args(args: argparse.Namespace) -> RunConfig:
    """The RunConfig that ``run``'s flags (or ``--config FILE``, or ``--retry-failed RUN_DIR``) describe."""
    from bench import experiment

    if args.retry_failed:
        from bench.results import RunStore
        from bench.runfolder import read_config

        if args.out and Path(args.out) != Path(args.retry_failed):
            raise ParameterError("--retry-failed RUN_DIR already names the run folder; drop --out.")
        if _given(args) or args.config:
            raise ParameterError(
                f"--retry-failed reruns a run as it was saved; drop {', '.join(_given(args)) or '--config'}."
            )
        return read_config(RunStore(Path(args.retry_failed)))
    if args.config:
        if _given(args):
            raise ParameterError(
                f"--config {args.config} describes the whole run; drop {', '.join(_given(args))} (or edit the file)."
            )
        return experiment.read(args.config, max_tasks=args.max_tasks)
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
        auto_post=not args.no_auto_post,
        max_tasks=args.max_tasks,
    )


EXIT_OK, EXIT_BAD_INPUT, EXIT_FAILED_TASKS, EXIT_INTERRUPTED = 0, 2, 3, 130


def options_from_args(args: argparse.Namespace) -> RunOptions:
    """The execution options ``run``'s (or ``check``'s) flags describe."""
    from bench.pipeline import RunOptions

    return RunOptions(
        jobs=args.jobs,
        backend=getattr(args, "backend", "processes"),
        scheduler=getattr(args, "scheduler", None),
        task_timeout=getattr(args, "task_timeout", DEFAULT_TASK_TIMEOUT),
        fail_fast=getattr(args, "fail_fast", False),
        force=getattr(args, "force", False),
        retry_failed=bool(getattr(args, "retry_failed", None)),
        update=getattr(args, "update", False),
        max_tasks=getattr(args, "max_tasks", None),
        progress=not args.quiet,
    )


def cmd_run(args: argparse.Namespace) -> int:
    from bench import pipeline
    from bench.results import RunStore, new_run_id

    options = options_from_args(args)  # first: --max-tasks is checked before it bounds the grid
    config = config_from_args(args)
    if args.columns:  # checked now, not after every task has run
        from bench.report.paper import check_columns, parse_columns

        check_columns(parse_columns(args.columns), config.metrics)
    if args.retry_failed:
        args.out = args.retry_failed
    new_id = new_run_id([d.alias for d in config.rows], [d.name for d in config.datasets])
    out = Path(args.out) if args.out else Path(args.results_dir) / new_id
    args.out = str(out)  # so an interrupt can name the folder to resume
    if (out / "config.json").exists():
        _say(args, f"Resuming the run in {out}")
    result = pipeline.run(config, RunStore(out), options, data_dir=args.data_dir)
    _print_result(result)
    _report(args, RunStore(out), series=result.series)
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
        figure_size=args.figure_size,
        dpi=args.dpi,
        standalone=getattr(args, "standalone", False),
        evaluation=evaluation,
        series=series,
        rank_sanity=getattr(args, "rank_sanity", False),
        published_mode=getattr(args, "published", "separate"),
        display=getattr(args, "display", None) or (),
        sort=getattr(args, "sort", None),
    )
    for note in rep.notes:
        _say(args, f"note: {note}")
    print(f"Report: {rep.html} ({len(rep.files)} files, {rep.seconds:.1f} s)", flush=True)


def cmd_report(args: argparse.Namespace) -> int:
    from bench.results import RunStore

    _report(args, RunStore(Path(args.run_dir)), evaluation=args.evaluation)
    return EXIT_OK


def cmd_compare(args: argparse.Namespace) -> int:
    from bench.check import compare_saved
    from bench.compare import check_gate
    from bench.compare_text import to_text
    from bench.experiment import split_list
    from bench.provenance import parse_allowed

    check_gate(args.gate, args.alpha)  # before reading either side
    metrics = split_list(args.metric) if args.metric else None
    allow = parse_allowed(args.allow_different)
    result = compare_saved(
        Path(args.base),
        Path(args.new),
        metrics=metrics,
        tolerance=args.tolerance,
        alpha=args.alpha,
        gate=args.gate,
        all_metrics=args.all,
        allow=allow,
    )
    print(to_text(result, markdown=args.markdown), end="")
    return result.exit_code


def cmd_baseline_save(args: argparse.Namespace) -> int:
    from bench.baseline import save_baseline
    from bench.experiment import split_list

    metrics = tuple(split_list(args.metric)) if args.metric else None
    path = save_baseline(Path(args.run_dir), args.name, Path(args.dir), metrics, overwrite=args.overwrite)
    print(f"Baseline written: {path} (check it with: python -m bench check {path})")
    return EXIT_OK


def cmd_check(args: argparse.Namespace) -> int:
    from bench.check import check_baseline
    from bench.compare import check_gate
    from bench.compare_text import to_text
    from bench.provenance import parse_allowed

    check_gate(args.gate, args.alpha)  # before the run
    out = Path(args.out) if args.out else None
    allow = parse_allowed(args.allow_different)
    checked = check_baseline(
        args.baseline,
        options_from_args(args),
        out=out,
        data_dir=args.data_dir,
        tolerance=args.tolerance,
        alpha=args.alpha,
        gate=args.gate,
        allow=allow,
    )
    print(to_text(checked.comparison, markdown=args.markdown), end="")
    verdict = "identical to" if checked.identical else "differs from"
    print(f"{checked.baseline.name}: {verdict} the committed values.")
    for line in checked.next_steps():
        print(line)
    return checked.comparison.exit_code


def cmd_evaluate(args: argparse.Namespace) -> int:
    from bench import pipeline
    from bench.experiment import split_list

    if args.scores:
        if not args.dataset:
            raise ParameterError("--scores needs --dataset (the labels to score against), e.g. --dataset nab.")
        metrics = split_list(args.metrics) if args.metrics else ["nab"]
        found = pipeline.evaluate_score_files(
            Path(args.scores),
            split_list(args.dataset),
            metrics,
            data_dir=args.data_dir,
            progress=not args.quiet,
            match=args.match,
        )
        _print_scores(found, args.format)
        return EXIT_OK
    if not args.run:
        raise ParameterError("evaluate needs --run DIR (a run folder) or --scores DIR with --dataset.")
    from bench.metrics import thresholds
    from bench.results import RunStore

    result = pipeline.evaluate_run(
        RunStore(Path(args.run)),
        data_dir=args.data_dir,
        progress=not args.quiet,
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


def _print_scores(result: dict[str, Any], fmt: str) -> None:
    if fmt == "json":
        print(json.dumps(result, indent=2))
        return
    for profile, vals in result.items():
        if isinstance(vals, dict):
            print(f"{profile:22s} " + "  ".join(f"{k}={v:.6g}" for k, v in vals.items()))


def cmd_export_scores(args: argparse.Namespace) -> int:
    from bench.export import export_scores

    done = export_scores(
        Path(args.run_dir),
        args.format,
        out=Path(args.out) if args.out else None,
        seed=args.seed,
        detector=args.detector,
        data_dir=args.data_dir,
        progress=not args.quiet,
    )
    print(f"Exported {done.files} score files to {done.out}")
    return EXIT_OK


def cmd_datasets_fetch(args: argparse.Namespace) -> int:
    from bench.dataops import NotDownloadable, fetch_dataset

    try:
        path = fetch_dataset(args.name, args.data_dir, progress=not args.quiet)
    except NotDownloadable as exc:
        print(exc.how)
        raise
    print(f"{args.name} is in {path}")
    return EXIT_OK


def cmd_datasets_verify(args: argparse.Namespace) -> int:
    from bench.dataops import verify_dataset
    from bench.errors import DataError

    report = verify_dataset(args.name, args.data_dir)
    print(report.summary())
    if not report.passed:
        raise DataError(f"{args.name}: verification failed (see above); `bench datasets fetch {args.name}` repairs it.")
    return EXIT_OK


def cmd_datasets_list(args: argparse.Namespace) -> int:
    from bench.listing import datasets_table

    print(datasets_table(), end="")
    return EXIT_OK


def cmd_list(args: argparse.Namespace) -> int:
    from bench.listing import listing

    print(listing(args.dataset), end="")
    return EXIT_OK


COMMANDS = {
    "run": cmd_run,
    "evaluate": cmd_evaluate,
    "report": cmd_report,
    "compare": cmd_compare,
    "baseline_save": cmd_baseline_save,
    "check": cmd_check,
    "export_scores": cmd_export_scores,
    "datasets_fetch": cmd_datasets_fetch,
    "datasets_verify": cmd_datasets_verify,
    "datasets_list": cmd_datasets_list,
    "list": cmd_list,
}
"""What each command runs (``build_parser`` names the command in ``args.handler``)."""


def _show_warning(message: Warning | str, category: type[Warning], *args: object, **kwargs: object) -> None:
    """Data repairs and other warnings as one line each on stderr (no source line)."""
    print(f"warning: {message}", file=sys.stderr)


def parse(argv: Sequence[str]) -> argparse.Namespace:
    """The parsed command line; with no command (only options, or nothing) it is ``run``, the default job."""
    argv = list(argv)
    i = command_index(argv)
    if i == len(argv) or argv[i].startswith("-") and argv[i] not in ("-h", "--help"):
        argv.insert(i, "run")  # `python -m bench` alone runs the default job
    return parse_args(argv)


class _ReaderMayLeave:
    """``sys.stdout`` for a reader that may stop reading (``bench list | head -1``).

    Once the pipe is closed, further output is dropped and the command goes on
    (a run still writes its report), exiting with its own code; the real
    stdout is pointed at the null device so the interpreter's last flush is quiet.
    """

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.gone = False

    def write(self, text: str) -> int:
        self._attempt(self.stream.write, text)
        return len(text)

    def flush(self) -> None:
        self._attempt(self.stream.flush)

    def _attempt(self, method: Callable[..., object], *args: str) -> None:
        if self.gone:
            return
        try:
            method(*args)
        except BrokenPipeError:
            self.gone = True
            with contextlib.suppress(OSError, ValueError):  # a stream without a file (pytest's capture)
                os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    stdout = sys.stdout
    sys.stdout = _ReaderMayLeave(stdout)  # type: ignore[assignment]
    try:
        return _main(argv)
    finally:
        sys.stdout = stdout


def _main(argv: Sequence[str] | None) -> int:
    import warnings

    warnings.showwarning = _show_warning  # type: ignore[assignment]
    args = parse(list(sys.argv[1:] if argv is None else argv))
    if not hasattr(args, "handler"):
        build_parser().print_help()
        return 2
    try:
        return int(COMMANDS[args.handler](args))
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
