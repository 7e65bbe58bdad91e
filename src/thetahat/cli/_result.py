"""``FitResult``: what :func:`thetahat.fit` returns, a ``Minuit`` that also serialises itself.

It is a :class:`~thetahat.Minuit` (every method applies; ``print(result)`` shows the tables
and a notebook renders them), with

- ``model``: the model object (a :mod:`thetahat.models` model, a density or the user's
  function) and ``yerr_estimated``: the common error of y set from the scatter, or None;
- ``to_dict()``: plain Python types only (``float``, ``int``, ``bool``, ``str``, ``None``,
  lists and dicts), non-finite numbers as ``None`` (JSON has no NaN or infinity), so that
  ``json.dumps(result.to_dict())`` always works; ``to_json(path=None)`` writes or returns it;
- ``correlated_values()``: each parameter as an ``uncertainties`` number carrying the full
  covariance (``a - b`` then has the error ``sqrt(Va + Vb - 2 Vab)``), when the optional
  ``uncertainties`` package is installed.
"""

from __future__ import annotations

import json
import math
from typing import Any

import numpy as np

from ..minuit import Minuit
from ._gof import pvalue

__all__ = ["FitResult"]


def _num(v: Any) -> float | None:
    """A finite float, or None for NaN, infinities and None."""
    if v is None:
        return None
    f = float(v)
    return f if math.isfinite(f) else None


def _matrix(a: Any) -> list[list[float | None]] | None:
    if a is None:
        return None
    return [[_num(v) for v in row] for row in np.asarray(a, dtype=float)]


def _version() -> str:
    """The installed thetahat's version (the package metadata: no import of the top layer)."""
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("thetahat")
    except PackageNotFoundError:  # pragma: no cover - running from an uninstalled tree
        return "unknown"


def model_info(model: Any) -> dict[str, Any]:
    """Name, formula (where the model states one) and parameters of a fitted model."""
    name = getattr(model, "name", None) or getattr(model, "__name__", None) \
        or type(model).__name__
    out: dict[str, Any] = {"name": str(name)}
    formula = getattr(model, "formula", "")
    if formula:
        out["formula"] = str(formula)
    return out


class FitResult(Minuit):
    """The ``Minuit`` object of a finished :func:`thetahat.fit`, with ``to_dict``,
    ``to_json`` and ``correlated_values`` (module docstring).

    Made by :func:`thetahat.fit`, which passes the cost and the start values.

    Parameters
    ----------
    fcn, *args, grad, g2, hessian, name, **kwds
        As for :class:`~thetahat.Minuit`.

    Raises
    ------
    TypeError
        If ``fcn`` is not callable.

    Examples
    --------
    >>> import json, numpy as np, thetahat
    >>> x = np.linspace(0, 1, 11)
    >>> r = thetahat.fit(x, 1 + 2 * x, "line", yerr=0.1)
    >>> d = r.to_dict()
    >>> d["model"], round(d["parameters"]["b"]["value"], 6), d["valid"]
    ({'name': 'line', 'formula': 'a + b x'}, 2.0, True)
    >>> json.loads(r.to_json())["parameters"]["a"]["fixed"]
    False
    """

    model: Any = None
    yerr_estimated: float | None = None
    data_info: dict[str, Any] = {}
    cost_name: str = ""
    starts: int = 1  # MIGRAD starts that thetahat.fit tried (its retries of a failed start)

    def to_dict(self) -> dict[str, Any]:
        """The fit as plain Python types: model, cost, parameters, covariance, quality.

        Returns
        -------
        dict
            Keys ``model`` (name and formula), ``cost`` (the cost's class name),
            ``thetahat_version``, ``valid``, ``accurate``, ``fval``, ``ndof``, ``chi2_ndof``
            and ``p_value`` (None without a goodness of fit), ``yerr_estimated``, ``edm``,
            ``nfcn``, ``parameters`` (name -> value, error, fixed, lower/upper limit,
            minos_lower/minos_upper where MINOS ran), ``covariance`` and ``correlation``
            (lists of rows in parameter order, None before HESSE), and ``data`` (what the
            data were: kind, number of points, column names).

        Examples
        --------
        >>> import numpy as np, thetahat
        >>> x = np.linspace(0, 1, 11)
        >>> m = thetahat.fit(x, 1 + 2 * x, "line", yerr=0.1)
        >>> d = m.to_dict()
        >>> sorted(d)[:3], d['valid']
        (['accurate', 'chi2_ndof', 'correlation'], True)
        """
        gof = self.yerr_estimated is None and self.data_info.get("gof", False)
        p = pvalue(self) if gof else None
        params: dict[str, dict[str, Any]] = {}
        for par in self.params:
            d: dict[str, Any] = {"value": _num(par.value), "error": _num(par.error),
                                 "fixed": bool(par.is_fixed),
                                 "lower_limit": _num(par.lower_limit),
                                 "upper_limit": _num(par.upper_limit)}
            if par.merror is not None:
                d["minos_lower"], d["minos_upper"] = (_num(v) for v in par.merror)
            params[par.name] = d
        cov, fmin = self.covariance, self.fmin
        return {
            "model": model_info(self.model),
            "cost": self.cost_name,
            "thetahat_version": _version(),
            "valid": bool(self.valid),
            "accurate": bool(self.accurate),
            "fval": _num(self.fval),
            "ndof": _num(self.ndof),
            "chi2_ndof": _num(fmin.reduced_chi2) if p is not None and fmin else None,
            "p_value": p,
            "yerr_estimated": _num(self.yerr_estimated),
            "edm": _num(fmin.edm) if fmin else None,
            "nfcn": int(self.nfcn),
            "parameters": params,
            "covariance": _matrix(cov),
            "correlation": _matrix(cov.correlation()) if cov is not None else None,
            "data": {k: v for k, v in self.data_info.items() if k != "gof"},
        }

    def to_json(self, path: Any = None, indent: int | None = 2) -> str:
        """:meth:`to_dict` as a JSON string; also written to ``path`` when given.

        Parameters
        ----------
        path : str or path-like, optional
            File to write (overwritten).
        indent : int or None
            Indentation of the JSON text (None: one line).

        Returns
        -------
        str

        Examples
        --------
        >>> import numpy as np, thetahat
        >>> x = np.linspace(0, 1, 11)
        >>> m = thetahat.fit(x, 1 + 2 * x, "line", yerr=0.1)
        >>> import json
        >>> json.loads(m.to_json())['valid']
        True
        """
        text = json.dumps(self.to_dict(), indent=indent, allow_nan=False)
        if path is not None:
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(text + "\n")
        return text

    def correlated_values(self) -> dict[str, Any]:
        """Each parameter as an ``uncertainties`` number with the fit's covariance.

        Returns
        -------
        dict
            name -> ``uncertainties.UFloat``; arithmetic on them propagates the
            correlations. A fixed parameter has zero error.

        Raises
        ------
        ImportError
            When the ``uncertainties`` package is not installed.
        RuntimeError
            When there is no covariance matrix (HESSE failed).

        Examples
        --------
        >>> import numpy as np, thetahat
        >>> x = np.linspace(0, 1, 11)
        >>> m = thetahat.fit(x, 1 + 2 * x, "line", yerr=0.1)
        >>> v = m.correlated_values()
        >>> round((v['a'] + v['b']).n, 6), round((v['a'] + v['b']).s, 4)
        (3.0, 0.0564)
        """
        try:
            import uncertainties
        except ImportError:
            raise ImportError("correlated_values() needs the 'uncertainties' package: "
                              "pip install uncertainties") from None
        cov = self.covariance
        if cov is None:
            raise RuntimeError("correlated_values(): the fit has no covariance matrix "
                               "(HESSE failed); see result.fmin")
        names = list(self.parameters)
        vals = uncertainties.correlated_values(list(np.asarray(self.values, dtype=float)),
                                               np.asarray(cov, dtype=float), tags=names)
        return dict(zip(names, vals))
