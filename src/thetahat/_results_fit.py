"""The state of a fit: ``FMin`` (the function minimum), ``Param`` and ``Params`` (the
parameters), re-exported and documented by :mod:`thetahat.results`.

Field names and meanings follow iminuit 2.x. ``FMin`` records the verdict ``is_valid``
(MINUIT's conjunction of its parts, written out in :mod:`thetahat.results`) and the parts
themselves; the engines compute them. It also takes iminuit's positional signature
``FMin(fmin, algorithm, nfcn, ngrad, ng2, nhessian, ndof, edm_goal, time)``, whose reduced
chi2 is ``fval / ndof`` when ``errordef`` is 1 (a least-squares cost) and NaN otherwise.
``Params`` is a tuple of ``Param`` that is also indexed by name.

Users import them from :mod:`thetahat.results`, where the reference documents them; their
``__module__`` is this module, so that ``inspect.getsource`` (IPython's ``??``) and the
reference's source links find them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

from ._results_render import _display, _Rendered

__all__ = ["FMin", "Param", "Params"]


@dataclass(frozen=True, repr=False, eq=False)
class FMin(_Rendered):
    """The state of a function minimum (iminuit's ``FMin``).

    Made by :class:`~thetahat.Minuit` after each minimization or HESSE (``m.fmin``); users
    read it rather than build it. ``is_valid`` is the verdict to check (module docstring).

    Parameters
    ----------
    *args, **kwargs
        The fields below by keyword, or iminuit's positional signature ``FMin(fmin,
        algorithm, nfcn, ngrad, ng2, nhessian, ndof, edm_goal, time)`` where ``fmin`` has
        the attributes of a function minimum.

    Attributes
    ----------
    algorithm : str
        The minimizer that found it (``"Migrad"``, ``"Simplex"``, ``"SciPy[BFGS]"`` ...).
    fval, edm, edm_goal, errordef : float
        Cost at the minimum, its estimated distance to the true minimum, the EDM goal
        (``0.002 * tol * errordef``) and the cost's ``errordef``.
    nfcn, ngrad, ng2, nhessian : int
        Calls of the cost, its gradient, its ``g2`` and its Hessian.
    is_valid : bool
        Whether the minimum can be trusted (see the module docstring).
    has_valid_parameters, has_reached_call_limit, is_above_max_edm, hesse_failed : bool
        The parts of ``is_valid``.
    has_covariance, has_accurate_covar, has_posdef_covar, has_made_posdef_covar : bool
        Whether a covariance exists, is accurate, is positive definite, or was forced to be.
    has_parameters_at_limit : bool
        Whether a free parameter ended at one of its limits.
    reduced_chi2 : float
        ``fval / ndof`` for a least-squares cost (``errordef == 1``), else NaN.
    time : float
        Seconds spent.

    Examples
    --------
    The minimum of ``(x - 2)^2 + (y - 1)^2 + (x - 2)(y - 1)`` is 0:

    >>> from thetahat import Minuit
    >>> m = Minuit(lambda x, y: (x - 2) ** 2 + (y - 1) ** 2 + (x - 2) * (y - 1), x=0, y=0)
    >>> fm = m.migrad().fmin
    >>> fm.is_valid, fm.algorithm, round(fm.fval, 10), fm.errordef, fm.nfcn > 0
    (True, 'Migrad', 0.0, 1.0, True)
    """

    algorithm: str
    edm: float
    edm_goal: float
    errordef: float
    fval: float
    nfcn: int
    ngrad: int
    has_accurate_covar: bool
    has_covariance: bool
    has_made_posdef_covar: bool
    has_parameters_at_limit: bool
    has_posdef_covar: bool
    has_reached_call_limit: bool
    has_valid_parameters: bool
    hesse_failed: bool
    is_above_max_edm: bool
    is_valid: bool
    reduced_chi2: float
    time: float
    ng2: int = 0
    nhessian: int = 0

    _text_fn = "fmin_text"
    _html_fn = "fmin_html"

    def __repr__(self) -> str:
        # attributes in alphabetical order, as iminuit's repr
        body = " ".join(f"{k}={getattr(self, k)!r}" for k in sorted(f.name for f in
                                                                   fields(self)))
        return f"<FMin {body}>"

    def __eq__(self, other: object) -> bool:
        # field by field, a NaN equal to a NaN (reduced_chi2 is NaN without ndata), so
        # that a pickled copy equals its original
        if not isinstance(other, FMin):
            return NotImplemented
        for f in fields(self):
            a, b = getattr(self, f.name), getattr(other, f.name)
            if a != b and not (isinstance(a, float) and isinstance(b, float)
                               and a != a and b != b):
                return False
        return True

    __hash__ = None  # type: ignore[assignment]


_fmin_fields_init = FMin.__init__


def _fmin_init(self: FMin, *args: Any, **kwargs: Any) -> None:
    """FMin's fields by keyword, or iminuit's public signature
    ``FMin(fmin, algorithm, nfcn, ngrad, ng2, nhessian, ndof, edm_goal, time)`` where
    ``fmin`` is any object with the attributes of a function minimum (fval, edm, errordef,
    is_valid, has_* ...). The reduced chi2 is fval / ndof when errordef is 1, else NaN."""
    if args and not isinstance(args[0], str):
        fm, algorithm, nfcn, ngrad, ng2, nhessian, ndof, edm_goal, time = args
        flags = ("has_accurate_covar", "has_covariance", "has_made_posdef_covar",
                 "has_parameters_at_limit", "has_posdef_covar", "has_reached_call_limit",
                 "has_valid_parameters", "hesse_failed", "is_above_max_edm", "is_valid")
        kwargs = {k: bool(getattr(fm, k)) for k in flags}
        errordef = float(fm.errordef)
        fval = float(fm.fval)
        kwargs.update(
            algorithm=algorithm, edm=float(fm.edm), edm_goal=float(edm_goal),
            errordef=errordef, fval=fval, nfcn=int(nfcn), ngrad=int(ngrad), ng2=int(ng2),
            nhessian=int(nhessian), time=float(time),
            reduced_chi2=fval / ndof if errordef == 1 and ndof > 0 else np.nan)
        args = ()
    _fmin_fields_init(self, *args, **kwargs)


FMin.__init__ = _fmin_init  # type: ignore[method-assign]


@dataclass(frozen=True, repr=False, eq=True)
class Param(_Rendered):
    """One parameter's state (iminuit's ``Param``).

    ``at_lower_limit`` / ``at_upper_limit`` (not in iminuit, named as in ``MError``) say
    that the free parameter ended at that limit (within half its error, see
    :func:`thetahat.minuit._setup.limit_sides`): its HESSE error is then not a standard
    deviation (it collapses towards 0 at the limit); use MINOS, whose interval reports
    the one-sided end, or remove the limit. ``at_limit`` is either.

    Attributes
    ----------
    number : int
        Position of the parameter.
    name : str
        Its name.
    value, error : float
        Its value and (HESSE or MIGRAD) error.
    merror : (float, float) or None
        The MINOS interval ``(lower, upper)``, offsets from ``value``, if computed.
    is_const, is_fixed : bool
        Whether it is a constant (always False in thetahat) or fixed.
    lower_limit, upper_limit : float or None
        Its limits, None where there is none.
    at_lower_limit, at_upper_limit : bool
        Whether the free parameter ended at that limit.

    Examples
    --------
    ``(x - 2)^2`` with ``errordef = 1`` has the minimum ``x = 2`` and the error 1 (where
    the cost has risen by 1):

    >>> from thetahat import Minuit
    >>> p = Minuit(lambda x: (x - 2) ** 2, x=0).migrad().params["x"]
    >>> p.name, round(p.value, 6), round(p.error, 6), p.is_fixed, p.merror
    ('x', 2.0, 1.0, False, None)
    """

    number: int
    name: str
    value: float
    error: float
    merror: tuple[float, float] | None
    is_const: bool
    is_fixed: bool
    lower_limit: float | None
    upper_limit: float | None
    at_lower_limit: bool = field(default=False, repr=False)  # in repr only when True:
    at_upper_limit: bool = field(default=False, repr=False)  # else it reads as iminuit's

    _text_fn = "params_text"
    _html_fn = "params_html"

    def __repr__(self) -> str:
        body = ", ".join(f"{f.name}={getattr(self, f.name)!r}" for f in fields(self)
                         if f.repr or getattr(self, f.name))
        return f"Param({body})"

    def __str__(self) -> str:
        s = _display(self._text_fn, Params([self]))
        return s if s is not None else repr(self)

    def _repr_html_(self) -> str:
        s = _display(self._html_fn, Params([self]))
        return s if s is not None else f"<pre>{self}</pre>"

    @property
    def at_limit(self) -> bool:
        """Whether the parameter ended at one of its limits (class docstring).

        Examples
        --------
        The minimum ``x = 2`` lies beyond the limit 1, so the fit ends on it:

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda x: (x - 2) ** 2, x=0)
        >>> m.limits["x"] = (0, 1)
        >>> p = m.migrad().params["x"]
        >>> p.at_limit, p.at_upper_limit, round(p.value, 6)
        (True, True, 1.0)
        """
        return self.at_lower_limit or self.at_upper_limit

    @property
    def has_limits(self) -> bool:
        """Whether the parameter has a lower or an upper limit.

        Examples
        --------
        >>> from thetahat import Minuit
        >>> m = Minuit(lambda x, y: x**2 + y**2, x=1, y=1)
        >>> m.limits["x"] = (0, None)
        >>> m.params["x"].has_limits, m.params["y"].has_limits, m.params["x"].has_lower_limit
        (True, False, True)
        """
        return self.has_lower_limit or self.has_upper_limit

    @property
    def has_lower_limit(self) -> bool:
        """Whether the parameter has a lower limit.

        Examples
        --------
        >>> Param(0, "x", 1.0, 0.1, None, False, False, 0.0, None).has_lower_limit
        True
        """
        return self.lower_limit is not None

    @property
    def has_upper_limit(self) -> bool:
        """Whether the parameter has an upper limit.

        Examples
        --------
        A limit of ``None`` is no limit:

        >>> Param(0, "x", 1.0, 0.1, None, False, False, 0.0, None).has_upper_limit
        False
        """
        return self.upper_limit is not None


class Params(_Rendered, tuple):
    """Tuple of :class:`Param`, also indexable by parameter name.

    Examples
    --------
    >>> from thetahat import Minuit
    >>> ps = Minuit(lambda x, y: (x - 2) ** 2 + (y + 1) ** 2, x=0, y=0).migrad().params
    >>> len(ps), ps[1].name, round(ps["y"].value, 6), [p.name for p in ps[:1]]
    (2, 'y', -1.0, ['x'])
    """

    _text_fn = "params_text"
    _html_fn = "params_html"

    def __new__(cls, items: Iterable[Param] = ()) -> Params:
        return tuple.__new__(cls, tuple(items))

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, str):
            for p in self:
                if p.name == key:
                    return p
            raise KeyError(f"unknown parameter {key!r}; valid names: {[p.name for p in self]}")
        out = tuple.__getitem__(self, key)
        return Params(out) if isinstance(key, slice) else out

    def __repr__(self) -> str:
        return "(" + ", ".join(repr(p) for p in self) + ")"

    def to_table(self) -> tuple[list[list[str]], list[str]]:
        """Rows of strings and the header, as iminuit's ``Params.to_table``.

        Returns
        -------
        rows : list of list of str
            One row per parameter: position, name, value, error, MINOS errors, limits,
            fixed.
        header : list of str
            The column names.

        Examples
        --------
        >>> from thetahat import Minuit
        >>> m = Minuit(lambda x: (x - 2) ** 2, x=0).migrad()
        >>> rows, header = m.params.to_table()
        >>> header[:4], rows[0][:4]
        (['pos', 'name', 'value', 'error'], ['0', 'x', '2', '1'])
        """
        header = ["pos", "name", "value", "error", "error-", "error+", "limit-", "limit+",
                  "fixed"]
        rows = []
        for p in self:
            lo, up = p.merror if p.merror else ("", "")
            rows.append([str(p.number), p.name, f"{p.value:.6g}", f"{p.error:.6g}",
                         f"{lo:.6g}" if lo != "" else "", f"{up:.6g}" if up != "" else "",
                         "" if p.lower_limit is None else f"{p.lower_limit:.6g}",
                         "" if p.upper_limit is None else f"{p.upper_limit:.6g}",
                         "yes" if p.is_fixed else ""])
        return rows, header

