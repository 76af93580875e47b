"""Summary tables: one row per (dataset, detector), headline metrics as columns.

Values are means over seeds of the ``(mean)`` aggregate (mean over series),
except compute time, which is the total over series (mean over seeds), and
NAB scores, which are corpus-level. Oracle columns are marked with ``†``.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import pandas as pd

# (metric, column header); only columns with at least one value are shown.
HEADLINE: list[tuple[str, str]] = [
    ("auc_pr", "AUC-PR"),
    ("vus_pr", "VUS-PR"),
    ("auc_roc", "AUC-ROC"),
    ("precision", "P"),
    ("recall", "R"),
    ("f1", "F1"),
    ("oracle_best_f1", "best F1†"),
    ("pa_f1", "PA-F1"),
    ("oracle_best_pa_f1", "best PA-F1†"),
    ("pa_k_f1", "PA%K-F1"),
    ("pa_k_auc", "PA%K-AUC"),
    ("detected_fraction", "detected"),
    ("delay_points", "delay"),
    ("alarm_rate", "alarm rate"),
    ("nab_standard", "NAB std"),
    ("nab_reward_low_FP_rate", "NAB lowFP"),
    ("nab_reward_low_FN_rate", "NAB lowFN"),
    ("fit_seconds", "fit s"),
    ("score_seconds", "score s"),
]

NOTES = (
    "Per-series metrics are means over series of the part after each series' training part; "
    "P/R/F1, detection and alarms use the label-free threshold (mean + 3 std of the training-part scores). "
    "† = oracle: the threshold was chosen with the test labels (an upper bound, not a result). "
    "PA-F1 (point adjustment, Xu et al. 2018) is lenient: read it beside PA%K (K=20, Kim et al. 2022) "
    "and the random baseline's best PA-F1. "
    "NAB columns are NAB's normalised corpus scores; rows marked (published) are NAB's scoreboard. "
    "fit s / score s: total seconds over all series."
)


def summary_table(metrics: pd.DataFrame, published: pd.DataFrame | None = None) -> pd.DataFrame:
    """Wide table from long-form records; ``published`` rows (dataset, detector, metric, value) appended."""
    wanted = {m for m, _ in HEADLINE}
    m = metrics[metrics.metric.isin(wanted)]
    parts = [
        m[(m.series == "(mean)") & ~m.metric.isin(("fit_seconds", "score_seconds"))],
        m[(m.series == "(total)")],
        m[(m.series == "(corpus)")],
    ]
    picked = pd.concat(parts, ignore_index=True)
    n_seeds = metrics.groupby(["dataset", "detector"])["seed"].nunique().rename("seeds")
    wide = picked.groupby(["dataset", "detector", "metric"], sort=False)["value"].mean().unstack("metric")
    wide = wide.join(n_seeds)
    if published is not None and len(published):
        pub = published.pivot_table(index=["dataset", "detector"], columns="metric", values="value")
        wide = pd.concat([wide, pub])
    cols = [m for m, _ in HEADLINE if m in wide.columns]
    wide = wide[cols + (["seeds"] if "seeds" in wide.columns else [])]
    wide = wide.rename(columns=dict(HEADLINE)).reset_index()
    return wide


def _fmt(v: object) -> str:
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        if v.is_integer() and abs(v) < 1e6:
            return str(int(v))
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:.0f}"
    return str(v)


def to_markdown(table: pd.DataFrame) -> str:
    headers = list(table.columns)
    lines = ["| " + " | ".join(headers) + " |", "|" + "|".join("---" for _ in headers) + "|"]
    for row in table.itertuples(index=False):
        lines.append("| " + " | ".join(_fmt(v) for v in row) + " |")
    return "\n".join(lines) + "\n"


def to_latex(table: pd.DataFrame) -> str:
    esc = lambda s: str(s).replace("_", r"\_").replace("%", r"\%").replace("†", r"$^\dagger$")  # noqa: E731
    cols = list(table.columns)
    out = [r"\begin{tabular}{" + "l" * 2 + "r" * (len(cols) - 2) + "}", r"\toprule"]
    out.append(" & ".join(esc(c) for c in cols) + r" \\")
    out.append(r"\midrule")
    for row in table.itertuples(index=False):
        out.append(" & ".join(esc(_fmt(v)) for v in row) + r" \\")
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out) + "\n"


def to_terminal(table: pd.DataFrame, columns: Sequence[str] | None = None) -> str:
    """A plain aligned text table for the console."""
    t = table if columns is None else table[list(columns)]
    cells = [list(map(str, t.columns))] + [[_fmt(v) for v in row] for row in t.itertuples(index=False)]
    widths = [max(len(r[i]) for r in cells) for i in range(len(cells[0]))]

    def line(row: list[str]) -> str:  # dataset and detector left-aligned, numbers right-aligned
        return "  ".join(c.rjust(w) if j > 1 else c.ljust(w) for j, (c, w) in enumerate(zip(row, widths, strict=True)))

    lines = [line(r).rstrip() for r in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines) + "\n"
