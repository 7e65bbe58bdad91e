"""The value object of a batch of fits: arrays over the fits, named per-fit status.

Tables: :meth:`BatchResult.to_dataframe` (pandas) and :meth:`BatchResult.to_xarray` (an
``xarray.Dataset`` over the dimensions ``fit`` and ``parameter``), both from the optional
extra ``thetahat[tables]``."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..solvers.batch_lm import CONVERGED, STATUS_NAMES

__all__ = ["BatchResult", "STATUS_DTYPE", "FIELDS"]

#: the dtype of ``BatchResult.status`` (fixed-width strings long enough for every name)
STATUS_DTYPE = np.array(list(STATUS_NAMES.values())).dtype
#: the array fields of a result, in order
FIELDS = ("popt", "perr", "pcov", "chi2", "ndof", "nfev", "niter", "status", "success")


def _need(module: str, what: str) -> Any:
    import importlib
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise ImportError(f"BatchResult.{what} needs {module}: pip install thetahat[tables] "
                          f"(or pip install {module})") from exc


@dataclass(frozen=True, eq=False)
class BatchResult:
    """Results of ``n`` independent fits of ``k`` parameters.

    Attributes
    ----------
    parameters : tuple of str
        Parameter names, in the column order of ``popt``.
    popt : array (n, k)
        Best-fit values (also of fits that did not converge: inspect them with ``status``).
    perr : array (n, k)
        ``sqrt(diag(pcov))``.
    pcov : array (n, k, k)
        Covariance of each fit (``inf`` where it cannot be estimated).
    chi2 : array (n,)
        Least squares: the weighted sum of squared residuals; MLE: the Poisson deviance
        ``2 sum(f - y - y ln(f/y))``.
    ndof : array (n,)
        Number of points minus number of free parameters.
    nfev, niter : int arrays (n,)
        Model evaluations and iterations per fit.
    status : str array (n,)
        ``'converged'``, ``'max-iterations'``, ``'singular'`` or ``'non-finite'``.
    success : bool array (n,)
        ``status == 'converged'``.

    Examples
    --------
    >>> import numpy as np
    >>> from thetahat import batch
    >>> x = np.linspace(0, 1, 4)
    >>> r = batch.fit(x, np.array([1 + 2 * x, 3 - x]), "line")
    >>> r.popt.round(12).tolist(), r.status.tolist()
    ([[1.0, 2.0], [3.0, -1.0]], ['converged', 'converged'])
    """

    parameters: tuple[str, ...]
    popt: NDArray
    perr: NDArray
    pcov: NDArray
    chi2: NDArray
    ndof: NDArray
    nfev: NDArray
    niter: NDArray
    status: NDArray
    success: NDArray

    @classmethod
    def from_codes(cls, parameters: tuple[str, ...], popt: NDArray, pcov: NDArray,
                   chi2: NDArray, ndof: NDArray, nfev: NDArray, niter: NDArray,
                   codes: NDArray) -> BatchResult:
        """Build from the solver's integer codes (they stay inside the library).

        Parameters
        ----------
        parameters : tuple of str
            Parameter names.
        popt, pcov : numpy.ndarray
            Best values ``(n, npar)`` and covariances ``(n, npar, npar)``.
        chi2, ndof, nfev, niter : numpy.ndarray
            Per fit: the minimum cost, degrees of freedom, cost evaluations and iterations.
        codes : numpy.ndarray of int
            The solver's status code of each fit.

        Returns
        -------
        BatchResult

        Examples
        --------
        Two one-parameter fits, the second stopped at the iteration limit (code 2):

        >>> popt, pcov = np.array([[1.0], [2.0]]), np.array([[[0.04]], [[0.09]]])
        >>> r = BatchResult.from_codes(("a",), popt, pcov, np.zeros(2), np.array([3, 3]),
        ...                            np.array([5, 9]), np.array([2, 4]), np.array([1, 2]))
        >>> r.perr.round(12).tolist(), r.status.tolist(), r.success.tolist()  # perr = sqrt(pcov)
        ([[0.2], [0.3]], ['converged', 'max-iterations'], [True, False])
        """
        names = np.array([STATUS_NAMES[c] for c in range(1, 5)], dtype=STATUS_DTYPE)
        with np.errstate(invalid="ignore"):
            perr = np.sqrt(np.diagonal(pcov, axis1=1, axis2=2))
        return cls(tuple(parameters), popt, perr, pcov, chi2, ndof, nfev, niter,
                   names[np.asarray(codes) - 1], np.asarray(codes) == CONVERGED)

    @classmethod
    def concatenate(cls, parts: list[BatchResult]) -> BatchResult:
        """The results of consecutive blocks of one batch, as one result.

        Parameters
        ----------
        parts : list of BatchResult
            The results of the blocks, in order; all of the same parameters.

        Returns
        -------
        BatchResult
            One result with the rows of all parts.

        Raises
        ------
        ValueError
            When ``parts`` is empty or its results have different parameters.

        Examples
        --------
        >>> from thetahat import batch
        >>> x = np.linspace(0, 1, 4)
        >>> r1, r2 = batch.fit(x, [1 + 2 * x], "line"), batch.fit(x, [3 - x], "line")
        >>> r = BatchResult.concatenate([r1, r2])
        >>> len(r), r.popt.round(12).tolist()
        (2, [[1.0, 2.0], [3.0, -1.0]])
        """
        if not parts:
            raise ValueError("no results to concatenate")
        names = parts[0].parameters
        for p in parts[1:]:
            if p.parameters != names:
                raise ValueError(f"cannot concatenate results of parameters {names} and "
                                 f"{p.parameters}")
        if len(parts) == 1:
            return parts[0]
        return cls(names, *(np.concatenate([getattr(p, f) for p in parts]) for f in FIELDS))

    def __len__(self) -> int:
        return int(self.popt.shape[0])

    def __repr__(self) -> str:
        n = len(self)
        return (f"<BatchResult {n} fits of ({', '.join(self.parameters)}): "
                f"{int(self.success.sum())} converged>")

    def to_dataframe(self) -> Any:
        """One row per fit: the values, ``<name>_err``, chi2, ndof, nfev, niter, status.

        Returns
        -------
        pandas.DataFrame

        Raises
        ------
        ImportError
            When pandas is not installed (``pip install thetahat[tables]``).

        Examples
        --------
        >>> from thetahat import batch
        >>> x = np.linspace(0, 1, 4)
        >>> df = batch.fit(x, np.array([1 + 2 * x, 3 - x]), "line").to_dataframe()
        >>> list(df.columns[:4]), df["b"].round(12).tolist()
        (['a', 'a_err', 'b', 'b_err'], [2.0, -1.0])
        """
        pd = _need("pandas", "to_dataframe")
        cols: dict[str, Any] = {}
        for j, name in enumerate(self.parameters):
            cols[name] = self.popt[:, j]
            cols[f"{name}_err"] = self.perr[:, j]
        cols.update(chi2=self.chi2, ndof=self.ndof, nfev=self.nfev, niter=self.niter,
                    status=self.status, success=self.success)
        return pd.DataFrame(cols)

    def to_xarray(self) -> Any:
        """The result as an ``xarray.Dataset`` over the dimensions ``fit`` and ``parameter``.

        Variables ``popt``, ``perr`` (fit, parameter), ``pcov`` (fit, parameter,
        parameter_2), ``chi2``, ``ndof``, ``nfev``, ``niter``, ``status``, ``success`` (fit);
        the coordinate ``parameter`` holds the names, ``fit`` the row index of ``ydata``.

        Returns
        -------
        xarray.Dataset

        Raises
        ------
        ImportError
            When xarray is not installed (``pip install thetahat[tables]``).

        Examples
        --------
        >>> from thetahat import batch
        >>> x = np.linspace(0, 1, 4)
        >>> ds = batch.fit(x, np.array([1 + 2 * x, 3 - x]), "line").to_xarray()
        >>> ds.popt.sel(parameter="b").values.round(12).tolist(), ds.sizes["fit"]
        ([2.0, -1.0], 2)
        """
        xr = _need("xarray", "to_xarray")
        f, p = ("fit",), ("fit", "parameter")
        data = {"popt": (p, self.popt), "perr": (p, self.perr),
                "pcov": (p + ("parameter_2",), self.pcov)}
        data.update({name: (f, getattr(self, name)) for name in FIELDS[3:]})
        names = list(self.parameters)
        return xr.Dataset(data, coords={"fit": np.arange(len(self)), "parameter": names,
                                        "parameter_2": names})
