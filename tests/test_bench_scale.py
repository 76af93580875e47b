"""benchmarks/bench_scale.py at a small size: every row of its table holds a finite number (times never asserted)."""

from __future__ import annotations

import importlib.util
import math
import subprocess
import sys
from pathlib import Path
from types import ModuleType

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_scale.py"
SMALL = ["--points", "2000", "--series", "20", "--length", "200"]


def _script() -> ModuleType:
    """The script as a module (registered under its name, as its dataclass needs), without running it."""
    if "bench_scale" not in sys.modules:
        spec = importlib.util.spec_from_file_location("bench_scale", SCRIPT)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules["bench_scale"] = module
        spec.loader.exec_module(module)
    return sys.modules["bench_scale"]


def _table(stdout: str) -> dict[str, list[float]]:
    """The Markdown table's rows: label -> the numbers of its other cells."""
    rows = {}
    for line in stdout.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if not line.startswith("|") or cells[0] == "measure" or cells[0].startswith("---"):
            continue
        rows[cells[0]] = [float(c.replace(",", "")) if c != "n/a" else math.nan for c in cells[1:]]
    return rows


def _run(*args: str) -> str:
    proc = subprocess.run([sys.executable, str(SCRIPT), *args], capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return proc.stdout


def test_every_row_is_measured_with_a_finite_number() -> None:
    labels = [label for _, label, _ in _script().ROWS]
    rows = _table(_run(*SMALL))
    assert list(rows) == labels
    for label, values in rows.items():
        assert len(values) == 1, label
        assert all(math.isfinite(v) and v >= 0 for v in values), (label, values)
    # the store holds at least the scores: 8 bytes of float64 per point, whatever the format
    assert rows["csv run: score store, bytes per point"][0] >= 8
    assert rows["csv run: whole folder, bytes per point"][0] > rows["csv run: score store, bytes per point"][0]


def test_against_a_checkout_gives_before_after_and_ratio() -> None:
    checkout = str(SCRIPT.parents[1])
    stdout = _run("--points", "2000", "--only", "csv", "--against", checkout)
    rows = _table(stdout)
    csv_rows = [label for _, label, part in _script().ROWS if part == "csv"]
    assert list(rows) == csv_rows
    assert "| measure | before | after | after / before |" in stdout
    for label, (before, after, ratio) in rows.items():
        assert all(math.isfinite(v) for v in (before, after, ratio)), label
    # the same code on the same file stores the same bytes
    assert rows["csv run: score store, bytes per point"][2] == 1


def test_store_is_every_file_in_a_sub_folder_but_report_and_tasks(tmp_path: Path) -> None:
    script = _script()
    files = {
        "config.json": 10,
        "metrics.csv": 20,
        "scores/zscore-1/seed0/csv/s.npy": 800,
        "series/csv/s.npz": 300,
        "tasks/zscore-1/seed0/csv/s.json": 40,
        "report/tables.md": 50,
    }
    for name, size in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"x" * size)
    assert script.folder_bytes(tmp_path) == (1100, 1220, ["scores", "series"])


def test_task_records_are_found_in_any_json_layout(tmp_path: Path) -> None:
    script = _script()
    (tmp_path / "tasks").mkdir()
    (tmp_path / "tasks" / "a.json").write_text('{"fit_seconds": 1, "score_seconds": 2, "n_points": 5}')
    (tmp_path / "tasks" / "batch.json").write_text('[{"fit_seconds": 0, "n_points": 7}, {"other": 1}]')
    (tmp_path / "config.json").write_text('{"seeds": [0]}')
    (tmp_path / "broken.json").write_text("{")
    records = script.task_records(tmp_path)
    assert sorted(r["n_points"] for r in records) == [5, 7]
    assert script.stored_points(records) == 12
