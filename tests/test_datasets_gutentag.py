"""The GutenTAG dataset: a clear error without the optional extra, and generation with it installed."""

from __future__ import annotations

import builtins
from pathlib import Path

import numpy as np
import pytest

from bench.datasets import gutentag
from bench.errors import MissingDependencyError, ParameterError


def test_without_the_extra_the_error_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    real_import = builtins.__import__

    def no_gutentag(name: str, *args: object, **kwargs: object) -> object:
        if name.split(".")[0] == "gutenTAG":
            raise ImportError("No module named 'gutenTAG'")
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_gutentag)
    with pytest.raises(MissingDependencyError, match=r"pip install -e '\.\[gutentag\]'"):
        gutentag.load()


def test_a_bad_seed_is_refused_before_anything_is_imported() -> None:
    for seed in (-1, 1.5, True):
        with pytest.raises(ParameterError, match="non-negative integer"):
            gutentag.load(seed=seed)  # type: ignore[arg-type]


def test_the_default_config_generates_deterministic_series_with_a_clean_training_part(gutentag_installed: None) -> None:
    series = gutentag.load(seed=7)
    assert [s.name for s in series] == [
        "sine-platform",
        "ecg-frequency",
        "random-walk-mean",
        "multi-sine-extremum-variance",
        "multi-cbf-pattern",
    ]
    assert [s.n_channels for s in series] == [1, 1, 1, 3, 2]
    for s in series:
        assert len(s) == 4000 and s.train_end == 2000
        assert not s.labels[:2000].any() and s.labels[2000:].any()
        assert np.isfinite(s.values).all()
    config = gutentag.read_config()
    for s, ts_config in zip(series, config["timeseries"], strict=True):
        lengths = [a["length"] for a in ts_config["anomalies"]]
        assert sorted(e - b for b, e in s.events) == sorted(lengths)
    again = gutentag.load(seed=7)
    other = gutentag.load(seed=8)
    assert [s.fingerprint() for s in again] == [s.fingerprint() for s in series]
    assert all(a.fingerprint() != b.fingerprint() for a, b in zip(series, other, strict=True))


def test_a_user_config_without_a_training_series(tmp_path: Path, gutentag_installed: None) -> None:
    path = tmp_path / "one.yaml"
    path.write_text(
        "timeseries:\n"
        "  - name: tiny\n    length: 300\n"
        "    base-oscillations:\n      - kind: sine\n        variance: 0.01\n"
        "    anomalies:\n      - position: middle\n        length: 10\n        channel: 0\n"
        "        kinds:\n          - kind: platform\n            value: 0.0\n"
    )
    (s,) = gutentag.load(config=str(path), seed=1)
    assert s.name == "tiny" and len(s) == 300 and s.train_end == 0 and s.labels.sum() == 10
    assert s.metadata["config"] == str(path) and s.metadata["seed"] == 1
    bad = tmp_path / "bad.yaml"
    bad.write_text("series: []\n")
    with pytest.raises(ParameterError, match="no 'timeseries' list"):
        gutentag.load(config=str(bad))
