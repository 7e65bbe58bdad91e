"""Curve models: the :class:`Model` base class and sums of models.

A model is ``f(x; p)`` with named parameters. It exposes

- ``parameters``: tuple of names; ``__signature__`` ``(x, p1, p2, ...)``, which
  ``inspect.signature`` (hence ``thetahat.cost`` and ``iminuit.cost``) reads. No
  ``_parameters`` attribute: in iminuit's convention it would have to list ``x`` too, which
  the costs then drop; the signature is unambiguous for both;
- ``__call__(x, *p)``: the value, vectorised over ``x``;
- ``grad(x, *p)``: analytic derivatives ``d f / d p_j``, an array of shape ``(npar, len(x))``;
- ``guess(x, y)``: a dict of starting values estimated from curve data;
- ``limits``: dict name -> ``(lo, hi)``, the natural domain (``inf`` where open);
- ``formula``: ``f(x)`` as a string in ``x`` and the parameter names;
- ``fixed``: names the fit should keep fixed because they are degenerate with others
  (e.g. the reference point ``b`` of ``a exp(-(x - b)/c)``).

Sums. ``f + g`` is a :class:`SumModel` ``(f + g)(x) = f(x; p_f) + g(x; p_g)``. Its parameters
are the components' names prefixed by the component name and an underscore,
``expo_a, expo_b, expo_c, gauss_a, gauss_mu, gauss_sigma``; a component name that repeats is
numbered from 1 in order of appearance (``gauss1_mu``, ``gauss2_mu``). The gradient stacks the
components' gradients. The guess of a sum of smooth backgrounds and peaks is staged:

1. guess the backgrounds on all data (each on the residual of the previous ones);
2. find the peaks in the residual ``y - background`` (tallest first), exclude a window of
   ``+-3 sigma`` (at least two sample spacings) around each, and guess the backgrounds again on
   the sidebands that remain (when they hold enough points);
3. guess each peak on the residual of the sideband background and the peaks before it.
"""

from __future__ import annotations

import inspect
from collections.abc import Sequence
from typing import Any, Protocol, cast

import numpy as np
from numpy.typing import ArrayLike, NDArray

__all__ = ["Model", "SumModel", "ParamFunction", "check_xy", "make_signature"]

INF = float("inf")


def make_signature(names: Sequence[str]) -> inspect.Signature:
    """``(x, name1, name2, ...)`` with positional-or-keyword parameters."""
    kind = inspect.Parameter.POSITIONAL_OR_KEYWORD
    return inspect.Signature([inspect.Parameter(n, kind) for n in ("x", *names)])


def check_xy(x: ArrayLike, y: ArrayLike) -> tuple[NDArray, NDArray]:
    """Validate curve data for a guess: 1-D, same length, finite; returned sorted by x."""
    x = np.asarray(x, dtype=float).ravel()
    y = np.asarray(y, dtype=float).ravel()
    if x.size != y.size:
        raise ValueError(f"x and y must have the same length, got {x.size} and {y.size}")
    if x.size < 2:
        raise ValueError(f"need at least 2 points to guess starting values, got {x.size}")
    for label, a in (("x", x), ("y", y)):
        bad = np.flatnonzero(~np.isfinite(a))
        if bad.size:
            raise ValueError(f"{label}[{bad[0]}] = {a[bad[0]]} must be finite")
    order = np.argsort(x, kind="stable")
    return x[order], y[order]


class ParamFunction:
    """A callable ``fn(x, *p)`` carrying its parameter names, limits and gradient.

    This is what the cost functions receive (``d.pdf``, ``d.cdf``, ``e.scaled_pdf`` ...):
    the names are read from ``__signature__`` ``(x, p1, ...)`` by ``inspect.signature``
    (thetahat.cost and iminuit.cost alike); ``grad`` has the cost's expected form.

    Parameters
    ----------
    fn : callable
        ``fn(x, *p)``, the function to call.
    names : sequence of str
        The parameter names ``p1, ...`` (after ``x``).
    limits : dict of str to (float, float)
        Natural domain of each parameter; a missing name means no limit.
    grad : callable, optional
        ``grad(x, *p)``, the gradient with respect to the parameters, shape ``(len(p),
        len(x))``.
    doc : str, optional
        The docstring of the callable.

    Examples
    --------
    >>> from thetahat.models import ParamFunction
    >>> from thetahat.util import describe
    >>> f = ParamFunction(lambda x, a: a * x, ["a"], {"a": (0.0, float("inf"))})
    >>> describe(f), f(2.0, 3.0), f.limits
    (['x', 'a'], 6.0, {'a': (0.0, inf)})
    """

    def __init__(self, fn: Any, names: Sequence[str], limits: dict, grad: Any = None,
                 doc: str = "") -> None:
        self._fn = fn
        self.parameters = tuple(names)
        self.limits = {n: limits.get(n, (-INF, INF)) for n in self.parameters}
        self.__signature__ = make_signature(self.parameters)
        self.grad = grad
        self.__doc__ = doc

    def __call__(self, x: ArrayLike, *p: float) -> Any:
        return self._fn(x, *p)

    def __repr__(self) -> str:
        return f"<ParamFunction ({', '.join(self.parameters)})>"


class _InstanceSignature:
    """``(x, p1, p2, ...)`` on a model instance; ``None`` on the class itself, so that
    ``inspect.signature(Gaussian)`` reads the constructor as for any class (a property
    here made it raise, and with it ``help`` and the API reference)."""

    def __get__(self, obj: Any, owner: Any = None) -> inspect.Signature | None:
        return None if obj is None else make_signature(obj.parameters)


class Model:
    """Base class of the curve models (see the module docstring for the interface).

    Subclasses set ``name``, ``parameters``, ``role`` ('background', 'peak' or 'other'),
    ``_limits`` and implement ``_value(x, p)``, ``_grad(x, p)`` and ``_guess(x, y)``, where
    ``p`` is a tuple of floats and ``x`` a float array.

    Examples
    --------
    A model is called as ``m(x, *p)`` (or with parameters by name); its signature is what
    the costs read:

    >>> import inspect
    >>> from thetahat.models import Gaussian
    >>> m = Gaussian()
    >>> inspect.signature(m), float(m(1.0, a=2.0, mu=1.0, sigma=0.5)), m.role
    (<Signature (x, a, mu, sigma)>, 2.0, 'peak')
    """

    name: str = "model"
    parameters: tuple[str, ...] = ()
    role: str = "other"
    _limits: dict[str, tuple[float, float]] = {}
    fixed: frozenset[str] = frozenset()
    formula: str = ""  # f(x) in words of x and the parameter names, for listings and docs

    # -- introspection -------------------------------------------------------------------
    @property
    def npar(self) -> int:
        """Number of parameters, ``len(parameters)``.

        Examples
        --------
        >>> from thetahat.models import Gaussian, Polynomial
        >>> Gaussian().npar, Polynomial(3).npar
        (3, 4)
        """
        return len(self.parameters)

    @property
    def limits(self) -> dict[str, tuple[float, float]]:
        """Natural domain of each parameter, ``(lo, hi)`` with ``inf`` where open.

        Examples
        --------
        >>> from thetahat.models import Gaussian
        >>> Gaussian().limits
        {'a': (-inf, inf), 'mu': (-inf, inf), 'sigma': (0.0, inf)}
        """
        return {n: self._limits.get(n, (-INF, INF)) for n in self.parameters}

    __signature__ = _InstanceSignature()

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name}({', '.join(self.parameters)})>"

    # -- evaluation ----------------------------------------------------------------------
    def _args(self, p: Sequence[Any], kw: dict) -> tuple[float, ...]:
        if kw:
            p = list(p) + [kw.pop(n) for n in self.parameters[len(p):] if n in kw]
            if kw:
                raise TypeError(f"{self.name}: unknown parameters {sorted(kw)}")
        if len(p) == 1 and self.npar > 1 and np.size(p[0]) == self.npar:
            p = tuple(np.ravel(p[0]))
        if len(p) != self.npar:
            raise TypeError(f"{self.name} takes {self.npar} parameters {self.parameters}, "
                            f"got {len(p)}")
        return tuple(float(v) for v in p)

    def __call__(self, x: ArrayLike, *p: float, **kw: float) -> NDArray:
        xa = np.asarray(x, dtype=float)
        return self._value(xa, self._args(p, kw))

    def grad(self, x: ArrayLike, *p: float, **kw: float) -> NDArray:
        """``d f / d p_j`` at each x, shape ``(npar, len(x))``.

        Parameters
        ----------
        x : array_like
            Where to evaluate.
        *p : float
            Parameter values, in order.
        **kw : float
            Parameter values by name (instead of, or after, ``p``).

        Returns
        -------
        numpy.ndarray
            The gradient, shape ``(npar,) + shape(x)``.

        Examples
        --------
        For ``a + b x`` the rows are ``df/da = 1`` and ``df/db = x``:

        >>> from thetahat.models import Line
        >>> Line().grad([0.0, 2.0, 5.0], 1.0, 3.0).tolist()
        [[1.0, 1.0, 1.0], [0.0, 2.0, 5.0]]
        """
        xa = np.atleast_1d(np.asarray(x, dtype=float))
        g = np.asarray(self._grad(xa, self._args(p, kw)), dtype=float)
        return np.broadcast_to(g, (self.npar,) + xa.shape).copy()

    def guess(self, x: ArrayLike, y: ArrayLike) -> dict[str, float]:
        """Starting values from curve data ``(x, y)``.

        Parameters
        ----------
        x, y : array_like
            The curve data.

        Returns
        -------
        dict of str to float
            A starting value for each parameter.

        Examples
        --------
        On exact data of a line the guess is the line:

        >>> from thetahat.models import Line
        >>> {k: round(v, 12) for k, v in Line().guess([0, 1, 2, 4], [3, 5, 7, 11]).items()}
        {'a': 3.0, 'b': 2.0}
        """
        xs, ys = check_xy(x, y)
        return {n: float(v) for n, v in self._guess(xs, ys).items()}

    def _value(self, x: NDArray, p: tuple) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _grad(self, x: NDArray, p: tuple) -> NDArray:  # pragma: no cover - abstract
        raise NotImplementedError

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:  # pragma: no cover
        raise NotImplementedError

    # -- peaks: position and width, used by the staged guess of sums ---------------------
    def _center_width(self, g: dict[str, float]) -> tuple[float, float]:
        """(centre, sigma-like width) of a peak from its guessed parameters."""
        raise NotImplementedError

    def __add__(self, other: Model) -> SumModel:
        if not isinstance(other, Model):
            return NotImplemented
        left = self.components if isinstance(self, SumModel) else [self]
        right = other.components if isinstance(other, SumModel) else [other]
        return SumModel([*left, *right])


class _Named(Protocol):
    """What :func:`_prefixes` reads of a component (a Model or a Density)."""

    name: str


def _prefixes(components: Sequence[_Named]) -> list[str]:
    names = [c.name for c in components]
    counts = {n: names.count(n) for n in names}
    seen: dict[str, int] = {}
    out = []
    for n in names:
        if counts[n] > 1:
            seen[n] = seen.get(n, 0) + 1
            out.append(f"{n}{seen[n]}")
        else:
            out.append(n)
    return out


class SumModel(Model):
    """Sum of curve models with component-prefixed parameter names (module docstring).

    Parameters
    ----------
    components : sequence of Model
        The models to add; their parameters are renamed ``<prefix>_<name>``.

    Examples
    --------
    ``f + g`` makes one; its value is the sum of the components':

    >>> from thetahat.models import Gaussian, Line
    >>> m = Line() + Gaussian() + Gaussian()
    >>> m.parameters[:3], m.parameters[-1]
    (('line_a', 'line_b', 'gauss1_a'), 'gauss2_sigma')
    >>> p = [1.0, 0.5, 3.0, 2.0, 1.0, 4.0, 2.0, 0.1]  # both peaks at x = 2
    >>> float(m(2.0, *p)), 1.0 + 0.5 * 2.0 + 3.0 + 4.0
    (9.0, 9.0)
    """

    def __init__(self, components: Sequence[Model]) -> None:
        self.components = list(components)
        self.prefixes = _prefixes(self.components)
        self.name = "+".join(c.name for c in self.components)
        names: list[str] = []
        limits: dict[str, tuple[float, float]] = {}
        fixed: set[str] = set()
        self._slices = []
        for pre, c in zip(self.prefixes, self.components):
            start = len(names)
            for n in c.parameters:
                names.append(f"{pre}_{n}")
                limits[f"{pre}_{n}"] = c.limits[n]
            fixed |= {f"{pre}_{n}" for n in c.fixed}
            self._slices.append(slice(start, len(names)))
        self.parameters = tuple(names)
        self._limits = limits
        self.fixed = frozenset(fixed)
        self.role = "background" if all(c.role == "background" for c in components) else "other"
        self.formula = " + ".join(f"{pre}: [{c.formula}]"
                                  for pre, c in zip(self.prefixes, self.components))

    def split(self, p: Sequence[float]) -> list[tuple]:
        """The parameter tuple of each component.

        Parameters
        ----------
        p : sequence of float
            Values of all parameters of the sum, in order.

        Returns
        -------
        list of tuple
            The values of each component's parameters.

        Examples
        --------
        >>> from thetahat.models import Gaussian, Line
        >>> (Line() + Gaussian()).split([1.0, 2.0, 3.0, 4.0, 5.0])
        [(1.0, 2.0), (3.0, 4.0, 5.0)]
        """
        return [tuple(p[s]) for s in self._slices]

    def _value(self, x: NDArray, p: tuple) -> NDArray:
        # components is never empty: the sum is an array, not the start value 0
        return cast(NDArray, sum(c._value(x, q) for c, q in zip(self.components, self.split(p))))

    def _grad(self, x: NDArray, p: tuple) -> NDArray:
        return np.concatenate([np.broadcast_to(c._grad(x, q), (c.npar,) + x.shape)
                               for c, q in zip(self.components, self.split(p))])

    def _guess(self, x: NDArray, y: NDArray) -> dict[str, float]:
        comps = list(zip(self.prefixes, self.components))
        bkg = [(pre, c) for pre, c in comps if c.role == "background"]
        peaks = [(pre, c) for pre, c in comps if c.role != "background"]
        out: dict[str, dict[str, float]] = {}

        def fit_bkg(mask: NDArray) -> NDArray:
            total = np.zeros_like(x)
            for pre, c in bkg:
                g = c._guess(x[mask], y[mask] - total[mask])
                out[pre] = g
                total = total + c._value(x, tuple(g[n] for n in c.parameters))
            return total

        b = fit_bkg(np.ones(x.size, bool)) if bkg else np.zeros_like(x)
        if bkg and peaks:
            spacing = float(np.median(np.diff(x))) if x.size > 1 else 0.0
            keep = np.ones(x.size, bool)
            r = y - b
            for _pre, c in peaks:
                if c.role != "peak":
                    continue
                g = c._guess(x, r)
                mu, w = c._center_width(g)
                half = max(3.0 * w, 2.0 * spacing)
                win = np.abs(x - mu) <= half
                keep &= ~win
                r = r - c._value(x, tuple(g[n] for n in c.parameters))
            nb = sum(c.npar for _, c in bkg)
            if keep.sum() >= nb + 2 and keep.sum() < x.size:
                b = fit_bkg(keep)
        r = y - b
        for pre, c in peaks:
            g = c._guess(x, r)
            out[pre] = g
            r = r - c._value(x, tuple(g[n] for n in c.parameters))
        result = {}
        for pre, c in comps:
            for n in c.parameters:
                result[f"{pre}_{n}"] = out[pre][n]
        return result
