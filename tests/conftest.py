"""Shared fixtures: where ../shared is, and the dataset mirrors and samples inside it.

Tests that need ../shared find it beside the repository root (or at
``$BENCH_SHARED_DIR``). When it is missing they skip locally, but fail under
``CI=true``: a CI run that skips its real-data tests proves nothing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parent.parent


def _shared_dir() -> Path:
    env = os.environ.get("BENCH_SHARED_DIR")
    return Path(env) if env else REPO_ROOT.parent / "shared"


def _require(path: Path, what: str) -> Path:
    if not path.exists():
        msg = f"{what} not found at {path} (set BENCH_SHARED_DIR to the shared folder)"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(msg)
        pytest.skip(msg)
    return path


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    return _require(_shared_dir(), "../shared")


@pytest.fixture(scope="session")
def nab_mirror() -> Path:
    """The byte-identical NAB mirror (data/, labels/, SHA256SUMS)."""
    return _require(_shared_dir() / "datasets" / "nab", "NAB mirror")


@pytest.fixture(scope="session")
def nab_reference() -> Path:
    """NAB's own computed outputs for four detectors (see its README)."""
    return _require(_shared_dir() / "reference" / "nab", "NAB reference outputs")


@pytest.fixture(scope="session")
def smd_dir() -> Path:
    """The SMD partial mirror: ServerMachineDataset/ label files and LICENSE, MANIFEST.gitblob.tsv, SOURCE.md."""
    return _require(_shared_dir() / "datasets" / "smd", "SMD mirror")


@pytest.fixture(scope="session")
def telemanom_dir() -> Path:
    """NASA SMAP/MSL labels: labeled_anomalies.csv, LICENSE.txt, SOURCE.md."""
    return _require(_shared_dir() / "datasets" / "telemanom", "telemanom labels")


@pytest.fixture(scope="session")
def tsb_ad_dir() -> Path:
    """One real TSB-AD-U file (TSB-AD-U/) and the official file lists (File_List/)."""
    return _require(_shared_dir() / "datasets" / "tsb-ad", "TSB-AD sample")


@pytest.fixture(autouse=True)
def _isolate_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test reads the developer's own data root or mirror settings by accident."""
    for var in (
        "BENCH_DATA_DIR",
        "BENCH_NAB_SOURCE",
        "BENCH_SMD_SOURCE",
        "BENCH_TELEMANOM_DIR",
        "BENCH_TSB_AD_DIR",
        "BENCH_UCR_DIR",
    ):
        monkeypatch.delenv(var, raising=False)


@pytest.fixture
def gutentag_installed() -> None:
    """The optional GutenTAG extra. It pins scipy<1.15, so CI tests it in an environment of its own
    (``.ci/run``, with ``BENCH_REQUIRE_GUTENTAG=1``: there a missing package fails instead of skipping)."""
    required = os.environ.get("BENCH_REQUIRE_GUTENTAG") == "1"
    require_extra("gutenTAG", "gutentag", required=required, note=" (tested in its own CI environment)")


def require_extra(module: str, extra: str, *, required: bool, note: str = "") -> None:
    """Skip the calling test when an optional extra's ``module`` is missing, or fail it when ``required``.

    One rule for every optional extra: a developer without it sees a skip that
    says how to install it; the environment meant to test it (``.ci/run``)
    fails instead, since a skipped test there proves nothing.
    """
    try:
        __import__(module)
    except ImportError:
        msg = f"optional extra not installed: pip install -e '.[{extra}]'{note}"
        if required:
            pytest.fail(msg)
        pytest.skip(msg)


def require_program(names: tuple[str, ...], install: str) -> str:
    """The path of the first of ``names`` on PATH; else skip the calling test, or fail it under ``CI=true``.

    The rule of :func:`require_extra` for system programs (pdflatex, chromium), which ``.ci/run`` installs.
    """
    for name in names:
        found = shutil.which(name)
        if found:
            return found
    msg = f"{' / '.join(names)} not installed; install it: {install}"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(msg)
    pytest.skip(msg)


@pytest.fixture
def dask_installed() -> None:
    """The optional Dask extra: required under ``CI=true`` (``.ci/run`` installs ``.[test,dask]``)."""
    require_extra("distributed", "dask", required=os.environ.get("CI", "").lower() == "true")
