"""Value objects that a fit returns: ``FMin``, ``Param``/``Params``, ``MError``/``MErrors``,
the named covariance ``Matrix``.

Field names and meanings follow iminuit 2.x so that code written for iminuit reads our
results unchanged. The objects hold numbers and flags only; their text and HTML renderings
live in :mod:`thetahat.display` (display is not logic).

The validity of a minimum (``FMin.is_valid``) is the conjunction MINUIT uses::

    is_valid = has_valid_parameters and not has_reached_call_limit
               and not is_above_max_edm and not hesse_failed (when a Hesse ran)

where ``is_above_max_edm`` means EDM > 10 x goal, the goal being 0.002 * tol * errordef.

Examples
--------
A straight-line fit returns these objects; the oracle is the closed form of a weighted
line fit on x = 0, 0.1, ..., 1 with sigma = 0.1: sigma_b = 0.1 / sqrt(sum (x - 0.5)^2) =
0.1 / sqrt(1.1) and corr(a, b) = -mean(x) / sqrt(mean(x^2)) = -0.845154.

>>> import numpy as np
>>> from thetahat import Minuit
>>> from thetahat.cost import LeastSquares
>>> from thetahat.results import FMin, Matrix, Param
>>> def line(x, a, b):
...     return a + b * x
>>> x = np.linspace(0, 1, 11)
>>> m = Minuit(LeastSquares(x, 1 + 2 * x, 0.1, line), a=0, b=0).migrad()
>>> isinstance(m.fmin, FMin), m.fmin.is_valid
(True, True)
>>> p = m.params["b"]
>>> isinstance(p, Param), p.name, round(p.value, 4), round(p.error, 6)
(True, 'b', 2.0, 0.095346)
>>> round(float(m.covariance.correlation()["a", "b"]), 6)
-0.845154

A :class:`Matrix` is a numpy array indexed by parameter names as well:

>>> C = Matrix([[4.0, 1.0], [1.0, 1.0]], ["a", "b"])
>>> float(C["a", "b"]), float(C.correlation()["a", "b"]), C.submatrix(["b"]).names
(1.0, 0.5, ('b',))
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import Any

import numpy as np

__all__ = ["FMin", "Param", "Params", "MError", "MErrors", "Matrix"]


def _display(name: str, obj: Any) -> str | None:
    """Render ``obj`` with ``thetahat.display.<name>`` (None if display is unavailable)."""
    try:
        from . import display
    except ImportError:  # pragma: no cover - display is part of the package
        return None
    fn = getattr(display, name, None)
    return None if fn is None else fn(obj)


def _fields_repr(obj: Any) -> str:
    body = " ".join(f"{f.name}={getattr(obj, f.name)!r}" for f in fields(obj))
    return f"<{type(obj).__name__} {body}>"


class _Rendered:
    """Mixin: ``str`` is the display module's text, HTML for Jupyter, a pretty-printer."""

    _text_fn = ""
    _html_fn = ""

    def __str__(self) -> str:
        s = _display(self._text_fn, self)
        return s if s is not None else repr(self)

    def _repr_html_(self) -> str:
        s = _display(self._html_fn, self)
        return s if s is not None else f"<pre>{self}</pre>"

    def _repr_pretty_(self, p: Any, cycle: bool) -> None:
        p.text(repr(self) if cycle else str(self))


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


@dataclass(frozen=True, repr=False, eq=True)
class MError(_Rendered):
    """Asymmetric MINOS interval of one parameter (iminuit's ``MError``).

    ``lower`` is negative and ``upper`` positive: offsets from the minimum ``min``.

    Attributes
    ----------
    number, name : int, str
        Position and name of the parameter.
    lower, upper : float
        The interval ends, as offsets from ``min`` (``lower < 0 < upper``).
    is_valid : bool
        Whether both ends were found (``lower_valid and upper_valid``).
    lower_valid, upper_valid : bool
        Whether that end was found.
    at_lower_limit, at_upper_limit : bool
        Whether that end stopped at the parameter's limit.
    at_lower_max_fcn, at_upper_max_fcn : bool
        Whether the search for that end reached its call limit.
    lower_new_min, upper_new_min : bool
        Whether the search for that end found a lower minimum.
    nfcn : int
        Cost calls used.
    min : float
        The parameter's value at the minimum.

    Examples
    --------
    For the quadratic ``(x - 2)^2`` the MINOS interval is symmetric, ``2 -+ 1``:

    >>> from thetahat import Minuit
    >>> me = Minuit(lambda x: (x - 2) ** 2, x=0).migrad().minos().merrors["x"]
    >>> me.is_valid, round(me.lower, 6), round(me.upper, 6), round(me.min, 6)
    (True, -1.0, 1.0, 2.0)
    >>> lower, upper = me  # unpacks as iminuit's
    """

    number: int
    name: str
    lower: float
    upper: float
    is_valid: bool
    lower_valid: bool
    upper_valid: bool
    at_lower_limit: bool
    at_upper_limit: bool
    at_lower_max_fcn: bool
    at_upper_max_fcn: bool
    lower_new_min: bool
    upper_new_min: bool
    nfcn: int
    min: float

    _text_fn = "merrors_text"
    _html_fn = "merrors_html"

    def __repr__(self) -> str:
        return _fields_repr(self)

    def __str__(self) -> str:
        s = _display(self._text_fn, MErrors({self.name: self}))
        return s if s is not None else repr(self)

    def _repr_html_(self) -> str:
        s = _display(self._html_fn, MErrors({self.name: self}))
        return s if s is not None else f"<pre>{self}</pre>"

    def __iter__(self):  # ``lower, upper = m.merrors["x"]``
        yield self.lower
        yield self.upper


class MErrors(_Rendered, dict):
    """Mapping of parameter name to :class:`MError`; integer keys index in order.

    Examples
    --------
    >>> from thetahat import Minuit
    >>> m = Minuit(lambda x, y: (x - 2) ** 2 + 4 * y**2, x=0, y=1).migrad().minos()
    >>> list(m.merrors), m.merrors[1].name, round(m.merrors["y"].upper, 6)
    (['x', 'y'], 'y', 0.5)
    """

    _text_fn = "merrors_text"
    _html_fn = "merrors_html"

    def __getitem__(self, key: Any) -> MError:
        if isinstance(key, (int, np.integer)) and not isinstance(key, bool):
            key = int(key)
            keys = list(self)
            if not -len(keys) <= key < len(keys):
                raise IndexError(f"MErrors index {key} out of range for {len(keys)} entries")
            key = keys[key]
        elif not isinstance(key, str):
            raise TypeError(f"MErrors key must be a parameter name or an index, not {key!r}")
        return dict.__getitem__(self, key)

    def __repr__(self) -> str:
        inner = ",\n".join("  " + repr(v) for v in self.values())
        return f"<MErrors\n{inner}\n>" if self else "<MErrors>"


class Matrix(_Rendered, np.ndarray):
    """Covariance (or correlation) matrix indexable by parameter names, as iminuit's.

    ``Matrix(names)`` is a zero matrix (iminuit's constructor), ``Matrix(data, names)`` one
    with the given elements. ``C["a", "b"]`` is one element and ``C["a"]`` or ``C[0]`` a
    row; a slice, a list of names or positions, or a boolean mask selects the square
    sub-matrix of those parameters (rows and columns), which keeps its names. Indexing
    with a numpy array is numpy's (rows only), and the result has positional names.

    Examples
    --------
    >>> C = Matrix(("a", "b", "c"))
    >>> C[:] = [[4.0, 1.0, 0.0], [1.0, 1.0, 0.0], [0.0, 0.0, 9.0]]
    >>> C[["a", "c"]]._names(), float(C["b", "a"])
    (('a', 'c'), 1.0)
    """

    _text_fn = "matrix_text"
    _html_fn = "matrix_html"

    def __new__(cls, *args: Any) -> Matrix:
        if len(args) == 1:
            data, names = None, args[0]
        elif len(args) == 2:
            data, names = args
        else:
            raise TypeError(f"Matrix takes names, or data and names; got {len(args)} "
                            "arguments")
        if isinstance(names, str) or not isinstance(names, Iterable):
            raise TypeError(f"Matrix: names must be a sequence of str, got {names!r}")
        names = tuple(names)
        if not all(isinstance(n, str) for n in names):
            raise TypeError(f"Matrix: names must be a sequence of str, got {names!r}")
        n = len(names)
        if data is None:
            obj = np.zeros((n, n)).view(cls)
        else:
            obj = np.array(data, dtype=float).view(cls)
        if obj.shape != (n, n):
            raise ValueError(f"Matrix: shape {obj.shape} does not match {n} names")
        obj._var2pos = {k: i for i, k in enumerate(names)}
        return obj

    def __array_finalize__(self, obj: Any) -> None:
        self._var2pos = getattr(obj, "_var2pos", {})

    def _names(self) -> tuple[str, ...]:
        """The parameter names of the rows; positional ("0", "1", ...) when untracked."""
        n = self.shape[0] if self.ndim > 0 else 0
        if len(self._var2pos) == n:
            return tuple(self._var2pos)
        return tuple(str(i) for i in range(n))

    @property
    def names(self) -> tuple[str, ...]:
        """The parameter names of the rows and columns, a tuple of str.

        Examples
        --------
        >>> from thetahat import Minuit
        >>> Minuit(lambda x, y: x**2 + y**2, x=1, y=1).migrad().covariance.names
        ('x', 'y')
        """
        return self._names()

    def _square(self) -> bool:
        return self.ndim == 2 and self.shape[0] == self.shape[1]

    def _pos(self, k: Any) -> Any:
        if isinstance(k, str):
            try:
                return self._var2pos[k]
            except KeyError:
                raise KeyError(
                    f"unknown parameter {k!r}; valid names: {list(self._var2pos)}") from None
        return k

    def _untracked(self, out: Any) -> Any:
        if isinstance(out, Matrix):
            out._var2pos = {}
        return out

    def _index(self, key: Any) -> Any:
        """``key`` as numpy index of the plain array (names mapped to positions)."""
        if isinstance(key, tuple):
            return tuple(self._pos(k) for k in key)
        if isinstance(key, (str, int, np.integer)):
            return self._pos(key)
        return key

    def _selection(self, key: slice | list) -> list[int]:
        """Positions selected by a slice, a list of names or positions, or a mask."""
        n = self.shape[0] if self.ndim > 0 else 0
        if isinstance(key, slice):
            return list(range(n))[key]
        if key and all(isinstance(k, (bool, np.bool_)) for k in key):
            if len(key) != n:
                raise IndexError(f"boolean mask has length {len(key)}, expected {n}")
            return [i for i, k in enumerate(key) if k]
        idx = [int(self._pos(k)) for k in key]
        return [i + n if i < 0 else i for i in idx]

    def __setitem__(self, key: Any, value: Any) -> None:
        a = np.asarray(self)
        if isinstance(key, (slice, list)) and self._square():
            idx = self._selection(key)
            a[np.ix_(idx, idx)] = value
            return
        a[self._index(key)] = value

    def __getitem__(self, key: Any) -> Any:
        if isinstance(key, tuple):  # an element, or numpy indexing of both axes
            return self._untracked(np.ndarray.__getitem__(self, tuple(self._pos(k)
                                                                      for k in key)))
        if isinstance(key, (str, int, np.integer)):  # a row
            return self._untracked(np.ndarray.__getitem__(self, self._pos(key)))
        if not isinstance(key, (slice, list)):  # numpy's own indexing (of rows), untracked
            return self._untracked(np.ndarray.__getitem__(self, key))
        idx = self._selection(key)
        names = self._names()
        if not self._square():
            out = np.asarray(self)[idx].view(Matrix)
            out._var2pos = {str(i): i for i in range(len(idx))}
            return out
        return Matrix(np.asarray(self)[np.ix_(idx, idx)], [names[i] for i in idx])

    def to_dict(self) -> dict[tuple[str, str], float]:
        """The upper triangle (diagonal included) as ``{(name_i, name_j): value}``.

        Returns
        -------
        dict of (str, str) to float

        Examples
        --------
        >>> Matrix([[4.0, 1.0], [1.0, 9.0]], ["a", "b"]).to_dict()
        {('a', 'a'): 4.0, ('a', 'b'): 1.0, ('b', 'b'): 9.0}
        """
        names = self._names()
        a = np.asarray(self)
        return {(names[i], names[j]): float(a[i, j])
                for i in range(len(names)) for j in range(i, len(names))}

    def __str__(self) -> str:
        return super().__str__() if self._square() else repr(self)

    def _repr_html_(self) -> str:
        return super()._repr_html_() if self._square() else f"<pre>{self}</pre>"

    def submatrix(self, names: Sequence[str]) -> Matrix:
        """The square sub-matrix of the parameters ``names`` (rows and columns).

        Parameters
        ----------
        names : sequence of str or int
            Names or positions of the parameters, in the order wanted.

        Returns
        -------
        Matrix
            With those names.

        Raises
        ------
        KeyError
            If a name is not one of :attr:`names`.

        Examples
        --------
        >>> C = Matrix([[4.0, 1.0, 2.0], [1.0, 9.0, 0.0], [2.0, 0.0, 1.0]], ["a", "b", "c"])
        >>> S = C.submatrix(["c", "a"])
        >>> S.names, S.tolist()
        (('c', 'a'), [[1.0, 2.0], [2.0, 4.0]])
        """
        idx = [self._pos(n) for n in names]
        return Matrix(np.asarray(self)[np.ix_(idx, idx)], [self.names[i] for i in idx])

    def correlation(self) -> Matrix:
        """Correlation matrix C_ij / sqrt(C_ii C_jj); zero rows for fixed parameters.

        Returns
        -------
        Matrix
            With the same names.

        Examples
        --------
        The cost ``(x - 2)^2 + (y - 1)^2 + (x - 2)(y - 1)`` has the Hessian
        ``[[2, 1], [1, 2]]``, whose inverse gives the correlation ``-1/2``:

        >>> from thetahat import Minuit
        >>> m = Minuit(lambda x, y: (x - 2) ** 2 + (y - 1) ** 2 + (x - 2) * (y - 1), x=0, y=0)
        >>> round(float(m.migrad().covariance.correlation()["x", "y"]), 6)
        -0.5
        """
        a = np.asarray(self)
        d = np.sqrt(np.diag(a))
        with np.errstate(divide="ignore", invalid="ignore"):
            c = a / np.outer(d, d)
        c[~np.isfinite(c)] = 0.0
        return Matrix(c, self.names)

    def to_table(self) -> tuple[list[list[str]], tuple[str, ...]]:
        """Rows ``[name, value...]`` of strings and the column names, as iminuit's.

        Returns
        -------
        rows : list of list of str
        names : tuple of str

        Examples
        --------
        >>> Matrix([[4.0, 1.0], [1.0, 9.0]], ["a", "b"]).to_table()
        ([['a', '4', '1'], ['b', '1', '9']], ('a', 'b'))
        """
        names = self._names()
        rows = [[n] + [f"{v:.3g}" for v in np.asarray(self)[i]] for i, n in enumerate(names)]
        return rows, names

    def __repr__(self) -> str:
        # numpy's text of the elements, as iminuit's repr
        return str(np.asarray(self))

    def __reduce__(self):  # pickling keeps the names
        return (Matrix, (np.asarray(self), self.names))
