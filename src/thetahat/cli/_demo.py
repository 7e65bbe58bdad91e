"""``thetahat demo``: the staged peak search of seed 001 (exercises 3-8), end to end.

1. Data: about 30,000 event energies on [90, 226] GeV, a falling exponential background
   and a narrow Gaussian peak near 125 GeV (generated with a fixed seed, like the seed's
   ``signal`` file).
2. Exercise 3: histogram on [110, 160] GeV in 1-GeV bins.
3. Exercises 6-7: least squares of ``A exp(-(x - B)/C) + D exp(-(x - mu)^2 / 2 sigma^2)``
   with Poisson errors sqrt(max(n, 1)), in stages: signal fixed and the peak region
   [120, 130] masked (background only); then background fixed, mask removed, signal free;
   then everything free, HESSE.
4. Exercise 8: the extended binned likelihood of a range-normalised exponential plus
   Gaussian (yields ``expo_n``, ``gauss_n``), MIGRAD + HESSE + MINOS on the peak position,
   and the significance of the peak from the likelihood ratio with ``gauss_n = 0``:
   Z = sqrt(Δ(-2 ln L)) (Wilks, one constrained parameter at its boundary).
5. A plot of data, fit, components and pulls.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

__all__ = ["run_demo", "make_data"]

TRUE = dict(c=25.0, mu=125.0, sigma=1.6, nsig=600, nbkg=29950)
RANGE = (110.0, 160.0)


def make_data(seed: int = 1, n_background: int = int(TRUE["nbkg"]),
              n_signal: int = int(TRUE["nsig"])) -> np.ndarray:
    """Event energies (GeV) on [90, 226]: exponential background + Gaussian peak."""
    rng = np.random.default_rng(seed)
    lo, hi = 90.0, 226.12
    # background: exponential with scale c truncated to [lo, hi] by inverting its cdf
    u = rng.uniform(size=n_background)
    c = TRUE["c"]
    bkg = lo - c * np.log1p(-u * (1 - np.exp(-(hi - lo) / c)))
    sig = rng.normal(TRUE["mu"], TRUE["sigma"], size=n_signal)
    x = np.concatenate([bkg, sig[(sig > lo) & (sig < hi)]])
    rng.shuffle(x)
    return x


class _Progress:
    """One line per stage; the time is printed for stages that take longer than a second."""

    def __init__(self) -> None:
        self.t = time.perf_counter()

    def __call__(self, msg: str) -> None:
        now = time.perf_counter()
        dt = now - self.t
        self.t = now
        tail = f"   ({dt:.1f} s)" if dt > 1 else ""
        print(f"{msg}{tail}", flush=True)


def _params_line(m, names: Sequence[str]) -> str:
    out = []
    for k in names:
        v, e = m.values[k], m.errors[k]
        if _has_pdg():
            from ..display import pdg_format
            sv, se = pdg_format(v, e)[:2]
        else:
            sv, se = f"{v:.4g}", f"{e:.2g}"
        out.append(f"{k} = {sv} ± {se}")
    return ", ".join(out)


def _has_pdg() -> bool:
    try:
        from ..display import pdg_format  # noqa: F401
    except ImportError:
        return False
    return True


def _gof(m) -> str:
    from scipy.stats import chi2
    ndof = m.ndof
    p = chi2.sf(m.fval, ndof) if ndof > 0 else float("nan")
    return f"chi2/ndof = {m.fval:.1f}/{ndof:.0f} = {m.fval / ndof:.2f}, p = {p:.3g}"


def run_demo(argv: Sequence[str] | None = None) -> int:
    from .. import models
    from ..cost import ExtendedBinnedNLL, LeastSquares
    from ..minuit import Minuit

    ap = argparse.ArgumentParser(prog="thetahat demo", description=__doc__.splitlines()[0])
    ap.add_argument("--seed", type=int, default=1, help="random seed of the data (1)")
    ap.add_argument("--out", default="demo_output", help="folder for the plot")
    ap.add_argument("--no-plot", action="store_true", help="skip the plot")
    args = ap.parse_args(argv)
    say = _Progress()

    energies = make_data(args.seed)
    say(f"[1] data: {energies.size} energies, {energies.min():.2f}-{energies.max():.2f} GeV "
        f"(seed {args.seed})")
    lo, hi = RANGE
    n, xe = np.histogram(energies, bins=50, range=RANGE)
    cx = 0.5 * (xe[1:] + xe[:-1])
    say(f"[2] histogram: 50 bins of 1 GeV on [{lo:g}, {hi:g}] GeV, {n.sum()} events, "
        f"fewest counts in a bin {n.min()}")

    # --- least squares in stages (exercises 6-7) ----------------------------------------
    model = models.parse("expo+gauss")
    yerr = np.sqrt(np.maximum(n, 1.0))  # Poisson errors; an empty bin would give zero
    lsq = LeastSquares(cx, n, yerr, model, grad=model.grad)
    start: dict[str, Any] = model.guess(cx, n)
    m = Minuit(lsq, **start)
    m.limits["expo_a", "expo_c", "gauss_a", "gauss_sigma"] = (0, None)
    m.limits["gauss_mu"] = RANGE
    m.fixed["expo_b"] = True  # A and B are degenerate in A exp(-(x - B)/C)
    signal = ["gauss_a", "gauss_mu", "gauss_sigma"]
    background = ["expo_a", "expo_c"]
    m.fixed[signal] = True
    lsq.mask = (cx < 120) | (cx > 130)
    m.migrad()
    say(f"[3] least squares, background only (peak masked): {_gof(m)}")
    m.fixed[signal] = False
    m.fixed[background] = True
    lsq.mask = None
    m.migrad()
    m.fixed[background] = False
    m.migrad().hesse()
    say(f"[4] least squares, all free: {_gof(m)}, valid = {m.valid}")
    say("    " + _params_line(m, ["gauss_mu", "gauss_sigma", "gauss_a"]))

    # --- extended binned likelihood (exercise 8) ------------------------------------------
    dens = models.density("expo+gauss", range=RANGE).extended()
    nll = ExtendedBinnedNLL(n, xe, dens.scaled_cdf, grad=dens.scaled_cdf.grad)
    guess: dict[str, Any] = dens.guess(energies[(energies >= lo) & (energies <= hi)])
    ml = Minuit(nll, **guess)
    ml.limits["expo_c", "expo_n", "gauss_sigma", "gauss_n"] = (0, None)
    ml.limits["gauss_mu"] = RANGE
    ml.migrad().hesse()
    say(f"[5] extended binned likelihood: {_gof(ml)}, valid = {ml.valid}")
    say("    " + _params_line(ml, ["gauss_mu", "gauss_sigma", "gauss_n", "expo_n"]))
    ml.minos("gauss_mu")
    me = ml.merrors["gauss_mu"]
    say(f"    MINOS interval of the peak position: {ml.values['gauss_mu']:.3f} "
        f"{me.lower:+.3f} {me.upper:+.3f} GeV")

    m0 = Minuit(nll, **{k: ml.values[k] for k in ml.parameters})
    m0.limits = ml.limits
    m0.fixto("gauss_n", 0.0)
    m0.fixed["gauss_mu", "gauss_sigma"] = True
    m0.migrad()
    assert m0.fval is not None and ml.fval is not None  # both were minimised
    z = float(np.sqrt(max(m0.fval - ml.fval, 0.0)))
    say(f"[6] background-only hypothesis: Delta(-2 ln L) = {m0.fval - ml.fval:.1f}, "
        f"significance of the peak Z = {z:.1f} sigma")
    print(ml.fmin)
    print(ml.params)

    if not args.no_plot:
        try:
            path = _plot(args.out, n, xe, model, m, dens, ml)
        except ImportError as e:  # the analysis stands without matplotlib; say how to draw
            print(f"[7] no plot: {e}", file=sys.stderr)
        else:
            say(f"[7] plot written to {path}")
    return 0 if (m.valid and ml.valid) else 1


def _plot(out: str, n, xe, model, m, dens, ml) -> str:
    from ..plot import _pyplot
    plt = _pyplot("Agg")  # without matplotlib: ModuleNotFoundError naming thetahat[plot]

    cx = 0.5 * (xe[1:] + xe[:-1])
    w = np.diff(xe)
    xf = np.linspace(xe[0], xe[-1], 400)
    fig, (ax, axp) = plt.subplots(2, 1, figsize=(7, 6), sharex=True,
                                  gridspec_kw=dict(height_ratios=(3, 1)))
    yerr = np.sqrt(np.maximum(n, 1.0))
    ax.errorbar(cx, n, yerr, fmt="ok", ms=3, label="data")
    ax.plot(xf, model(xf, *m.values), "C0-", label="least squares (expo + gauss)")
    pdf = dens.scaled_pdf(xf, *ml.values)[1] * w[0]
    ax.plot(xf, pdf, "C1--", label="extended binned likelihood")
    vals = dict(zip(ml.parameters, ml.values))
    bkg_only = dict(vals, gauss_n=0.0)
    ax.plot(xf, dens.scaled_pdf(xf, *bkg_only.values())[1] * w[0], "C2:",
            label="background component")
    ax.set_ylabel("events / 1 GeV")
    ax.legend(frameon=False)
    ax.set_title(f"peak at {ml.values['gauss_mu']:.2f} ± {ml.errors['gauss_mu']:.2f} GeV")
    mu = np.diff(dens.scaled_cdf(xe, *ml.values))
    pull = (n - mu) / np.sqrt(mu)
    axp.bar(cx, pull, width=w, color="0.6")
    axp.axhline(0, color="k", lw=0.8)
    axp.set_ylabel("pull")
    axp.set_xlabel("energy / GeV")
    fig.tight_layout()
    os.makedirs(out, exist_ok=True)
    path = os.path.join(out, "thetahat_demo.png")
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


if __name__ == "__main__":  # pragma: no cover
    sys.exit(run_demo())
