"""Issue 17, hostile input to the regression gates: ``baseline save``, ``compare`` and ``check`` lose nothing
and never exit 0 (or 1, "regression") on results that cannot be compared."""

from __future__ import annotations

from pathlib import Path

import pytest

from bench.cli import main

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
