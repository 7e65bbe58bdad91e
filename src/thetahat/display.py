"""Text and HTML renderings of fit results: free functions, no fitting logic.

Layouts follow iminuit 2.x so that a user switching libraries reads the same tables:

- the function-minimum block (``fmin_text``/``fmin_html``): FCN (with χ²/ndof when the
  cost defines it), Nfcn, EDM and its goal, and the validity cells — green when good,
  yellow for a warning (parameters at a limit, approximate covariance), red when bad;
- the parameter table (``params_text``/``params_html``): Name, Value, Hesse Error, Minos
  Error-, Minos Error+, Limit-, Limit+, Fixed, with values rounded to the significant
  digits of their error by the PDG rule (:func:`pdg_format`); a parameter that ended at
  a limit shows it as ``at 0`` (in HTML the limit and the HESSE error in yellow: that
  error is not a standard deviation there);
- the MINOS table (``merrors_text``/``merrors_html``) and the covariance matrix
  (``matrix_text``/``matrix_html``), each coefficient once: the variances C_ii on the
  diagonal, the covariances C_ij above it, the correlations rho_ij below it, in brackets
  (iminuit prints the covariance in both triangles; the matrix is symmetric, so the lower
  triangle would only repeat the upper).

HTML (``*_html``, used by ``_repr_html_`` in Jupyter) carries inline ``style="..."``
attributes only: notebook front ends (Jupyter, VS Code, GitHub) strip or scope ``<style>``
blocks and right-align table cells with their own stylesheet. Every cell that sets a
background also sets ``color: black`` (the fills are all light), so a dark theme's light
default text never lands on a light fill; cells without a fill inherit the page's colours.
Matrix cells off the diagonal are coloured by the correlation rho_ij = C_ij / sqrt(C_ii C_jj):
the neutral fill rgb(250,250,250) mixed linearly in |rho| towards red rgb(250,100,100) for
rho > 0 or blue rgb(120,120,250) for rho < 0 (iminuit's palette); the diagonal is unfilled.

Untrusted errors: iminuit 2.33 colours the FMin cell "Hesse FAILED" / "Covariance
APPROXIMATE" but its Params table shows the HESSE column unchanged. Here, when the Params
table is rendered with the fit's FMin (``minuit_html``) and HESSE failed or there is no
covariance, the HESSE error cells of the free parameters are blank (the numbers there would
be step sizes, not standard deviations; ``m.errors`` still holds them), and a note row
under the table says why. When the covariance is only approximate or was forced positive
definite, the errors are estimates: they are shown greyed and italic with a dagger, and
the note says why. The text table (``params_text`` with the FMin, as ``minuit_text``
and ``print(m)``) leaves the errors of a failed HESSE blank too, with the same note; it
marks no approximate errors.

PDG rounding (Particle Data Group, "Introduction", §5.3): take the three most significant
digits of the error. If they lie in 100-354, keep two significant digits; in 355-949 keep
one; in 950-999 round the error up to 1000 and keep two. The value is rounded to the
same decimal place as the error.

Inputs are duck-typed on iminuit's field names, so iminuit's own result objects render
too.

Examples
--------
The examples of the functions below continue from this fit, ``m``, of a line to three
exact points (its covariance is the closed form ``0.1^2 (X^T X)^-1``):

>>> from thetahat import Minuit
>>> from thetahat.cost import LeastSquares
>>> c = LeastSquares([0, 1, 2], [1, 3, 5], 0.1, lambda x, a, b: a + b * x)
>>> m = Minuit(c, a=0, b=0).migrad()
>>> m.valid, [round(v, 6) for v in m.values]
(True, [1.0, 2.0])
"""

from __future__ import annotations

from typing import Any

from ._display_cells import (  # noqa: F401 - the colours for users and examples, _pdg_digits for pdg_format.py
    BAD,
    GOOD,
    WARN,
    _pdg_digits,
    pdg_format,
)
from ._display_html import (
    corr_colour,
    fmin_html,
    matrix_html,
    merrors_html,
    minuit_html,
    params_html,
)
from ._display_text import fmin_text, matrix_text, merrors_text, minuit_text, params_text

__all__ = ["pdg_format", "fmin_text", "params_text", "merrors_text", "matrix_text",
           "minuit_text", "fmin_html", "params_html", "merrors_html", "matrix_html",
           "minuit_html", "corr_colour", "pretty"]


def pretty(obj: Any, p: Any, cycle: bool) -> None:
    """IPython pretty-printer hook: ``_repr_pretty_ = pretty``-style delegation.

    Parameters
    ----------
    obj : object
        The object to print.
    p : IPython.lib.pretty.PrettyPrinter
        The printer it writes to.
    cycle : bool
        Whether IPython found a reference cycle (then ``repr`` is printed).

    Examples
    --------
    A printer with IPython's ``text`` method receives ``str`` of the object, or ``repr`` in a
    cycle:

    >>> class Printer(list):
    ...     text = list.append
    >>> p = Printer()
    >>> pretty("a", p, False), pretty("a", p, True), p
    (None, None, ['a', "'a'"])
    """
    p.text(repr(obj) if cycle else str(obj))
