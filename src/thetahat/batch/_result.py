"""The value object of a batch of fits: arrays over the fits, named per-fit status."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from ..solvers.batch_lm import CONVERGED, STATUS_NAMES

__all__ = ["BatchResult"]


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
        """Build from the solver's integer codes (they stay inside the library)."""
        names = np.array([STATUS_NAMES[c] for c in range(1, 5)])
        with np.errstate(invalid="ignore"):
            perr = np.sqrt(np.diagonal(pcov, axis1=1, axis2=2))
        return cls(tuple(parameters), popt, perr, pcov, chi2, ndof, nfev, niter,
                   names[np.asarray(codes) - 1], np.asarray(codes) == CONVERGED)

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
            When pandas is not installed.
        """
        try:
            import pandas as pd
        except ImportError as exc:
            raise ImportError("BatchResult.to_dataframe needs pandas: pip install pandas"
                              ) from exc
        cols: dict[str, Any] = {}
        for j, name in enumerate(self.parameters):
            cols[name] = self.popt[:, j]
            cols[f"{name}_err"] = self.perr[:, j]
        cols.update(chi2=self.chi2, ndof=self.ndof, nfev=self.nfev, niter=self.niter,
                    status=self.status, success=self.success)
        return pd.DataFrame(cols)
