"""Many small fits at once: every pixel of an image, every peak of a movie, every replica.

- :func:`curve_fit` ``(f, x, ydata, p0, sigma, bounds, absolute_sigma, workers=...)``: as
  ``scipy.optimize.curve_fit`` for each row of ``ydata (n_fits, n_points)``, with a numpy
  model ``f(x, *p)`` (parameters arrive as columns ``(n_active, 1)``) or a built-in name;
- :func:`fit` ``(x, ydata, "gauss+constant", yerr, estimator='lse'|'mle')``: the model
  library (``constant``, ``line``, ``poly<n>``, ``expo``, ``gauss``, ``lorentz`` and the 2-D
  Gaussians ``gauss2d``, ``gauss2d_elliptic``, ``gauss2d_rotated``), starting values
  guessed per fit, least squares or Poisson likelihood (Gpufit's MLE).

Both return a :class:`BatchResult` of arrays (``popt``, ``perr``, ``pcov``, ``chi2``,
``ndof``, ``nfev``, ``niter``, named ``status`` and a ``success`` mask; tables through
``to_dataframe()`` / ``to_xarray()``). ``progress=True`` draws a tqdm bar, a callable gets
``(n_done, n_total)``. Dask arrays chunked along the fit axis give a lazy
:class:`DaskBatchResult` (one compiled batch per chunk, on any dask scheduler; see
``docs/batch.md``). The built-in models
run in compiled C (:mod:`thetahat._compiled`, threads over chunks of the batch, ``workers``
as scipy spells it); user functions run the numpy twin (:mod:`thetahat.solvers.batch_lm`),
one model call per iteration for the whole batch.

Examples
--------
A million-fit workload in miniature: 1,000 noisy Gaussians on 60 points (the oracle: the
truth, which the fits find within their errors):

>>> import numpy as np
>>> from thetahat import batch, models
>>> rng = np.random.default_rng(1)
>>> x = np.linspace(-5, 5, 60)
>>> y = models.parse("gauss+constant")(x, 10.0, 0.3, 1.0, 1.0) + rng.normal(0, 0.2, (1000, 60))
>>> r = batch.fit(x, y, "gauss+constant")
>>> bool(r.success.all()), bool(abs(np.median((r.popt[:, 1] - 0.3) / r.perr[:, 1])) < 0.2)
(True, True)
"""

from __future__ import annotations

from ._dask import DaskBatchResult
from ._front import curve_fit, fit
from ._result import BatchResult

__all__ = ["curve_fit", "fit", "BatchResult", "DaskBatchResult"]
