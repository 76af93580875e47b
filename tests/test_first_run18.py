"""Issue 18.6, the first run tells the truth at a glance: the auto ``+likelihood`` row of a raw-error detector
where one threshold scores a whole dataset (NAB), a terminal summary within 100 columns that shows every
requested metric family and never marks a row below ``random`` best, "did you mean" for names and flags, and a
README that opens with a quick start."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd
import pytest

from bench import registry
from bench.cli import main
from bench.config import RunConfig, build, dataset_spec, detector_specs
from bench.detectors.statistical import ZScoreDetector
from bench.experiment import from_flags
from bench.metrics import catalog
from bench.report.summary import ROW_COLUMNS, best_cells, to_terminal

REPO = Path(__file__).resolve().parents[1]
SMALL_YAHOO = ["--param", "yahoo-synth.n_series=2", "--param", "yahoo-synth.length=300"]
ONE_NAB = "artificialWithAnomaly/art_daily_jumpsup"


class RawZScoreDetector(ZScoreDetector):
    """A cheap detector that declares its score a raw error (as ``lstm`` and ``autoencoder`` do)."""

    raw_error = True


def aliases(config: RunConfig) -> list[str]:
    return [d.alias for d in config.detectors]


# --------------------------------------------------------------------------- the auto +likelihood row
def test_raw_error_is_a_registry_fact_of_lstm_and_autoencoder_only() -> None:
    raw = {n for n, e in registry.DETECTOR_ENTRIES.items() if e.raw_error}
    assert raw == {"lstm", "autoencoder"}
    assert [f.key for f in catalog.FAMILIES.values() if f.one_threshold] == ["nab"]


def test_a_raw_error_detector_on_nab_gets_its_likelihood_row_written_in_the_config() -> None:
    config = from_flags(detector="lstm,zscore", dataset="nab")
    assert aliases(config) == ["lstm", "lstm+likelihood", "zscore"]
    assert config.detectors[1].raw == config.detectors[0].raw, "one raw spec: the raw scores are computed once"
    saved = config.to_dict()
    assert [d["alias"] for d in saved["detectors"]] == ["lstm", "lstm+likelihood", "zscore"]
    only_raw = {**saved, "detectors": saved["detectors"][:1]}
    assert aliases(RunConfig.from_dict(only_raw)) == ["lstm"], "a saved config (bench check) never gains a row"
    assert aliases(from_flags(detector="lstm", dataset="nab", auto_post=False)) == ["lstm"]
    assert aliases(from_flags(detector="lstm", dataset="yahoo-synth")) == ["lstm"], "no corpus threshold there"
    assert aliases(from_flags(detector="lstm", dataset="nab", metrics="auc,point")) == ["lstm"], "no NAB score"
    assert aliases(from_flags(detector="lstm,lstm+likelihood", dataset="nab")) == ["lstm", "lstm+likelihood"]
    assert aliases(from_flags(detector="autoencoder", dataset="yahoo-synth,nab")) == [
        "autoencoder",
        "autoencoder+likelihood",
    ]


def test_a_grid_gets_one_likelihood_row_per_point() -> None:
    specs = detector_specs("lstm", {"window_size": [20, 30]})
    config = build(specs, [dataset_spec("nab")])
    assert aliases(config) == [
        "lstm[window_size=20]",
        "lstm[window_size=20]+likelihood",
        "lstm[window_size=30]",
        "lstm[window_size=30]+likelihood",
    ]


def test_an_experiment_file_can_turn_the_auto_row_off(tmp_path: Path) -> None:
    from bench.experiment import read

    toml = '[[dataset]]\nname = "nab"\n\n[[detector]]\nname = "lstm"\n'
    (tmp_path / "on.toml").write_text(toml)
    (tmp_path / "off.toml").write_text("auto_post = false\n" + toml)
    assert aliases(read(tmp_path / "on.toml")) == ["lstm", "lstm+likelihood"]
    assert aliases(read(tmp_path / "off.toml")) == ["lstm"]


def test_a_raw_error_run_on_nab_shows_both_rows_shares_the_raw_scores_and_says_why(
    tmp_path: Path, nab_mirror: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BENCH_NAB_SOURCE", str(nab_mirror))
    out = tmp_path / "run"
    det = f"{__name__}:RawZScoreDetector"
    argv = ["run", "--detector", det, "--dataset", "nab", "--series", ONE_NAB, "--jobs", "0", "--plots", "none"]
    assert main([*argv, "--data-dir", str(tmp_path / "d"), "--out", str(out), "-q"]) == 0
    printed = capsys.readouterr().out
    assert f"{det}+likelihood" in printed
    assert re.search(r"note: .*raw error.*NAB \(standard\).*likelihood", " ".join(printed.split()))
    config = json.loads((out / "config.json").read_text())
    assert [d["alias"] for d in config["detectors"]] == [det, f"{det}+likelihood"]
    assert len(list((out / "scores").iterdir())) == 3, "one score folder each for the detector, random and null"
    assert "raw error" in (out / "summary.md").read_text()
    assert main(["run", "--detector", det, "--dataset", "nab", "--no-auto-post", "--config", "x.toml", "-q"]) == 2


# --------------------------------------------------------------------------- the terminal summary
NAB_STD = catalog.header("nab_standard")


def _nab_table() -> pd.DataFrame:
    """A NAB summary as the run writes it: every summary column, four run rows, 15 published rows."""
    headers = [catalog.header(m.name) for m in catalog.summary_columns() if m.name in catalog.all_metrics()]
    headers = [h for h in headers if not h.startswith(("range", "event", "aff."))]
    nab = {NAB_STD: [7.4, 61.8, 8.6, 0.0], "AUC-PR": [0.198, 0.270, 0.115, 0.113], "F1": [0.1, 0.05, 0.2, 0.0]}
    rows = []
    for i, det in enumerate(["lstm", "lstm+likelihood", "random", "null"]):
        vals = {h: nab[h][i] if h in nab else 123.456 for h in headers}
        rows.append({"dataset": "nab", "detector": det, "source": "run", "series_ok": 58.0, "series_total": 58.0})
        rows[-1].update(vals, seeds=3)
    for k in range(15):
        rows.append({"dataset": "nab", "detector": f"published{k}", "source": "published", NAB_STD: 70.0})
    return pd.DataFrame(rows, columns=[*ROW_COLUMNS, *headers, "seeds"])


def test_the_terminal_summary_fits_100_columns_with_published_rows_in_the_files_only() -> None:
    text = to_terminal(_nab_table(), chance=["random", "null"])
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100, text
    assert "(published)" not in text and "published0" not in text
    assert "15 published rows" in " ".join(lines[-2:]) and "summary.md" in lines[-1]
    header = lines[0].split()
    assert header[:2] == ["dataset", "detector"] and "NAB" in header and "AUC-PR" in header


def test_a_row_below_random_is_never_marked_best() -> None:
    table = _nab_table()
    text = to_terminal(table, chance=["random", "null"])
    row = {line.split()[1]: line for line in text.splitlines()[2:6]}
    assert "61.800*" in row["lstm+likelihood"] and "*" not in row["lstm"]
    best = best_cells(table[table.source == "run"], ["random", "null"])
    assert (1, NAB_STD) in best and (0, NAB_STD) not in best
    assert not any(col == "F1" for _, col in best), "both detectors' F1 are below random's: no best at all"
    assert (1, "AUC-PR") in best and not any(i in (2, 3) for i, _ in best), "baselines never win"


def test_a_default_run_prints_within_100_columns(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "run"
    argv = ["run", "--detector", "zscore", *SMALL_YAHOO, "--jobs", "0", "--plots", "none", "--out", str(out), "-q"]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    table = printed.split("\nResults:")[0]
    assert max(len(line) for line in table.splitlines()) <= 100, table
    assert "zscore" in table and "AUC-PR" in table and "summary.md" in table


def test_requested_metric_families_appear_in_the_terminal_and_the_summary_files(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "run"
    argv = ["run", "--detector", "zscore", *SMALL_YAHOO, "--jobs", "0", "--plots", "none", "--out", str(out), "-q"]
    assert main(argv) == 0
    capsys.readouterr()
    assert main(["evaluate", "--run", str(out), "--metrics", "range,event,affiliation", "-q"]) == 0
    printed = capsys.readouterr().out
    for header in ("range F1", "event F1", "aff. P", "aff. R"):
        assert header in printed
    (evaluation,) = (out / "evaluations").iterdir()
    summary = pd.read_csv(evaluation / "summary.csv", keep_default_na=False)
    assert {"range P", "range R", "range F1", "event F1", "aff. P", "aff. R"} <= set(summary.columns)


# --------------------------------------------------------------------------- did you mean
@pytest.mark.parametrize(
    ("argv", "hint"),
    [
        (["run", "--dataset", "nabb"], "Unknown dataset 'nabb'. Did you mean 'nab'? Available:"),
        (["run", "--detector", "lstn"], "Unknown detector 'lstn'. Did you mean 'lstm'? Available:"),
        (["run", "--detector", "lstm+likelyhood"], "Did you mean 'likelihood'?"),
        (["run", "--metrics", "rnage"], "Unknown metric 'rnage'. Did you mean 'range'? Available:"),
    ],
)
def test_a_misspelled_name_gets_did_you_mean(argv: list[str], hint: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main([*argv, "-q"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and hint in err[0], err


@pytest.mark.parametrize(
    ("argv", "usage", "hint"),
    [
        (["run", "--datset", "nab"], "usage: python -m bench run", "Did you mean '--dataset'"),
        (["--datset", "nab"], "usage: python -m bench run", "Did you mean '--dataset'"),
        (["evaluate", "--treshold", "x"], "usage: python -m bench evaluate", "Did you mean '--threshold'?"),
        (["datasets", "fetch", "nab", "--data-dri", "x"], "usage: python -m bench datasets fetch", "'--data-dir'"),
    ],
)
def test_a_misspelled_flag_gets_its_commands_usage_and_did_you_mean(
    argv: list[str], usage: str, hint: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        main(argv)
    assert exc.value.code == 2
    err = capsys.readouterr().err
    assert err.startswith(usage) and hint in err, err


def test_a_misspelled_command_gets_did_you_mean(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["evalute", "--run", "x"])
    assert "Did you mean 'evaluate'?" in capsys.readouterr().err


# --------------------------------------------------------------------------- README
def test_the_readme_opens_with_a_three_command_quick_start_and_links_its_reference_pages() -> None:
    readme = (REPO / "README.md").read_text()
    first = re.search(r"^## (.+)$", readme, re.M)
    assert first is not None and first.group(1) == "Quick start"
    block = re.search(r"^## Quick start\n.*?```\n(.*?)```", readme, re.S | re.M)
    assert block is not None
    commands = [line for line in block.group(1).splitlines() if line.strip() and not line.startswith("#")]
    assert len(commands) == 3, commands
    assert commands[0].startswith("pip install torch --index-url https://download.pytorch.org/whl/cpu")
    assert commands[1].startswith("python -m bench run") and commands[2].startswith("python -m pytest")
    assert len(readme.splitlines()) < 300, "reference material lives in docs/"
    links = re.findall(r"\]\((docs/[^)#]+)", readme)
    assert len(set(links)) >= 4 and all((REPO / link).is_file() for link in links), links
    for anchor in re.findall(r"\]\(#([^)]+)\)", readme):
        assert any(_anchor(h) == anchor for h in re.findall(r"^#+ (.+)$", readme, re.M)), anchor


def _anchor(heading: str) -> str:
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
