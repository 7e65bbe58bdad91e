"""Template fits of a histogram whose templates carry their own uncertainties: ``Template``.

The data histogram ``n_i`` is fitted with a sum of components. A component is either a
template histogram ``t_ki`` (simulated counts, or ``(sum w, sum w^2)`` pairs) with a yield
parameter ``y_k``, or a parametric model: a scaled cdf evaluated at the bin edges (as in
:class:`ExtendedBinnedNLL`), with its own parameters. The prediction and its variance are

    mu_i    = sum_k y_k t_ki / T_k  + sum_models (F(b_i) - F(a_i)),
    var_i   = sum_k y_k^2 v_ki / T_k^2,            T_k = sum_i t_ki,

with ``v_ki = t_ki`` for plain template counts and the sum of squared weights otherwise;
models add no variance. The template normalisation ``T_k`` is over all bins (a mask
selects bins of the fit, it does not renormalise the templates), so ``y_k`` is the yield
in the whole histogram.

The finite template statistics enter through one nuisance parameter per bin, profiled or
marginalised in closed form (:mod:`thetahat.cost._stats`):

- ``method="jsc"``: J. S. Conway, PHYSTAT 2011, arXiv:1103.0354 (Barlow-Beeston lite with
  a Gaussian constraint on the bin scale factor);
- ``method="da"`` (default): H. Dembinski and A. Abdelmotteleb, EPJC 82 (2022) 1043,
  arXiv:2206.12346 (Poisson constraint from an effective template count ``mu^2 / var``);
- ``method="asy"``: C. A. Argüelles, A. Schneider and T. Yuan, JHEP 06 (2019) 030, eq. 3.15
  (the nuisance parameter integrated out; a negative log-likelihood, errordef 0.5).

``jsc`` and ``da`` are asymptotically chi-square distributed at the minimum (errordef 1).
A weighted data histogram is turned into scaled Poisson counts (G. Bohm and G. Zech, NIM A
748 (2014) 1): with ``s_i = sum w / sum w^2`` the cost is evaluated on ``(n s, mu s,
var s^2)``. Bins with zero prediction variance reduce exactly to the Poisson deviance.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .._core.masked import has_masked_entries
from .._core.warnings import warn_user
from ..derivatives.model import fd_jacobian
from ._base import MaskedCost, describe_model, is_histogram
from ._binned import HistogramData, _parse_edges, histogram_input, parse_counts
from ._stats import TEMPLATE_TERMS, template_chi2_da, template_chi2_jsc, template_nll_asy

if TYPE_CHECKING:  # annotations only (numpy.typing costs ms at import)
    from numpy.typing import ArrayLike, NDArray

__all__ = ["Template"]

_METHODS: dict[str, Callable[[NDArray, NDArray, NDArray], float]] = {
    "jsc": template_chi2_jsc,
    "da": template_chi2_da,
    "asy": template_nll_asy,
}


class Template(HistogramData, MaskedCost):
    """Binned cost for template fits with templates of finite statistics.

    Parameters
    ----------
    n : array_like
        Histogram counts, shape (nbins...) or (nbins..., 2) for (sum w, sum w^2).
    xe : array_like or sequence of array_like
        Bin edges (one array per axis).
    model_or_template : collection of array_like or callable
        Components: template histograms on the same bins as ``n`` (counts, or
        (sum w, sum w^2) pairs in a last axis of length 2), or callables returning the
        scaled cdf at the bin edges (``model(xe, *par)``; in several dimensions the edges
        arrive as an array of shape (d, m) of grid points).
    name : sequence of str, optional
        Names of the template yields and the model parameters, in order. By default the
        yield of component ``k`` is ``xk`` and model parameters are ``xk_<name>``.
    verbose : int, optional
        Print the arguments and the value on every call if >= 1.
    method : {'da', 'jsc', 'asy'}, optional
        Treatment of the template uncertainties (module docstring). 'hpd' is an old
        name of 'da' and warns.

    Raises
    ------
    ValueError
        If ``method`` is unknown, there is no component, a template is not an array of the
        shape of ``n`` or has no positive total, or ``name`` has the wrong length.

    Examples
    --------
    >>> import numpy as np
    >>> c = Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]])
    >>> c.npar, c.ndata, c.errordef
    (2, 2, 1.0)
    >>> mu, mu_err = c.prediction((3.0, 5.0))
    >>> mu.round(3).tolist()
    [3.0, 5.0]
    """

    def __init__(self, n: ArrayLike, xe: Any, model_or_template: Collection[Any], *,
                 name: Sequence[str] | None = None, verbose: int = 0,
                 method: str = "da") -> None:
        if method == "hpd":
            warn_user("method='hpd' is deprecated, use method='da'", FutureWarning)
            method = "da"
        if method not in _METHODS:
            raise ValueError(f"method {method!r} is not understood: use 'da', 'jsc' or 'asy'")
        self._method = method
        self._impl = _METHODS[method]
        self._edges = _parse_edges(xe)
        self._nb = tuple(e.size - 1 for e in self._edges)
        self._set_counts(n)
        comps = list(model_or_template)
        if not comps:
            raise ValueError("model_or_template must contain at least one template or model")
        params: dict = {}
        self._components: list[tuple] = []
        for k, c in enumerate(comps):
            if callable(c):
                names = list(describe_model(c, None, True))
                for p in names:
                    params[f"x{k}_{p}"] = None
                self._components.append(("model", c, len(names)))
                continue
            if is_histogram(c):  # a template histogram object: its contents
                c = histogram_input(f"model_or_template[{k}]", c, self._edges)
            if c is None or np.ndim(c) == 0:
                raise ValueError(f"model_or_template[{k}] must be an array or a callable, "
                                 f"got {c!r}")
            if has_masked_entries(c):
                raise ValueError(f"model_or_template[{k}] is a numpy.ma.MaskedArray with "
                                 "masked entries: mask the bins of n instead")
            try:
                _, t, v, scale = parse_counts(c, self._nb, f"model_or_template[{k}]")
            except ValueError as e:  # parse_counts names the entry; say "shape" only for one
                msg = str(e)
                raise ValueError(f"shapes of n and model_or_template[{k}] do not match: {msg}"
                                 if "shape" in msg else msg) from None
            total = float(np.sum(t))
            if not total > 0:
                raise ValueError(f"model_or_template[{k}] has no positive total ({total})")
            self._components.append(("template", t / total, v / total**2))
            params[f"x{k}"] = (0.0, np.inf)
        if name is not None:
            name = [str(s) for s in name]
            if len(name) != len(params):
                raise ValueError(f"number of names ({len(name)}) does not match the number "
                                 f"of parameters ({len(params)}: {list(params)})")
            params = dict(zip(name, params.values()))
        if len(self._edges) == 1:
            self._grid: NDArray = self._edges[0]
        else:
            mesh = np.meshgrid(*self._edges, indexing="ij")
            self._grid = np.array([m.ravel() for m in mesh])
        super().__init__(params, self._nb, verbose)
        self._take_masks(self._counts_mask)

    @property
    def method(self) -> str:
        """The treatment of template uncertainties: 'da', 'jsc' or 'asy'.

        Examples
        --------
        >>> Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]]).method
        'da'
        """
        return self._method

    @property
    def errordef(self) -> float:
        """0.5 for the 'asy' negative log-likelihood, 1 for the chi-square methods.

        Examples
        --------
        >>> n, xe, t = [3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]]
        >>> Template(n, xe, t).errordef, Template(n, xe, t, method="asy").errordef
        (1.0, 0.5)
        """
        return 0.5 if self._method == "asy" else 1.0

    def _update_cache(self) -> None:
        sel = np.ones(self._nb, dtype=bool) if self._mask is None else self._mask
        self._sel = sel.ravel()
        s = None if self._scale is None else self._scale.ravel()[self._sel]
        n = self._n.ravel()[self._sel]
        self._sm = s
        self._nm = n if s is None else n * s

    def _ndata(self) -> float:
        return int(self._sel.sum())

    # --- prediction ----------------------------------------------------------------------
    def _mu_var(self, args: ArrayLike) -> tuple[NDArray, NDArray]:
        a = np.asarray(args, dtype=float).ravel()
        mu = np.zeros(self._nb)
        var = np.zeros(self._nb)
        i = 0
        for comp in self._components:
            if comp[0] == "template":
                mu = mu + a[i] * comp[1]
                var = var + a[i] ** 2 * comp[2]
                i += 1
                continue
            npar = comp[2]
            out = np.asarray(comp[1](self._grid, *a[i:i + npar].tolist()), dtype=float)
            i += npar
            shape = tuple(e.size for e in self._edges)
            if out.size != int(np.prod(shape)):
                raise ValueError(f"output of model has shape {out.shape}, but "
                                 f"({int(np.prod(shape))},) is required")
            out = out.reshape(shape)
            for ax in range(out.ndim):
                out = np.diff(out, axis=ax)
            mu = mu + out
        return mu, var

    def _value(self, args: tuple) -> float:
        mu, var = self._mu_var(args)
        mu_m, var_m = mu.ravel()[self._sel], var.ravel()[self._sel]
        if self._sm is not None:
            mu_m, var_m = mu_m * self._sm, var_m * self._sm**2
        return float(self._impl(self._nm, mu_m, var_m))

    def _scaled_mu_var(self, p: NDArray) -> NDArray:
        """Expected counts and their variances over the selected bins, in the scaled
        (Bohm-Zech) units of weighted data, concatenated."""
        mu, var = self._mu_var(p)
        mu_m, var_m = mu.ravel()[self._sel], var.ravel()[self._sel]
        if self._sm is not None:
            mu_m, var_m = mu_m * self._sm, var_m * self._sm**2
        return np.concatenate([mu_m, var_m])

    def gauss_newton(self, args: ArrayLike, free: NDArray | None = None,
                     steps: NDArray | None = None) -> tuple[float, NDArray, NDArray]:
        """Value, gradient and ``c sum dmu dmu^T / (mu + var)`` (c = 2 for the chi-square
        methods, 1 for 'asy'): the Fisher information of Poisson counts whose expectation
        has the extra variance ``var`` from the templates.

        The gradient is exact up to differences: ``d mu / dp`` and ``d var / dp`` by forward
        differences (one evaluation per parameter; exact for the linear template yields),
        the per-bin derivatives of the cost in ``mu`` and ``var`` by central differences
        with the relative step 1e-5 (truncation error ~1e-10 relative).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.
        free : numpy.ndarray of bool, optional
            Which parameters are free: derivatives are taken over these only (None: all).
        steps : numpy.ndarray, optional
            Finite-difference step of each parameter, used where a derivative is numerical.

        Returns
        -------
        value : float
            The cost at ``args``.
        grad : numpy.ndarray
            Its gradient over the free parameters.
        hessian : numpy.ndarray
            The approximate Hessian named above (positive semi-definite) over the free parameters.

        Examples
        --------
        Yields that reproduce the data exactly: zero cost and (up to rounding) zero gradient:

        >>> c = Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]])
        >>> f, g, h = c.gauss_newton([3.0, 5.0])
        >>> round(f, 12), bool(np.abs(g).max() < 1e-8), h.shape
        (0.0, True, (2, 2))
        """
        p = np.asarray(args, dtype=float).ravel()
        mv = self._scaled_mu_var(p)
        jac = fd_jacobian(self._scaled_mu_var, p, mv, free, steps)
        m = mv.size // 2
        mu, var = mv[:m], mv[m:]
        terms = TEMPLATE_TERMS[self._method]
        value = float(np.sum(terms(self._nm, mu, var)))
        d = []
        for k, a in enumerate((mu, var)):
            h = np.where(a > 0, 1e-5 * a, 1e-8)
            lo = np.where(a > 0, a - h, a)  # one-sided at 0: the costs need a >= 0
            hi = a + h
            both = [(hi, var) if k == 0 else (mu, hi), (lo, var) if k == 0 else (mu, lo)]
            d.append((terms(self._nm, *both[0]) - terms(self._nm, *both[1])) / (hi - lo))
        jmu, jvar = jac[:, :m], jac[:, m:]
        g = jmu @ d[0] + jvar @ d[1]
        tot = mu + var
        w = np.where(tot > 0, 1.0 / np.where(tot > 0, tot, 1.0), 0.0)
        h = (1.0 if self._method == "asy" else 2.0) * (jmu * w) @ jmu.T
        return value, g, 0.5 * (h + h.T)

    def prediction(self, args: ArrayLike) -> tuple[NDArray, NDArray]:
        """Expected counts and their standard deviations from the templates, every bin.

        Parameters
        ----------
        args : array_like
            Parameter values.

        Returns
        -------
        mu, mu_err : ndarray
            Expected counts and the uncertainties from the finite template statistics.

        Examples
        --------
        The yields times the normalised templates, (2, 1)/3 and (1, 4)/5:

        >>> c = Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]])
        >>> mu, mu_err = c.prediction([3.0, 5.0])
        >>> mu.round(6).tolist()
        [3.0, 5.0]
        """
        mu, var = self._mu_var(np.atleast_1d(np.asarray(args, dtype=float)))
        return mu, np.sqrt(var)

    def pulls(self, args: ArrayLike) -> NDArray:
        """``(n - mu) / sqrt(var n + var mu)``; NaN for masked bins and empty data bins.

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        numpy.ndarray
            The pulls, one per data point or bin.

        Examples
        --------
        >>> c = Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]])
        >>> c.pulls([3.0, 5.0]).round(6).tolist()  # a perfect fit
        [0.0, 0.0]
        """
        mu, mu_err = self.prediction(args)
        with np.errstate(divide="ignore", invalid="ignore"):
            r = np.where(self._n2 > 0, (self._n - mu) / np.sqrt(self._n2 + mu_err**2), np.nan)
        if self._mask is not None:
            r = np.where(self._mask, r, np.nan)
        return r

    def visualize(self, args: ArrayLike) -> Any:
        """Draw the data with errors and the prediction with its template uncertainty
        (bins flattened for several dimensions).

        Parameters
        ----------
        args : array_like
            Values of all parameters, in positional order.

        Returns
        -------
        object
            What was drawn: the data and model arrays of the drawing (matplotlib draws on the
            current axes).

        Examples
        --------
        Drawn with the Agg backend: the data, and the prediction with its template uncertainty:

        >>> from matplotlib import pyplot as plt
        >>> c = Template([3, 5], [0.0, 1.0, 2.0], [[2, 1], [1, 4]])
        >>> (cx, n, ne), (xe, mu, mu_err) = c.visualize([3.0, 5.0])
        >>> n.tolist(), mu.round(6).tolist()
        ([3.0, 5.0], [3.0, 5.0])
        >>> plt.close("all")
        """
        from ._visualize import visualize_template

        return visualize_template(self, args)
