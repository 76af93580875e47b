"""Issue 17, hostile input to the regression gates: ``baseline save``, ``compare`` and ``check`` lose nothing
and never exit 0 (or 1, "regression") on results that cannot be compared."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from bench.baseline import read_baseline
from bench.cli import main
from bench.errors import DataError

SMALL = ["--param", "yahoo-synth.n_series=3", "--param", "yahoo-synth.length=300"]


def _run(out: Path, *extra: str, detector: str = "zscore") -> Path:
    argv = ["run", "--detector", detector, "--dataset", "yahoo-synth", *SMALL, "--no-baselines"]
    assert main([*argv, *extra, "--out", str(out), "--plots", "none", "-q"]) == 0
    return out


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """zscore on 3 small yahoo-synth series, and the same run changed in one respect each."""
    root = tmp_path_factory.mktemp("runs")
    return {
        "base": _run(root / "base"),
        "other_data": _run(root / "other_data", "--param", "yahoo-synth.seed=7"),
        "other_params": _run(root / "other_params", "--param", "zscore.window_size=30"),
        "other_metrics": _run(root / "other_metrics", "--metrics", "point,auc,vus"),
    }


def _err(capsys: pytest.CaptureFixture[str]) -> str:
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1, err  # one line, no traceback
    return err


def _save(run: Path, folder: Path, name: str = "b", *extra: str) -> Path:
    assert main(["baseline", "save", str(run), name, "--dir", str(folder), *extra]) == 0
    return folder / f"{name}.json"


# --------------------------------------------------------------------------- 17.2 baseline save
def test_17_2_baseline_save_refuses_to_overwrite(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _save(runs["base"], tmp_path)
    before = path.read_bytes()
    assert main(["baseline", "save", str(runs["other_data"]), "b", "--dir", str(tmp_path)]) == 2
    err = _err(capsys)
    assert str(path) in err and "--overwrite" in err
    assert path.read_bytes() == before
    assert main(["baseline", "save", str(runs["other_data"]), "b", "--dir", str(tmp_path), "--overwrite"]) == 0
    assert path.read_bytes() != before


@pytest.mark.parametrize("name", ["../evil", "sub/b", "/tmp/abs", "..", ""])
def test_17_2_baseline_name_cannot_leave_the_folder(runs: dict[str, Path], tmp_path: Path, name: str, capsys) -> None:  # type: ignore[no-untyped-def]
    folder = tmp_path / "baselines"
    assert main(["baseline", "save", str(runs["base"]), name, "--dir", str(folder)]) == 2
    err = _err(capsys)
    assert repr(name) in err and "--dir" in err
    assert not any(p.suffix == ".json" for p in tmp_path.rglob("*"))


# --------------------------------------------------------------------------- 17.4 what the two sides measured
def test_17_4_compare_refuses_runs_of_other_data(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["compare", str(runs["base"]), str(runs["other_data"])]) == 2
    err = _err(capsys)
    assert "data" in err and "yahoo-synth/synth_000" in err and "--allow-different data" in err
    assert main(["compare", str(runs["base"]), str(runs["other_data"]), "--allow-different", "data"]) in (0, 1)
    out = capsys.readouterr().out
    assert "Compared although they differ (--allow-different data): data (3 of 3 series" in out.splitlines()[1]


def test_17_4_compare_refuses_other_thresholds(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    run = tmp_path / "run"
    shutil.copytree(runs["base"], run)
    assert main(["evaluate", "--run", str(run), "--threshold", "quantile:0.5", "--name", "q", "-q"]) == 0
    evaluation = run / "evaluations" / "q"
    capsys.readouterr()
    assert main(["compare", str(run), str(evaluation)]) == 2
    err = _err(capsys)
    assert "differ in threshold (train_mean_std:3 vs quantile:0.5)" in err and "--allow-different threshold" in err
    assert main(["compare", str(run), str(evaluation), "--allow-different", "threshold"]) in (0, 1)
    header = capsys.readouterr().out.splitlines()[1]
    assert header.endswith("(--allow-different threshold): threshold (train_mean_std:3 vs quantile:0.5).")


def test_17_4_compare_refuses_rows_with_other_params(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["compare", str(runs["base"]), str(runs["other_params"])]) == 2
    err = _err(capsys)
    assert "differ in params (row zscore: window_size 100 vs 30)" in err
    assert "--allow-different params to" in err


def test_17_4_compare_refuses_other_metric_families(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    argv = ["compare", str(runs["base"]), str(runs["other_metrics"]), "--metric", "auc_pr"]
    assert main(argv) == 2
    assert "--allow-different metrics" in _err(capsys)
    assert main([*argv, "--allow-different", "metrics"]) == 0


def test_17_4_compare_names_every_category_that_differs(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    new = tmp_path / "new"
    shutil.copytree(runs["other_data"], new)
    config = json.loads((new / "config.json").read_text())
    config["resolved"][0]["code_version"] = "0" * 16
    (new / "config.json").write_text(json.dumps(config))
    config["resolved"][0]["params"]["window_size"] = 7
    (new / "config.json").write_text(json.dumps(config))
    assert main(["compare", str(runs["base"]), str(new)]) == 2
    assert "--allow-different data,params" in _err(capsys)
    assert main(["compare", str(runs["base"]), str(new), "--allow-different", "params"]) == 2
    assert "--allow-different data" in _err(capsys)
    assert main(["compare", str(runs["base"]), str(new), "--allow-different", "data,params"]) in (0, 1)


def test_17_4_compare_says_other_code_versions_without_refusing(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    """compare is the gate of a code change: a new code version is said in the header, never refused."""
    new = tmp_path / "new"
    shutil.copytree(runs["base"], new)
    config = json.loads((new / "config.json").read_text())
    config["resolved"][0]["code_version"] = "0" * 16
    (new / "config.json").write_text(json.dumps(config))
    assert main(["compare", str(runs["base"]), str(new)]) == 0
    out = capsys.readouterr().out
    assert "Different code versions (what a comparison before and after a code change measures)" in out


def test_17_4_allow_different_takes_only_known_categories(runs: dict[str, Path], capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["compare", str(runs["base"]), str(runs["base"]), "--allow-different", "data,colour"]) == 2
    err = _err(capsys)
    assert "'colour'" in err and "data, threshold, metrics, params, code" in err


def test_17_4_a_baseline_carries_the_runs_provenance(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _save(runs["base"], tmp_path)
    doc = json.loads(path.read_text())
    assert doc["format"] == 3
    assert set(doc["data"]) == {f"yahoo-synth/synth_00{i}" for i in range(3)}
    assert set(doc["data"]["yahoo-synth/synth_000"]) == {"fingerprint"}  # no local paths in a committed file
    assert doc["resolved"][0]["params"] == {"window_size": 100}
    assert main(["compare", str(path), str(runs["base"])]) == 0
    capsys.readouterr()
    assert main(["compare", str(path), str(runs["other_data"])]) == 2
    assert str(path) in _err(capsys)
    assert main(["compare", str(runs["other_params"]), str(path)]) == 2
    assert "--allow-different params" in _err(capsys)


def test_17_4_a_side_without_provenance_is_said_in_the_header(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _save(runs["base"], tmp_path)
    doc = json.loads(path.read_text())
    old = {k: v for k, v in doc.items() if k not in ("data", "resolved")} | {"format": 2}
    old_path = tmp_path / "old.json"
    old_path.write_text(json.dumps(old))
    capsys.readouterr()
    assert main(["compare", str(old_path), str(runs["other_data"])]) in (0, 1)  # nothing to tell them apart by
    header = capsys.readouterr().out.splitlines()[1]
    assert str(old_path) in header and "no record of its data" in header


def test_17_4_check_refuses_a_baseline_of_other_data(runs: dict[str, Path], tmp_path: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    path = _save(runs["base"], tmp_path)
    doc = json.loads(path.read_text())
    doc["data"]["yahoo-synth/synth_001"]["fingerprint"] = "f" * 64
    doc["resolved"][0]["code_version"] = "0" * 16  # check tests the current code: said, not refused
    path.write_text(json.dumps(doc))
    capsys.readouterr()
    assert main(["check", str(path), "-q", "--jobs", "1"]) == 2
    err = _err(capsys)
    assert "differ in data (1 of 3 series' fingerprints, e.g. yahoo-synth/synth_001 ffffffffffff vs" in err
    assert "--allow-different data to" in err
    assert main(["check", str(path), "-q", "--jobs", "1", "--allow-different", "data"]) == 0
    out = " ".join(capsys.readouterr().out.split())  # the header is wrapped at 120 columns
    assert "Compared although they differ (--allow-different data)" in out
    assert "Different code versions (what check tests" in out and "row zscore 0000000000000000 vs" in out


def test_17_4_committed_baselines_of_the_first_format_have_no_provenance_and_still_read() -> None:
    # yahoo-synth-lstm.json was saved again in format 3 when issue 19 changed the lstm defaults; the others
    # are still of format 1 (no provenance), which must keep reading
    paths = sorted((Path(__file__).resolve().parent.parent / "baselines").glob("*.json"))
    old = [p for p in paths if json.loads(p.read_text())["format"] == 1]
    assert old, "no committed baseline of format 1 left: keep a fixture of that format for this test"
    for path in paths:
        b = read_baseline(path)
        assert b.provenance.threshold is not None
        if path in old:
            assert b.provenance.data is None and b.provenance.rows is None
        else:
            assert b.provenance.data and b.provenance.rows


# --------------------------------------------------------------------------- 17.7 / 17.12 tampered files
@pytest.fixture
def saved(runs: dict[str, Path], tmp_path: Path) -> Path:
    return _save(runs["base"], tmp_path / "baselines")


def _edit_record(path: Path, index: int, record: object) -> int:
    """Replace the ``index``-th record line; returns its line number (1-based)."""
    lines = path.read_text().splitlines()
    first = next(i for i, line in enumerate(lines) if '"records"' in line) + 1
    end = "," if lines[first + index].rstrip().endswith(",") else ""
    lines[first + index] = "    " + json.dumps(record) + end
    path.write_text("\n".join(lines) + "\n")
    return first + index + 1


def _record(path: Path, index: int) -> list[object]:
    return list(json.loads(path.read_text())["records"][index])


def test_17_7_a_duplicate_record_with_another_value_is_refused(saved: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    dup = _record(saved, 0)
    dup[-1] = float(dup[-1]) + 0.5  # type: ignore[arg-type]
    line = _edit_record(saved, 3, dup)
    with pytest.raises(DataError, match=rf"{saved}: line {line}: record 4 repeats record 1"):
        read_baseline(saved)
    assert main(["check", str(saved), "-q"]) == 2
    assert f"line {line}" in _err(capsys)


def test_17_7_a_record_of_four_fields_is_refused(saved: Path, capsys) -> None:  # type: ignore[no-untyped-def]
    line = _edit_record(saved, 2, _record(saved, 2)[:4])
    assert main(["compare", str(saved), str(saved)]) == 2
    err = _err(capsys)
    assert f"{saved}: line {line}: record 3 has 4 fields" in err and "expected 7" in err


@pytest.mark.parametrize(
    ("edit", "says"),
    [
        (lambda d: d["records"][1].__setitem__(6, "abc"), "record 2: value 'abc' is not a number"),
        (lambda d: d["records"][1].__setitem__(4, "0"), "record 2: seed '0' is not an integer"),
        (lambda d: d["records"][1].__setitem__(6, float("nan")), "record 2: value nan is not a number"),
        (lambda d: d["records"][1].__setitem__(5, "no_such_metric"), "unknown metric 'no_such_metric'"),
        (lambda d: d.__setitem__("records", "x"), "'records' must be a list of records; got 'x'"),
        (lambda d: d.__setitem__("columns", ["a", "b"]), "'columns' must be"),
        (lambda d: d.pop("config"), "no 'config'"),
        (lambda d: d["config"].pop("threshold"), "config"),
        (lambda d: d.__setitem__("data", ["x"]), "'data' must map"),
        (lambda d: d["resolved"][0].__setitem__("params", "x"), "'resolved' must be a list of rows"),
        (lambda d: d.__setitem__("name", 5), "'name' must be a string"),
    ],
    ids=["value", "seed", "nan", "metric", "records", "columns", "no-config", "bad-config", "data", "resolved", "name"],
)
def test_17_12_a_tampered_baseline_is_one_line_naming_the_file(saved: Path, edit, says: str, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(saved.read_text())
    edit(doc)
    saved.write_text(json.dumps(doc, indent=1))
    assert main(["compare", str(saved), str(saved)]) == 2
    err = _err(capsys)
    assert err.startswith(f"error: {saved}: ") and says in err
