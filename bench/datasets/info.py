"""What a dataset is, for listings: a description, its size, licence, source and how a user gets it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DatasetInfo:
    """Facts about one dataset that a registry entry or ``bench list`` shows.

    Parameters
    ----------
    name
        Registry name (``"smd"``, ``"tsb-ad-u"``).
    description
        One paragraph: what the series are, the labels, the training part.
    size
        Series count, length and channels, and the bytes on disk.
    licence
        The licence of the data (and of its curation, where that differs).
    source
        Citation and where the files come from (pinned revision or download page).
    access
        How a user gets it: ``"download"`` (pinned and verified by bench),
        ``"user-download"`` (read from a folder or zip the user downloaded) or
        ``"generated"`` (made on the fly, nothing to download).
    """

    name: str
    description: str
    size: str
    licence: str
    source: str
    access: str
