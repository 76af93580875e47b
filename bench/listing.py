"""The text pages that describe what is registered: ``bench list`` and ``bench datasets list``."""

from __future__ import annotations

import textwrap
from collections.abc import Callable

from bench import registry
from bench.metrics import catalog


def dataset_page(name: str) -> list[str]:
    """One dataset's lines: access, description, size, licence, source and options."""
    entry = registry.get_dataset(name)
    about = entry.about()
    lines = [f"  {name}  ({about.access})"]
    lines += [f"      {line}" for line in textwrap.wrap(about.description, 92)]
    lines += [f"      size: {about.size}", f"      licence: {about.licence}", f"      source: {about.source}"]
    opts = ", ".join(f"{k}={p.default!r}" for k, p in entry.options().items())
    if opts:
        lines.append(f"      options: {opts}")
    return lines


def _classes(names: list[str], get: Callable[[str], type]) -> list[str]:
    lines = []
    for name in names:
        cls = get(name)
        params = ", ".join(f"{k}={p.default!r}" for k, p in registry.parameters(cls).items())
        lines.append(f"  {name:12s} {cls.__name__}({params})")
    return lines


def listing(dataset: str | None = None) -> str:
    """``bench list``: detectors with their parameters, post-processors, datasets and metric families.

    With ``dataset``, only that dataset's page (an unknown name fails with the list of names).
    """
    if dataset is not None:
        registry.get_dataset(dataset)  # unknown names fail with the list
        return "\n".join(["Datasets:", *dataset_page(dataset)]) + "\n"
    lines = ["Detectors (--detector NAME, --param NAME.PARAM=VALUE):"]
    lines += _classes(registry.detector_names(), registry.get_detector_class)
    lines.append("  (or any importable class as module:Class)")
    if registry.POSTPROCESSORS:
        lines.append("\nPost-processors (--detector NAME+POST, --param POST.PARAM=VALUE):")
        lines += _classes(registry.postprocessor_names(), registry.get_postprocessor_class)
    lines.append("\nDatasets (--dataset NAME, --param NAME.OPTION=VALUE; 'bench list --dataset NAME' for one):")
    for name in registry.dataset_names():
        lines += dataset_page(name)
    lines.append("\nMetrics (--metrics KEY,KEY):")
    for key, fam in catalog.FAMILIES.items():
        mark = " [oracle]" if fam.oracle else ""
        default = " (default)" if key in catalog.default_families() else ""
        lines.append(f"  {key:12s} {fam.description}{mark}{default}")
    return "\n".join(lines) + "\n"


def datasets_table() -> str:
    """``bench datasets list``: every dataset, how it is obtained, its size (one line each)."""
    lines = []
    for name in registry.dataset_names():
        about = registry.get_dataset(name).about()
        lines.append(f"{name:12s} {about.access:14s} {about.size}")
    return "\n".join(lines) + "\n"
