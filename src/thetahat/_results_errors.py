"""The uncertainties of a fit: ``MError`` and ``MErrors`` (MINOS intervals) and the named
covariance ``Matrix``, re-exported and documented by :mod:`thetahat.results`.

A MINOS interval of a parameter is a pair of offsets ``lower < 0 < upper`` from its value
at the minimum, with a flag per side (found, stopped at a limit, at the call limit, a
lower minimum seen). ``Matrix`` is a numpy array whose rows and columns are also indexed by
parameter names; its correlation is ``C_ij / sqrt(C_ii C_jj)``, zero in the rows of fixed
parameters (``C_ii = 0``).

Users import them from :mod:`thetahat.results`, where the reference documents them; their
``__module__`` is this module, so that ``inspect.getsource`` (IPython's ``??``) and the
reference's source links find them.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields
from typing import Any

import numpy as np

from ._results_render import _display, _Rendered

__all__ = ["MError", "MErrors", "Matrix"]


def _fields_repr(obj: Any) -> str:
    body = " ".join(f"{f.name}={getattr(obj, f.name)!r}" for f in fields(obj))
    return f"<{type(obj).__name__} {body}>"


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

