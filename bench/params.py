"""Typing parameter values by the parameter's annotation, for command-line strings and experiment-file values.

``--param iforest.max_samples=256`` must set the int 256 (the parameter is
annotated ``int | float | str``), ``--param lstm.dropout=0`` the float 0.0,
and ``window_size = "20"`` in an experiment file is refused rather than
passed on as a string.
"""

from __future__ import annotations

import ast
import inspect
import math
import types
import typing
from typing import Any

import numpy as np

from bench.errors import ParameterError

_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")


def plain(value: Any) -> Any:
    """JSON-native form: tuples to lists, numpy scalars to Python numbers (recursively)."""
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    return value


def _members(annotation: Any, default: Any) -> list[Any]:
    """The accepted types, most specific first; from the annotation, else from the default's type."""
    if annotation is inspect.Parameter.empty or annotation is Any:
        if default is inspect.Parameter.empty or default is None:
            return []
        return [type(default)]
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        found = [m for a in typing.get_args(annotation) for m in _members(a, inspect.Parameter.empty)]
    elif origin is typing.Literal:
        found = sorted({type(a) for a in typing.get_args(annotation)}, key=_rank)
    elif origin is not None:
        found = [origin]
    else:
        found = [annotation]
    return sorted(dict.fromkeys(found), key=_rank)


def _rank(t: Any) -> int:
    order = {bool: 0, int: 1, float: 2, type(None): 3, str: 5}
    return order.get(t, 4)


def _from_text(raw: str, kinds: list[Any]) -> Any:
    low = raw.strip().lower()
    for t in kinds:
        if t is bool and low in _TRUE + _FALSE:
            return low in _TRUE
        if isinstance(t, type) and issubclass(t, int) and t is not bool:  # int, or an int type such as an IntEnum
            try:
                return t(int(raw))
            except ValueError:
                pass
        if t is float:
            try:
                return float(raw)
            except ValueError:
                pass
        if t is type(None) and low == "none":
            return None
        if t is str:
            return raw
        if t in (list, tuple, dict):
            try:
                value = ast.literal_eval(raw)
            except (ValueError, SyntaxError):
                continue
            if isinstance(value, (list, tuple, dict)):
                return value
    raise ValueError(raw)


def _matches(value: Any, kinds: list[Any]) -> Any:
    for t in kinds:
        if t is bool:
            if isinstance(value, bool):
                return value
            continue
        if isinstance(value, bool):
            continue
        if t is float and isinstance(value, (int, float)):
            return float(value)
        if t is type(None) and value is None:
            return None
        if t is list and isinstance(value, (list, tuple)):
            return list(value)
        if isinstance(t, type) and isinstance(value, t):
            return value
    raise ValueError(value)


def _describe(kinds: list[Any]) -> str:
    names = {bool: "true/false", int: "an integer", float: "a number", str: "text", type(None): "none"}
    return " or ".join(names.get(k, getattr(k, "__name__", str(k))) for k in kinds)


def coerce(value: Any, param: Any, where: str, *, from_text: bool = True) -> Any:
    """``value`` typed for ``param`` (a :class:`bench.registry.Parameter`): parsed from text, or checked.

    ``from_text=True`` (command-line values): a string is parsed by the
    parameter's type. ``from_text=False`` (experiment-file values, already
    typed): the value must match the type (an int is accepted for a float).

    >>> from bench.registry import Parameter
    >>> coerce("256", Parameter("max_samples", "auto", int | float | str), "iforest.max_samples")
    256
    >>> coerce("auto", Parameter("max_samples", "auto", int | float | str), "iforest.max_samples")
    'auto'
    >>> coerce("0", Parameter("dropout", 0.0, float), "lstm.dropout")
    0.0
    """
    kinds = _members(param.annotation, param.default)
    try:
        if not kinds:
            if isinstance(value, str):
                try:
                    out = ast.literal_eval(value)
                except (ValueError, SyntaxError):
                    out = value
            else:
                out = value
        elif isinstance(value, str) and from_text:
            out = _from_text(value, kinds)
        else:
            out = _matches(value, kinds)
    except ValueError:
        default = "" if param.default is inspect.Parameter.empty else f" (the default is {param.default!r})"
        raise ParameterError(f"{where}={value!r}: expected {_describe(kinds)}{default}.") from None
    out = plain(out)
    if isinstance(out, float) and not math.isfinite(out):
        raise ParameterError(f"{where}={value!r}: must be a finite number (it is recorded exactly in config.json).")
    return out
