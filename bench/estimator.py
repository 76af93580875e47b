"""Hyperparameter handling shared by detectors and post-processors (scikit-learn style).

Hyperparameters are the keyword parameters of ``__init__``, stored unchanged
as attributes of the same name; ``__init__`` does no other work. This class
gives every estimator ``get_params``, ``set_params``, ``clone``,
``default_params`` and a ``repr`` from that one convention, and a public
``check_params`` (validation, run by ``fit`` and before a run starts).
"""

from __future__ import annotations

import inspect
from typing import Any, TypeVar

from bench.errors import ParameterError

E = TypeVar("E", bound="Estimator")


class Estimator:
    """Base of :class:`bench.detectors.base.Detector` and :class:`bench.postprocess.base.PostProcessor`."""

    @classmethod
    def _param_names(cls) -> list[str]:
        sig = inspect.signature(cls.__init__)
        return [
            p.name
            for p in sig.parameters.values()
            if p.name != "self" and p.kind in (p.KEYWORD_ONLY, p.POSITIONAL_OR_KEYWORD)
        ]

    @classmethod
    def default_params(cls) -> dict[str, Any]:
        """Every hyperparameter with its default value."""
        sig = inspect.signature(cls.__init__)
        return {name: sig.parameters[name].default for name in cls._param_names()}

    def get_params(self) -> dict[str, Any]:
        """The hyperparameters exactly as given to ``__init__``."""
        return {name: getattr(self, name) for name in self._param_names()}

    def set_params(self: E, **params: Any) -> E:
        valid = self._param_names()
        for name, value in params.items():
            if name not in valid:
                raise ParameterError(f"{type(self).__name__} has no parameter {name!r}. Valid: {', '.join(valid)}.")
            setattr(self, name, value)
        return self

    def clone(self: E) -> E:
        """An unfitted copy with the same hyperparameters."""
        return type(self)(**self.get_params())

    def __repr__(self) -> str:
        params = ", ".join(f"{k}={v!r}" for k, v in self.get_params().items())
        return f"{type(self).__name__}({params})"

    def check_params(self) -> None:
        """Raise :class:`~bench.errors.ParameterError` when a hyperparameter is invalid; return None otherwise.

        ``fit`` calls it first, and a run calls it for every detector and
        post-processor before any task starts, so ``window_size=-5`` fails
        once, with its name, rather than in every task. Subclasses put their
        checks in ``_validate_params``.
        """
        self._validate_params()

    def _validate_params(self) -> None:
        """Check hyperparameters (the body of :meth:`check_params`; never called by ``__init__``)."""

    @classmethod
    def _test_params(cls) -> dict[str, Any]:
        """Cheap hyperparameters for the conformance battery (override when the defaults are slow)."""
        return {}


def check_params_contract(est: Estimator) -> None:
    """The conformance check both batteries share: ``__init__`` stores hyperparameters and learns nothing."""
    params = est.get_params()
    again = type(est)(**params)
    assert again.get_params() == params, "__init__ must store hyperparameters unchanged"
    learned = [k for k in vars(est) if k.endswith("_") and not k.startswith("_")]
    assert not learned, f"__init__ must not set learned attributes; found {learned}"
    clone = est.clone()
    assert clone is not est and clone.get_params() == params
