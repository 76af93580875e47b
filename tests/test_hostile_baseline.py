"""Issue 17, hostile input to the regression gates: ``baseline save``, ``compare`` and ``check`` lose nothing
and never exit 0 (or 1, "regression") on results that cannot be compared."""

from __future__ import annotations

import json
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
    """zscore on 3 small yahoo-synth series, and the same run on other data."""
    root = tmp_path_factory.mktemp("runs")
    return {
        "base": _run(root / "base"),
        "other_data": _run(root / "other_data", "--param", "yahoo-synth.seed=7"),
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
        (lambda d: d.__setitem__("name", 5), "'name' must be a string"),
    ],
    ids=["value", "seed", "nan", "metric", "records", "columns", "no-config", "bad-config", "name"],
)
def test_17_12_a_tampered_baseline_is_one_line_naming_the_file(saved: Path, edit, says: str, capsys) -> None:  # type: ignore[no-untyped-def]
    doc = json.loads(saved.read_text())
    edit(doc)
    saved.write_text(json.dumps(doc, indent=1))
    assert main(["compare", str(saved), str(saved)]) == 2
    err = _err(capsys)
    assert err.startswith(f"error: {saved}: ") and says in err
