"""Issue 18.5, a gate a detector author can act on: which series moved, a closing list of regressions, the
parameters that differ, numbers without float noise in lines of at most 120 columns, ``--gate significant``,
``check --out`` with the command that updates the baseline, and ``evaluate --post`` applied twice refused."""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from bench.cli import main
from bench.compare import compare, number
from bench.compare_series import movers
from bench.compare_text import WIDTH, to_text
from bench.report import frames
from bench.results import read_metrics, write_frame
from tests._frames import metric_frame

SMALL = ["--param", "yahoo-synth.n_series=6", "--param", "yahoo-synth.length=400"]
FLOAT_NOISE = re.compile(r"\de-\d")  # 1.7e-17, 3e-05: an exponent where a reader wants a plain number


def _run(out: Path, *extra: str, detector: str = "zscore") -> Path:
    argv = ["run", "--detector", detector, "--dataset", "yahoo-synth", *SMALL, "--no-baselines", "--plots", "none"]
    assert main([*argv, *extra, "--out", str(out), "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """zscore on 6 small yahoo-synth series at its default window (100) and at window 30."""
    root = tmp_path_factory.mktemp("runs18")
    return {"base": _run(root / "base"), "w30": _run(root / "w30", "--param", "zscore.window_size=30")}


def _compare(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    capsys.readouterr()
    code = main(["compare", *argv])
    return code, capsys.readouterr().out


def _series_change(base: Path, new: Path, metric: str) -> pd.DataFrame:
    b = frames.per_series(read_metrics(base / "metrics.csv"), "yahoo-synth", metric)["zscore"]
    n = frames.per_series(read_metrics(new / "metrics.csv"), "yahoo-synth", metric)["zscore"]
    return pd.DataFrame({"b": b, "n": n, "change": n - b})


# --------------------------------------------------------------------------- movers, header, closing list
def test_18_compare_names_the_series_that_moved_with_their_values(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    code, out = _compare(capsys, str(runs["base"]), str(runs["w30"]), "--allow-different", "params")
    assert code in (0, 1)
    d = _series_change(runs["base"], runs["w30"], "vus_pr")
    worse, better = d[d.change < -0.01], d[d.change > 0.01]
    assert len(worse) + len(better) > 0, d  # the window matters on these series: something must move
    section = out.split("Series that moved by more than 0.01")[1]
    group = f"yahoo-synth zscore VUS-PR: {len(worse)} of 6 series worse, {len(better)} better"
    assert group in section
    block = section.split(group)[1].split("\n  yahoo-synth")[0]
    for name, r in pd.concat([worse.nsmallest(3, "change"), better.nlargest(3, "change")]).iterrows():
        word = "worse " if r.change < 0 else "better"
        line = f"{word}  {number(r.change, signed=True):>8}  {number(r.b):>7} → {number(r.n):<7}  {name}"
        assert line in block, (line, block)
    still = d[(d.change.abs() <= 0.01)]
    assert not any(f"  {name}\n" in block + "\n" for name in still.index)  # series that did not move are not named


def test_18_header_says_which_parameter_differs(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["compare", str(runs["base"]), str(runs["w30"])]) == 2
    assert "params (row zscore: window_size 100 vs 30)" in capsys.readouterr().err
    _, out = _compare(capsys, str(runs["base"]), str(runs["w30"]), "--allow-different", "params")
    assert out.splitlines()[1] == (
        "Compared although they differ (--allow-different params): params (row zscore: window_size 100 vs 30)."
    )


def test_18_every_line_fits_120_columns_without_float_noise(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    two_seeds = _run(tmp_path / "seeds", "--seeds", "0,1,2", "--param", "zscore.window_size=30")
    for argv in (
        [str(runs["base"]), str(runs["w30"]), "--allow-different", "params", "--all"],
        [str(runs["base"]), str(two_seeds), "--allow-different", "params", "--all"],
        [str(runs["base"]), str(runs["w30"]), "--allow-different", "params", "--gate", "significant"],
    ):
        _, out = _compare(capsys, *argv)
        long = [line for line in out.splitlines() if len(line) > WIDTH]
        assert not long, long
        assert not FLOAT_NOISE.search(out), out
        assert "std 0)" not in out  # seeds that agree are said to agree, not "beyond the seed spread (std 0)"


def test_18_seeds_that_agree_up_to_rounding_print_no_noise() -> None:
    """Seeds whose values differ in the last bit (the issue's ``0.1017 ± 1.7e-17``): shown as one value, no change."""
    ulp = {0: 0.1017, 1: float(np.nextafter(0.1017, 1.0)), 2: 0.1017}

    def value(s: str, d: str, k: int, m: str) -> float:
        return ulp[k]

    run = metric_frame(value, series=("s1", "s2", "s3"), detectors=("det1",), seeds=(0, 1, 2), metrics=("auc_pr",))
    means = frames.per_seed(run, "toy", "auc_pr", "mean").loc["det1"]
    assert 0 < means.std(ddof=1) < 1e-16  # the case is real: the seed means differ by rounding
    one_seed = run[run.seed == 0]
    for base, new in ((run, run.copy()), (one_seed, run)):
        c = compare(base, new)
        assert (c.table.change == 0).all() and c.table.verdict.tolist() == ["unchanged"]
        assert (c.table.new_seed_std == 0).all()
        text = to_text(c)
        table = text.split("\n\n")[1]  # the legend under it explains "±" whether or not a row needs one
        assert not FLOAT_NOISE.search(text) and "±" not in table and "0.1017  0.1017       0" in table


def _constructed(run: Path, dest: Path, new_values: list[float]) -> Path:
    """A copy of ``run`` whose per-series AUC-PR is ``new_values`` (the base side is set to 0.5 everywhere)."""
    shutil.copytree(run, dest)
    m = read_metrics(dest / "metrics.csv")
    rows = (m.metric == "auc_pr") & (m["aggregate"] == "") & (m.detector == "zscore")
    names = sorted(m.loc[rows, "series"].unique())
    m.loc[rows, "value"] = m.loc[rows, "series"].map(dict(zip(names, new_values, strict=True)))
    write_frame(dest / "metrics.csv", m)
    return dest


def test_18_gate_significant_fails_only_confirmed_drops(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    base = _constructed(runs["base"], tmp_path / "base", [0.5] * 6)
    mixed = _constructed(runs["base"], tmp_path / "mixed", [0.3, 0.3, 0.55, 0.55, 0.55, 0.55])  # mean -0.033
    consistent = _constructed(runs["base"], tmp_path / "consistent", [0.46, 0.455, 0.45, 0.445, 0.44, 0.435])
    gate = ["--metric", "auc_pr"]
    code, out = _compare(capsys, str(base), str(mixed), *gate)
    assert code == 1  # delta: worse by more than the tolerance
    closing = out.split("Regressions (1):\n")[1]
    assert closing.startswith("  yahoo-synth zscore AUC-PR: 0.5 → 0.4667 (-0.03333); worse; within series-to-series")
    assert "--gate significant would pass it" in closing
    code, out = _compare(capsys, str(base), str(mixed), *gate, "--gate", "significant")
    assert code == 0 and out.startswith("No regression: gated auc_pr; gate significant, tolerance 0.01 (absolute)")
    assert "not significant" in out and "Worse by more than 0.01 but not failed (--gate significant" in out
    assert _compare(capsys, str(base), str(consistent), *gate)[0] == 1
    code, out = _compare(capsys, str(base), str(consistent), *gate, "--gate", "significant")
    assert code == 1 and "Regressions (1):" in out and "larger than series-to-series noise" in out
    assert _compare(capsys, str(base), str(consistent), *gate, "--gate", "significant", "--alpha", "0.01")[0] == 0
    assert main(["compare", str(base), str(mixed), "--alpha", "1.5"]) == 2
    assert "alpha must be between 0 and 1" in capsys.readouterr().err


def test_18_closing_list_repeats_every_regression_of_the_table(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    code, out = _compare(capsys, str(runs["w30"]), str(runs["base"]), "--allow-different", "params")
    flagged = [line for line in out.split("\n\n")[1].splitlines() if line.endswith("REGRESSION")]
    assert code == int(bool(flagged))
    if flagged:
        closing = out.split(f"Regressions ({len(flagged)}):\n")[1]
        labels = [" ".join(line.split()[:3]) for line in flagged]  # dataset detector metric
        assert [line.split(":")[0].strip() for line in closing.splitlines() if line.startswith("  y")] == labels


def test_18_movers_count_only_series_beyond_the_tolerance() -> None:
    series = tuple(f"s{i}" for i in range(8))
    moves = dict(zip(series, (-0.2, -0.1, -0.05, -0.02, 0.005, 0.0, 0.03, 0.06), strict=True))

    def value(new: bool):  # type: ignore[no-untyped-def]
        return lambda s, d, k, m: 0.5 + (moves[s] if new else 0.0)

    base = metric_frame(value(False), series=series, detectors=("det1",), metrics=("auc_pr",))
    new = metric_frame(value(True), series=series, detectors=("det1",), metrics=("auc_pr",))
    m = movers(compare(base, new), k=3)
    assert m.series.tolist() == ["s0", "s1", "s2", "s7", "s6"]
    assert m.worse.tolist() == [True, True, True, False, False]
    assert (m.n_worse == 4).all() and (m.n_better == 2).all() and (m.n_series == 8).all()
    assert m.change.round(6).tolist() == [-0.2, -0.1, -0.05, 0.06, 0.03]


# --------------------------------------------------------------------------- check --out
@pytest.fixture
def baseline(runs: dict[str, Path], tmp_path: Path) -> Path:
    assert main(["baseline", "save", str(runs["base"]), "b", "--dir", str(tmp_path / "baselines")]) == 0
    return tmp_path / "baselines" / "b.json"


def _break_zscore(monkeypatch: pytest.MonkeyPatch) -> None:
    from bench.detectors.statistical import ZScoreDetector

    original = ZScoreDetector._score
    monkeypatch.setattr(ZScoreDetector, "_score", lambda self, X: -original(self, X))  # a deliberate change


def test_18_failed_check_keeps_its_run_with_out_and_prints_the_update(
    baseline: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    _break_zscore(monkeypatch)
    fresh = tmp_path / "fresh"
    capsys.readouterr()
    assert main(["check", str(baseline), "-q", "--jobs", "0", "--out", str(fresh)]) == 1
    out = capsys.readouterr().out
    assert (fresh / "metrics.csv").is_file() and (fresh / "config.json").is_file()
    assert f"The fresh run is in {fresh}." in out
    update = out.split("update the baseline from it: ")[1].splitlines()[0]
    assert update == f"python -m bench baseline save {fresh} b --dir {baseline.parent} --overwrite"
    assert main(shlex.split(update)[3:]) == 0  # the printed command works: the baseline now holds the change
    capsys.readouterr()
    assert main(["check", str(baseline), "-q", "--jobs", "0"]) == 0
    assert "identical to the committed values" in capsys.readouterr().out


def test_18_failed_check_without_out_says_how_to_keep_the_run(
    baseline: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    _break_zscore(monkeypatch)
    capsys.readouterr()
    assert main(["check", str(baseline), "-q", "--jobs", "0"]) == 1
    out = capsys.readouterr().out
    assert f"The fresh run was not kept; re-run with --out DIR to keep it: python -m bench check {baseline}" in out
    assert f"python -m bench baseline save DIR b --dir {baseline.parent} --overwrite" in out


def test_18_update_command_keeps_the_metrics_the_baseline_kept(
    runs: dict[str, Path],
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys,  # type: ignore[no-untyped-def]
) -> None:
    """A baseline saved with ``--metric auc_pr`` is updated with ``--metric auc_pr``, not with the default set."""
    assert main(["baseline", "save", str(runs["base"]), "few", "--dir", str(tmp_path), "--metric", "auc_pr"]) == 0
    _break_zscore(monkeypatch)
    capsys.readouterr()
    assert main(["check", str(tmp_path / "few.json"), "-q", "--jobs", "0"]) == 1
    assert f"baseline save DIR few --dir {tmp_path} --metric auc_pr --overwrite" in capsys.readouterr().out


# --------------------------------------------------------------------------- evaluate --post twice
def test_18_evaluate_refuses_a_post_processor_a_row_already_has(tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = _run(tmp_path / "run", detector="zscore,zscore+likelihood")
    capsys.readouterr()
    for chain in ("likelihood", "likelihood+likelihood"):
        assert main(["evaluate", "--run", str(run), "--post", chain, "-q"]) == 2
        err = capsys.readouterr().err
        assert len(err.strip().splitlines()) == 1, err
        assert "would get 'likelihood' twice" in err and "+likelihood+likelihood" in err
    assert not (run / "evaluations").exists()
