"""Test-made dataset files in the real formats: an SMD-format folder with its git-blob manifest, telemanom arrays.

Nothing here is real data: values are seeded sines and noise with level-shift
anomalies, written in exactly the layout the loaders read, so download,
verification and loading can be tested without the real archives, and an
end-to-end multivariate run has a small dataset with known anomalies:

    from _fixtures import make_smd
    root, manifest = make_smd(tmp_path / "smd-src")
    series = smd.load(tmp_path / "data", source=root, manifest_file=manifest)
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from bench.datasets.download import git_blob_id

SMD_MACHINES = ("machine-1-1", "machine-2-1")


def _signals(rng: np.random.Generator, n: int, d: int, phase: int) -> np.ndarray:
    t = np.arange(phase, phase + n)[:, None]
    periods = rng.uniform(30, 120, size=d)
    base = 0.5 + 0.2 * np.sin(2 * np.pi * t / periods) + 0.02 * rng.standard_normal((n, d))
    return np.clip(base, 0.0, 1.0)


def make_smd(
    root: str | Path,
    machines: Sequence[str] = SMD_MACHINES,
    *,
    n_train: int = 600,
    n_test: int = 600,
    n_metrics: int = 38,
    seed: int = 0,
) -> tuple[Path, Path]:
    """Write an SMD-format folder (``ServerMachineDataset/`` + LICENSE) and its manifest; return both paths.

    Per machine: ``train``/``test`` files of comma-separated floats in [0, 1]
    (6 decimals, like SMD), ``test_label`` with three anomalies in the test
    half (level shifts of +0.4 on 3 to 6 metrics), and ``interpretation_label``
    lines ``start-end:dims`` (0-based test rows, end exclusive, 1-based metrics,
    as in SMD). The manifest (``<root>/manifest.tsv``, git blob id TAB path)
    sits beside ``ServerMachineDataset/`` and lists every file in it.
    """
    root = Path(root)
    base = root / "ServerMachineDataset"
    for part in ("train", "test", "test_label", "interpretation_label"):
        (base / part).mkdir(parents=True, exist_ok=True)
    (base / "LICENSE").write_text("Test-made data in the SMD format; no licence needed.\n")
    rng = np.random.default_rng(seed)
    for machine in machines:
        train = _signals(rng, n_train, n_metrics, 0)
        test = _signals(rng, n_test, n_metrics, n_train)
        labels = np.zeros(n_test, dtype=int)
        lines = []
        starts = np.linspace(n_test * 0.2, n_test * 0.8, 3).astype(int)
        for start in starts:
            length = int(rng.integers(8, 20))
            dims = np.sort(rng.choice(n_metrics, size=int(rng.integers(3, 7)), replace=False))
            test[start : start + length, dims] += 0.4
            labels[start : start + length] = 1
            lines.append(f"{start}-{start + length}:{','.join(str(d + 1) for d in dims)}")
        np.savetxt(base / "train" / f"{machine}.txt", train, fmt="%.6f", delimiter=",")
        np.savetxt(base / "test" / f"{machine}.txt", test, fmt="%.6f", delimiter=",")
        np.savetxt(base / "test_label" / f"{machine}.txt", labels, fmt="%d")
        (base / "interpretation_label" / f"{machine}.txt").write_text("\n".join(lines) + "\n")
    rels = sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())
    manifest = root / "manifest.tsv"
    manifest.write_text("".join(f"{git_blob_id(root / rel)}\t{rel}\n" for rel in rels))
    return root, manifest


def make_telemanom(
    root: str | Path,
    channels: dict[str, int],
    *,
    n_train: int = 300,
    n_commands: int = 24,
    seed: int = 0,
) -> Path:
    """Write telemanom-format arrays ``train/<chan>.npy`` and ``test/<chan>.npy`` under ``root``; return it.

    ``channels`` maps a channel id to its test length (which must match the
    label file's ``num_values`` for the loader to accept it). Column 0 is the
    telemetry value in [-1, 1], the other ``n_commands`` columns 0/1 command
    flags, float64 as in the published arrays.
    """
    root = Path(root)
    (root / "train").mkdir(parents=True, exist_ok=True)
    (root / "test").mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    for chan, n_test in channels.items():
        for part, n in (("train", n_train), ("test", n_test)):
            arr = np.zeros((n, 1 + n_commands))
            arr[:, 0] = np.clip(np.sin(np.arange(n) / 15.0) + 0.05 * rng.standard_normal(n), -1, 1)
            arr[:, 1:] = rng.random((n, n_commands)) < 0.02
            np.save(root / part / f"{chan}.npy", arr)
    return root
