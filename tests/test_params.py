"""Typing parameter values by annotation (bench.params): the int branch that once could not tell int types apart."""

from __future__ import annotations

import enum
import inspect

import pytest

from bench.errors import ParameterError
from bench.params import coerce
from bench.registry import Parameter


class Mode(enum.IntEnum):
    FAST = 1
    EXACT = 2


def test_int_types_other_than_bool_parse_from_text() -> None:
    """Regression: the int branch tested ``not isinstance(t, bool)`` (always true for a type) where ``t is not bool``
    was meant, so it accepted ``int`` itself only and an int type such as an IntEnum was refused."""
    got = coerce("2", Parameter("mode", Mode.FAST, Mode), "det.mode")
    assert got is Mode.EXACT
    with pytest.raises(ParameterError, match=r"det\.mode='3': expected Mode"):
        coerce("3", Parameter("mode", Mode.FAST, Mode), "det.mode")


def test_bool_is_not_an_int_type_here() -> None:
    assert coerce("1", Parameter("flag", False, bool), "det.flag") is True
    with pytest.raises(ParameterError, match="expected true/false"):
        coerce("2", Parameter("flag", False, bool), "det.flag")
    assert coerce("2", Parameter("k", 1, int), "det.k") == 2


def test_unannotated_parameter_takes_its_default_type_or_anything_for_none() -> None:
    assert coerce("3", Parameter("k", 1.5, inspect.Parameter.empty), "det.k") == 3.0
    assert coerce("[1, 2]", Parameter("k", None, inspect.Parameter.empty), "det.k") == [1, 2]
